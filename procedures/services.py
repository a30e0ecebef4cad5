"""Every change of procedures and departure preparation goes through these functions.

Pages, the API, the import (``procedures.importing``) and the demo call them; none writes
the models directly. Like ``cases.services``: keyword-only, with the acting user and the
origin; each locks the case (as the user may see it), checks who may do it, validates,
writes the record, appends the timeline event (``cases.services.add_event``) and the
access-log row, in one transaction.

Who writes what (the partner whose work it is; docs/adr/0016-procedures.md):
- an application is recorded when it is lodged, by the municipality's case worker, the
  guide of the NGO the case is assigned to, or the IND;
- the IND records the decision on its kinds (repeat asylum, *buitenschuld*, regular,
  medical art. 64); a court decides an appeal and "other" procedures run elsewhere: the
  case worker records those decisions. An application is decided once;
- an application on medical grounds (``SPECIAL_KINDS``) is special-category data: only a
  user who may see that data of the case records or decides it, and its timeline events
  say ``"confidentiality": "special"`` (``cases.selectors.visible_timeline`` hides them);
- departure steps and plans are the DT&V's (the IOM has no role of its own: the DT&V
  records the steps the IOM supported, with ``partner="iom"``);
- everyone who sees the case reads all of it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection
from typing import Any, TypeGuard

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.models import Case, EventType
from cases.services import DATE_BEFORE, DATE_IN_FUTURE, add_event, optional_text
from cases.workflow import ADMITTED_STATES
from lvv.access import policy
from lvv.access.policy import Actor, AnyUser
from lvv.accounts.models import Role
from lvv.audit.log import AccessAction, Origin, record
from lvv.errors import NotVisibleError, StaleVersionError
from lvv.params import NOT_A_DATE, check_dates
from lvv.partners.models import Organisation
from lvv.services import TEXT_REQUIRED as REQUIRED
from lvv.services import check_version, locked_visible, save_next_version, user_or_none
from lvv.text import SHORT_TEXT_MAX, TEXT_MAX
from procedures.models import (
    IND_KINDS,
    SPECIAL_KINDS,
    Application,
    ApplicationKind,
    DeparturePartner,
    DeparturePlan,
    DepartureStep,
    DepartureStepKind,
    DepartureSupport,
    Outcome,
    SubmittedBy,
)

__all__ = [
    "NotVisibleError",
    "StaleVersionError",
    "can_submit",
    "can_decide",
    "can_record_departure",
    "decision_due_on",
    "submit_application",
    "decide_application",
    "record_departure_step",
    "plan_departure",
    "current_plan",
    "earliest_pending",
]

# --- Messages (shared with the tests) ---------------------------------------------------------
NOT_ALLOWED_SUBMIT = _(
    "Alleen de casemanager van de gemeente, de begeleider van de toegewezen ngo en de IND leggen een aanvraag vast."
)
NOT_ALLOWED_DECIDE_IND = _("Het besluit op deze aanvraag legt de IND vast.")
NOT_ALLOWED_DECIDE_CASEWORKER = _("Het besluit op deze procedure legt de casemanager van de gemeente vast.")
NOT_ALLOWED_DEPARTURE = _("De vertrekvoorbereiding legt de DT&V vast.")
NOT_ALLOWED_SPECIAL = _(
    "Een aanvraag om medische redenen is een bijzonder persoonsgegeven; u mag die bij deze casus niet vastleggen."
)
CASE_NOT_ADMITTED = _("Dit kan alleen bij een toegelaten casus die nog loopt.")
ALREADY_DECIDED = _("Op deze aanvraag is al besloten.")
INVALID_CHOICE = _("Kies een van de mogelijkheden.")
DECIDED_BEFORE_SUBMITTED = _("Het besluit ligt vóór de indiening (%(date)s).")
PLANNED_BEFORE_MADE = _("De vertrekdatum ligt vóór de datum waarop het vertrek werd gepland (%(date)s).")

# Days a decision may be awaited before it shows as overdue (setting LVV_DECISION_DUE_DAYS).
DEFAULT_DECISION_DUE_DAYS = 180


def decision_due_days() -> int:
    return int(getattr(settings, "LVV_DECISION_DUE_DAYS", DEFAULT_DECISION_DUE_DAYS))


def decision_due_on(application: Application) -> datetime.date | None:
    """When a decision on a pending application is overdue after; None once decided."""
    if application.decided_on is not None:
        return None
    return application.submitted_on + datetime.timedelta(days=decision_due_days())


# --- Who may do what --------------------------------------------------------------------------
# For a case the user already sees (``Case.objects.visible_to``): these add what the role
# must be. The services lock the case through ``visible_to``, so a hidden case is never
# reached (NotVisibleError: 404).


def _active(user: AnyUser) -> TypeGuard[Actor]:
    return policy.is_system(user) or bool(user is not None and user.is_authenticated and user.is_active)


def can_submit(user: AnyUser, case: Case) -> bool:
    if policy.is_system(user):
        return True
    if not _active(user):
        return False
    if user.has_role(Role.IND):
        return True
    if user.has_role(Role.NGO) and case.assigned_ngo_id is not None and case.assigned_ngo_id == user.organisation_id:
        return True
    return user.has_role(*policy.CASE_EDITOR_ROLES) and policy.can_change_case(user, case)


def is_special(kind: str) -> bool:
    return kind in SPECIAL_KINDS


def _special_allowed(user: AnyUser, case: Case, kind: str) -> bool:
    return not is_special(kind) or policy.is_system(user) or policy.can_view_special_category(user, case)


def decided_by_ind(kind: str) -> bool:
    return kind in IND_KINDS


def can_decide(user: AnyUser, case: Case, kind: str) -> bool:
    if policy.is_system(user):
        return True
    if not _active(user):
        return False
    if decided_by_ind(kind):
        return user.has_role(Role.IND)
    return user.has_role(*policy.CASE_EDITOR_ROLES) and policy.can_change_case(user, case)


def can_record_departure(user: AnyUser, case: Case | None = None) -> bool:
    return policy.is_system(user) or (_active(user) and user.has_role(Role.DTV))


# --- Helpers ----------------------------------------------------------------------------------


def _organisation_of(user: Actor) -> Organisation | None:
    return None if policy.is_system(user) else getattr(user, "organisation", None)


def _locked_case(acting_user: Actor, case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return locked_visible(Case.objects.visible_to(acting_user), pk, "location")


def _admitted(case: Case) -> None:
    if case.state not in ADMITTED_STATES:
        raise ValidationError(CASE_NOT_ADMITTED)


def _check_may_record(acting_user: Actor, case: Case, *, may: Callable[[Actor, Case], bool], refusal: Any) -> None:
    """The user ``may`` record on the case (else ``PermissionDenied(refusal)``), and the
    case is admitted and still runs."""
    if not may(acting_user, case):
        raise PermissionDenied(refusal)
    _admitted(case)


_Record = Application | DepartureStep | DeparturePlan


def _save_recorded(row: _Record, acting_user: Actor, organisation: str) -> None:
    """Save a new record of a case, validated, as recorded by the acting user and their
    organisation (in the field named ``organisation``)."""
    row.recorded_by = user_or_none(acting_user)
    setattr(row, organisation, _organisation_of(acting_user))
    row.full_clean(exclude=["case", "recorded_by", organisation])
    row.save()


def _log(
    acting_user: Actor,
    origin: Origin,
    case: Case,
    row: _Record,
    action: str,
    event: str,
    on: datetime.date,
    facts: dict,
) -> None:
    """The case's timeline event and the access-log row of ``row``, with the same facts."""
    add_event(case, event, on=on, actor=acting_user, data=facts)
    record(actor=acting_user, action=action, obj=row, origin=origin, detail={"case": case.pk, **facts})


def _choice(value: Any, choices: Collection[str], field: str, *, blank: bool = False) -> str:
    if blank and value in (None, ""):
        return ""
    if value in (None, ""):
        raise ValidationError({field: REQUIRED})
    if value not in choices:
        raise ValidationError({field: INVALID_CHOICE})
    return value


def _as_date(value: object, field: str) -> datetime.date:
    if value in (None, ""):
        raise ValidationError({field: REQUIRED})
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: NOT_A_DATE}) from None


def _day(value: object, field: str, *, not_before: datetime.date | None = None, what: str = "") -> datetime.date:
    """A recorded date: given, not in the future, within 2000-2099, not before ``not_before``."""
    value = _as_date(value, field)
    if value > timezone.localdate():
        raise ValidationError({field: DATE_IN_FUTURE})
    check_dates(**{field: value})
    if not_before is not None and value < not_before:
        raise ValidationError({field: DATE_BEFORE % {"what": what, "date": date_format(not_before)}})
    return value


def _day_since_admission(value: object, field: str, case: Case) -> datetime.date:
    """A recorded date (``_day``) on or after the case's admission (or registration)."""
    return _day(value, field, not_before=case.decided_on or case.registered_on, what=str(_("de toelating")))


# --- Applications -----------------------------------------------------------------------------


@transaction.atomic
def submit_application(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case | int,
    kind: str,
    submitted_on: datetime.date | str | None,
    submitted_by: str = "",
    notes: str = "",
) -> Application:
    """Record an application lodged for the person (``kind``, on ``submitted_on``, by
    ``submitted_by``: "" when unknown). Refused: a hidden case (``NotVisibleError``), a
    user who may not (``PermissionDenied``), a case not admitted or already closed, and
    field errors."""
    case = _locked_case(acting_user, case)
    _check_may_record(acting_user, case, may=can_submit, refusal=NOT_ALLOWED_SUBMIT)
    kind = _choice(kind, ApplicationKind.values, "kind")
    if not _special_allowed(acting_user, case, kind):
        raise PermissionDenied(NOT_ALLOWED_SPECIAL)
    submitted_by = _choice(submitted_by, SubmittedBy.values, "submitted_by", blank=True)
    submitted_on = _day_since_admission(submitted_on, "submitted_on", case)
    notes = optional_text(notes, "notes", TEXT_MAX)
    application = Application(
        case=case,
        kind=kind,
        submitted_on=submitted_on,
        submitted_by=submitted_by,
        notes=notes,
    )
    _save_recorded(application, acting_user, "recorded_by_organisation")
    facts = {"application": application.pk, "kind": kind, "submitted_by": submitted_by or None, **_marked(kind)}
    _log(
        acting_user,
        origin,
        case,
        application,
        AccessAction.CREATE,
        EventType.APPLICATION_SUBMITTED,
        submitted_on,
        facts,
    )
    return application


@transaction.atomic
def decide_application(
    *,
    acting_user: Actor,
    origin: Origin,
    application: Application | int,
    outcome: str,
    decided_on: datetime.date | str | None,
    expected_version: int | None = None,
    case: Case | int | None = None,
) -> Application:
    """Record the decision on an application (once): ``outcome`` granted, rejected or
    withdrawn, on ``decided_on`` (on or after the submission, not in the future). The IND
    decides its kinds, the case worker records the others. ``case``: the case the caller
    reached the application through (another case's application does not exist there)."""
    pk = application.pk if isinstance(application, Application) else application
    if case is None:
        case = Application.objects.filter(pk=pk).values_list("case_id", flat=True).first()
        if case is None:
            raise NotVisibleError
    case = _locked_case(acting_user, case)
    locked = Application.objects.select_for_update().filter(case=case, pk=pk).first()
    if locked is None or not _special_allowed(acting_user, case, locked.kind):
        raise NotVisibleError  # a special application does not exist for this user
    if not can_decide(acting_user, case, locked.kind):
        raise PermissionDenied(NOT_ALLOWED_DECIDE_IND if decided_by_ind(locked.kind) else NOT_ALLOWED_DECIDE_CASEWORKER)
    check_version(locked, expected_version)
    if locked.decided_on is not None:
        raise ValidationError(ALREADY_DECIDED)
    outcome = _choice(outcome, Outcome.values, "outcome")
    decided_on = _day(decided_on, "decided_on")
    if decided_on < locked.submitted_on:
        raise ValidationError({"decided_on": DECIDED_BEFORE_SUBMITTED % {"date": date_format(locked.submitted_on)}})
    locked.decided_on = decided_on
    locked.outcome = outcome
    locked.decided_by = user_or_none(acting_user)
    locked.decided_by_organisation = _organisation_of(acting_user)
    save_next_version(locked)
    facts = {"application": locked.pk, "kind": locked.kind, "outcome": outcome, **_marked(locked.kind)}
    _log(acting_user, origin, case, locked, AccessAction.UPDATE, EventType.APPLICATION_DECIDED, decided_on, facts)
    return locked


def _marked(kind: str) -> dict:
    """The timeline's mark of special-category data (hidden from users without the permission)."""
    return {"confidentiality": "special"} if is_special(kind) else {}


def earliest_pending(case: Case, kind: str) -> Application | None:
    """The earliest undecided application of ``kind`` in the case (what an imported
    ``application_decided`` decides)."""
    return (
        Application.objects.filter(case=case, kind=kind, decided_on__isnull=True).order_by("submitted_on", "id").first()
    )


# --- Departure preparation --------------------------------------------------------------------


@transaction.atomic
def record_departure_step(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case | int,
    kind: str,
    on: datetime.date | str | None,
    details: str = "",
    partner: str = DeparturePartner.DTV,
) -> DepartureStep:
    """A step of the departure preparation, by the DT&V (``partner="iom"`` for a step the
    IOM supported)."""
    case = _locked_case(acting_user, case)
    _check_may_record(acting_user, case, may=can_record_departure, refusal=NOT_ALLOWED_DEPARTURE)
    kind = _choice(kind, DepartureStepKind.values, "kind")
    partner = _choice(partner or DeparturePartner.DTV, DeparturePartner.values, "partner")
    on = _day_since_admission(on, "on", case)
    details = optional_text(details, "details", SHORT_TEXT_MAX)
    step = DepartureStep(
        case=case,
        kind=kind,
        on=on,
        details=details,
        partner=partner,
    )
    _save_recorded(step, acting_user, "organisation")
    facts = {"step": step.pk, "kind": kind, "partner": partner}
    _log(acting_user, origin, case, step, AccessAction.CREATE, EventType.DEPARTURE_STEP, on, facts)
    return step


def current_plan(case: Case, on: datetime.date | None = None) -> DeparturePlan | None:
    """The plan that counts: the latest made on or before ``on`` (any date when None)."""
    plans = DeparturePlan.objects.filter(case=case)
    if on is not None:
        plans = plans.filter(made_on__lte=on)
    return plans.order_by("-made_on", "-id").first()


@transaction.atomic
def plan_departure(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case | int,
    made_on: datetime.date | str | None,
    planned_on: datetime.date | str | None,
    support: str,
    notes: str = "",
    replaces: int | str | None = None,
) -> DeparturePlan:
    """Plan the departure (or plan it again: a new row, the history stays). ``replaces``:
    the plan the user saw as the current one; when another plan came since, the change is
    stale (``StaleVersionError``)."""
    case = _locked_case(acting_user, case)
    _check_may_record(acting_user, case, may=can_record_departure, refusal=NOT_ALLOWED_DEPARTURE)
    previous = current_plan(case)
    if replaces is not None and replaces != "" and (previous is None or previous.pk != int(replaces)):
        raise StaleVersionError
    support = _choice(support, DepartureSupport.values, "support")
    made_on = _day_since_admission(made_on, "made_on", case)
    planned_on = _as_date(planned_on, "planned_on")
    check_dates(planned_on=planned_on)
    if planned_on < made_on:
        raise ValidationError({"planned_on": PLANNED_BEFORE_MADE % {"date": date_format(made_on)}})
    notes = optional_text(notes, "notes", SHORT_TEXT_MAX)
    plan = DeparturePlan(
        case=case,
        made_on=made_on,
        planned_on=planned_on,
        support=support,
        notes=notes,
    )
    _save_recorded(plan, acting_user, "organisation")
    facts = {
        "plan": plan.pk,
        "planned_on": planned_on.isoformat(),
        "support": support,
        "previous": previous.planned_on.isoformat() if previous is not None else None,
    }
    _log(acting_user, origin, case, plan, AccessAction.CREATE, EventType.DEPARTURE_PLANNED, made_on, facts)
    return plan
