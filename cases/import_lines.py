"""Phase 1 of the case import (``cases.importer``): reading a JSON Lines file and checking
every line against every rule of the contract (``contracts/case-import.md``) without
touching a case.

First each line's fields (types, choices, lengths, dates), declared as pydantic models in
``cases.import_format``; then the rules across them: the order of the events and the steps
of the transition table in ``cases.workflow``, the covenant, a later version's own rules
(the registry of ``Extension``), and one place per person, in the file and against the
stored cases. Errors name the line, the field (``person.v_number``, ``events[3].date``;
event indexes count from 0) and the reason. What passes is a list of ``ImportLine``, each
with its canonical hashes (the import's idempotency).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import import_format, services, workflow
from cases.import_format import EVENT_TYPES, SCHEMA, WRONG_SCHEMA, WRONG_SCHEMA_ONE_OF, EventField
from cases.models import Case
from lvv.partners.models import Location

MAX_ERRORS = 1000

# --- Messages (shared with the tests) -------------------------------------------------------
INVALID_UTF8 = _("Deze regel is geen geldige UTF-8.")
INVALID_JSON = _("Deze regel is geen geldige JSON.")
INVALID_JSON_AT = _("Deze regel is geen geldige JSON (fout bij teken %(column)s).")
DUPLICATE_KEY = _("Het veld “%(key)s” staat twee keer in dit object.")
NOT_A_JSON_NUMBER = _("NaN en Infinity zijn geen getallen in JSON.")
TOO_DEEP = _("Deze regel is te diep genest.")
NOT_AN_OBJECT = _("Een regel moet één JSON-object zijn.")
EXTERNAL_ID_REPEATED = _("Dit externe kenmerk komt in deze LVV al voor op regel %(line)s.")
DATE_ORDER = _("Deze datum ligt vóór die van de vorige gebeurtenis (%(date)s).")
REGISTERED_NOT_FIRST = _("“registered” kan alleen de eerste gebeurtenis zijn.")
AFTER_END = _("Na “%(type)s” kan geen gebeurtenis meer volgen.")
SHELTER_NEEDS_ADMITTED = _("“shelter_started” vraagt een eerdere of gelijktijdige “admitted”.")
OUTFLOW_NEEDS_ADMITTED = _("“outflow” kan alleen na “admitted”.")
EXCEPTION_REQUIRED = _(
    "Bij within_covenant: false hoort een uitzondering bij “admitted” (exception: humanitarian of public_order)."
)
EXCEPTION_WITHIN_COVENANT = _(
    "Een uitzondering betekent toegelaten buiten het convenant: geef dan ook within_covenant: false."
)
OUTSIDE_COVENANT_NOT_ADMITTED = _(
    "within_covenant: false betekent toegelaten als uitzondering, maar deze regel heeft geen “admitted”."
)
PLACE_OVERLAP = _(
    "De opvang van deze persoon in %(this)s overlapt met die in %(other)s; een persoon heeft één plek tegelijk "
    "(een verhuizing start op de dag na de uitstroom)."
)
PLACE_OVERLAP_HIDDEN = _(
    "De opvang van deze persoon in %(this)s overlapt met een opvangplek elders; een persoon heeft één plek tegelijk."
)

TERMINAL_EVENTS = ("outflow", "rejected")
# The services' own message, where the import finds the same fault before calling them.
DOSSIER_PART_TWICE = services.DOSSIER_ALREADY_DELIVERED


# --- Errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineError:
    line: int | None  # None: the file as a whole
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"regel {self.line}" if self.line is not None else "bestand"
        return f"{where}, {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ImportInvalid(Exception):
    """The file is invalid; nothing was written."""

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s)")


# --- Later versions: event types of higher apps (lvv-case/2) ------------------------------------
# A later version of the format adds event types whose records belong to a higher app
# (version 2: the procedures app's applications and departure plans). The importer knows
# them only through this registry, which that app fills in its AppConfig.ready (ADR 0009).
# A line names its version: a version 1 line may hold only the version 1 types, a version 2
# line those and the types version 2 adds. The version 1 rules hold for every event (dates
# in order, nothing after an outflow or a rejection); an extension adds its own rules
# (``check``) and writes through its app's services (``apply``).


@dataclass(frozen=True)
class Extension:
    """The event types ``schema`` adds.

    ``fields``: per type its extra fields (as ``EVENT_TYPES``); ``check(events)``: the first
    fault of a line's events against the version's own rules, as ``(event, field, message)``,
    or None (it sees every event; the version 1 rules have passed); ``apply(acting_user=,
    origin=, case=, event=)``: write the event through the app's services; ``may(user,
    event)``: whether the importing user's role may do it itself (else the system does);
    ``build(history, acting_user=, event=)``: the same as ``apply`` for a new case's history
    in memory (``cases.import_bulk.History``), with the services' checks, rows, timeline
    events and access-log rows. Without ``build``, a new case with such events goes through
    ``apply``, one event at a time."""

    schema: str
    fields: dict[str, tuple[EventField, ...]]
    check: Callable[[list], tuple | None]
    apply: Callable[..., Any]
    may: Callable[[Any, Any], bool]
    build: Callable[..., Any] | None = None


_extensions: dict[str, Extension] = {}
extension_of: dict[str, Extension] = {}


def register_extension(extension: Extension) -> Extension:
    """Add the event types of a later version (call from an ``AppConfig.ready``)."""
    _extensions[extension.schema] = extension
    for type_ in extension.fields:
        extension_of[type_] = extension
    _build_formats()
    return extension


def schemas() -> tuple[str, ...]:
    """The versions this importer reads: ``lvv-case/1`` and the registered later ones."""
    return (SCHEMA, *sorted(_extensions))


def wrong_schema() -> str:
    if len(schemas()) == 1:
        return str(WRONG_SCHEMA)
    return str(WRONG_SCHEMA_ONE_OF % {"schemas": ", ".join(f"“{name}”" for name in schemas())})


def event_types(schema: str) -> dict[str, tuple[EventField, ...]]:
    """The event types a line of ``schema`` may hold: version 1's and every later version's
    up to ``schema``."""
    types = dict(EVENT_TYPES)
    for name in sorted(_extensions):
        if name <= schema:
            types.update(_extensions[name].fields)
    return types


# The models of each version's line (``cases.import_format``), built once, and again when a
# later version registers (each line model knows every version's name).
_formats: dict[str, import_format.LineFormat] = {}


def _build_formats() -> None:
    _formats.update({name: import_format.LineFormat(schemas(), event_types(name), wrong_schema) for name in schemas()})


def _format(schema: Any) -> import_format.LineFormat:
    """The models of a line of ``schema``; of an unknown one, the latest version's (which
    say the schema is wrong, and read the events as that version does)."""
    found = _formats.get(schema) if isinstance(schema, str) else None
    return found or _formats[schemas()[-1]]


_build_formats()


# The step of the transition table each event type is (``registered`` opens the case).
_STEP_OF = {
    "admitted": "admit",
    "rejected": "reject",
    "waitlisted": "waitlist",
    "shelter_started": "start_shelter",
    "scenario_set": "set_scenario",
    "cooperation_checked": "record_cooperation_check",
    "mrt_discussed": "record_mrt_discussion",
    "outflow": "record_outflow",
}


def step_name(event_type: str, values: dict) -> str | None:
    """The step of ``cases.workflow`` an event is (``registered`` opens the case: no step)."""
    if event_type == "dossier_delivered":
        return f"deliver_dossier_{str(values.get('by', '')).lower()}"
    return _STEP_OF.get(event_type)


# --- Phase 1: reading and validating ----------------------------------------------------------


class _NotStrictJSON(ValueError):
    """Valid for Python's json module, but not for this format: the message says why."""


def _no_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _NotStrictJSON(str(DUPLICATE_KEY % {"key": key}))
        seen[key] = value
    return seen


def _reject_constant(name):
    raise _NotStrictJSON(str(NOT_A_JSON_NUMBER))


def read_lines(data: bytes) -> tuple[list[tuple[int, Any]], list[LineError]]:
    """Split JSON Lines into (line number, parsed value); blank lines are skipped."""
    parsed, errors = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(LineError(number, "", str(INVALID_UTF8)))
            continue
        try:
            value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
        except _NotStrictJSON as exc:
            errors.append(LineError(number, "", str(exc)))
            continue
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, "", str(INVALID_JSON_AT % {"column": exc.colno})))
            continue
        except RecursionError:
            errors.append(LineError(number, "", str(TOO_DEEP)))
            continue
        except ValueError:  # e.g. an integer with more digits than Python converts
            errors.append(LineError(number, "", str(INVALID_JSON)))
            continue
        parsed.append((number, value))
    return parsed, errors


def validate(parsed: list[tuple[int, Any]], *, locations: dict[str, Location]) -> tuple[list[ImportLine], list]:
    """The valid lines and the errors of the others; an external id once per LVV."""
    today = timezone.localdate()
    lines: list[ImportLine] = []
    errors: list[LineError] = []
    first_line_of: dict[tuple[str, str], int] = {}
    for number, obj in parsed:
        line, line_errors = validate_line(number, obj, locations=locations, today=today)
        errors.extend(line_errors)
        if line is None:
            continue
        key = (line.lvv, line.external_id)
        if key in first_line_of:
            errors.append(LineError(number, "external_id", str(EXTERNAL_ID_REPEATED % {"line": first_line_of[key]})))
            continue
        first_line_of[key] = number
        lines.append(line)
    return lines, errors


class _Checker:
    """Collects the errors of one line."""

    def __init__(self, number: int):
        self.number = number
        self.errors: list[LineError] = []

    def error(self, field_name: str, message) -> None:
        self.errors.append(LineError(self.number, field_name, str(message)))


def validate_line(number: int, obj: Any, *, locations: dict[str, Location], today: datetime.date):
    """Check one parsed line: its fields (``cases.import_format``), then the rules across its
    events (also when other fields are wrong, if the events are valid); returns (ImportLine
    or None, errors)."""
    check = _Checker(number)
    if not isinstance(obj, dict):
        check.error("", NOT_AN_OBJECT)
        return None, check.errors
    reading = _format(obj.get("schema")).read(obj, {"today": today, "locations": locations})
    for path, message in reading.errors:
        check.error(path, message)
    if reading.events is None:
        return None, check.errors
    events = [
        Event(index, model.type, model.date, import_format.event_values(model))
        for index, model in enumerate(reading.events)
    ]
    _validate_sequence(check, events, reading.within_covenant)
    if check.errors:
        return None, check.errors
    line = reading.line
    return ImportLine(
        number=number,
        schema=line.schema_,
        external_id=line.external_id,
        lvv=line.lvv,
        within_covenant=line.within_covenant,
        person=dict(line.person.__dict__),
        case_types=line.case_types or [],
        prior_departure_procedures=line.prior_departure_procedures,
        events=events,
    ), []


def _outside_the_table(check: _Checker, event: Event) -> bool | None:
    """Whether ``event`` is no step of the transition table (True: go on, False: an error was
    added), or None for a step: ``registered`` opens the case (only as the first event); a
    later version's event has its own rules (``_extension_errors``)."""
    if event.type in extension_of:
        return True
    if event.type != "registered":
        return None
    if event.index != 0:
        check.error(f"events[{event.index}].type", REGISTERED_NOT_FIRST)
        return False
    return True


def _validate_sequence(check: _Checker, events: list[Event], within_covenant: bool) -> None:
    """Dates in order, the contract's rules, then the transition table (as the services will)."""
    state = workflow.State.REGISTERED
    admitted = None
    delivered: set[str] = set()
    previous = None
    for event in events:
        prefix = f"events[{event.index}]"
        if previous is not None and event.date < previous.date:
            check.error(f"{prefix}.date", DATE_ORDER % {"date": previous.date.isoformat()})
            return
        if previous is not None and previous.type in TERMINAL_EVENTS:
            check.error(f"{prefix}.type", AFTER_END % {"type": previous.type})
            return
        previous = event
        outside = _outside_the_table(check, event)
        if outside is not None:
            if not outside:
                return
            continue
        if event.type == "shelter_started" and admitted is None:
            check.error(f"{prefix}.type", SHELTER_NEEDS_ADMITTED)
            return
        if event.type == "outflow" and admitted is None:
            check.error(f"{prefix}.type", OUTFLOW_NEEDS_ADMITTED)
            return
        if event.type == "dossier_delivered":
            kind = event.values["by"]
            if kind in delivered:
                check.error(f"{prefix}.by", DOSSIER_PART_TWICE)
                return
            delivered.add(kind)
        name = step_name(event.type, event.values)
        try:
            step = workflow.check_step(name, state)
        except workflow.StepNotAllowed as exc:
            check.error(f"{prefix}.type", str(exc))
            return
        if event.type == "admitted":
            admitted = event
            if not within_covenant and not event.values["exception"]:
                check.error(f"{prefix}.exception", EXCEPTION_REQUIRED)
            if within_covenant and event.values["exception"]:
                check.error(f"{prefix}.exception", EXCEPTION_WITHIN_COVENANT)
        # admit with waitlist_when_full=False always leads to "admitted".
        state = step.target or state
    if not within_covenant and admitted is None:
        check.error("within_covenant", OUTSIDE_COVENANT_NOT_ADMITTED)
    _extension_errors(check, events)


def _extension_errors(check: _Checker, events: list) -> None:
    """The rules of the later versions whose events the line holds (the first fault)."""
    used = {extension_of[event.type].schema for event in events if event.type in extension_of}
    for name in sorted(used):
        fault = _extensions[name].check(events)
        if fault is not None:
            event, field_name, message = fault
            check.error(f"events[{event.index}].{field_name}" if field_name else f"events[{event.index}]", message)
            return


@dataclass
class Event:
    index: int
    type: str
    date: datetime.date
    values: dict[str, Any]  # the type's extra fields, defaults filled in

    def canonical(self) -> dict:
        return {"type": self.type, "date": self.date.isoformat(), **self.values}


@dataclass
class ImportLine:
    number: int
    schema: str
    external_id: str
    lvv: str
    within_covenant: bool
    person: dict[str, Any]
    case_types: list[str]
    prior_departure_procedures: int | None
    events: list[Event]

    def canonical_head(self) -> dict:
        """The line without its events, defaults filled in (what "same content" compares).
        The content, whichever version wrote it: a version 1 line and the same line marked
        version 2 are the same (``schema`` stays ``lvv-case/1`` here)."""
        person = {**self.person, "birth_date": _iso(self.person["birth_date"])}
        return {
            "schema": SCHEMA,
            "external_id": self.external_id,
            "lvv": self.lvv,
            "within_covenant": self.within_covenant,
            "person": person,
            "case_types": sorted(self.case_types),
            "prior_departure_procedures": self.prior_departure_procedures,
        }

    @property
    def hash(self) -> str:
        return _hash({**self.canonical_head(), "events": [e.canonical() for e in self.events]})

    @property
    def head_hash(self) -> str:
        return _hash(self.canonical_head())

    def events_hash(self, count: int) -> str:
        return _hash([e.canonical() for e in self.events[:count]])

    def fingerprint(self) -> dict:
        """What the access log keeps of the line: hashes only, no personal data (``hash``,
        ``head_hash`` and ``events_hash`` of all events, each canonical form made once)."""
        head, events = self.canonical_head(), [e.canonical() for e in self.events]
        return {
            "schema": self.schema,
            "line": self.number,
            "hash": _hash({**head, "events": events}),
            "head": _hash(head),
            "events": len(self.events),
            "events_hash": _hash(events),
        }


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def _hash(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- The one-place rule (contracts/case-import.md) -----------------------------------------------


# A stay: the first day of shelter, the outflow's day (None: open), the index of the shelter event.
Stay = tuple[datetime.date, datetime.date | None, int]


def shelter_interval(line: ImportLine) -> Stay | None:
    """The line's stay: the first ``shelter_started`` date, the outflow date (None: open)
    and the index of the shelter event; None without shelter."""
    start = next((e for e in line.events if e.type == "shelter_started"), None)
    if start is None:
        return None
    end = next((e.date for e in line.events if e.type == "outflow"), None)
    return start.date, end, start.index


def _person_key(line: ImportLine) -> tuple | None:
    """The same person as the contract defines it: the V-number, or with none the name and
    birth date within one LVV."""
    p = line.person
    if p["v_number"]:
        return ("v", p["v_number"])
    if p["birth_date"]:
        return ("id", line.lvv, p["family_name"], p["given_names"], p["birth_date"])
    return None


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    """Inclusive intervals (an outflow's day is still the person's place); None is open."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


class _PlaceOverlaps:
    """The one-place rule's errors: one per line at most (the first overlap found), given in
    line order."""

    def __init__(self) -> None:
        self.errors: list[LineError] = []
        self.flagged: set[int] = set()

    def add(self, line: ImportLine, stay: Stay, other_name: str | None) -> None:
        if line.number in self.flagged:
            return
        self.flagged.add(line.number)
        values = {"this": line.external_id, "other": other_name}
        message = PLACE_OVERLAP % values if other_name else PLACE_OVERLAP_HIDDEN % values
        self.errors.append(LineError(line.number, f"events[{stay[2]}].date", str(message)))

    def in_order(self) -> list[LineError]:
        return sorted(self.errors, key=lambda e: e.line or 0)


def _stays_by_person(lines: list[ImportLine]) -> dict[tuple, list[tuple[ImportLine, Stay]]]:
    """The lines with a stay, grouped by person (``_person_key``)."""
    by_key: dict[tuple, list[tuple[ImportLine, Stay]]] = {}
    for line in lines:
        stay, key = shelter_interval(line), _person_key(line)
        if stay is not None and key is not None:
            by_key.setdefault(key, []).append((line, stay))
    return by_key


def _stored_stays(by_key: dict[tuple, list], locations: dict[str, Location]) -> list[Case]:
    """The stored cases with a stay of one of the file's persons, the cases the file itself
    brings again left out (one query)."""
    in_file = {(locations[line.lvv].pk, line.external_id) for entries in by_key.values() for line, _stay in entries}
    condition = Q(person__v_number__in={key[1] for key in by_key if key[0] == "v"})
    for _kind, lvv, family, given, birth in (key for key in by_key if key[0] == "id"):
        condition |= Q(
            location=locations[lvv].pk,
            person__v_number__isnull=True,
            person__family_name=family,
            person__given_names=given,
            person__birth_date=birth,
        )
    stored = Case.objects.filter(condition, shelter_started_on__isnull=False).select_related("person", "location")
    return [case for case in stored if (case.location_id, case.external_id) not in in_file]


def _stored_key(case: Case) -> tuple:
    p = case.person
    return ("v", p.v_number) if p.v_number else ("id", case.location.slug, p.family_name, p.given_names, p.birth_date)


def one_place_errors(lines: list[ImportLine], *, acting_user, locations: dict[str, Location]) -> list[LineError]:
    """Lines whose shelter overlaps the same person's shelter in another line of the file
    or in a stored case. The other case is named by its external id where the importing
    user may see it (a line of the file always); otherwise without a name."""
    by_key = _stays_by_person(lines)
    if not by_key:
        return []
    overlaps = _PlaceOverlaps()
    for entries in by_key.values():
        for i, (a, a_stay) in enumerate(entries):
            for b, b_stay in entries[i + 1 :]:
                if _overlap(a_stay[0], a_stay[1], b_stay[0], b_stay[1]):
                    overlaps.add(b, b_stay, a.external_id)
                    overlaps.add(a, a_stay, b.external_id)
    candidates = _stored_stays(by_key, locations)
    if candidates:
        visible = set(
            Case.objects.visible_to(acting_user).filter(pk__in=[c.pk for c in candidates]).values_list("pk", flat=True)
        )
        for case in candidates:
            for line, stay in by_key.get(_stored_key(case), []):
                if _overlap(stay[0], stay[1], case.shelter_started_on, case.closed_on):
                    overlaps.add(line, stay, case.reference if case.pk in visible else None)
    return overlaps.in_order()
