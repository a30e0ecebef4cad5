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
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypedDict, TypeVar, Unpack

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases import admission, deadlines, inboxes, special_types, workflow
from cases.models import (
    CONFIRMED_BY_KIND,
    DEPARTURE_CATEGORIES,
    DEPARTURE_ROUTES,
    MRT_NO_DURABLE_SOLUTION,
    NGO_NOT_SERVING,
    NOTE_TEXT_MAX_LENGTH,
    AdmissionCheck,
    Case,
    CaseOwnerChange,
    CaseType,
    Confidentiality,
    CooperationCheck,
    CooperationResult,
    Deadline,
    Direction,
    DossierPart,
    DossierPartKind,
    EventType,
    ExceptionGround,
    MatchKind,
    MatchRequest,
    MatchRequestStatus,
    Note,
    Notification,
    Outflow,
    OutflowCategory,
    OwnerRole,
    Person,
    Reconciliation,
    ReconciliationPartner,
    RegistrationSource,
    Route,
    Scenario,
    ShelterForm,
    TerminationBasis,
    TimelineEvent,
)
from cases.workflow import (
    ALREADY_CONFIRMED,
    ALREADY_DISPUTED,
    DEADLINE_ALREADY_PAUSED,
    DEADLINE_NOT_OPEN,
    DEADLINE_NOT_PAUSED,
    DOSSIER_ALREADY_DELIVERED,
    NOT_ALLOWED_CHANGE,
    NOTHING_TO_CONFIRM,
    WRONG_PARTNER,
)
from lvv.access import policy
from lvv.access.policy import Actor
from lvv.accounts.models import Role, User
from lvv.audit import log as audit_log
from lvv.audit.log import AccessAction, Origin, Result, record
from lvv.errors import STALE_VERSION, NotVisibleError, StaleVersionError
from lvv.partners.models import Location, Organisation, OrganisationKind, ProgrammeSettings, locations_of
from lvv.services import DATE_IN_FUTURE, check_version, locked_visible, required_text, save_next_version, user_or_none
from lvv.text import NAME_MAX, SHORT_TEXT_MAX, TEXT_MAX, check_text, column_length

NOT_ALLOWED_LOCATION = _("U mag in deze LVV geen casussen registreren.")

PERSON_FIELDS = ("v_number", "family_name", "given_names", "birth_date", "sex", "nationality")
CASE_FIELDS = ("assigned_ngo", "external_id", "health_notes")
REGISTRATION_FIELDS = (
    "registered_on",
    "registration_source",
    "case_types",
    "prior_departure_procedures",
)


def _validate_ngo(location: Location, ngo: Organisation | None) -> None:
    if ngo is None:
        return
    serves = ngo.kind == OrganisationKind.NGO and ngo.service_links.filter(location=location).exists()
    if not serves:
        raise ValidationError({"assigned_ngo": NGO_NOT_SERVING})


def _may_edit_person(user: Actor, person: Person) -> bool:
    editable = policy.editable_locations(user)
    if person.pk is None:
        return editable.exists()
    cases = person.cases.all()
    if not cases.exists():
        return person.created_by_organisation_id == user.organisation_id and editable.exists()
    return cases.filter(location__in=editable).exists()


@transaction.atomic
def create_person(*, acting_user: Actor, origin: Origin, **fields: Any) -> Person:
    if not policy.editable_locations(acting_user).exists():
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    fields = _normalise(_pick(fields, PERSON_FIELDS))
    _check_texts(fields)
    person = Person(created_by_organisation=acting_user.organisation, **fields)
    person.full_clean()
    person.save()
    record(actor=acting_user, action=AccessAction.CREATE, obj=person, origin=origin)
    return person


@transaction.atomic
def update_person(
    *, acting_user: Actor, origin: Origin, person: Person, expected_version: int | None, **changes: Any
) -> Person:
    locked = locked_visible(Person.objects.visible_to(acting_user), person.pk)
    if not _may_edit_person(acting_user, locked):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    check_version(locked, expected_version)
    changes = _normalise(_pick(changes, PERSON_FIELDS))
    _check_texts(changes)
    changed = _apply(locked, changes)
    if changed:
        locked.full_clean()
        save_next_version(locked)
        record(actor=acting_user, action=AccessAction.UPDATE, obj=locked, origin=origin, detail={"fields": changed})
    return locked


class CaseRegistration(TypedDict, total=False):
    """The optional fields of a new case (``register_case``; the defaults are
    ``_register_case_for``'s)."""

    assigned_ngo: Organisation | None
    external_id: str
    health_notes: str
    registered_on: datetime.date | None
    registration_source: str
    case_types: list[str] | None
    prior_departure_procedures: int | None
    case_manager: User | None
    registrar_owns: bool


@transaction.atomic
def register_case(
    *, acting_user: Actor, origin: Origin, location: Location, person: Person, **fields: Unpack[CaseRegistration]
) -> Case:
    """Open a case for an existing (visible) person in an LVV the user works for. The case
    manager is ``case_manager``, or else the registering case worker (``registrar_owns``;
    the import leaves it empty)."""
    if not policy.editable_locations(acting_user).filter(pk=location.pk).exists():
        raise PermissionDenied(NOT_ALLOWED_LOCATION)
    if not Person.objects.visible_to(acting_user).filter(pk=person.pk).exists():
        raise NotVisibleError
    return _register_case_for(acting_user=acting_user, origin=origin, location=location, person=person, **fields)


def _refuse_special_types(case_types: list[str] | None, acting_user: Actor, case: Case | None) -> None:
    """A special case type (``cases.special_types``) only from a user who may see it (for a
    case not yet registered, ``case`` None: with the global permission)."""
    refused = special_types.special_in(case_types or [])
    if refused and not special_types.may_see_special(acting_user, case):
        labels = ", ".join(str(CaseType(value).label) for value in refused)
        raise ValidationError({"case_types": special_types.SPECIAL_NOT_ALLOWED % {"types": labels}})


def _register_case_for(
    *,
    acting_user: Actor,
    origin: Origin,
    location: Location,
    person: Person,
    assigned_ngo: Organisation | None = None,
    external_id: str = "",
    health_notes: str = "",
    registered_on: datetime.date | None = None,
    registration_source: str = RegistrationSource.MUNICIPALITY,
    case_types: list[str] | None = None,
    prior_departure_procedures: int | None = None,
    intake_key: uuid.UUID | str | None = None,
    case_manager: User | None = None,
    registrar_owns: bool = True,
) -> Case:
    if not policy.editable_locations(acting_user).filter(pk=location.pk).exists():
        raise PermissionDenied(NOT_ALLOWED_LOCATION)
    _validate_ngo(location, assigned_ngo)
    if case_manager is not None or registrar_owns:  # the case's owner (see "Case owners" below)
        case_manager = _registrar_as_owner(acting_user, location, case_manager)
    _check_texts({"external_id": external_id, "health_notes": health_notes})
    _refuse_special_types(case_types, acting_user, None)
    case = Case(
        intake_key=intake_key,
        person=person,
        location=location,
        assigned_ngo=assigned_ngo,
        external_id=external_id or "",
        health_notes=health_notes or "",
        created_by=user_or_none(acting_user),
        registered_on=registered_on or timezone.localdate(),
        registration_source=registration_source or RegistrationSource.MUNICIPALITY,
        case_types=list(case_types or []),
        prior_departure_procedures=prior_departure_procedures,
        case_manager=case_manager,
    )
    case.full_clean()
    case.save()
    _record_first_owner(case, acting_user)
    add_event(
        case, EventType.REGISTERED, on=case.registered_on, actor=acting_user, data={"source": case.registration_source}
    )
    record(actor=acting_user, action=AccessAction.CREATE, obj=case, origin=origin)
    return case


@transaction.atomic
def register_person_and_case(
    *, acting_user: Actor, origin: Origin, location: Location, person_fields: dict, case_fields: dict
) -> Case:
    """A person and a case in one transaction, linked to the person with the same V-number
    when there is one: the import's rule (contracts/case-import.md), where the file says who
    the person is. A user's intake goes through ``register_intake``, which asks instead."""
    existing = (
        Person.objects.filter(v_number=person_fields.get("v_number")).first() if person_fields.get("v_number") else None
    )
    if existing is not None:
        person = existing
        record(actor=acting_user, action=AccessAction.UPDATE, obj=person, origin=origin, detail={"linked": True})
    else:
        person = create_person(acting_user=acting_user, origin=origin, **person_fields)
    case = _register_case_for(
        acting_user=acting_user, origin=origin, location=location, person=person, registrar_owns=False, **case_fields
    )
    return case


# --- Registration that never guesses ------------------------------------------------------

INTAKE_LOCK_NAMESPACE = 7_412_002  # pg_advisory_xact_lock(namespace, hash of the intake key)
MATCH_NOT_OFFERED = _("Kies een van de getoonde personen, of registreer een nieuwe persoon.")
NEW_PERSON_NOT_POSSIBLE = _("Er is al een persoon met dit V-nummer; een tweede persoon kan er niet bij.")
MATCH_ALREADY_RESOLVED = _("Dit koppelverzoek is al afgehandeld.")
MATCH_NOTE_REQUIRED = _("Geef een toelichting.")
MATCH_DECISIONS = ("link", "new_person", "decline")


class PossibleMatch(Exception):
    """The typed person may be a person the user can see: ask, never guess."""

    def __init__(self, persons: list[Person], *, by_v_number: bool):
        self.persons = persons
        self.by_v_number = by_v_number
        super().__init__("possible match")


class MatchRequested(Exception):
    """The typed person matches a person the user may not see: a request is recorded for
    the functional manager or the other LVV; the user learns nothing about that person."""

    def __init__(self, request: MatchRequest):
        self.request = request
        super().__init__("match request recorded")


def matching_persons(person_fields: dict) -> tuple[QuerySet[Person], str | None]:
    """Persons that may be the typed one: the same V-number, or (none, or an unknown one
    typed) the same name and birth date on a person without a different V-number. Returns
    the persons and the kind of match."""
    v_number = person_fields.get("v_number") or None
    if v_number:
        same_number = Person.objects.filter(v_number=v_number)
        if same_number.exists():
            return same_number, MatchKind.V_NUMBER
    birth_date = person_fields.get("birth_date")
    family, given = (person_fields.get("family_name") or "").strip(), (person_fields.get("given_names") or "").strip()
    if not (birth_date and family and given):
        return Person.objects.none(), None
    same = Person.objects.filter(
        family_name__iexact=family, given_names__iexact=given, birth_date=birth_date, v_number__isnull=True
    )
    return same, (MatchKind.IDENTITY if same.exists() else None)


def _json_ready(fields: dict) -> dict:
    out = {}
    for name, value in fields.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        elif hasattr(value, "code"):  # a country
            value = value.code or ""
        out[name] = value
    return out


def register_intake(**kwargs: Any) -> Case:
    """The intake's first step, which never guesses who the person is (see
    ``_register_intake``). Raises ``PossibleMatch`` or, after the match request is stored,
    ``MatchRequested``."""
    outcome = _register_intake(**kwargs)
    if isinstance(outcome, MatchRequest):
        raise MatchRequested(outcome)
    return outcome


@transaction.atomic
def _register_intake(
    *,
    acting_user: User,
    origin: Origin,
    location: Location,
    person_fields: dict,
    case_fields: dict,
    intake_key: uuid.UUID | str | None = None,
    confirm_person: Person | int | None = None,
    new_person: bool = False,
) -> Case | MatchRequest:
    """The intake's first step, which never guesses who the person is.

    - ``intake_key``: the form's one-time key; a second submit returns the first case.
    - A typed V-number, or name and birth date, that matches persons the user may see
      raises ``PossibleMatch``: the user confirms one (``confirm_person``) or, for a name
      match only, says it is someone else (``new_person``).
    - A match with a person the user may not see records a ``MatchRequest`` (returned;
      ``register_intake`` raises ``MatchRequested``); nothing about that person is revealed.
    - No match: a new person and the case.
    """
    if not policy.editable_locations(acting_user).filter(pk=location.pk).exists():
        raise PermissionDenied(NOT_ALLOWED_LOCATION)
    # Before a match request stores the case's fields (its registration is the requester's).
    _refuse_special_types(case_fields.get("case_types"), acting_user, None)
    if intake_key:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [INTAKE_LOCK_NAMESPACE, str(intake_key)])
        done = Case.objects.filter(intake_key=intake_key).first()
        if done is not None:
            if not Case.objects.visible_to(acting_user).filter(pk=done.pk).exists():
                raise NotVisibleError
            return done
    person_fields = _normalise(_pick(person_fields, PERSON_FIELDS))
    matches, kind = matching_persons(person_fields)
    visible = list(matches & Person.objects.visible_to(acting_user)) if kind else []
    if confirm_person is not None:
        pk = confirm_person.pk if isinstance(confirm_person, Person) else confirm_person
        person = next((p for p in visible if p.pk == int(pk)), None)
        if person is None:
            raise ValidationError({"confirm_person": MATCH_NOT_OFFERED})
        record(actor=acting_user, action=AccessAction.UPDATE, obj=person, origin=origin, detail={"linked": True})
        return _register_case_for(
            acting_user=acting_user,
            origin=origin,
            location=location,
            person=person,
            intake_key=intake_key,
            **case_fields,
        )
    if new_person and kind == MatchKind.V_NUMBER:
        raise ValidationError({"v_number": NEW_PERSON_NOT_POSSIBLE})
    if kind and not (new_person and kind == MatchKind.IDENTITY and visible):
        if visible:
            raise PossibleMatch(visible, by_v_number=kind == MatchKind.V_NUMBER)
        hidden = matches.order_by("pk").first()
        request = MatchRequest.objects.create(
            location=location,
            requested_by=acting_user,
            matched_person=hidden,  # type: ignore[misc]  # a match has its person
            match_kind=kind,
            person_fields=_json_ready(person_fields),
            case_fields=_json_ready(case_fields),
        )
        record(actor=acting_user, action=AccessAction.CREATE, obj=request, origin=origin, detail={"match": kind})
        return request
    person = create_person(acting_user=acting_user, origin=origin, **person_fields)
    return _register_case_for(
        acting_user=acting_user, origin=origin, location=location, person=person, intake_key=intake_key, **case_fields
    )


def can_resolve_match(user: Actor, request: MatchRequest) -> bool:
    """The functional manager, or a case worker of an LVV where the matched person has a case."""
    if policy.is_system(user) or not getattr(user, "is_active", False):
        return policy.is_system(user)
    if user.is_superuser or user.has_role(Role.ADMIN):
        return True
    if not user.has_role(Role.CASEMANAGER):
        return False
    return Case.objects.filter(person=request.matched_person_id, location__in=policy.editable_locations(user)).exists()


def match_request_for(acting_user: Actor, origin: Origin, pk: int | str) -> tuple[MatchRequest, bool]:
    """A match request for its requester or a resolver, with whether this user may resolve
    it; ``NotVisibleError`` (the look-up logged as refused) for anyone else."""
    found = MatchRequest.objects.select_related("location", "requested_by", "matched_person").filter(pk=pk).first()
    if found is not None:
        resolver = can_resolve_match(acting_user, found)
        if resolver or found.requested_by_id == acting_user.pk:
            return found, resolver
    record_refusal(
        acting_user=acting_user,
        origin=origin,
        action=AccessAction.VIEW,
        object_type="cases.matchrequest",
        object_id=pk,
        result=Result.DENIED,
    )
    raise NotVisibleError


def _case_fields_from(request: MatchRequest) -> dict:
    fields = dict(request.case_fields)
    if fields.get("registered_on"):
        fields["registered_on"] = datetime.date.fromisoformat(fields["registered_on"])
    if fields.get("assigned_ngo"):
        fields["assigned_ngo"] = Organisation.objects.get(pk=fields["assigned_ngo"])
    return fields


@transaction.atomic
def resolve_match_request(
    *, acting_user: Actor, origin: Origin, request: MatchRequest, decision: str, note: str = ""
) -> MatchRequest:
    """Resolve a match request: ``link`` registers the case for the known person,
    ``new_person`` (a name match only) registers a new person, ``decline`` closes it with a
    note. The registration is the requester's, in the requester's LVV, as if confirmed
    on the intake page."""
    request = MatchRequest.objects.select_for_update().select_related("requested_by", "location").get(pk=request.pk)
    if not can_resolve_match(acting_user, request):
        raise NotVisibleError
    if request.status != MatchRequestStatus.OPEN:
        raise ValidationError({"__all__": MATCH_ALREADY_RESOLVED})
    if decision not in MATCH_DECISIONS:
        raise ValidationError({"decision": _("Kies koppelen, nieuwe persoon of afwijzen.")})
    note = optional_text(note, "note", SHORT_TEXT_MAX)
    requester = request.requested_by
    if decision == "decline":
        if not note:
            raise ValidationError({"note": MATCH_NOTE_REQUIRED})
        request.status = MatchRequestStatus.DECLINED
    elif decision == "link":
        request.case = _register_case_for(
            acting_user=requester,
            origin=origin,
            location=request.location,
            person=request.matched_person,
            **_case_fields_from(request),
        )
        request.status = MatchRequestStatus.LINKED
    else:
        if request.match_kind == MatchKind.V_NUMBER:
            raise ValidationError({"decision": NEW_PERSON_NOT_POSSIBLE})
        fields = dict(request.person_fields)
        if fields.get("birth_date"):
            fields["birth_date"] = datetime.date.fromisoformat(fields["birth_date"])
        person = create_person(acting_user=requester, origin=origin, **fields)
        request.case = _register_case_for(
            acting_user=requester, origin=origin, location=request.location, person=person, **_case_fields_from(request)
        )
        request.status = MatchRequestStatus.NEW_PERSON
    request.resolved_by = user_or_none(acting_user)
    request.resolved_at = timezone.now()
    request.resolution_note = note
    request.save()
    record(actor=acting_user, action=AccessAction.UPDATE, obj=request, origin=origin, detail={"decision": decision})
    return request


@transaction.atomic
def update_case(
    *, acting_user: Actor, origin: Origin, case: Case, expected_version: int | None, **changes: Any
) -> Case:
    locked = locked_visible(Case.objects.visible_to(acting_user), case.pk)
    if not policy.can_change_case(acting_user, locked):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    check_version(locked, expected_version)
    changes = _pick(changes, CASE_FIELDS)
    _check_texts(changes)
    if "health_notes" in changes and not policy.can_view_special_category(acting_user, locked):
        raise PermissionDenied(NOT_ALLOWED_CHANGE)
    if "assigned_ngo" in changes:
        _validate_ngo(locked.location, changes["assigned_ngo"])
    changed = _apply(locked, changes)
    if changed:
        guide = locked.ngo_guide if "assigned_ngo" in changed and locked.ngo_guide_id is not None else None
        if guide is not None:  # another NGO: its guide is no longer the case's (see "Case owners")
            locked.ngo_guide = None
            changed.append("ngo_guide")
        locked.full_clean()
        save_next_version(locked)
        if guide is not None:
            _end_ngo_guide(locked, acting_user, guide)
        record(actor=acting_user, action=AccessAction.UPDATE, obj=locked, origin=origin, detail={"fields": changed})
    return locked


def record_refusal(
    *, acting_user: Actor, origin: Origin, action: str, object_type: str, object_id: Any, result: str
) -> None:
    """Log an attempt that did not pass (hidden object, stale version, invalid input)."""
    record(actor=acting_user, action=action, result=result, origin=origin, object_type=object_type, object_id=object_id)


def add_event(
    case: Case, type_: str, *, on: datetime.date, actor: Actor | None, summary: str = "", data: dict | None = None
) -> TimelineEvent:
    """Append to the case's timeline (part of the service's transaction)."""
    event = TimelineEvent(
        case=case, type=type_, occurred_on=on, actor=user_or_none(actor), summary=summary[:300], data=data or {}
    )
    batch = _batch.get()
    if batch is None:
        event.save()
        # Partner inboxes: whoever must act now is told after the commit (cases.inboxes);
        # an import's history batch tells no one.
        inboxes.event_added(case, type_, event.data, actor)
    else:
        batch.events.append(event)
    return event


def _pick(values: dict, allowed: tuple[str, ...]) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    return dict(values)


# The free text of persons and cases and its limits (lvv.text); the names and the external
# id are also checked by their columns, but not for a NUL.
TEXT_LIMITS = {
    "family_name": NAME_MAX,
    "given_names": NAME_MAX,
    "external_id": column_length(Case, "external_id"),
    "health_notes": TEXT_MAX,
}
PAUSE_REASON_MAX = column_length(Deadline, "pause_reason")


def _check_texts(fields: dict) -> None:
    check_text(**{name: (value, TEXT_LIMITS[name]) for name, value in fields.items() if name in TEXT_LIMITS})


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


def _apply(obj: object, changes: dict) -> list[str]:
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
    "STALE_VERSION",
    "StaleVersionError",
    "NotVisibleError",
    "create_person",
    "update_person",
    "register_case",
    "register_person_and_case",
    "register_intake",
    "resolve_match_request",
    "PossibleMatch",
    "MatchRequested",
    "update_case",
    "record_refusal",
    "add_event",
    # The reasons of the transition table's conditions (``cases.workflow``), known here too.
    "ALREADY_CONFIRMED",
    "ALREADY_DISPUTED",
    "DEADLINE_ALREADY_PAUSED",
    "DEADLINE_NOT_OPEN",
    "DEADLINE_NOT_PAUSED",
    "DOSSIER_ALREADY_DELIVERED",
    "NOT_ALLOWED_CHANGE",
    "NOTHING_TO_CONFIRM",
    "WRONG_PARTNER",
]


# --- The trajectory ---------------------------------------------------------------------
# Every step: lock the case, check visibility, the transition table, the role and the
# version; write the change, the timeline event and the access-log row; recompute the
# deadlines. One transaction.

ADMISSION_CHECK_MISSING = _("Leg eerst de toelatingstoets vast.")
CRITERIA_UNMET = _(
    "De persoon valt buiten de doelgroep (%(criteria)s). Wijs af, of laat toe als uitzondering met een reden."
)
EXCEPTION_REASON_REQUIRED = _("Geef de reden van de uitzondering.")
REJECTION_REASON_REQUIRED = _("Geef de reden van de afwijzing.")
WAITING_LIST_ORDER = _(
    "Er wachten %(count)s personen langer op de wachtlijst. Geef een reden om deze persoon eerder een plek te bieden."
)
PLACE_FREE = _(
    "Er is op %(date)s nog een plek vrij voor deze persoon (%(free)s vrij, %(ahead)s eerder toegelaten wachtenden). "
    "Start de opvang in plaats van de wachtlijst."
)
ONE_PLACE = _(
    "Deze persoon heeft op deze datum al een opvangplek in een andere casus. Een verhuizing is de uitstroom daar, "
    "gevolgd door een nieuwe casus; de opvang kan dan starten op de dag na die uitstroom."
)
VOLUNTARY_NO_TERMINATION = _("In %(location)s is deelname vrijwillig: de opvang kan niet gedwongen worden beëindigd.")
TERMINATION_NEEDS_BASIS = _(
    "Een gedwongen beëindiging vraagt een eerder vastgelegde onvoldoende medewerkingstoets of een besluit van het LSO."
)
TERMINATION_DATE_REQUIRED = _("Geef deze datum bij een gedwongen beëindiging.")
TERMINATION_DATES_ORDER = _("De waarschuwing, het hoorgesprek en het besluit volgen elkaar op, vóór de uitstroom.")
CORRECTION_REASON_REQUIRED = _("Geef de reden van de correctie.")
DISPUTE_REASON_REQUIRED = _("Geef de reden waarom u de uitstroom betwist.")
NO_PLACE = _("Er is op %(date)s geen vrije plek in %(location)s (%(places)s plaatsen, alle bezet).")
DATE_BEFORE = _("Deze datum ligt vóór %(what)s (%(date)s).")
COUNTRY_REQUIRED = _("Geef bij vertrek het land van bestemming.")
PAUSE_REASON_REQUIRED = _("Geef de reden van de pauze.")


def _locked_case(acting_user: Actor, case: Case, expected_version: int | None) -> Case:
    batch = _batch.get()
    if batch is not None and case.pk in batch.cases:  # locked earlier in this transaction
        locked = batch.cases[case.pk]
        check_version(locked, expected_version)
        return locked
    locked = locked_visible(Case.objects.visible_to(acting_user), case.pk, "location")
    check_version(locked, expected_version)
    if batch is not None:
        batch.cases[locked.pk] = locked
    return locked


def _check_role(acting_user: Actor, case: Case, step: workflow.Step) -> None:
    """Whether ``acting_user`` may take ``step`` on ``case`` at all (``workflow.actor_refusal``:
    the step's roles, and edit rights where the table asks for them)."""
    refused = workflow.actor_refusal(step, workflow.StepFacts(case, acting_user))
    if refused is not None:
        raise refused.error()


def _date(
    on: datetime.date | None, *, field: str = "on", not_before: datetime.date | None = None, what: str = ""
) -> datetime.date:
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({field: DATE_IN_FUTURE})
    if not_before and on < not_before:
        raise ValidationError({field: DATE_BEFORE % {"what": what, "date": date_format(not_before)}})
    return on


def optional_text(value: str | None, field: str, limit: int) -> str:
    """A text the user may leave out: stripped, at most ``limit`` characters (``lvv.text``)."""
    value = (value or "").strip()
    check_text(**{field: (value, limit)})
    return value


def _date_since_registration(on: datetime.date | None, case: Case) -> datetime.date:
    """A step's date (``_date``), not before the case's registration."""
    return _date(on, not_before=case.registered_on, what=str(_("de aanmelding")))


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _service(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``transaction.atomic`` for a step; inside a history batch without a savepoint per
    step (the batch's caller holds one for the whole batch)."""

    @functools.wraps(fn)
    def inner(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with transaction.atomic(savepoint=_batch.get() is None):
            return fn(*args, **kwargs)

    return inner


class _Batch:
    def __init__(self) -> None:
        self.cases: dict[int, Case] = {}
        self.events: list[TimelineEvent] = []


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("history_batch", default=None)


@contextlib.contextmanager
def history_batch() -> Iterator[None]:
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


def _finish(case: Case, *, acting_user: Actor, origin: Origin, step_name: str, detail: dict | None = None) -> Case:
    save_next_version(case)
    if _batch.get() is None:
        deadlines.recompute(case)
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=case,
        origin=origin,
        detail={"step": step_name, **(detail or {})},
    )
    return case


def _step(
    step_name: str, acting_user: Actor, case: Case, expected_version: int | None, *, key: str = ""
) -> tuple[Case, workflow.Step]:
    """Lock the case and check the step in the transition table (``workflow.check``: the
    state, who acts, the step's conditions on the records; ``key``: the deadline's kind for
    pause and resume)."""
    case = _locked_case(acting_user, case, expected_version)
    step = workflow.check(step_name, workflow.StepFacts(case, acting_user, key=key))
    return case, step


def occupied_places(location: Location, on: datetime.date) -> int:
    """Persons in shelter in ``location`` on ``on`` (shelter started, no outflow yet)."""
    return Case.objects.filter(location=location).in_shelter_on(on).count()


def waiting_ahead(case: Case) -> int:
    """How many people wait before ``case`` on its LVV's one waiting list (everyone admitted
    without a place, in admission order; ``Case.objects.waiting``)."""
    queue = Case.objects.filter(location=case.location_id).waiting().exclude(pk=case.pk)
    if case.waitlisted_on is None:  # not in the queue yet: everyone in it is ahead
        return queue.count()
    ahead = Q(waitlisted_on__lt=case.waitlisted_on)
    if case.pk is not None:
        ahead |= Q(waitlisted_on=case.waitlisted_on, pk__lt=case.pk)
    return queue.filter(ahead).count()


def _place_elsewhere(case: Case, start: datetime.date, end: datetime.date | None) -> bool:
    """Whether the person has a place in another case between ``start`` and ``end``. The
    person's row is locked first, so that two shelter starts for one person (in two LVVs,
    or a double submit) are decided one after the other."""
    Person.objects.select_for_update().filter(pk=case.person_id).first()
    return Case.objects.sheltered_overlapping(case.person_id, start, end).exclude(pk=case.pk).exists()


def free_places(location: Location, on: datetime.date) -> int:
    return location.capacity_on(on) - occupied_places(location, on)


@_service
def record_admission_check(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on: datetime.date | None = None,
    **checklist: Any,
) -> Case:
    case, _step_ = _step("record_admission_check", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    check_text(notes=(checklist.get("notes"), TEXT_MAX))
    fields = {name: bool(checklist.get(name, False)) for name in ADMISSION_FIELDS}
    AdmissionCheck.objects.update_or_create(
        case=case,
        defaults={
            **fields,
            "checked_on": on,
            "notes": checklist.get("notes", ""),
            "checked_by": user_or_none(acting_user),
        },
    )
    # The grounds by code (shown in the reader's language), and in Dutch as before.
    grounds = admission.unmet_grounds(case.admission_check, case.location)
    with translation.override(settings.LANGUAGE_CODE):
        unmet = [admission.ground_label(ground) for ground in grounds]
    add_event(case, EventType.ADMISSION_CHECKED, on=on, actor=acting_user, data={"unmet": unmet, "grounds": grounds})
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
    acting_user: Actor,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on: datetime.date | None = None,
    exception: str = "",
    exception_reason: str = "",
    require_check: bool = True,
    waitlist_when_full: bool = True,
) -> Case:
    """Admit after the admission check; an exception (humanitarian, public order) needs a
    reason and places the case outside the covenant. When the LVV is full on that date,
    the person goes onto the waiting list."""
    case, step = _step("admit", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    check = AdmissionCheck.objects.filter(case=case).first()
    check_text(exception_reason=(exception_reason, TEXT_MAX))
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
    # Everyone admitted joins the waiting list on the admission date; with no place left
    # for this person (the free places go to those admitted earlier first), the state says so.
    case.waitlisted_on = on
    full = waitlist_when_full and free_places(case.location, on) <= waiting_ahead(case)
    case.state = step.to(workflow.State.WAITLISTED if full else workflow.State.ADMITTED)
    add_event(
        case,
        EventType.ADMITTED,
        on=on,
        actor=acting_user,
        summary=case.exception_reason,
        data={"exception": case.exception_ground or None},
    )
    if full:
        add_event(case, EventType.WAITLISTED, on=on, actor=acting_user, data={"reason": "full"})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="admit")


@_service
def reject(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    reason: str,
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    case, step = _step("reject", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    if not (reason or "").strip():
        raise ValidationError({"reason": REJECTION_REASON_REQUIRED})
    check_text(reason=(reason, TEXT_MAX))
    case.state, case.decided_on, case.rejection_reason, case.closed_on = step.target, on, reason.strip(), on  # type: ignore[assignment]  # the step leads to a state
    add_event(case, EventType.REJECTED, on=on, actor=acting_user, summary=reason.strip())
    return _finish(case, acting_user=acting_user, origin=origin, step_name="reject")


@_service
def waitlist(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on: datetime.date | None = None,
    enforce_capacity: bool = True,
) -> Case:
    """Mark that no place is free for this person: only when the free places on ``on`` all
    go to people admitted earlier (``enforce_capacity=False`` for imported history). The
    place in the queue stays the admission date."""
    case, step = _step("waitlist", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    if case.state == workflow.State.REGISTERED:  # imported history: admitted and waitlisted at once
        case.decided_on = case.decided_on or on
    if enforce_capacity:
        free, ahead = free_places(case.location, on), waiting_ahead(case)
        if free > ahead:
            raise ValidationError({"on": PLACE_FREE % {"date": date_format(on), "free": free, "ahead": ahead}})
    case.state, case.waitlisted_on = step.target, case.waitlisted_on or on  # type: ignore[assignment]  # the step leads to a state
    add_event(case, EventType.WAITLISTED, on=on, actor=acting_user)
    return _finish(case, acting_user=acting_user, origin=origin, step_name="waitlist")


@_service
def start_shelter(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on: datetime.date | None = None,
    form: str = ShelterForm.FULL_DAY,
    enforce_capacity: bool = True,
    skip_reason: str = "",
    place_until: datetime.date | None = None,
) -> Case:
    """Offer a place: shelter starts on ``on`` when a place is free on that date. The
    waiting list goes in order; offering a place out of order needs a reason. The person
    has one place at a time, nationally: not while a place elsewhere overlaps this stay
    (open-ended; imported history gives its end as ``place_until``)."""
    case, step = _step("start_shelter", acting_user, case, expected_version)
    on = _date(on, not_before=case.decided_on, what=str(_("de toelating")))
    if form not in ShelterForm.values:
        raise ValidationError({"form": _("Kies een vorm van opvang.")})
    check_text(skip_reason=(skip_reason, TEXT_MAX))
    if enforce_capacity and free_places(case.location, on) <= 0:
        places = case.location.capacity_on(on)
        raise ValidationError(
            {"on": NO_PLACE % {"date": date_format(on), "location": case.location.name, "places": places}}
        )
    if _place_elsewhere(case, on, place_until):
        raise ValidationError({"on": ONE_PLACE})
    from_waitlist = case.state == workflow.State.WAITLISTED
    skip_reason = (skip_reason or "").strip()
    ahead = waiting_ahead(case) if enforce_capacity else 0
    if ahead and not skip_reason:
        raise ValidationError({"skip_reason": WAITING_LIST_ORDER % {"count": ahead}})
    case.state, case.shelter_started_on, case.shelter_form = step.target, on, form  # type: ignore[assignment]  # the step leads to a state
    data = {"form": form, "from_waiting_list": from_waitlist}
    if ahead:
        data.update(out_of_order=True, ahead=ahead, skip_reason=skip_reason)
    add_event(
        case, EventType.SHELTER_STARTED, on=on, actor=acting_user, summary=skip_reason if ahead else "", data=data
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="start_shelter")


@_service
def request_dossier(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    """Ask the IND and the DT&V for their parts of the dossier."""
    case, _step_ = _step("request_dossier", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    for kind in DossierPartKind.values:
        part, created = DossierPart.objects.get_or_create(case=case, kind=kind, defaults={"requested_on": on})
        if not created and part.requested_on is None and part.delivered_on is None:
            part.requested_on = on
            part.save(update_fields=["requested_on"])
    add_event(case, EventType.DOSSIER_REQUESTED, on=on, actor=acting_user)
    return _finish(case, acting_user=acting_user, origin=origin, step_name="request_dossier")


def deliver_dossier_part(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    kind: str,
    expected_version: int | None = None,
    on: datetime.date | None = None,
    file: File | None = None,
    title: str = "",
    confidentiality: str = "",
) -> Case:
    """The IND or the DT&V registers the delivery of its own part, optionally with its file:
    a document of kind ``dossier_ind``/``dossier_dtv`` linked to the part, in the same
    transaction (``title`` and ``confidentiality`` are the document's; see ``add_document``)."""
    with stored_files_removed_on_failure():
        return _deliver_dossier_part(
            acting_user=acting_user,
            origin=origin,
            case=case,
            kind=kind,
            expected_version=expected_version,
            on=on,
            file=file,
            title=title,
            confidentiality=confidentiality,
        )


@_service
def _deliver_dossier_part(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    kind: str,
    expected_version: int | None,
    on: datetime.date | None,
    file: File | None,
    title: str,
    confidentiality: str,
) -> Case:
    if kind not in DossierPartKind.values:
        raise ValidationError({"kind": _("Kies IND of DT&V.")})
    case, _step_ = _step(f"deliver_dossier_{kind.lower()}", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    part = case.dossier_parts.filter(kind=kind).first() or DossierPart(case=case, kind=kind)
    part.delivered_on, part.delivered_by = on, user_or_none(acting_user)
    part.save()
    add_event(case, EventType.DOSSIER_DELIVERED, on=on, actor=acting_user, data={"by": kind})
    if file is not None:
        _attach_dossier_file(acting_user, origin, case, part, file=file, title=title, confidentiality=confidentiality)
    return _finish(case, acting_user=acting_user, origin=origin, step_name="deliver_dossier", detail={"kind": kind})


ROUTE_INVALID = _("Kies een geldige route.")
ROUTE_DEPARTURE = _("Deze route hoort bij de richting vertrek.")
ROUTE_RESIDENCE = _("Deze route hoort bij de richting verblijf.")


def route_error(direction: str, route: str | None) -> Promise | None:
    """What is wrong with ``route`` (optional) in a scenario or advice of ``direction``, or
    None: a known route, a departure route only with the direction departure and any other
    route but ``other`` only with residence (the LSO's outcome and the MRT's advice too)."""
    if route and route not in Route.values:
        return ROUTE_INVALID
    if route in DEPARTURE_ROUTES and direction != Direction.DEPARTURE:
        return ROUTE_DEPARTURE
    if route and route not in DEPARTURE_ROUTES and route != Route.OTHER and direction != Direction.RESIDENCE:
        return ROUTE_RESIDENCE
    return None


@_service
def set_scenario(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    direction: str,
    route: str = "",
    notes: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    """Set or change the guidance scenario; the previous one stays in the history."""
    case, _step_ = _step("set_scenario", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    check_text(notes=(notes, TEXT_MAX))
    scenario = Scenario(
        case=case,
        direction=direction,
        route=route or "",
        set_on=on,
        notes=notes or "",
        set_by=user_or_none(acting_user),
    )
    scenario.full_clean(exclude=["case", "set_by"])
    if wrong_route := route_error(direction, route):
        raise ValidationError({"route": wrong_route})
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
    acting_user: Actor,
    origin: Origin,
    case: Case,
    result: str,
    notes: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    case, _step_ = _step("record_cooperation_check", acting_user, case, expected_version)
    on = _date(on, not_before=case.shelter_started_on, what=str(_("de start van de opvang")))
    check_text(notes=(notes, TEXT_MAX))
    check = CooperationCheck(
        case=case, checked_on=on, result=result, notes=notes or "", checked_by=user_or_none(acting_user)
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
    acting_user: Actor,
    origin: Origin,
    case: Case,
    outcome: str | None = None,
    notes: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
    advice_id: int | None = None,
    imported: bool = False,
) -> Case:
    """The case was discussed in an MRT. Not a step of its own on the pages or in the API:
    the MRT's advice writes it (``mrt.services.give_advice``, with ``advice_id``), and the
    import brings it from history; the monitor counts only those (``monitor.figures``)."""
    case, _step_ = _step("record_mrt_discussion", acting_user, case, expected_version)
    on = _date_since_registration(on, case)
    if outcome not in (None, "", MRT_NO_DURABLE_SOLUTION):
        raise ValidationError({"outcome": _("Onbekende uitkomst.")})
    check_text(notes=(notes, TEXT_MAX))
    data = {"outcome": outcome or None, "advice": advice_id, "imported": imported}
    add_event(case, EventType.MRT_DISCUSSED, on=on, actor=acting_user, summary=notes or "", data=data)
    return _finish(case, acting_user=acting_user, origin=origin, step_name="record_mrt_discussion")


@_service
def set_case_types(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    case_types: list[str],
    prior_departure_procedures: int | None,
    expected_version: int | None = None,
    on: datetime.date | None = None,
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
    # Special case types (cases.special_types): set only by a user who may see them; the ones
    # a user without the permission never saw are kept.
    _refuse_special_types(case_types, acting_user, case)
    special = not special_types.special_in(case.case_types) or special_types.may_see_special(acting_user, case)
    case.case_types = special_types.kept(case_types, case.case_types, special=special)
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
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    kind: str,
    reason: str,
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    case, _step_ = _step("pause_deadline", acting_user, case, expected_version, key=kind)
    on = _date(on)
    deadline = case.deadlines.get(kind=kind, resolved_on__isnull=True)
    reason = required_text(reason, "reason", PAUSE_REASON_REQUIRED, PAUSE_REASON_MAX)
    deadlines.pause(deadline, on=on, reason=reason)
    add_event(case, EventType.DEADLINE_PAUSED, on=on, actor=acting_user, summary=reason, data={"kind": kind})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="pause_deadline")


@_service
def resume_deadline(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    kind: str,
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    case, _step_ = _step("resume_deadline", acting_user, case, expected_version, key=kind)
    on = _date(on)
    deadline = case.deadlines.get(kind=kind, resolved_on__isnull=True)
    assert deadline.paused_since is not None  # the step's condition: it is paused
    if on < deadline.paused_since:
        raise ValidationError(
            {"on": DATE_BEFORE % {"what": str(_("de pauze")), "date": date_format(deadline.paused_since)}}
        )
    days = deadlines.resume(deadline, on=on)
    add_event(case, EventType.DEADLINE_RESUMED, on=on, actor=acting_user, data={"kind": kind, "days": days})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="resume_deadline")


TERMINATION_FIELDS = ("termination_basis", "warned_on", "heard_on", "termination_decided_on")


def _termination_procedure(case: Case, on: datetime.date, procedure: dict) -> dict:
    """The procedure behind a forced termination (not in an LVV with voluntary
    participation): a basis on record (an insufficient cooperation check, or an LSO
    decision, on or before the warning), then the warning, the hearing and the decision,
    in that order and on or before the outflow."""
    if case.location.voluntary_participation:
        raise ValidationError({"category": VOLUNTARY_NO_TERMINATION % {"location": case.location.name}})
    errors = {name: TERMINATION_DATE_REQUIRED for name in TERMINATION_FIELDS[1:] if not procedure.get(name)}
    if errors:
        raise ValidationError(errors)
    warned, heard, decided = (procedure[name] for name in TERMINATION_FIELDS[1:])
    if not warned <= heard <= decided <= on:
        raise ValidationError({"termination_decided_on": TERMINATION_DATES_ORDER})
    basis = procedure.get("termination_basis") or ""
    insufficient = case.cooperation_checks.filter(result=CooperationResult.INSUFFICIENT, checked_on__lte=warned)
    lso_decision = case.timeline.filter(
        type=EventType.LSO_DISCUSSED, occurred_on__lte=warned, data__decision="terminate"
    )
    found: dict[str, bool] = {
        TerminationBasis.COOPERATION_CHECK: insufficient.exists(),
        TerminationBasis.LSO_DECISION: lso_decision.exists(),
    }
    if basis not in found:
        basis = next((b for b, ok in found.items() if ok), "")
    if not basis or not found[basis]:
        raise ValidationError({"termination_basis": TERMINATION_NEEDS_BASIS})
    return {"termination_basis": basis, "warned_on": warned, "heard_on": heard, "termination_decided_on": decided}


def _outflow_values(
    case: Case, *, category: str, country: str, on: datetime.date | None, procedure: dict, enforce: bool
) -> dict:
    """Check an outflow's category, country, date and (forced termination) procedure."""
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
    values = {"category": category, "outflow_on": on, "country": country or ""}
    values.update(dict.fromkeys(TERMINATION_FIELDS))
    values["termination_basis"] = ""
    if category == OutflowCategory.FORCED_TERMINATION and enforce:
        values.update(_termination_procedure(case, on, procedure))
    elif category == OutflowCategory.FORCED_TERMINATION:  # imported history: what was recorded
        values.update({k: v for k, v in procedure.items() if k in TERMINATION_FIELDS and v})
    return values


@_service
def record_outflow(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    category: str,
    country: str = "",
    notes: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
    enforce_procedure: bool = True,
    **procedure: Any,
) -> Case:
    """The case ends: one outflow per case, with its category (durable or not). A forced
    termination needs its procedure (``_termination_procedure``); imported history passes
    ``enforce_procedure=False``."""
    case, step = _step("record_outflow", acting_user, case, expected_version)
    _pick(procedure, TERMINATION_FIELDS)
    check_text(notes=(notes, TEXT_MAX))
    values = _outflow_values(
        case, category=category, country=country, on=on, procedure=procedure, enforce=enforce_procedure
    )
    on = values["outflow_on"]
    outflow = Outflow(case=case, notes=notes or "", recorded_by=user_or_none(acting_user), **values)
    outflow.full_clean(exclude=["case", "recorded_by"])
    outflow.save()
    case.state, case.closed_on = step.target, on  # type: ignore[assignment]  # the step leads to a state
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
def confirm_outflow(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    """The chain partner confirms a durable outflow: the IND a grant, the DT&V a departure."""
    case, _step_ = _step("confirm_outflow", acting_user, case, expected_version)
    outflow = case.outflow
    on = _date(on, not_before=outflow.outflow_on, what=str(_("de uitstroom")))
    partner = outflow.confirming_partner
    outflow.confirmed_on, outflow.confirmed_by = on, user_or_none(acting_user)
    # Confirming after a dispute withdraws the dispute (the partner agrees after all).
    outflow.disputed_on, outflow.disputed_by, outflow.dispute_reason = None, None, ""
    outflow.save(update_fields=["confirmed_on", "confirmed_by", "disputed_on", "disputed_by", "dispute_reason"])
    add_event(case, EventType.OUTFLOW_CONFIRMED, on=on, actor=acting_user, data={"by": partner})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="confirm_outflow")


@_service
def correct_outflow(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    reason: str,
    category: str,
    country: str = "",
    expected_version: int | None = None,
    on: datetime.date | None = None,
    **procedure: Any,
) -> Case:
    """The case manager corrects a recorded outflow (category, date, country), with a
    reason. The earlier values stay in the timeline; the figures follow the new ones. A
    changed outflow needs the chain partner's confirmation again; a dispute is answered."""
    case, _step_ = _step("correct_outflow", acting_user, case, expected_version)
    _pick(procedure, TERMINATION_FIELDS)
    reason = required_text(reason, "reason", CORRECTION_REASON_REQUIRED, SHORT_TEXT_MAX)
    outflow = case.outflow
    values = _outflow_values(
        case, category=category, country=country, on=on or outflow.outflow_on, procedure=procedure, enforce=True
    )
    previous = {
        "category": outflow.category,
        "on": outflow.outflow_on.isoformat(),
        "country": outflow.country.code or None,
    }
    if values["outflow_on"] > outflow.outflow_on and case.shelter_started_on:
        if _place_elsewhere(case, case.shelter_started_on, values["outflow_on"]):
            raise ValidationError({"on": ONE_PLACE})
    changed = (values["category"], values["outflow_on"], values["country"]) != (
        outflow.category,
        outflow.outflow_on,
        outflow.country.code or "",
    )
    for name, value in values.items():
        setattr(outflow, name, value)
    if changed:
        outflow.confirmed_on, outflow.confirmed_by = None, None
    outflow.disputed_on, outflow.disputed_by, outflow.dispute_reason = None, None, ""
    outflow.full_clean(exclude=["case", "recorded_by", "confirmed_by", "disputed_by"])
    outflow.save()
    case.closed_on = outflow.outflow_on
    new = {"category": outflow.category, "on": outflow.outflow_on.isoformat(), "country": outflow.country.code or None}
    add_event(
        case,
        EventType.OUTFLOW_CORRECTED,
        on=_date(None),
        actor=acting_user,
        summary=reason,
        data={"previous": previous, "new": new, "changed": changed},
    )
    return _finish(case, acting_user=acting_user, origin=origin, step_name="correct_outflow")


@_service
def dispute_outflow(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    reason: str,
    expected_version: int | None = None,
    on: datetime.date | None = None,
) -> Case:
    """The IND or the DT&V disputes a recorded outflow, with a reason: a confirmation is
    withdrawn, and the case manager finds it in the work queue to correct it (or the
    partner confirms after all)."""
    case, _step_ = _step("dispute_outflow", acting_user, case, expected_version)
    outflow = case.outflow
    on = _date(on, not_before=outflow.outflow_on, what=str(_("de uitstroom")))
    reason = required_text(reason, "reason", DISPUTE_REASON_REQUIRED, SHORT_TEXT_MAX)
    by = "ind" if acting_user.has_role(Role.IND) else "dtv"
    outflow.disputed_on, outflow.disputed_by, outflow.dispute_reason = on, user_or_none(acting_user), reason
    outflow.confirmed_on, outflow.confirmed_by = None, None
    outflow.save(update_fields=["disputed_on", "disputed_by", "dispute_reason", "confirmed_on", "confirmed_by"])
    add_event(case, EventType.OUTFLOW_DISPUTED, on=on, actor=acting_user, summary=reason, data={"by": by})
    return _finish(case, acting_user=acting_user, origin=origin, step_name="dispute_outflow")


# --- Reconciliation before publication ------------------------------------------------------

RECONCILIATION_OPEN = _(
    "Er staan nog %(count)s bestendige uitstromen open die u moet bevestigen of betwisten; handel die eerst af."
)
RECONCILIATION_NOT_PARTNER = _("Alleen de IND en de DT&V tekenen de afstemming af.")
RECONCILIATION_LOCATION = _("U werkt niet voor deze LVV.")

# Which durable outflows each chain partner confirms (``CONFIRMED_BY_KIND``, inverted).
PARTNER_CATEGORIES = {
    partner: tuple(category for category, kind in CONFIRMED_BY_KIND.items() if kind == partner)
    for partner in ReconciliationPartner.values
}


def unreconciled_outflows(user: Actor, *, location: Location, partner: str, up_to: datetime.date) -> QuerySet[Case]:
    """Durable outflows of ``location`` on or before ``up_to`` that ``partner`` confirms and
    has neither confirmed nor disputed, among the cases ``user`` may see."""
    return (
        Case.objects.visible_to(user)
        .filter(
            location=location,
            outflow__category__in=PARTNER_CATEGORIES[partner],
            outflow__outflow_on__lte=up_to,
            outflow__confirmed_on__isnull=True,
            outflow__disputed_on__isnull=True,
        )
        .select_related("person", "outflow")
        .order_by("outflow__outflow_on", "pk")
    )


@transaction.atomic
def sign_off_reconciliation(
    *, acting_user: User, origin: Origin, location: Location, up_to: datetime.date, notes: str = ""
) -> Reconciliation:
    """The IND or the DT&V signs off an LVV's durable outflows up to a date: each of its
    outflows is confirmed or disputed. Refused while any is open."""
    partner = next((p for p in ReconciliationPartner.values if acting_user.has_role(p)), None)
    if partner is None:
        raise PermissionDenied(RECONCILIATION_NOT_PARTNER)
    if not locations_of(acting_user.organisation).filter(pk=location.pk).exists():
        raise ValidationError({"location": RECONCILIATION_LOCATION})
    up_to = _date(up_to, field="up_to")
    notes = optional_text(notes, "notes", SHORT_TEXT_MAX)
    open_items = unreconciled_outflows(acting_user, location=location, partner=partner, up_to=up_to).count()
    if open_items:
        raise ValidationError({"up_to": RECONCILIATION_OPEN % {"count": open_items}})
    total = Outflow.objects.filter(
        case__location=location, category__in=PARTNER_CATEGORIES[partner], outflow_on__lte=up_to
    ).count()
    signed = Reconciliation.objects.create(
        location=location, partner=partner, up_to=up_to, signed_by=acting_user, outflows=total, notes=notes
    )
    record(actor=acting_user, action=AccessAction.CREATE, obj=signed, origin=origin, detail={"partner": partner})
    return signed


# --- The case journal (notes) -----------------------------------------------------------------
# Every user who may see the case may write a note on it; a special note (special-category
# data) only a user who may see that data of the case. A note never changes: a correction
# is a new note that refers to the one it corrects. The timeline gets an event that names
# the kind, never the text; for a special note it says so, so that readers without the
# permission never see it (``selectors.visible_timeline``).

NOTE_SPECIAL_NOT_ALLOWED = _("U mag bij deze casus geen bijzondere persoonsgegevens vastleggen.")
NOTE_CORRECTS_UNKNOWN = _("Deze notitie bestaat niet bij deze casus.")
NOTE_CORRECTION_SPECIAL = _("Een correctie van een notitie met bijzondere persoonsgegevens is ook bijzonder.")


@transaction.atomic
def add_note(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    written_on: datetime.date | None,
    kind: str,
    text: str,
    confidentiality: str = Confidentiality.NORMAL,
    corrects: Note | int | None = None,
) -> Note:
    """Add a note to the case's journal, with its timeline event and access-log row."""
    visible = Case.objects.visible_to(acting_user).filter(pk=case.pk).first()
    if visible is None:
        raise NotVisibleError
    special_allowed = policy.can_view_special_category(acting_user, visible)
    if confidentiality == Confidentiality.SPECIAL and not special_allowed:
        raise PermissionDenied(NOTE_SPECIAL_NOT_ALLOWED)
    check_text(text=(text, NOTE_TEXT_MAX_LENGTH))
    corrected = None
    if corrects is not None:
        corrects_id = corrects.pk if isinstance(corrects, Note) else corrects
        candidates = Note.objects.filter(case=visible, pk=corrects_id)
        if not special_allowed:
            candidates = candidates.exclude(confidentiality=Confidentiality.SPECIAL)
        corrected = candidates.first()
        if corrected is None:  # absent, of another case, or not for this user: all the same
            raise ValidationError({"corrects": NOTE_CORRECTS_UNKNOWN})
        if corrected.is_special and confidentiality != Confidentiality.SPECIAL:
            raise ValidationError({"confidentiality": NOTE_CORRECTION_SPECIAL})
    note = Note(
        case=visible,
        written_on=_date(written_on, field="written_on"),
        kind=kind,
        text=(text or "").strip(),
        confidentiality=confidentiality,
        author=user_or_none(acting_user),
        author_organisation_id=getattr(acting_user, "organisation_id", None),
        corrects=corrected,
    )
    note.full_clean()
    note.save()
    facts = {"note": note.pk, "kind": note.kind, "confidentiality": note.confidentiality}
    if corrected is not None:
        facts["corrects"] = corrected.pk
    add_event(visible, EventType.NOTE, on=note.written_on, actor=acting_user, data=facts)
    record(actor=acting_user, action=AccessAction.CREATE, obj=note, origin=origin, detail={"case": visible.pk, **facts})
    return note


# --- Case owners: the case manager and the NGO guide -----------------------------------------
# A case has a named case manager (a case worker of the municipality of its LVV) and, where
# an NGO is assigned, a named guide of that NGO. ``hand_over`` changes either: a case worker
# of the case's LVV hands over both roles, an NGO guide of the assigned NGO the guide's. The
# new owner is an active user who sees the case and has the role; the change, its history
# row, the timeline event, a notice to the new owner and the access-log row commit together.
# Registration makes the registering case worker the case manager; a change of the assigned
# NGO ends the guide's role (``update_case``). The import leaves the owners empty.

OWNER_ROLE_INVALID = _("Kies casusregisseur of begeleider ngo.")
HAND_OVER_NOT_ALLOWED = _("U mag deze rol bij deze casus niet overdragen.")
OWNER_REQUIRED = _("Kies aan wie u de casus overdraagt.")
OWNER_SAME = _("Deze collega is al de %(role)s van deze casus.")
OWNER_NOT_ELIGIBLE: dict[str, Promise] = {
    OwnerRole.CASE_MANAGER: _("Kies een actieve casemanager van de gemeente van deze LVV die de casus mag zien."),
    OwnerRole.NGO_GUIDE: _("Kies een actieve begeleider van de ngo die aan deze casus is toegewezen."),
}
OWNER_NO_NGO = _("Aan deze casus is geen ngo toegewezen; wijs eerst een ngo toe.")
OWNER_REASON_REQUIRED = _("Geef de reden van de overdracht.")
HANDED_OVER_MESSAGE = _("Casus %(case)s is aan u overgedragen: u bent nu de %(role)s.")
OWNER_FIELDS: dict[str, str] = {OwnerRole.CASE_MANAGER: "case_manager", OwnerRole.NGO_GUIDE: "ngo_guide"}


def _owner_name(user: User | None) -> str | None:
    return (user.get_full_name() or user.get_username()) if user is not None else None


def _owner_event(
    case: Case,
    *,
    role: str,
    from_user: User | None,
    to_user: User | None,
    actor: Actor,
    reason: str = "",
    cause: str = "",
) -> None:
    """The timeline event of a change of owner; it names the users as they were called then."""
    data = {
        "role": role,
        "from": getattr(from_user, "pk", None),
        "from_name": _owner_name(from_user),
        "to": getattr(to_user, "pk", None),
        "to_name": _owner_name(to_user),
    }
    if cause:
        data["cause"] = cause
    add_event(case, EventType.OWNER_CHANGED, on=timezone.localdate(), actor=actor, summary=reason, data=data)


def _registrar_as_owner(acting_user: Actor, location: Location, case_manager: User | None) -> User | None:
    """The case manager of a new case: the one given (who must be eligible), or else the
    registering user when that is a case worker of the LVV (never the system)."""
    from cases.selectors import eligible_owners  # selectors read the models this module writes

    if case_manager is not None:
        probe = Case(location=location)
        if not eligible_owners(probe, OwnerRole.CASE_MANAGER).filter(pk=case_manager.pk).exists():
            raise ValidationError({"case_manager": OWNER_NOT_ELIGIBLE[OwnerRole.CASE_MANAGER]})
        return case_manager
    if policy.is_system(acting_user) or not acting_user.has_role(Role.CASEMANAGER):
        return None
    return acting_user  # the caller checked that the user registers in this LVV


def _record_first_owner(case: Case, acting_user: Actor) -> None:
    """The history row of the case manager given at registration (no hand-over: no notice)."""
    if case.case_manager_id is None:
        return
    CaseOwnerChange.objects.create(
        case=case,
        role=OwnerRole.CASE_MANAGER,
        from_user=None,
        to_user_id=case.case_manager_id,
        changed_by=user_or_none(acting_user),
    )


def _end_ngo_guide(case: Case, acting_user: Actor, previous: User) -> None:
    """The NGO changed: the guide of the old NGO is no longer the case's guide (history row
    and timeline event; the caller clears the field and saves the case)."""
    CaseOwnerChange.objects.create(
        case=case, role=OwnerRole.NGO_GUIDE, from_user=previous, to_user=None, changed_by=user_or_none(acting_user)
    )
    _owner_event(
        case, role=OwnerRole.NGO_GUIDE, from_user=previous, to_user=None, actor=acting_user, cause="ngo_changed"
    )


def handed_over_message(case: Case, role: str) -> str:
    """The Dutch text of the notice to the new owner: the case's reference, never the name."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(HANDED_OVER_MESSAGE % {"case": case.reference, "role": OwnerRole(role).label})


@transaction.atomic
def hand_over(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    role: str,
    to_user: User | int | str,
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Make ``to_user`` (a user or an id) the case manager or the NGO guide (``role``) of the
    case. Refused: a hidden case (``NotVisibleError``), a user who may not hand over this role
    (``PermissionDenied``), a stale version (``StaleVersionError``); field errors for an
    unknown role, a new owner who is not eligible or already the owner, and a missing reason
    when there was an owner before."""
    from cases.selectors import eligible_owners  # selectors read the models this module writes

    locked = locked_visible(Case.objects.visible_to(acting_user), case.pk, "location", "case_manager", "ngo_guide")
    if role not in OwnerRole.values:
        raise ValidationError({"role": OWNER_ROLE_INVALID})
    if not policy.can_hand_over(acting_user, locked, role):
        raise PermissionDenied(HAND_OVER_NOT_ALLOWED)
    check_version(locked, expected_version)
    reason = optional_text(reason, "reason", SHORT_TEXT_MAX)
    if role == OwnerRole.NGO_GUIDE and locked.assigned_ngo_id is None:
        raise ValidationError({"to_user": OWNER_NO_NGO})
    field = OWNER_FIELDS[role]
    previous = getattr(locked, field)
    to_id = to_user.pk if isinstance(to_user, User) else to_user
    if to_id in (None, ""):
        raise ValidationError({"to_user": OWNER_REQUIRED})
    try:
        to_id = int(to_id)
    except (TypeError, ValueError):
        raise ValidationError({"to_user": OWNER_NOT_ELIGIBLE[role]}) from None
    if previous is not None and previous.pk == to_id:
        raise ValidationError({"to_user": OWNER_SAME % {"role": OwnerRole(role).label}})
    new_owner = eligible_owners(locked, role).filter(pk=to_id).first()
    if new_owner is None or not Case.objects.visible_to(new_owner).filter(pk=locked.pk).exists():
        raise ValidationError({"to_user": OWNER_NOT_ELIGIBLE[role]})
    if previous is not None and not reason:
        raise ValidationError({"reason": OWNER_REASON_REQUIRED})
    setattr(locked, field, new_owner)
    locked.version += 1
    locked.save(update_fields=[field, "version", "updated_at"])
    change = CaseOwnerChange.objects.create(
        case=locked,
        role=role,
        from_user=previous,
        to_user=new_owner,
        reason=reason,
        changed_by=user_or_none(acting_user),
    )
    _owner_event(locked, role=role, from_user=previous, to_user=new_owner, actor=acting_user, reason=reason)
    if new_owner.pk != getattr(acting_user, "pk", None):  # no notice to oneself
        Notification.objects.create(
            user=new_owner,
            case=locked,
            kind=Notification.Kind.HANDED_OVER,
            due_on=None,
            message=handed_over_message(locked, role),
        )
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=locked,
        origin=origin,
        detail={
            "step": "hand_over",
            "role": role,
            "from": getattr(previous, "pk", None),
            "to": new_owner.pk,
            "change": change.pk,
        },
    )
    return locked


# --- Case documents ------------------------------------------------------------------------------
# Every user who may see the case may add a document to it (as a note); a special document
# (special-category data) only a user who may see that data of the case. The file is
# checked before anything is stored (cases.documents: type by content, agreeing with the
# name's extension; size; SHA-256), stored under a random name through the storage API,
# and written with its timeline event (the kind, never the title; a special document's
# event exists only for readers with the permission, ``selectors.visible_timeline``) and
# its access-log row. A file stored by a block that then fails is removed again.

import logging  # noqa: E402

from django.core.files import File  # noqa: E402
from django.utils.text import capfirst  # noqa: E402

from cases import documents as document_files  # noqa: E402
from cases.models import Document, DocumentKind  # noqa: E402

logger = logging.getLogger(__name__)

DOCUMENT_SPECIAL_NOT_ALLOWED = _("U mag bij deze casus geen documenten met bijzondere persoonsgegevens toevoegen.")
DOCUMENT_TITLE_REQUIRED = _("Geef het document een titel.")
DOCUMENT_KIND_INVALID = _("Kies een geldige soort document.")
DOCUMENT_CONFIDENTIALITY_INVALID = _("Kies normaal of bijzonder persoonsgegeven.")
DOCUMENT_KIND_DOSSIER = _(
    "Een dossierdeel voegt de IND of de DT&V toe wanneer zij de levering van hun deel vastleggen."
)
DOCUMENT_DOSSIER_PART_INVALID = _("Dit dossierdeel hoort niet bij deze casus of is nog niet geleverd.")
DOCUMENT_DOSSIER_PART_ROLE = _("Alleen de %(partner)s voegt een bestand bij dit dossierdeel.")
DOCUMENT_TITLE_MAX = column_length(Document, "title")
# The document kind of each dossier part.
DOSSIER_DOCUMENT_KINDS: dict[str, DocumentKind] = {
    DossierPartKind.IND: DocumentKind.DOSSIER_IND,
    DossierPartKind.DTV: DocumentKind.DOSSIER_DTV,
}

_stored_files: contextvars.ContextVar[list | None] = contextvars.ContextVar("stored_document_files", default=None)


@contextlib.contextmanager
def stored_files_removed_on_failure() -> Iterator[None]:
    """Files stored in this block (``_store_document_file``) are removed from the storage
    again when the block raises: its transaction rolls back, so no row refers to them.
    Nested blocks leave it to the outermost one. Wrap the whole transaction (or call the
    services outside one): a rollback of an enclosing transaction after the block has
    ended successfully is not seen here."""
    if _stored_files.get() is not None:
        yield
        return
    stored: list[tuple[Any, str]] = []
    token = _stored_files.set(stored)
    try:
        yield
    except BaseException:
        for storage, name in stored:
            try:
                storage.delete(name)
            except Exception:  # the original error matters more; the file is an orphan now
                logger.exception("Could not remove the stored document file %s", name)
        raise
    finally:
        _stored_files.reset(token)


def _document_checks(
    acting_user: Actor,
    case: Case,
    *,
    title: str,
    kind: str,
    confidentiality: str,
    dossier_part: DossierPart | int | None,
) -> tuple[str, DossierPart | None]:
    """Check who adds what (before the file is read): the special-category permission, the
    title, kind and confidentiality, and the dossier part a dossier document belongs to.
    Returns the cleaned title and the dossier part."""
    if confidentiality not in Confidentiality.values:
        raise ValidationError({"confidentiality": DOCUMENT_CONFIDENTIALITY_INVALID})
    if confidentiality == Confidentiality.SPECIAL and not policy.can_view_special_category(acting_user, case):
        raise PermissionDenied(DOCUMENT_SPECIAL_NOT_ALLOWED)
    title = required_text(title, "title", DOCUMENT_TITLE_REQUIRED, DOCUMENT_TITLE_MAX)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": DOCUMENT_KIND_INVALID})
    part = None
    if dossier_part is not None:
        part_id = dossier_part.pk if isinstance(dossier_part, DossierPart) else dossier_part
        part = DossierPart.objects.filter(pk=part_id, case=case, delivered_on__isnull=False).first()
        if part is None:
            raise ValidationError({"dossier_part": DOCUMENT_DOSSIER_PART_INVALID})
        partner = part.kind.lower()  # the role that delivers it: "ind" or "dtv"
        if not policy.is_system(acting_user) and not acting_user.has_role(partner):
            raise PermissionDenied(str(DOCUMENT_DOSSIER_PART_ROLE % {"partner": part.get_kind_display()}))
        kind = DOSSIER_DOCUMENT_KINDS[part.kind]
    elif kind in DOSSIER_DOCUMENT_KINDS.values():
        raise ValidationError({"kind": DOCUMENT_KIND_DOSSIER})
    return title, part


def _new_document(
    acting_user: Actor,
    case: Case,
    *,
    title: str,
    kind: str,
    confidentiality: str,
    part: DossierPart | None,
    upload: document_files.InspectedUpload,
) -> Document:
    document = Document(
        case=case,
        title=title,
        kind=DOSSIER_DOCUMENT_KINDS[part.kind] if part is not None else kind,
        confidentiality=confidentiality,
        original_name=upload.original_name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by=user_or_none(acting_user),
        uploaded_by_organisation_id=getattr(acting_user, "organisation_id", None),
        dossier_part=part,
    )
    document.full_clean(exclude=["file", "case", "uploaded_by", "uploaded_by_organisation", "dossier_part"])
    return document


def _store_document_file(document: Document, file: File) -> None:
    """Store the bytes under the document's random path (``document_path``), and note the
    name for ``stored_files_removed_on_failure``."""
    stored = _stored_files.get()
    if stored is None:
        raise RuntimeError("store document files inside stored_files_removed_on_failure()")
    file.seek(0)
    document.file.save(document.original_name or "document", file, save=False)
    stored.append((document.file.storage, document.file.name))


def _write_document(acting_user: Actor, origin: Origin, case: Case, document: Document) -> Document:
    """The row, its timeline event and its access-log row (inside the caller's transaction)."""
    document.case = case
    document.save()
    facts = {"document": document.pk, "kind": document.kind, "confidentiality": document.confidentiality}
    if document.dossier_part:
        facts["dossier_part"] = document.dossier_part.kind
    add_event(case, EventType.DOCUMENT_ADDED, on=timezone.localdate(), actor=acting_user, data=facts)
    detail = {"case": case.pk, **facts, "size": document.size, "content_type": document.content_type}
    record(actor=acting_user, action=AccessAction.CREATE, obj=document, origin=origin, detail=detail)
    return document


def add_document(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    file: File,
    title: str,
    kind: str,
    confidentiality: str = Confidentiality.NORMAL,
    dossier_part: DossierPart | int | None = None,
) -> Document:
    """Add a file to the case file. ``file`` is a Django ``File`` (an upload) whose name
    gives the extension. Refused: a case the user may not see (``NotVisibleError``), a
    special document without the permission (``PermissionDenied``), invalid fields and
    files (``ValidationError`` per field: ``file``, ``title``, ``kind``, ...). Nothing is
    stored unless everything is written."""
    if not Case.objects.visible_to(acting_user).filter(pk=case.pk).exists():
        raise NotVisibleError
    title, part = _document_checks(
        acting_user, case, title=title, kind=kind, confidentiality=confidentiality, dossier_part=dossier_part
    )
    upload = document_files.inspect_upload(file)
    document = _new_document(
        acting_user, case, title=title, kind=kind, confidentiality=confidentiality, part=part, upload=upload
    )
    with stored_files_removed_on_failure():
        # The bytes first, outside the case's lock (a large file to an object store takes a while).
        _store_document_file(document, file)
        with transaction.atomic(savepoint=_batch.get() is None):
            locked = _locked_case(acting_user, case, None)  # still visible, and one writer at a time
            return _write_document(acting_user, origin, locked, document)


def _attach_dossier_file(
    acting_user: Actor, origin: Origin, case: Case, part: DossierPart, *, file: File, title: str, confidentiality: str
) -> Document:
    """The file of a dossier part, with the delivery (the case is locked by the step)."""
    kind = DOSSIER_DOCUMENT_KINDS[part.kind]
    title = (title or "").strip() or f"{capfirst(kind.label)} {date_format(part.delivered_on)}"  # type: ignore[arg-type]  # just delivered
    confidentiality = confidentiality or Confidentiality.NORMAL
    title, checked = _document_checks(
        acting_user, case, title=title, kind=kind, confidentiality=confidentiality, dossier_part=part
    )
    upload = document_files.inspect_upload(file)
    document = _new_document(
        acting_user, case, title=title, kind=kind, confidentiality=confidentiality, part=checked, upload=upload
    )
    _store_document_file(document, file)
    return _write_document(acting_user, origin, case, document)
