"""Phase 2 of the case import (``cases.importer``): applying the checked lines in the
importer's transaction.

The file's LVVs are locked (one import per LVV at a time). A line that opens a new case goes
to ``cases.import_bulk`` (in memory, written in bulk); a line of an existing case is skipped
(the same content), refused (other content) or, with ``update``, brings only its added
events; those, and every line with ``bulk=False``, go through ``cases.services`` one event
at a time (``SERVICES``, ``service_arguments``). A step the importing user's role may not
take is taken as ``policy.SYSTEM`` and logged as done by this user's import. A service's
refusal becomes the line's error (``service_errors``), named by the event's field.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from cases import import_format, services, workflow
from cases.import_lines import (
    MAX_ERRORS,
    Event,
    ImportLine,
    LineError,
    extension_of,
    shelter_interval,
    step_name,
)
from cases.models import Case, Person
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.audit.models import AccessLogEntry
from lvv.partners.models import Location

if TYPE_CHECKING:
    from cases.importer import Summary
# Stored on the case as data (not UI text), so it does not follow the request's language.
DEFAULT_EXCEPTION_REASON = "Uitzondering (geïmporteerd)"
LOCK_NAMESPACE = 7_412_001  # pg_advisory_xact_lock(namespace, location id): one import per LVV at a time

# --- Messages (shared with the tests) -------------------------------------------------------
CASE_CHANGED = _(
    "Deze LVV heeft al een casus met dit externe kenmerk, met een andere inhoud. "
    "Bijwerken (alleen nieuwe gebeurtenissen toevoegen) kan met --update of ?update=1."
)
UPDATE_NOT_PREFIX = _(
    "Bijwerken kan alleen door gebeurtenissen toe te voegen: de eerder geïmporteerde regel moet, "
    "op de gebeurtenissen na, gelijk zijn en al zijn gebeurtenissen moeten aan het begin van deze regel staan."
)
CASE_NOT_IMPORTED = _("Deze LVV heeft al een casus met dit externe kenmerk die niet met een import is vastgelegd.")
CONFLICT = _("Deze regel botst met gegevens die al bestaan (bijvoorbeeld een V-nummer of een extern kenmerk).")
IMPORT_NOT_ALLOWED = _("U mag geen casussen importeren.")


# --- The events' services ------------------------------------------------------------------------

# The service each event is applied with (``registered`` is the registration itself).
SERVICES = {
    "admitted": services.admit,
    "rejected": services.reject,
    "waitlisted": services.waitlist,
    "shelter_started": services.start_shelter,
    "dossier_delivered": services.deliver_dossier_part,
    "scenario_set": services.set_scenario,
    "cooperation_checked": services.record_cooperation_check,
    "mrt_discussed": services.record_mrt_discussion,
    "outflow": services.record_outflow,
}


def service_arguments(event) -> dict:
    """The arguments of the event's service besides the case and the date."""
    v = event.values
    if event.type == "admitted":
        exception = v["exception"] or ""
        return {
            "exception": exception,
            "exception_reason": (v["exception_reason"] or DEFAULT_EXCEPTION_REASON) if exception else "",
            "require_check": False,  # the history says the person was admitted: no check to redo
            "waitlist_when_full": False,  # a waiting list comes as its own event
        }
    if event.type in ("shelter_started", "waitlisted"):
        return {"enforce_capacity": False}  # history: the place (or its lack) was there
    arguments = _ARGUMENTS.get(event.type)
    return arguments(v) if arguments else {}


_ARGUMENTS = {
    "rejected": lambda v: {"reason": v.get("reason")},
    "dossier_delivered": lambda v: {"kind": v.get("by")},
    "scenario_set": lambda v: {"direction": v.get("direction")},
    "cooperation_checked": lambda v: {"result": v.get("result")},
    "mrt_discussed": lambda v: {"outcome": v.get("outcome"), "imported": True},
    "outflow": lambda v: {"category": v.get("category"), "country": v.get("country") or "", "enforce_procedure": False},
}


# Service error keys -> the field of the line they concern.
_EVENT_FIELD_OF = {
    "on": "date",
    "kind": "by",
    "form": "type",
    "route": "direction",
}
_REGISTRATION_FIELD_OF = {
    **{name: f"person.{name}" for name in import_format.PersonModel.model_fields},
    "external_id": "external_id",
    "registered_on": "events[0].date",
    "case_types": "case_types",
    "prior_departure_procedures": "prior_departure_procedures",
    "location": "lvv",
}


class LineFailed(Exception):
    def __init__(self, errors: list[LineError]):
        self.errors = errors


def service_errors(number: int, exc: Exception, *, event: Event | None) -> list[LineError]:
    """Turn what a service raised into line errors."""
    prefix = f"events[{event.index}]" if event is not None else ""
    if isinstance(exc, ValidationError):
        found = []
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
        for key, messages in items:
            if event is not None:
                name = prefix if key == "__all__" else f"{prefix}.{_EVENT_FIELD_OF.get(key, key)}"
            else:
                name = _REGISTRATION_FIELD_OF.get(key, "")
            found.extend(LineError(number, name, str(message)) for message in messages)
        return found
    if isinstance(exc, workflow.StepNotAllowed):
        return [LineError(number, f"{prefix}.type" if prefix else "", str(exc))]
    if isinstance(exc, IntegrityError):
        return [LineError(number, prefix, str(CONFLICT))]
    return [LineError(number, prefix, str(exc) or str(IMPORT_NOT_ALLOWED))]


SERVICE_ERRORS = (
    ValidationError,
    workflow.StepNotAllowed,
    PermissionDenied,
    services.NotVisibleError,
    services.StaleVersionError,
    IntegrityError,
)


@dataclass
class _Imported:
    """The imported state of an existing case: its latest import row in the access log."""

    hash: str
    head: str
    events: int
    events_hash: str


class Applier:
    def __init__(self, *, acting_user, origin: Origin, update: bool, locations: dict[str, Location], bulk: bool = True):
        self.user = acting_user
        self.origin = origin
        self.update = update
        self.locations = locations
        self.bulk = bulk
        # (location id, family name, given names, birth date) -> person, for persons without V-number
        self.persons: dict[tuple, Person] = {}

    # -- reads done once for the whole file --
    def _lock(self, lines: list[ImportLine]) -> None:
        ids = sorted({self.locations[line.lvv].pk for line in lines})
        with connection.cursor() as cursor:
            for pk in ids:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, pk])

    def _existing(self, lines: list[ImportLine]) -> tuple[dict, dict]:
        location_ids = {self.locations[line.lvv].pk for line in lines}
        cases = {
            (case.location_id, case.external_id): case
            for case in Case.objects.visible_to(self.user).filter(
                location_id__in=location_ids, external_id__in={line.external_id for line in lines}
            )
        }
        imported: dict[int, _Imported] = {}
        if cases:
            by_id = {str(case.pk): case.pk for case in cases.values()}
            rows = (
                AccessLogEntry.objects.filter(
                    object_type=Case._meta.label_lower, object_id__in=list(by_id), detail__has_key="import"
                )
                .order_by("timestamp", "id")
                .values_list("object_id", "detail")
            )
            for object_id, detail in rows:
                info = detail["import"]
                imported[by_id[object_id]] = _Imported(
                    info["hash"], info["head"], int(info["events"]), info["events_hash"]
                )
        return cases, imported

    def _load_persons(self, lines: list[ImportLine]) -> None:
        """Persons without V-number already in these LVVs (the user can see them), by identity."""
        wanted = [line for line in lines if not line.person["v_number"] and line.person["birth_date"]]
        if not wanted:
            return
        rows = (
            Case.objects.visible_to(self.user)
            .filter(
                location_id__in={self.locations[line.lvv].pk for line in wanted},
                person__v_number__isnull=True,
                person__family_name__in={line.person["family_name"] for line in wanted},
            )
            .select_related("person")
            .order_by("person_id")
        )
        for case in rows:
            p = case.person
            self.persons.setdefault((case.location_id, p.family_name, p.given_names, p.birth_date), p)

    # -- writing --
    def run(self, lines: list[ImportLine], summary: Summary) -> list[LineError]:
        """New cases in bulk (``cases.import_bulk``), then the lines of existing cases (skip,
        or ``--update``'s added events) and any new case the bulk path cannot build, one
        event at a time through the services."""
        if not lines:
            return []
        self._lock(lines)
        existing, imported = self._existing(lines)
        self._load_persons(lines)
        errors: list[LineError] = []
        if self.bulk:
            from cases.import_bulk import BulkImport  # it builds on this module

            new = [line for line in lines if self._buildable(line, existing)]
            errors = BulkImport(self).run(new, summary, MAX_ERRORS)
            if errors:
                return sorted(errors, key=lambda e: e.line or 0)
            lines = [line for line in lines if not self._buildable(line, existing)]
        for line in lines:
            location = self.locations[line.lvv]
            summary.per_lvv.setdefault(line.lvv, Counter())["lines"] += 1
            case = existing.get((location.pk, line.external_id))
            try:
                outcome = self._line(line, location, case, imported.get(case.pk) if case else None)
            except LineFailed as failed:
                errors.extend(failed.errors)
                if len(errors) >= MAX_ERRORS:
                    break
                continue
            summary.count(line.lvv, outcome)
        return errors

    def _buildable(self, line: ImportLine, existing: dict) -> bool:
        """A new case whose every event the bulk path can apply."""
        if (self.locations[line.lvv].pk, line.external_id) in existing:
            return False
        return all(e.type not in extension_of or extension_of[e.type].build is not None for e in line.events)

    def _line(self, line: ImportLine, location: Location, case: Case | None, previous: _Imported | None) -> str:
        if case is not None:
            if previous is None:
                raise LineFailed([LineError(line.number, "external_id", str(CASE_NOT_IMPORTED))])
            if previous.hash == line.hash:
                return "skipped"
            if not self.update:
                raise LineFailed([LineError(line.number, "external_id", str(CASE_CHANGED))])
            if not (
                previous.head == line.head_hash
                and previous.events < len(line.events)
                and line.events_hash(previous.events) == previous.events_hash
            ):
                raise LineFailed([LineError(line.number, "events", str(UPDATE_NOT_PREFIX))])
            todo, outcome, action = line.events[previous.events :], "updated", AccessAction.UPDATE
        else:
            todo, outcome, action = line.events, "created", AccessAction.CREATE
        new_person = None
        with transaction.atomic():  # a savepoint: a failed line leaves nothing behind
            if case is None:
                case, new_person = self._register(line, location)
                if todo[0].type == "registered":
                    todo = todo[1:]
            with services.history_batch():  # derived once from the whole history
                for event in todo:
                    case = self._apply(line, case, event)
            record(actor=self.user, action=action, obj=case, origin=self.origin, detail={"import": line.fingerprint()})
        if new_person is not None:
            self.persons[self._identity(line, location)] = new_person
        return outcome

    @staticmethod
    def _identity(line: ImportLine, location: Location) -> tuple:
        p = line.person
        return (location.pk, p["family_name"], p["given_names"], p["birth_date"])

    def _register(self, line: ImportLine, location: Location) -> tuple[Case, Person | None]:
        p = line.person
        case_fields = {
            "external_id": line.external_id,
            "registered_on": line.events[0].date,
            "case_types": line.case_types,
            "prior_departure_procedures": line.prior_departure_procedures,
        }
        known = self.persons.get(self._identity(line, location)) if not p["v_number"] and p["birth_date"] else None
        try:
            if known is not None:
                case = services.register_case(
                    acting_user=self.user,
                    origin=self.origin,
                    location=location,
                    person=known,
                    registrar_owns=False,  # the import leaves the owners empty
                    **case_fields,
                )
                return case, None
            person_fields = {**p, "sex": p["sex"] or "", "nationality": p["nationality"] or ""}
            case = services.register_person_and_case(
                acting_user=self.user,
                origin=self.origin,
                location=location,
                person_fields=person_fields,
                case_fields=case_fields,
            )
        except SERVICE_ERRORS as exc:
            raise LineFailed(service_errors(line.number, exc, event=None)) from None
        new_person = case.person if not p["v_number"] and p["birth_date"] else None
        return case, new_person

    def _actor(self, step: str):
        """The user, or the system for a step the user's role lacks (dossier delivery: IND/DT&V)."""
        if policy.is_system(self.user) or self.user.has_role(*workflow.STEPS[step].roles):
            return self.user
        return policy.SYSTEM

    def _call(self, fn, step: str, case: Case, **kwargs) -> Case:
        actor = self._actor(step)
        case = fn(acting_user=actor, origin=self.origin, case=case, **kwargs)
        if actor is not self.user:
            self._log_done_as_system(case, step)
        return case

    def _log_done_as_system(self, case: Case, step: str) -> None:
        """A step done as the system within this user's import: the log says whose import it was."""
        record(
            actor=self.user,
            action=AccessAction.UPDATE,
            obj=case,
            origin=self.origin,
            detail={"step": step, "via": "import", "performed_as": policy.SYSTEM.username},
        )

    def _apply(self, line: ImportLine, case: Case, event: Event) -> Case:
        if event.type in extension_of:
            return self._apply_extension(line, case, event)
        try:
            step = step_name(event.type, event.values)
            arguments = service_arguments(event)
            if event.type == "shelter_started":  # the stay as the history gives it (one place per person)
                arguments["place_until"] = shelter_interval(line)[1]
            case = self._call(SERVICES[event.type], step, case, on=event.date, **arguments)
            if event.type == "outflow" and event.values["verified"]:
                case = self._confirm(case, event.date)
        except SERVICE_ERRORS as exc:
            raise LineFailed(service_errors(line.number, exc, event=event)) from None
        return case

    def _apply_extension(self, line: ImportLine, case: Case, event: Event) -> Case:
        """An event of a later version, through its app's services; as the system when the
        user's role may not take it (an IND decision, a DT&V plan), logged as this import's."""
        extension = extension_of[event.type]
        actor = self.user if policy.is_system(self.user) or extension.may(self.user, event) else policy.SYSTEM
        try:
            extension.apply(acting_user=actor, origin=self.origin, case=case, event=event)
        except SERVICE_ERRORS as exc:
            raise LineFailed(service_errors(line.number, exc, event=event)) from None
        if actor is not self.user:
            self._log_done_as_system(case, event.type)
        return case

    def _confirm(self, case: Case, on: datetime.date) -> Case:
        """A verified outflow is confirmed by the chain partner; the import does it as the system."""
        case = services.confirm_outflow(acting_user=policy.SYSTEM, origin=self.origin, case=case, on=on)
        if not policy.is_system(self.user):
            self._log_done_as_system(case, "confirm_outflow")
        return case
