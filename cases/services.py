"""Every change of persons and cases goes through these functions.

Views, the API, imports and tasks call them; none writes the models directly. Each
service takes the acting user and the origin, checks the access policy, validates,
writes the change and its access-log row in one transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases import deadlines, workflow
from cases.models import (
    DEPARTURE_CATEGORIES,
    DEPARTURE_ROUTES,
    NGO_NOT_SERVING,
    AdmissionCheck,
    Case,
    CaseType,
    CooperationCheck,
    Direction,
    DossierPart,
    DossierPartKind,
    EventType,
    ExceptionGround,
    Outflow,
    Person,
    RegistrationSource,
    Route,
    Scenario,
    ShelterForm,
    TimelineEvent,
)
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.audit import log as audit_log
from lvv.audit.log import Action, Origin, Result, record
from lvv.partners.models import Location, Organisation, OrganisationKind, ProgrammeSettings

STALE_VERSION = _(
    "Iemand anders heeft dit intussen gewijzigd. Bekijk de nieuwste gegevens en voer uw wijziging opnieuw in."
)
NOT_ALLOWED_LOCATION = _("U mag in deze LVV geen casussen registreren.")
NOT_ALLOWED_CHANGE = _("U mag deze gegevens niet wijzigen.")

PERSON_FIELDS = ("v_number", "family_name", "given_names", "birth_date", "sex", "nationality")
CASE_FIELDS = ("assigned_ngo", "external_id", "health_notes")
REGISTRATION_FIELDS = (
    "registered_on",
    "registration_source",
    "case_types",
    "prior_departure_procedures",
)


class StaleVersionError(Exception):
    """The change was based on an older version than the one stored."""

    message = STALE_VERSION


class NotVisibleError(Exception):
    """The object does not exist for this user (answers 404)."""


def _check_version(obj, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError


def _validate_ngo(location: Location, ngo: Organisation | None) -> None:
    if ngo is None:
        return
    serves = ngo.kind == OrganisationKind.NGO and ngo.service_links.filter(location=location).exists()
    if not serves:
        raise ValidationError({"assigned_ngo": NGO_NOT_SERVING})


def _may_edit_person(user, person: Person) -> bool:
    editable = policy.editable_locations(user)
    if person.pk is None:
        return editable.exists()
    cases = person.cases.all()
    if not cases.exists():
        return person.created_by_organisation_id == user.organisation_id and editable.exists()
    return cases.filter(location__in=editable).exists()


@transaction.atomic
def create_person(*, acting_user, origin: Origin, **fields: Any) -> Person:
    if not policy.editable_locations(acting_user).exists():
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    person = Person(created_by_organisation=acting_user.organisation, **_normalise(_pick(fields, PERSON_FIELDS)))
    person.full_clean()
    person.save()
    record(actor=acting_user, action=Action.CREATE, obj=person, origin=origin)
    return person


@transaction.atomic
def update_person(
    *, acting_user, origin: Origin, person: Person, expected_version: int | None, **changes: Any
) -> Person:
    person = Person.objects.visible_to(acting_user).select_for_update(of=("self",)).filter(pk=person.pk).first()
    if person is None:
        raise NotVisibleError
    if not _may_edit_person(acting_user, person):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    _check_version(person, expected_version)
    changed = _apply(person, _normalise(_pick(changes, PERSON_FIELDS)))
    if changed:
        person.full_clean()
        person.version += 1
        person.save()
        record(actor=acting_user, action=Action.UPDATE, obj=person, origin=origin, detail={"fields": changed})
    return person


@transaction.atomic
def register_case(
    *,
    acting_user,
    origin: Origin,
    location: Location,
    person: Person,
    assigned_ngo: Organisation | None = None,
    external_id: str = "",
    health_notes: str = "",
    registered_on=None,
    registration_source: str = RegistrationSource.MUNICIPALITY,
    case_types: list[str] | None = None,
    prior_departure_procedures: int | None = None,
) -> Case:
    """Open a case for an existing (visible) person in an LVV the user works for."""
    if not policy.editable_locations(acting_user).filter(pk=location.pk).exists():
        raise PermissionDenied(NOT_ALLOWED_LOCATION)
    if not Person.objects.visible_to(acting_user).filter(pk=person.pk).exists():
        raise NotVisibleError
    return _register_case_for(
        acting_user=acting_user,
        origin=origin,
        location=location,
        person=person,
        assigned_ngo=assigned_ngo,
        external_id=external_id,
        health_notes=health_notes,
        registered_on=registered_on,
        registration_source=registration_source,
        case_types=case_types,
        prior_departure_procedures=prior_departure_procedures,
    )


def _register_case_for(
    *,
    acting_user,
    origin: Origin,
    location: Location,
    person: Person,
    assigned_ngo: Organisation | None = None,
    external_id: str = "",
    health_notes: str = "",
    registered_on=None,
    registration_source: str = RegistrationSource.MUNICIPALITY,
    case_types: list[str] | None = None,
    prior_departure_procedures: int | None = None,
) -> Case:
    if not policy.editable_locations(acting_user).filter(pk=location.pk).exists():
        raise PermissionDenied(NOT_ALLOWED_LOCATION)
    _validate_ngo(location, assigned_ngo)
    case = Case(
        person=person,
        location=location,
        assigned_ngo=assigned_ngo,
        external_id=external_id or "",
        health_notes=health_notes or "",
        created_by=_user_or_none(acting_user),
        registered_on=registered_on or timezone.localdate(),
        registration_source=registration_source or RegistrationSource.MUNICIPALITY,
        case_types=list(case_types or []),
        prior_departure_procedures=prior_departure_procedures,
    )
    case.full_clean()
    case.save()
    add_event(
        case, EventType.REGISTERED, on=case.registered_on, actor=acting_user, data={"source": case.registration_source}
    )
    record(actor=acting_user, action=Action.CREATE, obj=case, origin=origin)
    return case


@transaction.atomic
def register_person_and_case(
    *, acting_user, origin: Origin, location: Location, person_fields: dict, case_fields: dict
) -> Case:
    """The intake's first step: the person (linked to the existing one with the same
    V-number, if any) and the case, in one transaction."""
    existing = (
        Person.objects.filter(v_number=person_fields.get("v_number")).first() if person_fields.get("v_number") else None
    )
    if existing is not None:
        person = existing
        record(actor=acting_user, action=Action.UPDATE, obj=person, origin=origin, detail={"linked": True})
    else:
        person = create_person(acting_user=acting_user, origin=origin, **person_fields)
    case = _register_case_for(acting_user=acting_user, origin=origin, location=location, person=person, **case_fields)
    return case


@transaction.atomic
def update_case(*, acting_user, origin: Origin, case: Case, expected_version: int | None, **changes: Any) -> Case:
    case = Case.objects.visible_to(acting_user).select_for_update(of=("self",)).filter(pk=case.pk).first()
    if case is None:
        raise NotVisibleError
    if not policy.can_change_case(acting_user, case):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    _check_version(case, expected_version)
    changes = _pick(changes, CASE_FIELDS)
    if "health_notes" in changes and not policy.can_view_special_category(acting_user, case):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    if "assigned_ngo" in changes:
        _validate_ngo(case.location, changes["assigned_ngo"])
    changed = _apply(case, changes)
    if changed:
        case.full_clean()
        case.version += 1
        case.save()
        record(actor=acting_user, action=Action.UPDATE, obj=case, origin=origin, detail={"fields": changed})
    return case


def record_refusal(*, acting_user, origin: Origin, action: str, object_type: str, object_id: Any, result: str) -> None:
    """Log an attempt that did not pass (hidden object, stale version, invalid input)."""
    record(actor=acting_user, action=action, result=result, origin=origin, object_type=object_type, object_id=object_id)


def add_event(case: Case, type_: str, *, on, actor, summary: str = "", data: dict | None = None) -> TimelineEvent:
    """Append to the case's timeline (part of the service's transaction)."""
    event = TimelineEvent(
        case=case, type=type_, occurred_on=on, actor=_user_or_none(actor), summary=summary[:300], data=data or {}
    )
    batch = _batch.get()
    if batch is None:
        event.save()
    else:
        batch.events.append(event)
    return event


def _user_or_none(user):
    return None if policy.is_system(user) or not getattr(user, "pk", None) else user


def _pick(values: dict, allowed: tuple[str, ...]) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    return dict(values)


def _normalise(fields: dict) -> dict:
    """Blank text is stored as "", an absent V-number as NULL (it is unique when present)."""
    out = {}
    for name, value in fields.items():
        if name == "v_number":
            value = value or None
        elif name in ("sex", "nationality", "family_name", "given_names", "external_id", "health_notes"):
            value = value or ""
        out[name] = value
    return out


def _apply(obj, changes: dict) -> list[str]:
    changed = []
    for name, value in changes.items():
        if name == "external_id" or name == "health_notes":
            value = value or ""
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


__all__ = [
    "Result",
    "StaleVersionError",
    "NotVisibleError",
    "create_person",
    "update_person",
    "register_case",
    "register_person_and_case",
    "update_case",
    "record_refusal",
    "add_event",
]


# --- The trajectory ---------------------------------------------------------------------
# Every step: lock the case, check visibility, the transition table, the role and the
# version; write the change, the timeline event and the access-log row; recompute the
# deadlines. One transaction.

ADMISSION_CHECK_MISSING = _("Leg eerst de toelatingstoets vast.")
CRITERIA_UNMET = _(
    "De persoon voldoet niet aan alle criteria (%(criteria)s). Wijs af, of laat toe als uitzondering met een reden."
)
EXCEPTION_REASON_REQUIRED = _("Geef de reden van de uitzondering.")
REJECTION_REASON_REQUIRED = _("Geef de reden van de afwijzing.")
WAITING_LIST_ORDER = _(
    "Er wachten %(count)s personen langer op de wachtlijst. Geef een reden om deze persoon eerder een plek te bieden."
)
NO_PLACE = _("Er is op %(date)s geen vrije plek in %(location)s (%(places)s plaatsen, alle bezet).")
DATE_BEFORE = _("Deze datum ligt vóór %(what)s (%(date)s).")
DATE_IN_FUTURE = _("Deze datum ligt in de toekomst.")
DOSSIER_ALREADY_DELIVERED = _("Dit deel van het dossier is al geleverd.")
COUNTRY_REQUIRED = _("Geef bij vertrek het land van bestemming.")
NOTHING_TO_CONFIRM = _("Deze uitstroom hoeft niet door een ketenpartner bevestigd te worden.")
ALREADY_CONFIRMED = _("Deze uitstroom is al bevestigd.")
WRONG_PARTNER = _("Deze uitstroom wordt bevestigd door de %(partner)s.")
DEADLINE_NOT_OPEN = _("Deze termijn is niet open.")
DEADLINE_ALREADY_PAUSED = _("Deze termijn is al gepauzeerd.")
DEADLINE_NOT_PAUSED = _("Deze termijn is niet gepauzeerd.")
PAUSE_REASON_REQUIRED = _("Geef de reden van de pauze.")


def _locked_case(acting_user, case: Case, expected_version: int | None) -> Case:
    batch = _batch.get()
    if batch is not None and case.pk in batch.cases:  # locked earlier in this transaction
        locked = batch.cases[case.pk]
        _check_version(locked, expected_version)
        return locked
    locked = (
        Case.objects.visible_to(acting_user)
        .select_related("location")
        .select_for_update(of=("self",))
        .filter(pk=case.pk)
        .first()
    )
    if locked is None:
        raise NotVisibleError
    _check_version(locked, expected_version)
    if batch is not None:
        batch.cases[locked.pk] = locked
    return locked


def _check_role(acting_user, case: Case, step) -> None:
    if policy.is_system(acting_user):
        return
    if not acting_user.has_role(*step.roles):
        raise PermissionDenied(str(workflow.STEP_ROLE_MISSING % {"step": step.label}))
    if step.roles == (Role.CASEMANAGER,) and not policy.can_change_case(acting_user, case):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)


def _date(on, *, field: str = "on", not_before=None, what: str = "") -> datetime.date:
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({field: DATE_IN_FUTURE})
    if not_before and on < not_before:
        raise ValidationError({field: DATE_BEFORE % {"what": what, "date": date_format(not_before)}})
    return on


def _service(fn):
    """``transaction.atomic`` for a step; inside a history batch without a savepoint per
    step (the batch's caller holds one for the whole batch)."""

    @functools.wraps(fn)
    def inner(*args, **kwargs):
        with transaction.atomic(savepoint=_batch.get() is None):
            return fn(*args, **kwargs)

    return inner


class _Batch:
    def __init__(self):
        self.cases: dict[int, Case] = {}
        self.events: list[TimelineEvent] = []


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("history_batch", default=None)


@contextlib.contextmanager
def history_batch():
    """Apply many steps in one go (an import of a case's history): each case is locked
    once, its timeline events and access-log rows are written together, and its
    deadlines are derived once at the end, from the records alone. The records are the
    same as step by step. Use inside the batch's transaction."""
    batch = _Batch()
    token = _batch.set(batch)
    try:
        with audit_log.buffered():
            yield
            TimelineEvent.objects.bulk_create(batch.events)
    finally:
        _batch.reset(token)
    programme = ProgrammeSettings.current()
    for case in batch.cases.values():
        deadlines.recompute(case, programme=programme)


def _finish(case: Case, *, acting_user, origin: Origin, step_name: str, detail: dict | None = None) -> Case:
    case.version += 1
    case.save()
    if _batch.get() is None:
        deadlines.recompute(case)
    record(
        actor=acting_user, action=Action.UPDATE, obj=case, origin=origin, detail={"step": step_name, **(detail or {})}
    )
    return case


def _step(step_name: str, acting_user, case: Case, expected_version: int | None):
    case = _locked_case(acting_user, case, expected_version)
    step = workflow.check_step(step_name, case.state)
    _check_role(acting_user, case, step)
    return case, step


def occupied_places(location: Location, on: datetime.date) -> int:
    """Persons in shelter in ``location`` on ``on`` (shelter started, no outflow yet)."""
    return Case.objects.filter(location=location).in_shelter_on(on).count()


def waiting_ahead(case: Case) -> int:
    """How many people wait before ``case`` on its LVV's waiting list."""
    return (
        Case.objects.filter(location=case.location_id, state=workflow.State.WAITLISTED)
        .filter(Q(waitlisted_on__lt=case.waitlisted_on) | Q(waitlisted_on=case.waitlisted_on, pk__lt=case.pk))
        .count()
    )


def free_places(location: Location, on: datetime.date) -> int:
    return location.capacity_on(on) - occupied_places(location, on)


@_service
def record_admission_check(
    *, acting_user, origin: Origin, case: Case, expected_version: int | None = None, on=None, **checklist
) -> Case:
    case, _step_ = _step("record_admission_check", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    fields = {name: bool(checklist.get(name, False)) for name in ADMISSION_FIELDS}
    AdmissionCheck.objects.update_or_create(
        case=case,
        defaults={
            **fields,
            "checked_on": on,
            "notes": checklist.get("notes", ""),
            "checked_by": _user_or_none(acting_user),
        },
    )
    unmet = case.admission_check.unmet_criteria(case.location)
    add_event(case, EventType.ADMISSION_CHECKED, on=on, actor=acting_user, data={"unmet": unmet})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="record_admission_check")


ADMISSION_FIELDS = (
    "entry_ban",
    "declared_undesirable",
    "eu_citizen",
    "dublin_claimant",
    "prior_provision",
    "regional_ties",
    "shown_willingness",
)


@_service
def admit(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on=None,
    exception: str = "",
    exception_reason: str = "",
    require_check: bool = True,
    waitlist_when_full: bool = True,
) -> Case:
    """Admit after the admission check; an exception (humanitarian, public order) needs a
    reason and places the case outside the covenant. When the LVV is full on that date,
    the person goes onto the waiting list."""
    case, _step_ = _step("admit", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    check = AdmissionCheck.objects.filter(case=case).first()
    if exception:
        if exception not in ExceptionGround.values:
            raise ValidationError({"exception": _("Kies een geldige uitzonderingsgrond.")})
        if not exception_reason.strip():
            raise ValidationError({"exception_reason": EXCEPTION_REASON_REQUIRED})
    elif require_check:
        if check is None:
            raise ValidationError({"__all__": ADMISSION_CHECK_MISSING})
        unmet = check.unmet_criteria(case.location)
        if unmet:
            raise ValidationError({"exception": CRITERIA_UNMET % {"criteria": ", ".join(unmet)}})
    case.decided_on = on
    case.within_covenant = not exception
    case.exception_ground = exception or ""
    case.exception_reason = exception_reason.strip() if exception else ""
    full = waitlist_when_full and free_places(case.location, on) <= 0
    case.state = workflow.State.WAITLISTED if full else workflow.STEPS["admit"].target
    add_event(
        case,
        EventType.ADMITTED,
        on=on,
        actor=acting_user,
        summary=case.exception_reason,
        data={"exception": case.exception_ground or None},
    )
    if full:
        case.waitlisted_on = on
        add_event(case, EventType.WAITLISTED, on=on, actor=acting_user, data={"reason": "full"})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="admit")


@_service
def reject(
    *, acting_user, origin: Origin, case: Case, reason: str, expected_version: int | None = None, on=None
) -> Case:
    case, step = _step("reject", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    if not (reason or "").strip():
        raise ValidationError({"reason": REJECTION_REASON_REQUIRED})
    case.state, case.decided_on, case.rejection_reason, case.closed_on = step.target, on, reason.strip(), on
    add_event(case, EventType.REJECTED, on=on, actor=acting_user, summary=reason.strip())
    return _finish(case, acting_user=acting_user, origin=origin, step_name="reject")


@_service
def waitlist(*, acting_user, origin: Origin, case: Case, expected_version: int | None = None, on=None) -> Case:
    case, step = _step("waitlist", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    if case.state == workflow.State.REGISTERED:  # imported history: admitted and waitlisted at once
        case.decided_on = case.decided_on or on
    case.state, case.waitlisted_on = step.target, on
    add_event(case, EventType.WAITLISTED, on=on, actor=acting_user)
    return _finish(case, acting_user=acting_user, origin=origin, step_name="waitlist")


@_service
def start_shelter(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on=None,
    form: str = ShelterForm.FULL_DAY,
    enforce_capacity: bool = True,
    skip_reason: str = "",
) -> Case:
    """Offer a place: shelter starts on ``on`` when a place is free on that date. The
    waiting list goes in order; offering a place out of order needs a reason."""
    case, step = _step("start_shelter", acting_user, case, expected_version)
    on = _date(on, not_before=case.decided_on, what=str(_("de toelating")))
    if form not in ShelterForm.values:
        raise ValidationError({"form": _("Kies een vorm van opvang.")})
    if enforce_capacity and free_places(case.location, on) <= 0:
        places = case.location.capacity_on(on)
        raise ValidationError(
            {"on": NO_PLACE % {"date": date_format(on), "location": case.location.name, "places": places}}
        )
    from_waitlist = case.state == workflow.State.WAITLISTED
    if from_waitlist and enforce_capacity and not skip_reason.strip():
        ahead = waiting_ahead(case)
        if ahead:
            raise ValidationError({"skip_reason": WAITING_LIST_ORDER % {"count": ahead}})
    case.state, case.shelter_started_on, case.shelter_form = step.target, on, form
    add_event(
        case,
        EventType.SHELTER_STARTED,
        on=on,
        actor=acting_user,
        summary=skip_reason.strip(),
        data={"form": form, "from_waiting_list": from_waitlist},
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="start_shelter")


@_service
def request_dossier(*, acting_user, origin: Origin, case: Case, expected_version: int | None = None, on=None) -> Case:
    """Ask the IND and the DT&V for their parts of the dossier."""
    case, _step_ = _step("request_dossier", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    for kind in DossierPartKind.values:
        part, created = DossierPart.objects.get_or_create(case=case, kind=kind, defaults={"requested_on": on})
        if not created and part.requested_on is None and part.delivered_on is None:
            part.requested_on = on
            part.save(update_fields=["requested_on"])
    add_event(case, EventType.DOSSIER_REQUESTED, on=on, actor=acting_user)
    return _finish(case, acting_user=acting_user, origin=origin, step_name="request_dossier")


@_service
def deliver_dossier_part(
    *, acting_user, origin: Origin, case: Case, kind: str, expected_version: int | None = None, on=None
) -> Case:
    """The IND or the DT&V registers the delivery of its own part."""
    if kind not in DossierPartKind.values:
        raise ValidationError({"kind": _("Kies IND of DT&V.")})
    case, _step_ = _step(f"deliver_dossier_{kind.lower()}", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    part = case.dossier_parts.filter(kind=kind).first() or DossierPart(case=case, kind=kind)
    if part.delivered_on:
        raise ValidationError({"kind": DOSSIER_ALREADY_DELIVERED})
    part.delivered_on, part.delivered_by = on, _user_or_none(acting_user)
    part.save()
    add_event(case, EventType.DOSSIER_DELIVERED, on=on, actor=acting_user, data={"by": kind})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="deliver_dossier", detail={"kind": kind})


@_service
def set_scenario(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    direction: str,
    route: str = "",
    notes: str = "",
    expected_version: int | None = None,
    on=None,
) -> Case:
    """Set or change the guidance scenario; the previous one stays in the history."""
    case, _step_ = _step("set_scenario", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    scenario = Scenario(
        case=case,
        direction=direction,
        route=route or "",
        set_on=on,
        notes=notes or "",
        set_by=_user_or_none(acting_user),
    )
    scenario.full_clean(exclude=["case", "set_by"])
    if route in DEPARTURE_ROUTES and direction != Direction.DEPARTURE:
        raise ValidationError({"route": _("Deze route hoort bij de richting vertrek.")})
    if route and route not in DEPARTURE_ROUTES and route != Route.OTHER and direction != Direction.RESIDENCE:
        raise ValidationError({"route": _("Deze route hoort bij de richting verblijf.")})
    previous = case.current_scenario
    scenario.save()
    add_event(
        case,
        EventType.SCENARIO_SET,
        on=on,
        actor=acting_user,
        summary=notes or "",
        data={"direction": direction, "route": route or None, "previous": previous.direction if previous else None},
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="set_scenario")


@_service
def record_cooperation_check(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    result: str,
    notes: str = "",
    expected_version: int | None = None,
    on=None,
) -> Case:
    case, _step_ = _step("record_cooperation_check", acting_user, case, expected_version)
    on = _date(on, not_before=case.shelter_started_on, what=str(_("de start van de opvang")))
    check = CooperationCheck(
        case=case, checked_on=on, result=result, notes=notes or "", checked_by=_user_or_none(acting_user)
    )
    check.full_clean(exclude=["case", "checked_by"])
    check.save()
    add_event(
        case, EventType.COOPERATION_CHECKED, on=on, actor=acting_user, summary=notes or "", data={"result": result}
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="record_cooperation_check")


@_service
def record_mrt_discussion(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    outcome: str | None = None,
    notes: str = "",
    expected_version: int | None = None,
    on=None,
) -> Case:
    case, _step_ = _step("record_mrt_discussion", acting_user, case, expected_version)
    on = _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))
    if outcome not in (None, "", "no_durable_solution_possible"):
        raise ValidationError({"outcome": _("Onbekende uitkomst.")})
    add_event(
        case, EventType.MRT_DISCUSSED, on=on, actor=acting_user, summary=notes or "", data={"outcome": outcome or None}
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="record_mrt_discussion")


@_service
def set_case_types(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    case_types: list[str],
    prior_departure_procedures: int | None,
    expected_version: int | None = None,
    on=None,
) -> Case:
    case, _step_ = _step("set_case_types", acting_user, case, expected_version)
    on = _date(on)
    unknown = set(case_types) - set(CaseType.values)
    if unknown:
        raise ValidationError(
            {"case_types": _("Onbekend casustype: %(types)s") % {"types": ", ".join(sorted(unknown))}}
        )
    if prior_departure_procedures is not None and prior_departure_procedures < 0:
        raise ValidationError({"prior_departure_procedures": _("Dit aantal kan niet negatief zijn.")})
    case.case_types = sorted(set(case_types))
    case.prior_departure_procedures = prior_departure_procedures
    add_event(
        case,
        EventType.CASE_TYPES_SET,
        on=on,
        actor=acting_user,
        data={"case_types": case.case_types, "prior_departure_procedures": prior_departure_procedures},
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="set_case_types")


@_service
def pause_deadline(
    *, acting_user, origin: Origin, case: Case, kind: str, reason: str, expected_version: int | None = None, on=None
) -> Case:
    case, _step_ = _step("pause_deadline", acting_user, case, expected_version)
    on = _date(on)
    deadline = case.deadlines.filter(kind=kind, resolved_on__isnull=True).first()
    if deadline is None:
        raise ValidationError({"kind": DEADLINE_NOT_OPEN})
    if deadline.is_paused:
        raise ValidationError({"kind": DEADLINE_ALREADY_PAUSED})
    if not (reason or "").strip():
        raise ValidationError({"reason": PAUSE_REASON_REQUIRED})
    deadlines.pause(deadline, on=on, reason=reason.strip())
    add_event(case, EventType.DEADLINE_PAUSED, on=on, actor=acting_user, summary=reason.strip(), data={"kind": kind})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="pause_deadline")


@_service
def resume_deadline(
    *, acting_user, origin: Origin, case: Case, kind: str, expected_version: int | None = None, on=None
) -> Case:
    case, _step_ = _step("resume_deadline", acting_user, case, expected_version)
    on = _date(on)
    deadline = case.deadlines.filter(kind=kind, resolved_on__isnull=True).first()
    if deadline is None or not deadline.is_paused:
        raise ValidationError({"kind": DEADLINE_NOT_PAUSED})
    if on < deadline.paused_since:
        raise ValidationError(
            {"on": DATE_BEFORE % {"what": str(_("de pauze")), "date": date_format(deadline.paused_since)}}
        )
    days = deadlines.resume(deadline, on=on)
    add_event(case, EventType.DEADLINE_RESUMED, on=on, actor=acting_user, data={"kind": kind, "days": days})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="resume_deadline")


@_service
def record_outflow(
    *,
    acting_user,
    origin: Origin,
    case: Case,
    category: str,
    country: str = "",
    notes: str = "",
    expected_version: int | None = None,
    on=None,
) -> Case:
    """The case ends: one outflow per case, with its category (durable or not)."""
    case, step = _step("record_outflow", acting_user, case, expected_version)
    on = _date(on, not_before=case.decided_on, what=str(_("de toelating")))
    if case.shelter_started_on and on < case.shelter_started_on:
        raise ValidationError(
            {
                "on": DATE_BEFORE
                % {"what": str(_("de start van de opvang")), "date": date_format(case.shelter_started_on)}
            }
        )
    if category in DEPARTURE_CATEGORIES and not country:
        raise ValidationError({"country": COUNTRY_REQUIRED})
    outflow = Outflow(
        case=case,
        category=category,
        outflow_on=on,
        country=country or "",
        notes=notes or "",
        recorded_by=_user_or_none(acting_user),
    )
    outflow.full_clean(exclude=["case", "recorded_by"])
    outflow.save()
    case.state, case.closed_on = step.target, on
    add_event(
        case,
        EventType.OUTFLOW,
        on=on,
        actor=acting_user,
        summary=notes or "",
        data={"category": category, "country": country or None},
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="record_outflow")


@_service
def confirm_outflow(*, acting_user, origin: Origin, case: Case, expected_version: int | None = None, on=None) -> Case:
    """The chain partner confirms a durable outflow: the IND a grant, the DT&V a departure."""
    case, _step_ = _step("confirm_outflow", acting_user, case, expected_version)
    outflow = case.outflow
    on = _date(on, not_before=outflow.outflow_on, what=str(_("de uitstroom")))
    partner = outflow.confirming_partner
    if partner is None:
        raise ValidationError({"__all__": NOTHING_TO_CONFIRM})
    if outflow.confirmed_on:
        raise ValidationError({"__all__": ALREADY_CONFIRMED})
    if not policy.is_system(acting_user) and not acting_user.has_role(partner):
        raise PermissionDenied(str(WRONG_PARTNER % {"partner": "IND" if partner == "ind" else "DT&V"}))
    outflow.confirmed_on, outflow.confirmed_by = on, _user_or_none(acting_user)
    outflow.save(update_fields=["confirmed_on", "confirmed_by"])
    add_event(case, EventType.OUTFLOW_CONFIRMED, on=on, actor=acting_user, data={"by": partner})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="confirm_outflow")
