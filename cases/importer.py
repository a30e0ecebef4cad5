"""The case import, schema ``lvv-case/1`` (shared contract ``contracts/case-import.md``).

Two phases:

1. **Validate** every line against every rule of the contract, without touching the
   trajectory: first its fields (types, choices, lengths, dates), declared as pydantic
   models in ``cases.import_format``; then the rules across them: the order of the events
   and the steps of the transition table in ``cases.workflow``, the covenant, a later
   version's own rules, one place per person. Errors name the line, the field
   (``person.v_number``, ``events[3].date``; event indexes count from 0) and the reason.
2. **Apply** the whole file in one transaction. A line that opens a new case is applied in
   memory and written in bulk (``cases.import_bulk``, ADR 0024): the services' rules, and
   the records, timeline, access-log rows and deadlines that a case worker's steps through
   ``cases.services`` would produce (a test builds the same cases both ways and compares
   every row). A line of an existing case (skipped, or ``update``) goes through the services
   one event at a time, as does everything with ``bulk=False``. One bad line (in either
   phase) rolls everything back.

Idempotency: each imported case gets an access-log row whose ``detail["import"]`` holds the
hash of the line's canonical JSON (plus the hash of its non-event part and of its events,
for ``--update``). The latest such row of a case is its imported state. The access log is
append-only, so the import history of a case cannot be rewritten. Same content: skipped. Other content: an error, unless
``update``; then only added events are accepted (the earlier line, without its events, is
unchanged and its events are the first events of the new line) and applied to the case.

Persons: the same V-number is the same person (``register_person_and_case`` links it);
without V-number, the same family name, given names and birth date within one LVV (lines
without a birth date are never merged). A step the importing user's role may not take
(dossier delivery is the IND's or the DT&V's; confirming an outflow a chain partner's) is
taken as ``policy.SYSTEM``, and the access log records that this user's import did it.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import import_format, services, workflow
from cases.import_format import (  # the fields' messages, shared with the callers and the tests (``__all__``)
    CONTROL_CHARACTER,
    COUNTRY_INVALID,
    COUNTRY_REQUIRED,
    DATE_IN_FUTURE,
    DUPLICATE_CASE_TYPE,
    EVENT_TYPES,
    EVENTS_EMPTY,
    EXTERNAL_ID_LENGTH,
    INVALID_CHOICE,
    NOT_A_COUNT,
    NOT_A_DATE,
    NOT_A_LIST,
    NOT_AN_OBJECT_FIELD,
    NOT_BOOLEAN,
    NOT_EMPTY,
    NOT_TEXT,
    REASON_WITHOUT_EXCEPTION,
    REQUIRED,
    SCHEMA,
    TOO_LONG,
    UNKNOWN_FIELD,
    UNKNOWN_LVV,
    VERIFIED_NOT_DURABLE,
    WRONG_SCHEMA,
    WRONG_SCHEMA_ONE_OF,
    EventField,
)
from cases.models import Case, Person
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.audit.models import AccessLogEntry
from lvv.partners.models import Location

# Stored on the case as data (not UI text), so it does not follow the request's language.
DEFAULT_EXCEPTION_REASON = "Uitzondering (geïmporteerd)"
MAX_ERRORS = 1000
LOCK_NAMESPACE = 7_412_001  # pg_advisory_xact_lock(namespace, location id): one import per LVV at a time

# --- Messages (shared with the tests) -------------------------------------------------------
EMPTY_FILE = _("Het bestand bevat geen regels.")
TOO_MANY_ERRORS = _("Meer dan %(max)s fouten; de controle is gestopt.")
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
CASE_CHANGED = _(
    "Deze LVV heeft al een casus met dit externe kenmerk, met een andere inhoud. "
    "Bijwerken (alleen nieuwe gebeurtenissen toevoegen) kan met --update of ?update=1."
)
UPDATE_NOT_PREFIX = _(
    "Bijwerken kan alleen door gebeurtenissen toe te voegen: de eerder geïmporteerde regel moet, "
    "op de gebeurtenissen na, gelijk zijn en al zijn gebeurtenissen moeten aan het begin van deze regel staan."
)
CASE_NOT_IMPORTED = _("Deze LVV heeft al een casus met dit externe kenmerk die niet met een import is vastgelegd.")
PLACE_OVERLAP = _(
    "De opvang van deze persoon in %(this)s overlapt met die in %(other)s; een persoon heeft één plek tegelijk "
    "(een verhuizing start op de dag na de uitstroom)."
)
PLACE_OVERLAP_HIDDEN = _(
    "De opvang van deze persoon in %(this)s overlapt met een opvangplek elders; een persoon heeft één plek tegelijk."
)
CONFLICT = _("Deze regel botst met gegevens die al bestaan (bijvoorbeeld een V-nummer of een extern kenmerk).")
FORBIDDEN_LVV = _("U mag geen casussen importeren voor LVV “%(lvv)s”.")
IMPORT_NOT_ALLOWED = _("U mag geen casussen importeren.")

TERMINAL_EVENTS = ("outflow", "rejected")
# The services' own message, where the import finds the same fault before calling them.
DOSSIER_PART_TWICE = services.DOSSIER_ALREADY_DELIVERED


# --- Entry point ------------------------------------------------------------------------------


def run_import(
    data: bytes, *, acting_user, origin: Origin, dry_run: bool = False, update: bool = False, bulk: bool = True
) -> Summary:
    """Validate and apply a JSON Lines file. Raises ``ImportForbidden`` (an LVV the user may
    not import for) or ``ImportInvalid`` (with every error found; nothing was written).
    ``bulk=False``: every line through the services, one event at a time (the reference
    the bulk path is proven against, docs/adr/0024-bulk-import.md)."""
    with _without_cyclic_gc():
        return _run_import(data, acting_user=acting_user, origin=origin, dry_run=dry_run, update=update, bulk=bulk)


@contextlib.contextmanager
def _without_cyclic_gc():
    """An import makes and keeps millions of small objects (the parsed file, its lines and
    events, the rows): Python's cyclic garbage collector would scan them again and again,
    for nothing (they hold no cycles; reference counting frees them). Nearly half the time
    of a large file went there."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_import(data: bytes, *, acting_user, origin: Origin, dry_run: bool, update: bool, bulk: bool) -> Summary:
    parsed, errors = read_lines(data)
    editable = {location.slug: location for location in policy.editable_locations(acting_user)}
    if not policy.is_system(acting_user):
        named = [obj["lvv"] for _number, obj in parsed if isinstance(obj, dict) and isinstance(obj.get("lvv"), str)]
        forbidden = [slug for slug in named if slug not in editable]
        if forbidden:
            raise ImportForbidden(str(FORBIDDEN_LVV % {"lvv": forbidden[0]}), forbidden[0])
        if not editable:
            raise ImportForbidden(str(IMPORT_NOT_ALLOWED))
    if not parsed and not errors:
        raise ImportInvalid([LineError(None, "", str(EMPTY_FILE))])
    lines, line_errors = validate(parsed, locations=editable)
    errors = sorted(errors + line_errors, key=lambda e: e.line or 0)
    if not errors:
        errors = one_place_errors(lines, acting_user=acting_user, locations=editable)
    if errors:
        raise ImportInvalid(_capped(errors))

    summary = Summary(lines=len(parsed), dry_run=dry_run)
    applier = _Applier(acting_user=acting_user, origin=origin, update=update, locations=editable, bulk=bulk)
    with transaction.atomic():
        errors = applier.run(lines, summary)
        if errors or dry_run:
            transaction.set_rollback(True)  # all or nothing; a dry run found the services' errors too
    if errors:
        raise ImportInvalid(_capped(errors))
    return summary


def _capped(errors: list[LineError]) -> list[LineError]:
    if len(errors) <= MAX_ERRORS:
        return errors
    return [*errors[:MAX_ERRORS], LineError(None, "", str(TOO_MANY_ERRORS % {"max": MAX_ERRORS}))]


def log_refusal(*, acting_user, origin: Origin, result: str, detail: dict) -> None:
    """An import that did not pass (forbidden LVV, invalid file), in the access log."""
    record(
        actor=acting_user,
        action=AccessAction.CREATE,
        result=result,
        origin=origin,
        object_type=Case._meta.label_lower,
        detail={"import_refused": detail},
    )


# --- Results ----------------------------------------------------------------------------------


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


class ImportForbidden(Exception):
    """The user may not import for an LVV the file names (or at all)."""

    def __init__(self, message: str, lvv: str = ""):
        self.message = message
        self.lvv = lvv
        super().__init__(message)


@dataclass
class Summary:
    lines: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    dry_run: bool = False
    per_lvv: dict[str, Counter] = field(default_factory=dict)

    def count(self, lvv: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.per_lvv.setdefault(lvv, Counter())[outcome] += 1

    def as_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "dry_run": self.dry_run,
            "lines": self.lines,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "per_lvv": {
                slug: {key: counts[key] for key in ("lines", "created", "updated", "skipped")}
                for slug, counts in sorted(self.per_lvv.items())
            },
        }


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
_extension_of: dict[str, Extension] = {}


def register_extension(extension: Extension) -> Extension:
    """Add the event types of a later version (call from an ``AppConfig.ready``)."""
    _extensions[extension.schema] = extension
    for type_ in extension.fields:
        _extension_of[type_] = extension
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
    if event.type in _extension_of:
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
    used = {_extension_of[event.type].schema for event in events if event.type in _extension_of}
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


# --- Phase 2: applying ------------------------------------------------------------------------

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


class _LineFailed(Exception):
    def __init__(self, errors: list[LineError]):
        self.errors = errors


def _service_errors(number: int, exc: Exception, *, event: Event | None) -> list[LineError]:
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


_SERVICE_ERRORS = (
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


class _Applier:
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
            except _LineFailed as failed:
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
        return all(e.type not in _extension_of or _extension_of[e.type].build is not None for e in line.events)

    def _line(self, line: ImportLine, location: Location, case: Case | None, previous: _Imported | None) -> str:
        if case is not None:
            if previous is None:
                raise _LineFailed([LineError(line.number, "external_id", str(CASE_NOT_IMPORTED))])
            if previous.hash == line.hash:
                return "skipped"
            if not self.update:
                raise _LineFailed([LineError(line.number, "external_id", str(CASE_CHANGED))])
            if not (
                previous.head == line.head_hash
                and previous.events < len(line.events)
                and line.events_hash(previous.events) == previous.events_hash
            ):
                raise _LineFailed([LineError(line.number, "events", str(UPDATE_NOT_PREFIX))])
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
        except _SERVICE_ERRORS as exc:
            raise _LineFailed(_service_errors(line.number, exc, event=None)) from None
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
        if event.type in _extension_of:
            return self._apply_extension(line, case, event)
        try:
            step = step_name(event.type, event.values)
            arguments = service_arguments(event)
            if event.type == "shelter_started":  # the stay as the history gives it (one place per person)
                arguments["place_until"] = shelter_interval(line)[1]
            case = self._call(SERVICES[event.type], step, case, on=event.date, **arguments)
            if event.type == "outflow" and event.values["verified"]:
                case = self._confirm(case, event.date)
        except _SERVICE_ERRORS as exc:
            raise _LineFailed(_service_errors(line.number, exc, event=event)) from None
        return case

    def _apply_extension(self, line: ImportLine, case: Case, event: Event) -> Case:
        """An event of a later version, through its app's services; as the system when the
        user's role may not take it (an IND decision, a DT&V plan), logged as this import's."""
        extension = _extension_of[event.type]
        actor = self.user if policy.is_system(self.user) or extension.may(self.user, event) else policy.SYSTEM
        try:
            extension.apply(acting_user=actor, origin=self.origin, case=case, event=event)
        except _SERVICE_ERRORS as exc:
            raise _LineFailed(_service_errors(line.number, exc, event=event)) from None
        if actor is not self.user:
            self._log_done_as_system(case, event.type)
        return case

    def _confirm(self, case: Case, on: datetime.date) -> Case:
        """A verified outflow is confirmed by the chain partner; the import does it as the system."""
        case = services.confirm_outflow(acting_user=policy.SYSTEM, origin=self.origin, case=case, on=on)
        if not policy.is_system(self.user):
            self._log_done_as_system(case, "confirm_outflow")
        return case


__all__ = [
    "SCHEMA",
    "ImportForbidden",
    "ImportInvalid",
    "LineError",
    "Summary",
    "log_refusal",
    "run_import",
    # The format (``cases.import_format``), for the later versions and the tests.
    "EVENT_TYPES",
    "EventField",
    "COUNTRY_INVALID",
    "COUNTRY_REQUIRED",
    "CONTROL_CHARACTER",
    "DATE_IN_FUTURE",
    "DUPLICATE_CASE_TYPE",
    "EVENTS_EMPTY",
    "EXTERNAL_ID_LENGTH",
    "INVALID_CHOICE",
    "NOT_A_COUNT",
    "NOT_A_DATE",
    "NOT_A_LIST",
    "NOT_AN_OBJECT_FIELD",
    "NOT_BOOLEAN",
    "NOT_EMPTY",
    "NOT_TEXT",
    "REASON_WITHOUT_EXCEPTION",
    "REQUIRED",
    "TOO_LONG",
    "UNKNOWN_FIELD",
    "UNKNOWN_LVV",
    "VERIFIED_NOT_DURABLE",
]
