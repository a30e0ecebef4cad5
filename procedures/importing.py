"""Version 2 of the case import (``lvv-case/2``, contracts/case-import.md): the events of
applications and departure plans, registered with ``cases.importer`` (its registry of later
versions) and written through ``procedures.services``, like a partner's steps.

| type | extra fields |
|---|---|
| ``application_submitted`` | ``kind`` |
| ``application_decided`` | ``kind``, ``outcome`` (``granted``, ``rejected``, ``withdrawn``) |
| ``departure_planned`` | ``planned_on`` (on or after the event's date), ``support`` (``iom``, ``dtv``,
``independent``) |

Rules (besides version 1's, which hold for every event): each of these events needs an
``admitted`` earlier in the list (the same day is allowed); ``application_decided`` needs an
earlier or same-day ``application_submitted`` of the same kind that is not yet decided, and
decides the earliest such one; ``planned_on`` lies on or after the event's date. An imported
application has no ``submitted_by`` (unknown). The importing case worker records the
submissions; the IND's decisions and the DT&V's plans are written as the system, and the
access log says whose import it was.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.importer import EventField, Extension, register_extension
from cases.models import EventType
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.audit.log import AccessAction
from lvv.params import check_dates
from lvv.services import user_or_none
from procedures import services
from procedures.models import Application, ApplicationKind, DeparturePlan, DepartureSupport, Outcome

SCHEMA = "lvv-case/2"
SUBMITTED, DECIDED, PLANNED = "application_submitted", "application_decided", "departure_planned"
KINDS = tuple(ApplicationKind.values)
OUTCOMES = tuple(Outcome.values)
SUPPORTS = tuple(DepartureSupport.values)

NEEDS_ADMITTED = _("“%(type)s” vraagt een eerdere of gelijktijdige “admitted”.")
DECIDED_WITHOUT_SUBMITTED = _(
    "“application_decided” vraagt een eerdere of gelijktijdige “application_submitted” van dezelfde soort "
    "(%(kind)s) waarop nog niet besloten is."
)
PLANNED_BEFORE_DATE = _("De vertrekdatum ligt vóór de datum van deze gebeurtenis (%(date)s).")

FIELDS: dict[str, tuple[EventField, ...]] = {
    SUBMITTED: (EventField("kind", KINDS, required=True),),
    DECIDED: (
        EventField("kind", KINDS, required=True),
        EventField("outcome", tuple(Outcome.values), required=True),
    ),
    PLANNED: (
        EventField("planned_on", kind="date", required=True),
        EventField("support", tuple(DepartureSupport.values), required=True),
    ),
}
# A service's field -> the event's field.
_FIELD_OF = {"submitted_on": "on", "decided_on": "on", "made_on": "on"}


def check(events: list) -> tuple | None:
    """The first event that breaks a version 2 rule: ``(event, field, message)``."""
    admitted = False
    pending: dict[str, int] = {}
    for event in events:
        if event.type == "admitted":
            admitted = True
        if event.type not in FIELDS:
            continue
        if not admitted:
            return event, "type", str(NEEDS_ADMITTED % {"type": event.type})
        kind = event.values.get("kind")
        if event.type == SUBMITTED:
            pending[kind] = pending.get(kind, 0) + 1
        elif event.type == DECIDED:
            if not pending.get(kind):
                return event, "kind", str(DECIDED_WITHOUT_SUBMITTED % {"kind": kind})
            pending[kind] -= 1
        elif event.values["planned_on"] < event.date.isoformat():  # ISO dates sort as dates
            return event, "planned_on", str(PLANNED_BEFORE_DATE % {"date": event.date.isoformat()})
    return None


def may(user, event) -> bool:
    """Whether the importing user's role takes the step itself (else the system does)."""
    if event.type in (SUBMITTED, DECIDED) and services.is_special(event.values["kind"]):
        if not user.has_perm(policy.SPECIAL_CATEGORY_PERMISSION):
            return False  # special-category data: the system writes it, for this import
    if event.type == SUBMITTED:
        return user.has_role(Role.CASEMANAGER, Role.IND, Role.NGO)
    if event.type == DECIDED:
        return user.has_role(Role.IND if services.decided_by_ind(event.values["kind"]) else Role.CASEMANAGER)
    return user.has_role(Role.DTV)


def apply(*, acting_user, origin, case, event) -> None:
    """Write the event through the services (the same records as the steps by hand)."""
    values = event.values
    with _fields_of_the_event():
        if event.type == SUBMITTED:
            services.submit_application(
                acting_user=acting_user, origin=origin, case=case, kind=values["kind"], submitted_on=event.date
            )
        elif event.type == DECIDED:
            application = services.earliest_pending(case, values["kind"])
            if application is None:  # the check saw to that; a stored history may differ
                raise ValidationError({"kind": DECIDED_WITHOUT_SUBMITTED % {"kind": values["kind"]}})
            services.decide_application(
                acting_user=acting_user,
                origin=origin,
                case=case,
                application=application,
                outcome=values["outcome"],
                decided_on=event.date,
            )
        else:
            services.plan_departure(
                acting_user=acting_user,
                origin=origin,
                case=case,
                made_on=event.date,
                planned_on=values["planned_on"],
                support=values["support"],
            )


@contextlib.contextmanager
def _fields_of_the_event():
    """The services' field errors under the names of the event's fields."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {_FIELD_OF.get(name, name): messages for name, messages in exc.message_dict.items()}
        ) from None


# --- The bulk path (cases.import_bulk): the same as ``apply``, for a new case's history in memory --


def build(history, *, acting_user, event) -> None:
    """Apply the event to a new case's history in memory: the checks of
    ``procedures.services`` and the rows, timeline events and access-log rows they write,
    which the import then writes in bulk with the rest of the history."""
    with _fields_of_the_event():
        if event.type == SUBMITTED:
            _submit(history, acting_user, event)
        elif event.type == DECIDED:
            _decide(history, acting_user, event)
        else:
            _plan(history, acting_user, event)


def _submit(history, user, event) -> None:
    """``services.submit_application``."""
    case = history.case
    services._check_may_record(user, case, may=services.can_submit, refusal=services.NOT_ALLOWED_SUBMIT)
    kind = services._choice(event.values["kind"], KINDS, "kind")
    if not services._special_allowed(user, case, kind):
        raise PermissionDenied(services.NOT_ALLOWED_SPECIAL)
    on = services._day_since_admission(event.date, "submitted_on", case)
    application = history.add(
        Application(
            case=case,
            kind=kind,
            submitted_on=on,
            submitted_by="",
            notes="",
            recorded_by=user_or_none(user),
            recorded_by_organisation=services._organisation_of(user),
        )
    )

    def facts() -> dict:
        return {"application": application.pk, "kind": kind, "submitted_by": None, **services._marked(kind)}

    history.event(EventType.APPLICATION_SUBMITTED, on=on, actor=user, data=facts)
    history.log(actor=user, action=AccessAction.CREATE, obj=application, detail=lambda: {"case": case.pk, **facts()})


def _decide(history, user, event) -> None:
    """``services.decide_application`` on ``services.earliest_pending``."""
    case, kind = history.case, event.values["kind"]
    pending = [a for a in history.added(Application) if a.kind == kind and a.decided_on is None]
    if not pending:
        raise ValidationError({"kind": DECIDED_WITHOUT_SUBMITTED % {"kind": kind}})
    application = min(pending, key=lambda a: a.submitted_on)  # the first added of the earliest date
    if not services._special_allowed(user, case, application.kind):
        raise services.NotVisibleError
    if not services.can_decide(user, case, application.kind):
        raise PermissionDenied(
            services.NOT_ALLOWED_DECIDE_IND
            if services.decided_by_ind(application.kind)
            else services.NOT_ALLOWED_DECIDE_CASEWORKER
        )
    outcome = services._choice(event.values["outcome"], OUTCOMES, "outcome")
    decided_on = services._day(event.date, "decided_on")
    if decided_on < application.submitted_on:
        raise ValidationError(
            {"decided_on": services.DECIDED_BEFORE_SUBMITTED % {"date": date_format(application.submitted_on)}}
        )
    application.decided_on = decided_on
    application.outcome = outcome
    application.decided_by = user_or_none(user)
    application.decided_by_organisation = services._organisation_of(user)
    application.version += 1

    def facts() -> dict:
        return {"application": application.pk, "kind": kind, "outcome": outcome, **services._marked(kind)}

    history.event(EventType.APPLICATION_DECIDED, on=decided_on, actor=user, data=facts)
    history.log(actor=user, action=AccessAction.UPDATE, obj=application, detail=lambda: {"case": case.pk, **facts()})


def _plan(history, user, event) -> None:
    """``services.plan_departure``."""
    case = history.case
    services._check_may_record(user, case, may=services.can_record_departure, refusal=services.NOT_ALLOWED_DEPARTURE)
    plans = history.added(DeparturePlan)
    previous = max(reversed(plans), key=lambda p: p.made_on, default=None)  # the last added of the latest date
    support = services._choice(event.values["support"], SUPPORTS, "support")
    made_on = services._day_since_admission(event.date, "made_on", case)
    planned_on = services._as_date(event.values["planned_on"], "planned_on")
    check_dates(planned_on=planned_on)
    if planned_on < made_on:
        raise ValidationError({"planned_on": services.PLANNED_BEFORE_MADE % {"date": date_format(made_on)}})
    plan = history.add(
        DeparturePlan(
            case=case,
            made_on=made_on,
            planned_on=planned_on,
            support=support,
            notes="",
            recorded_by=user_or_none(user),
            organisation=services._organisation_of(user),
        )
    )
    before = previous.planned_on.isoformat() if previous is not None else None

    def facts() -> dict:
        return {"plan": plan.pk, "planned_on": planned_on.isoformat(), "support": support, "previous": before}

    history.event(EventType.DEPARTURE_PLANNED, on=made_on, actor=user, data=facts)
    history.log(actor=user, action=AccessAction.CREATE, obj=plan, detail=lambda: {"case": case.pk, **facts()})


register_extension(Extension(schema=SCHEMA, fields=FIELDS, check=check, apply=apply, may=may, build=build))
