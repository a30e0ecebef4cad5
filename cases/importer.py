"""The case import, schema ``lvv-case/1`` (shared contract ``contracts/case-import.md``).

Two phases:

1. **Validate** every line against every rule of the contract, without touching the
   trajectory: field types and values, the order of the events and the steps of the
   transition table in ``cases.workflow``. Errors name the line, the field
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
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases import services, workflow
from cases.models import (
    BIRTH_DATE_FUTURE,
    DURABLE_CATEGORIES,
    V_NUMBER_INVALID,
    Case,
    CaseType,
    CooperationResult,
    Direction,
    DossierPartKind,
    ExceptionGround,
    OutflowCategory,
    Person,
    Sex,
)
from lvv import text
from lvv.access import policy
from lvv.audit.log import Action, Origin, record
from lvv.audit.models import AccessLogEntry
from lvv.params import within_date_range
from lvv.partners.models import Location

SCHEMA = "lvv-case/1"
# Stored on the case as data (not UI text), so it does not follow the request's language.
DEFAULT_EXCEPTION_REASON = "Uitzondering (geïmporteerd)"
MAX_ERRORS = 1000
MAX_PRIOR_PROCEDURES = 2_147_483_647  # PositiveIntegerField
NAME_MAX_LENGTH = Person._meta.get_field("family_name").max_length
TEXT_MAX = text.TEXT_MAX  # a reason in an event, as on the pages and in the API
EXTERNAL_ID_MAX_LENGTH = Case._meta.get_field("external_id").max_length
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
REQUIRED = _("Dit veld ontbreekt.")
UNKNOWN_FIELD = _("Onbekend veld (schema lvv-case/1).")
WRONG_SCHEMA = _("Het schema moet precies “lvv-case/1” zijn.")
NOT_TEXT = _("Geef een tekst.")
NOT_EMPTY = _("Dit veld mag niet leeg zijn.")
CONTROL_CHARACTER = _("Dit veld bevat een ongeldig teken (een stuurteken).")
TOO_LONG = _("Maximaal %(max)s tekens.")
EXTERNAL_ID_LENGTH = _("Het externe kenmerk is 1 tot 64 tekens lang.")
EXTERNAL_ID_REPEATED = _("Dit externe kenmerk komt in deze LVV al voor op regel %(line)s.")
UNKNOWN_LVV = _("Er is geen LVV met deze code.")
NOT_BOOLEAN = _("Geef true of false.")
NOT_AN_OBJECT_FIELD = _("Geef een JSON-object.")
NOT_A_DATE = _("Geef een datum als JJJJ-MM-DD.")
INVALID_CHOICE = _("Kies uit: %(choices)s.")
COUNTRY_INVALID = _("Geef een landcode volgens ISO 3166-1 alpha-2, in hoofdletters (zoals ER).")
NOT_A_LIST = _("Geef een lijst.")
DUPLICATE_CASE_TYPE = _("Dit casustype staat al eerder in de lijst.")
NOT_A_COUNT = _("Geef een geheel getal van 0 of meer.")
EVENTS_EMPTY = _("Geef minstens één gebeurtenis.")
DATE_ORDER = _("Deze datum ligt vóór die van de vorige gebeurtenis (%(date)s).")
REGISTERED_NOT_FIRST = _("“registered” kan alleen de eerste gebeurtenis zijn.")
AFTER_END = _("Na “%(type)s” kan geen gebeurtenis meer volgen.")
SHELTER_NEEDS_ADMITTED = _("“shelter_started” vraagt een eerdere of gelijktijdige “admitted”.")
OUTFLOW_NEEDS_ADMITTED = _("“outflow” kan alleen na “admitted”.")
VERIFIED_NOT_DURABLE = _(
    "Alleen een bestendige uitstroom (departure_origin, onward_migration, residence_granted) "
    "wordt door de IND of de DT&V bevestigd."
)
EXCEPTION_REQUIRED = _(
    "Bij within_covenant: false hoort een uitzondering bij “admitted” (exception: humanitarian of public_order)."
)
EXCEPTION_WITHIN_COVENANT = _(
    "Een uitzondering betekent toegelaten buiten het convenant: geef dan ook within_covenant: false."
)
OUTSIDE_COVENANT_NOT_ADMITTED = _(
    "within_covenant: false betekent toegelaten als uitzondering, maar deze regel heeft geen “admitted”."
)
REASON_WITHOUT_EXCEPTION = _("Een reden van uitzondering hoort alleen bij een uitzondering.")
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

# --- The format -------------------------------------------------------------------------------
TOP_FIELDS = (
    "schema",
    "external_id",
    "lvv",
    "within_covenant",
    "person",
    "case_types",
    "prior_departure_procedures",
    "events",
)
PERSON_FIELDS = ("v_number", "family_name", "given_names", "birth_date", "sex", "nationality")
OUTCOMES = ("no_durable_solution_possible",)
COUNTRY_CODES = frozenset(code for code, _name in countries)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_V_NUMBER_RE = re.compile(r"[0-9]{10}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # none in names and ids; free text may hold line breaks
# The services' own messages, where the import finds the same fault before calling them.
DATE_IN_FUTURE = services.DATE_IN_FUTURE
COUNTRY_REQUIRED = services.COUNTRY_REQUIRED
DOSSIER_PART_TWICE = services.DOSSIER_ALREADY_DELIVERED


@dataclass(frozen=True)
class EventField:
    name: str
    choices: tuple[str, ...] | None = None  # None: free text (or a country / a bool, see kind)
    required: bool = False
    kind: str = "choice"  # choice | text | country | bool


EVENT_TYPES: dict[str, tuple[EventField, ...]] = {
    "registered": (),
    "admitted": (
        EventField("exception", tuple(ExceptionGround.values)),
        # Not in the contract's table: an optional reason for the exception (else a fixed text).
        EventField("exception_reason", kind="text"),
    ),
    "rejected": (EventField("reason", kind="text", required=True),),
    "waitlisted": (),
    "shelter_started": (),
    "dossier_delivered": (EventField("by", tuple(DossierPartKind.values), required=True),),
    "scenario_set": (EventField("direction", tuple(Direction.values), required=True),),
    "cooperation_checked": (EventField("result", tuple(CooperationResult.values), required=True),),
    "mrt_discussed": (EventField("outcome", OUTCOMES),),
    "outflow": (
        EventField("category", tuple(OutflowCategory.values), required=True),
        EventField("country", kind="country"),
        EventField("verified", kind="bool"),
    ),
}
TERMINAL_EVENTS = ("outflow", "rejected")
DEPARTURES = ("departure_origin", "onward_migration")


# --- Later versions: event types of higher apps (lvv-case/2) ------------------------------------
# A later version of the format adds event types whose records belong to a higher app
# (version 2: the procedures app's applications and departure plans). The importer knows
# them only through this registry, which that app fills in its AppConfig.ready (ADR 0009).
# A line names its version: a version 1 line may hold only the version 1 types, a version 2
# line those and the types version 2 adds. The version 1 rules hold for every event (dates
# in order, nothing after an outflow or a rejection); an extension adds its own rules
# (``check``) and writes through its app's services (``apply``).
WRONG_SCHEMA_ONE_OF = _("Het schema moet een van deze zijn: %(schemas)s.")


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


def _extension_errors(check: _Checker, events: list) -> None:
    """The rules of the later versions whose events the line holds (the first fault)."""
    used = {_extension_of[event.type].schema for event in events if event.type in _extension_of}
    for name in sorted(used):
        fault = _extensions[name].check(events)
        if fault is not None:
            event, field_name, message = fault
            check.error(f"events[{event.index}].{field_name}" if field_name else f"events[{event.index}]", message)
            return


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


# --- Phase 1: reading and validating ----------------------------------------------------------


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


class _Checker:
    """Collects the errors of one line."""

    def __init__(self, number: int, today: datetime.date):
        self.number = number
        self.today = today
        self.errors: list[LineError] = []

    def error(self, field_name: str, message) -> None:
        self.errors.append(LineError(self.number, field_name, str(message)))

    def unknown(self, obj: dict, allowed, prefix: str = "") -> None:
        for key in obj:
            if key not in allowed:
                self.error(f"{prefix}{key}", UNKNOWN_FIELD)

    def text(
        self, obj: dict, key: str, path: str, *, required: bool, max_length: int | None = None, one_line: bool = False
    ) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.error(path, REQUIRED)
            return None
        if not isinstance(value, str):
            self.error(path, NOT_TEXT)
            return None
        if "\x00" in value or (one_line and _CONTROL_RE.search(value)):
            self.error(path, CONTROL_CHARACTER)
            return None
        value = value.strip()
        if not value:
            if required:
                self.error(path, NOT_EMPTY)
            return None
        if max_length and len(value) > max_length:
            self.error(path, TOO_LONG % {"max": max_length})
            return None
        return value

    def choice(self, obj: dict, key: str, path: str, choices, *, required: bool) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.error(path, REQUIRED)
            return None
        if not isinstance(value, str) or value not in choices:
            self.error(path, INVALID_CHOICE % {"choices": ", ".join(choices)})
            return None
        return value

    def boolean(self, obj: dict, key: str, path: str, default: bool) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, NOT_BOOLEAN)
            return default
        return value

    def date(self, obj: dict, key: str, path: str, *, required: bool, future_message=DATE_IN_FUTURE):
        value = obj.get(key)
        if value is None:
            if required:
                self.error(path, REQUIRED)
            return None
        try:
            if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
                raise ValueError
            day = datetime.date.fromisoformat(value)
        except ValueError:
            self.error(path, NOT_A_DATE)
            return None
        if day > self.today:
            self.error(path, future_message)
            return None
        return day

    def any_date(self, obj: dict, key: str, path: str, *, required: bool) -> str | None:
        """An ISO date from 2000 to 2099, in the past or ahead, returned as its text."""
        value = obj.get(key)
        if value is None:
            if required:
                self.error(path, REQUIRED)
            return None
        try:
            if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
                raise ValueError
            within_date_range(datetime.date.fromisoformat(value))
        except ValueError:
            self.error(path, NOT_A_DATE)
            return None
        except ValidationError as error:
            self.error(path, error.messages[0])
            return None
        return value

    def country(self, obj: dict, key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in COUNTRY_CODES:
            self.error(path, COUNTRY_INVALID)
            return None
        return value


def validate_line(number: int, obj: Any, *, locations: dict[str, Location], today: datetime.date):
    """Check one parsed line; returns (ImportLine or None, errors)."""
    check = _Checker(number, today)
    if not isinstance(obj, dict):
        check.error("", NOT_AN_OBJECT)
        return None, check.errors
    check.unknown(obj, TOP_FIELDS)

    schema = obj.get("schema")
    if "schema" not in obj:
        check.error("schema", REQUIRED)
    elif schema not in schemas():
        check.error("schema", wrong_schema())

    external_id = obj.get("external_id")
    if external_id is None:
        check.error("external_id", REQUIRED)
    elif not isinstance(external_id, str):
        check.error("external_id", NOT_TEXT)
    elif not external_id.strip() or len(external_id) > EXTERNAL_ID_MAX_LENGTH:
        check.error("external_id", EXTERNAL_ID_LENGTH)
    elif _CONTROL_RE.search(external_id):
        check.error("external_id", CONTROL_CHARACTER)

    lvv = obj.get("lvv")
    if lvv is None:
        check.error("lvv", REQUIRED)
    elif not isinstance(lvv, str):
        check.error("lvv", NOT_TEXT)
    elif lvv not in locations:
        check.error("lvv", UNKNOWN_LVV)

    within_covenant = check.boolean(obj, "within_covenant", "within_covenant", True)
    person = _validate_person(check, obj.get("person"))
    case_types = _validate_case_types(check, obj.get("case_types"))

    prior = obj.get("prior_departure_procedures")
    if prior is not None and (
        isinstance(prior, bool) or not isinstance(prior, int) or not 0 <= prior <= MAX_PRIOR_PROCEDURES
    ):
        check.error("prior_departure_procedures", NOT_A_COUNT)
        prior = None

    # An unknown version: the events as the latest known one reads them (one error, on the schema).
    version = schema if schema in schemas() else schemas()[-1]
    events = _validate_events(check, obj.get("events"), within_covenant, version)
    if check.errors:
        return None, check.errors
    line = ImportLine(
        number=number,
        schema=schema,
        external_id=external_id,
        lvv=lvv,
        within_covenant=within_covenant,
        person=person,
        case_types=case_types,
        prior_departure_procedures=prior,
        events=events,
    )
    return line, []


def _validate_person(check: _Checker, person) -> dict:
    if person is None:
        check.error("person", REQUIRED)
        return {}
    if not isinstance(person, dict):
        check.error("person", NOT_AN_OBJECT_FIELD)
        return {}
    check.unknown(person, PERSON_FIELDS, "person.")
    v_number = person.get("v_number")
    if v_number is not None and not (isinstance(v_number, str) and _V_NUMBER_RE.fullmatch(v_number)):
        check.error("person.v_number", V_NUMBER_INVALID)
        v_number = None
    return {
        "v_number": v_number,
        "family_name": check.text(
            person, "family_name", "person.family_name", required=True, max_length=NAME_MAX_LENGTH, one_line=True
        ),
        "given_names": check.text(
            person, "given_names", "person.given_names", required=True, max_length=NAME_MAX_LENGTH, one_line=True
        ),
        "birth_date": check.date(
            person, "birth_date", "person.birth_date", required=False, future_message=BIRTH_DATE_FUTURE
        ),
        "sex": check.choice(person, "sex", "person.sex", tuple(Sex.values), required=False),
        "nationality": check.country(person, "nationality", "person.nationality"),
    }


def _validate_case_types(check: _Checker, case_types) -> list[str]:
    if case_types is None:
        return []
    if not isinstance(case_types, list):
        check.error("case_types", NOT_A_LIST)
        return []
    seen: list[str] = []
    for index, value in enumerate(case_types):
        path = f"case_types[{index}]"
        if not isinstance(value, str) or value not in CaseType.values:
            check.error(path, INVALID_CHOICE % {"choices": ", ".join(CaseType.values)})
        elif value in seen:
            check.error(path, DUPLICATE_CASE_TYPE)
        else:
            seen.append(value)
    return seen


def _validate_events(check: _Checker, events, within_covenant: bool, schema: str = SCHEMA) -> list[Event]:
    if events is None:
        check.error("events", REQUIRED)
        return []
    if not isinstance(events, list):
        check.error("events", NOT_A_LIST)
        return []
    if not events:
        check.error("events", EVENTS_EMPTY)
        return []
    parsed: list[Event] = []
    for index, raw in enumerate(events):
        event = _validate_event(check, index, raw, event_types(schema))
        if event is not None:
            parsed.append(event)
    if len(parsed) != len(events):
        return parsed  # the sequence rules need every event
    _validate_sequence(check, parsed, within_covenant)
    return parsed


def _validate_event(check: _Checker, index: int, raw, types: dict | None = None) -> Event | None:
    prefix = f"events[{index}]"
    if not isinstance(raw, dict):
        check.error(prefix, NOT_AN_OBJECT_FIELD)
        return None
    errors_before = len(check.errors)
    types = types or EVENT_TYPES
    type_ = check.choice(raw, "type", f"{prefix}.type", tuple(types), required=True)
    day = check.date(raw, "date", f"{prefix}.date", required=True)
    if type_ is None:
        return None
    specs = types[type_]
    check.unknown(raw, ("type", "date", *(spec.name for spec in specs)), f"{prefix}.")
    values: dict[str, Any] = {}
    for spec in specs:
        path = f"{prefix}.{spec.name}"
        if spec.kind == "text":
            values[spec.name] = check.text(raw, spec.name, path, required=spec.required, max_length=TEXT_MAX)
        elif spec.kind == "country":
            values[spec.name] = check.country(raw, spec.name, path)
        elif spec.kind == "bool":
            values[spec.name] = check.boolean(raw, spec.name, path, False)
        elif spec.kind == "date":  # a date that may lie ahead (2000-2099), kept as its ISO text
            values[spec.name] = check.any_date(raw, spec.name, path, required=spec.required)
        else:
            values[spec.name] = check.choice(raw, spec.name, path, spec.choices, required=spec.required)
    if type_ == "outflow" and len(check.errors) == errors_before:
        if values["category"] in DEPARTURES and not values["country"]:
            check.error(f"{prefix}.country", COUNTRY_REQUIRED)
        if values["verified"] and values["category"] not in DURABLE_CATEGORIES:
            check.error(f"{prefix}.verified", VERIFIED_NOT_DURABLE)
    if type_ == "admitted" and values["exception_reason"] and not values["exception"]:
        check.error(f"{prefix}.exception_reason", REASON_WITHOUT_EXCEPTION)
    if len(check.errors) != errors_before:
        return None
    return Event(index=index, type=type_, date=day, values=values)


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


def validate(parsed: list[tuple[int, Any]], *, locations: dict[str, Location]) -> tuple[list[ImportLine], list]:
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


# --- The one-place rule (contracts/case-import.md) -----------------------------------------------


def shelter_interval(line: ImportLine) -> tuple[datetime.date, datetime.date | None, int] | None:
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


def one_place_errors(lines: list[ImportLine], *, acting_user, locations: dict[str, Location]) -> list[LineError]:  # noqa: C901 -- one branch per kind; to be split (issue 15)
    """Lines whose shelter overlaps the same person's shelter in another line of the file
    or in a stored case. The other case is named by its external id where the importing
    user may see it (a line of the file always); otherwise without a name."""
    stays = {}
    for line in lines:
        interval, key = shelter_interval(line), _person_key(line)
        if interval is not None and key is not None:
            stays[line.number] = (line, key, interval)
    if not stays:
        return []
    errors: list[LineError] = []
    flagged: set[int] = set()

    def add(line, interval, other_name: str | None) -> None:
        if line.number in flagged:
            return
        flagged.add(line.number)
        values = {"this": line.external_id, "other": other_name}
        message = PLACE_OVERLAP % values if other_name else PLACE_OVERLAP_HIDDEN % values
        errors.append(LineError(line.number, f"events[{interval[2]}].date", str(message)))

    by_key: dict[tuple, list] = {}
    for line, key, interval in stays.values():
        by_key.setdefault(key, []).append((line, interval))
    for entries in by_key.values():
        for i, (a, ai) in enumerate(entries):
            for b, bi in entries[i + 1 :]:
                if _overlap(ai[0], ai[1], bi[0], bi[1]):
                    add(b, bi, a.external_id)
                    add(a, ai, b.external_id)

    in_file = {(locations[line.lvv].pk, line.external_id) for line, _key, _interval in stays.values()}
    v_numbers = {key[1] for key in by_key if key[0] == "v"}
    identities = [key for key in by_key if key[0] == "id"]
    stored = Case.objects.filter(shelter_started_on__isnull=False).select_related("person", "location")
    condition = Q(person__v_number__in=v_numbers)
    for _kind, lvv, family, given, birth in identities:
        condition |= Q(
            location=locations[lvv].pk,
            person__v_number__isnull=True,
            person__family_name=family,
            person__given_names=given,
            person__birth_date=birth,
        )
    candidates = [case for case in stored.filter(condition) if (case.location_id, case.external_id) not in in_file]
    if not candidates:
        return sorted(errors, key=lambda e: e.line or 0)
    visible = set(
        Case.objects.visible_to(acting_user).filter(pk__in=[c.pk for c in candidates]).values_list("pk", flat=True)
    )
    for case in candidates:
        p = case.person
        key = (
            ("v", p.v_number) if p.v_number else ("id", case.location.slug, p.family_name, p.given_names, p.birth_date)
        )
        for line, interval in by_key.get(key, []):
            if _overlap(interval[0], interval[1], case.shelter_started_on, case.closed_on):
                add(line, interval, case.reference if case.pk in visible else None)
    return sorted(errors, key=lambda e: e.line or 0)


# --- Phase 2: applying ------------------------------------------------------------------------

# Service error keys -> the field of the line they concern.
_EVENT_FIELD_OF = {
    "on": "date",
    "kind": "by",
    "form": "type",
    "route": "direction",
}
_REGISTRATION_FIELD_OF = {
    **{name: f"person.{name}" for name in PERSON_FIELDS},
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
            todo, outcome, action = line.events[previous.events :], "updated", Action.UPDATE
        else:
            todo, outcome, action = line.events, "created", Action.CREATE
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
            action=Action.UPDATE,
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
        action=Action.CREATE,
        result=result,
        origin=origin,
        object_type=Case._meta.label_lower,
        detail={"import_refused": detail},
    )


__all__ = [
    "SCHEMA",
    "ImportForbidden",
    "ImportInvalid",
    "LineError",
    "Summary",
    "log_refusal",
    "run_import",
]
