"""Every change of persons and cases goes through these functions.

Views, the API, imports and tasks call them; none writes the models directly. Each
service takes the acting user and the origin, checks the access policy, validates,
writes the change and its access-log row in one transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.models import NGO_NOT_SERVING, Case, Person
from lvv.access import policy
from lvv.audit.log import Action, Origin, Result, record
from lvv.partners.models import Location, Organisation, OrganisationKind

STALE_VERSION = _(
    "Iemand anders heeft dit intussen gewijzigd. Bekijk de nieuwste gegevens en voer uw wijziging opnieuw in."
)
NOT_ALLOWED_LOCATION = _("U mag in deze LVV geen casussen registreren.")
NOT_ALLOWED_CHANGE = _("U mag deze gegevens niet wijzigen.")

PERSON_FIELDS = ("v_number", "family_name", "given_names", "birth_date", "sex", "nationality")
CASE_FIELDS = ("assigned_ngo", "external_id", "health_notes")


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
) -> Case:
    """Open a case for an existing (visible) person in an LVV the user works for."""
    if not policy.editable_locations(acting_user).filter(pk=location.pk).exists():
        raise PermissionDenied(NOT_ALLOWED_LOCATION)
    if not Person.objects.visible_to(acting_user).filter(pk=person.pk).exists():
        raise NotVisibleError
    _validate_ngo(location, assigned_ngo)
    case = Case(
        person=person,
        location=location,
        assigned_ngo=assigned_ngo,
        external_id=external_id or "",
        health_notes=health_notes or "",
        created_by=acting_user,
    )
    case.full_clean()
    case.save()
    record(actor=acting_user, action=Action.CREATE, obj=case, origin=origin)
    return case


@transaction.atomic
def register_person_and_case(
    *, acting_user, origin: Origin, location: Location, person_fields: dict, case_fields: dict
) -> Case:
    """The intake form's one step: a new person and the case in one transaction."""
    person = create_person(acting_user=acting_user, origin=origin, **person_fields)
    return register_case(acting_user=acting_user, origin=origin, location=location, person=person, **case_fields)


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
]
