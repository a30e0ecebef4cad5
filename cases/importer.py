"""The case import, schema ``lvv-case/1`` (shared contract ``contracts/case-import.md``).

This module is the entry point (``run_import``) and the import's public face: its results,
its errors and every message the callers and the tests name. The work is in three modules,
one per part: ``cases.import_lines`` reads and checks the file (phase 1),
``cases.import_apply`` applies it through the services and ``cases.import_bulk`` writes the
new cases in bulk (phase 2).

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
import gc
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases import import_apply
from cases.import_apply import (  # the messages of applying, shared with the callers and the tests
    CASE_CHANGED,
    CASE_NOT_IMPORTED,
    CONFLICT,
    DEFAULT_EXCEPTION_REASON,
    IMPORT_NOT_ALLOWED,
    UPDATE_NOT_PREFIX,
)
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
    EventField,
)
from cases.import_lines import (  # the file's rules and their messages, likewise
    AFTER_END,
    DATE_ORDER,
    DOSSIER_PART_TWICE,
    DUPLICATE_KEY,
    EXCEPTION_REQUIRED,
    EXCEPTION_WITHIN_COVENANT,
    EXTERNAL_ID_REPEATED,
    INVALID_JSON,
    INVALID_JSON_AT,
    INVALID_UTF8,
    MAX_ERRORS,
    NOT_A_JSON_NUMBER,
    NOT_AN_OBJECT,
    OUTFLOW_NEEDS_ADMITTED,
    OUTSIDE_COVENANT_NOT_ADMITTED,
    PLACE_OVERLAP,
    PLACE_OVERLAP_HIDDEN,
    REGISTERED_NOT_FIRST,
    SHELTER_NEEDS_ADMITTED,
    TOO_DEEP,
    Extension,
    ImportInvalid,
    LineError,
    event_types,
    one_place_errors,
    read_lines,
    register_extension,
    schemas,
    validate,
    wrong_schema,
)
from cases.models import Case
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record

# --- Messages (shared with the tests) -------------------------------------------------------
EMPTY_FILE = _("Het bestand bevat geen regels.")
TOO_MANY_ERRORS = _("Meer dan %(max)s fouten; de controle is gestopt.")
FORBIDDEN_LVV = _("U mag geen casussen importeren voor LVV “%(lvv)s”.")


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
    applier = import_apply.Applier(acting_user=acting_user, origin=origin, update=update, locations=editable, bulk=bulk)
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


__all__ = [
    "SCHEMA",
    "ImportForbidden",
    "ImportInvalid",
    "LineError",
    "Summary",
    "log_refusal",
    "run_import",
    # Later versions of the format (``cases.import_lines``).
    "Extension",
    "event_types",
    "register_extension",
    "schemas",
    "wrong_schema",
    # The messages, for the callers and the tests.
    "AFTER_END",
    "CASE_CHANGED",
    "CASE_NOT_IMPORTED",
    "CONFLICT",
    "DATE_ORDER",
    "DEFAULT_EXCEPTION_REASON",
    "DOSSIER_PART_TWICE",
    "DUPLICATE_KEY",
    "EMPTY_FILE",
    "EXCEPTION_REQUIRED",
    "EXCEPTION_WITHIN_COVENANT",
    "EXTERNAL_ID_REPEATED",
    "FORBIDDEN_LVV",
    "IMPORT_NOT_ALLOWED",
    "INVALID_JSON",
    "INVALID_JSON_AT",
    "INVALID_UTF8",
    "NOT_A_JSON_NUMBER",
    "NOT_AN_OBJECT",
    "OUTFLOW_NEEDS_ADMITTED",
    "OUTSIDE_COVENANT_NOT_ADMITTED",
    "PLACE_OVERLAP",
    "PLACE_OVERLAP_HIDDEN",
    "REGISTERED_NOT_FIRST",
    "SHELTER_NEEDS_ADMITTED",
    "TOO_DEEP",
    "TOO_MANY_ERRORS",
    "UPDATE_NOT_PREFIX",
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
