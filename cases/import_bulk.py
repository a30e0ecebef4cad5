"""The case import's bulk path: a new case's whole history applied in memory, written in bulk.

``cases.importer`` validates a file and hands every line that opens a new case to
``BulkImport`` (docs/adr/0024-bulk-import.md). A line becomes a ``History``: the person (new,
or the one the file or the database already has), the case, and every row the services
would write for it step by step: the trajectory's records, the timeline events and the
access-log rows, and the deadlines derived once from the records at the end (as
``services.history_batch`` does). A later version's events are applied by their extension's
``build`` (``import_lines.Extension``), the in-memory twin of its ``apply``.

The steps are checked as the services check them: the transition table
(``workflow.check_step``), the role (a step the importing user's role lacks is the system's,
logged as this user's import, as in the per-event path), the dates a step may not precede,
one dossier part of each kind, one outflow, one place per person. The procedural guards of
new steps do not apply to history, as in the per-event path (the import passes the same
arguments, ``service_arguments``): capacity and the waiting list's order, the
admission check, a forced termination's procedure.

Nothing is written until every line of a chunk has been applied without error; then each
kind of row is written with one ``COPY`` per chunk (``Writer``: ids drawn from the table's
sequence first), in the order the services write them, by a second thread on the same
connection while the next chunk is applied. The caller holds the one transaction: a bad line
anywhere rolls everything back (and every line is still checked, so that all errors are
reported).
``tests/cases/test_import_bulk.py`` builds the same cases both ways and compares every row.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import deadlines, services, workflow
from cases.import_apply import CONFLICT, SERVICE_ERRORS, LineFailed, service_arguments, service_errors
from cases.import_lines import LineError, extension_of, shelter_interval, step_name
from cases.models import (
    EXTERNAL_ID_TAKEN,
    MRT_NO_DURABLE_SOLUTION,
    Case,
    CooperationCheck,
    Deadline,
    DossierPart,
    DossierPartKind,
    EventType,
    ExceptionGround,
    Outflow,
    Person,
    RegistrationSource,
    Scenario,
    ShelterForm,
    TimelineEvent,
)
from lvv import text
from lvv.access import policy
from lvv.audit import chain
from lvv.audit import log as audit_log
from lvv.audit.activities import activity_for
from lvv.audit.log import AccessAction
from lvv.audit.models import AccessLogEntry, Result
from lvv.partners.models import ProgrammeSettings, SafeCountry
from lvv.services import user_or_none

CHUNK = 2000  # lines applied in memory and written together


class History:
    """One new case's history in memory: the rows the services would write for it.

    An extension's ``build`` reads ``case`` (its state and dates as the services see
    them) and adds its own rows with ``add`` (written after the case, in the order added;
    each may refer to the case, not to another added row), its timeline events with
    ``event`` and its access-log rows with ``log``; ``data`` and ``detail`` may be
    callables, evaluated once the rows have their ids."""

    def __init__(self, line, case: Case, person: Person, *, new_person: bool, today: datetime.date | None = None):
        self.line = line
        self.case = case
        self.person = person
        self.new_person = new_person
        self.records: list[models.Model] = []
        self.events: list[tuple] = []
        self.logs: list[tuple] = []
        self.parts: dict[str, DossierPart] = {}
        self.scenarios: list[Scenario] = []
        self.checks: list[CooperationCheck] = []
        self.outflow: Outflow | None = None
        self.stepped = False  # a trajectory step was taken: its deadlines are derived (history_batch)
        self.today = today or timezone.localdate()

    def add(self, obj: models.Model) -> models.Model:
        self.records.append(obj)
        return obj

    def added(self, model: type[models.Model]) -> list:
        """The rows of ``model`` added so far, in order."""
        return [obj for obj in self.records if type(obj) is model]

    def event(self, type_: str, *, on: datetime.date, actor, summary: str = "", data: dict | Callable | None = None):
        self.events.append((type_, on, actor, summary, data))

    def log(self, *, actor, action: str, obj: models.Model, detail: dict | Callable | None = None):
        self.logs.append((actor, action, obj, detail))


# --- Rows in memory --------------------------------------------------------------------------------------

_LAYOUTS: dict[type, list] = {}


def new(model: type[models.Model], **values) -> models.Model:
    """``model(**values)`` at a fraction of its cost: Django's positional constructor (the
    one ``from_db`` uses), with each field's default for what is not given. A related object
    may be given by the field's name (it is cached; its id is read when the row is written)."""
    layout = _LAYOUTS.get(model)
    if layout is None:
        layout = _LAYOUTS[model] = [(f, f.name, f.attname, f.is_relation) for f in model._meta.concrete_fields]
    args, related = [], []
    for field, name, attname, is_relation in layout:
        if is_relation and name in values:
            obj = values.pop(name)
            related.append((field, obj))
            args.append(None if obj is None else obj.pk)
        elif attname in values:
            args.append(values.pop(attname))
        else:
            args.append(field.get_default())
    if values:
        raise TypeError(f"{model.__name__} has no fields {sorted(values)}")
    instance = model(*args)
    for field, obj in related:
        field.set_cached_value(instance, obj)
    return instance


# --- The steps of version 1, in memory (the twins of the services in cases.services) -------------

_EXCEPTION_GROUNDS = frozenset(ExceptionGround.values)
_DOSSIER_PARTS = frozenset(DossierPartKind.values)
_AFTER_REGISTRATION = _("de aanmelding")
_AFTER_ADMISSION = _("de toelating")
_AFTER_SHELTER = _("de start van de opvang")
_AFTER_OUTFLOW = _("de uitstroom")


def _history_only(**guards) -> None:
    """The bulk path applies history: the guards of new steps are never asked of it."""
    asked = sorted(name for name, value in guards.items() if value)
    if asked:
        raise TypeError(f"the bulk import applies history only; not supported: {asked}")


def _on(history: History, on: datetime.date, *, not_before=None, what=_AFTER_REGISTRATION) -> datetime.date:
    """``services._date`` without its cost when the date passes; its own error when not."""
    if on > history.today or (not_before is not None and on < not_before):
        services._date(on, not_before=not_before, what=str(what))
    return on


def _texts(**fields: tuple[str | None, int]) -> None:
    """``text.check_text`` for the texts that are there (the import gives most none)."""
    given = {name: pair for name, pair in fields.items() if pair[0]}
    if given:
        text.check_text(**given)


def _step(history: History, name: str, actor) -> workflow.Step:
    step = workflow.check_step(name, history.case.state)
    services._check_role(actor, history.case, step)
    return step


def _finish(history: History, actor, step_name: str, detail: dict | None = None) -> None:
    history.case.version += 1
    history.stepped = True
    history.log(actor=actor, action=AccessAction.UPDATE, obj=history.case, detail={"step": step_name, **(detail or {})})


def _admit(history: History, actor, *, on, exception="", exception_reason="", require_check, waitlist_when_full):
    _history_only(require_check=require_check, waitlist_when_full=waitlist_when_full)
    case = history.case
    step = _step(history, "admit", actor)
    on = _on(history, on, not_before=case.registered_on)
    _texts(exception_reason=(exception_reason, text.TEXT_MAX))
    if exception:
        if exception not in _EXCEPTION_GROUNDS:
            raise ValidationError({"exception": _("Kies een geldige uitzonderingsgrond.")})
        if not exception_reason.strip():
            raise ValidationError({"exception_reason": services.EXCEPTION_REASON_REQUIRED})
    case.decided_on = on
    case.within_covenant = not exception
    case.exception_ground = exception or ""
    case.exception_reason = exception_reason.strip() if exception else ""
    case.waitlisted_on = on
    case.state = step.target
    data = {"exception": case.exception_ground or None}
    history.event(EventType.ADMITTED, on=on, actor=actor, summary=case.exception_reason, data=data)
    _finish(history, actor, "admit")


def _reject(history: History, actor, *, on, reason):
    case = history.case
    step = _step(history, "reject", actor)
    on = _on(history, on, not_before=case.registered_on)
    if not (reason or "").strip():
        raise ValidationError({"reason": services.REJECTION_REASON_REQUIRED})
    _texts(reason=(reason, text.TEXT_MAX))
    case.state, case.decided_on, case.rejection_reason, case.closed_on = step.target, on, reason.strip(), on
    history.event(EventType.REJECTED, on=on, actor=actor, summary=reason.strip())
    _finish(history, actor, "reject")


def _waitlist(history: History, actor, *, on, enforce_capacity):
    _history_only(enforce_capacity=enforce_capacity)
    case = history.case
    step = _step(history, "waitlist", actor)
    on = _on(history, on, not_before=case.registered_on)
    if case.state == workflow.State.REGISTERED:  # admitted and waitlisted at once
        case.decided_on = case.decided_on or on
    case.state, case.waitlisted_on = step.target, case.waitlisted_on or on
    history.event(EventType.WAITLISTED, on=on, actor=actor)
    _finish(history, actor, "waitlist")


def _start_shelter(history: History, actor, *, on, enforce_capacity, place_until, places):
    _history_only(enforce_capacity=enforce_capacity)
    case = history.case
    step = _step(history, "start_shelter", actor)
    on = _on(history, on, not_before=case.decided_on, what=_AFTER_ADMISSION)
    form = ShelterForm.FULL_DAY
    if places.overlapping(history.person, on, place_until):
        raise ValidationError({"on": services.ONE_PLACE})
    from_waitlist = case.state == workflow.State.WAITLISTED
    case.state, case.shelter_started_on, case.shelter_form = step.target, on, form
    data = {"form": form, "from_waiting_list": from_waitlist}
    history.event(EventType.SHELTER_STARTED, on=on, actor=actor, data=data)
    _finish(history, actor, "start_shelter")


def _deliver_dossier_part(history: History, actor, *, on, kind):
    if kind not in _DOSSIER_PARTS:
        raise ValidationError({"kind": _("Kies IND of DT&V.")})
    case = history.case
    _step(history, f"deliver_dossier_{kind.lower()}", actor)
    on = _on(history, on, not_before=case.registered_on)
    part = history.parts.get(kind)
    if part is None:
        part = history.parts[kind] = history.add(new(DossierPart, case=case, kind=kind))
    if part.delivered_on:
        raise ValidationError({"kind": services.DOSSIER_ALREADY_DELIVERED})
    part.delivered_on, part.delivered_by = on, user_or_none(actor)
    history.event(EventType.DOSSIER_DELIVERED, on=on, actor=actor, data={"by": kind})
    _finish(history, actor, "deliver_dossier", {"kind": kind})


def _set_scenario(history: History, actor, *, on, direction, route="", notes=""):
    case = history.case
    _step(history, "set_scenario", actor)
    on = _on(history, on, not_before=case.registered_on)
    _texts(notes=(notes, text.TEXT_MAX))
    if route:  # the import sets none; the services' route rules are not mirrored here
        raise TypeError("the bulk import sets a scenario without a route")
    previous = history.scenarios[-1] if history.scenarios else None  # dates in order: the latest
    scenario = new(
        Scenario,
        case=case,
        direction=direction,
        route="",
        set_on=on,
        notes=notes or "",
        set_by=user_or_none(actor),
    )
    history.scenarios.append(history.add(scenario))
    data = {"direction": direction, "route": None, "previous": previous.direction if previous else None}
    history.event(EventType.SCENARIO_SET, on=on, actor=actor, summary=notes or "", data=data)
    _finish(history, actor, "set_scenario")


def _record_cooperation_check(history: History, actor, *, on, result, notes=""):
    case = history.case
    _step(history, "record_cooperation_check", actor)
    on = _on(history, on, not_before=case.shelter_started_on, what=_AFTER_SHELTER)
    _texts(notes=(notes, text.TEXT_MAX))
    check = new(
        CooperationCheck,
        case=case,
        checked_on=on,
        result=result,
        notes=notes or "",
        checked_by=user_or_none(actor),
    )
    history.checks.append(history.add(check))
    history.event(EventType.COOPERATION_CHECKED, on=on, actor=actor, summary=notes or "", data={"result": result})
    _finish(history, actor, "record_cooperation_check")


def _record_mrt_discussion(history: History, actor, *, on, outcome=None, notes="", imported=False):
    case = history.case
    _step(history, "record_mrt_discussion", actor)
    on = _on(history, on, not_before=case.registered_on)
    if outcome not in (None, "", MRT_NO_DURABLE_SOLUTION):
        raise ValidationError({"outcome": _("Onbekende uitkomst.")})
    _texts(notes=(notes, text.TEXT_MAX))
    data = {"outcome": outcome or None, "advice": None, "imported": imported}
    history.event(EventType.MRT_DISCUSSED, on=on, actor=actor, summary=notes or "", data=data)
    _finish(history, actor, "record_mrt_discussion")


def _record_outflow(history: History, actor, *, on, category, country="", notes="", enforce_procedure):
    _history_only(enforce_procedure=enforce_procedure)
    case = history.case
    step = _step(history, "record_outflow", actor)
    _texts(notes=(notes, text.TEXT_MAX))
    on = _on(history, on, not_before=case.decided_on, what=_AFTER_ADMISSION)
    if case.shelter_started_on and on < case.shelter_started_on:  # the services' own error
        services._outflow_values(case, category=category, country=country, on=on, procedure={}, enforce=False)
    values = services._outflow_values(case, category=category, country=country, on=on, procedure={}, enforce=False)
    history.outflow = history.add(new(Outflow, case=case, notes=notes or "", recorded_by=user_or_none(actor), **values))
    case.state, case.closed_on = step.target, on
    data = {"category": category, "country": country or None}
    history.event(EventType.OUTFLOW, on=on, actor=actor, summary=notes or "", data=data)
    _finish(history, actor, "record_outflow")


def confirm_outflow(history: History, actor, *, on):
    """The chain partner's confirmation of a verified outflow (``services.confirm_outflow``)."""
    _step(history, "confirm_outflow", actor)
    outflow = history.outflow
    on = _on(history, on, not_before=outflow.outflow_on, what=_AFTER_OUTFLOW)
    partner = outflow.confirming_partner
    if partner is None:
        raise ValidationError({"__all__": services.NOTHING_TO_CONFIRM})
    if outflow.confirmed_on:
        raise ValidationError({"__all__": services.ALREADY_CONFIRMED})
    if not policy.is_system(actor) and not actor.has_role(partner):
        raise PermissionDenied(str(services.WRONG_PARTNER % {"partner": "IND" if partner == "ind" else "DT&V"}))
    outflow.confirmed_on, outflow.confirmed_by = on, user_or_none(actor)
    outflow.disputed_on, outflow.disputed_by, outflow.dispute_reason = None, None, ""
    history.event(EventType.OUTFLOW_CONFIRMED, on=on, actor=actor, data={"by": partner})
    _finish(history, actor, "confirm_outflow")


# The in-memory twin of each event's service (``import_apply.SERVICES``), with the same arguments.
STEPS: dict[str, Callable[..., None]] = {
    "admitted": _admit,
    "rejected": _reject,
    "waitlisted": _waitlist,
    "shelter_started": _start_shelter,
    "dossier_delivered": _deliver_dossier_part,
    "scenario_set": _set_scenario,
    "cooperation_checked": _record_cooperation_check,
    "mrt_discussed": _record_mrt_discussion,
    "outflow": _record_outflow,
}


# --- One place per person --------------------------------------------------------------------------


class Places:
    """The stays of the persons a file touches: the stored ones (read once, the persons'
    rows locked as ``services.start_shelter`` locks them) and those of the file's new cases,
    as ``Case.objects.sheltered_overlapping`` reads them."""

    def __init__(self, person_ids):
        self.stored: dict[int, list[tuple]] = {}
        self.new: dict[int, list[Case]] = {}  # id() of the person object -> the file's cases
        if person_ids:
            list(Person.objects.select_for_update().filter(pk__in=person_ids).values_list("pk"))
            stays = Case.objects.filter(person_id__in=person_ids, shelter_started_on__isnull=False)
            for person_id, start, end in stays.values_list("person_id", "shelter_started_on", "closed_on"):
                self.stored.setdefault(person_id, []).append((start, end))

    def overlapping(self, person: Person, start: datetime.date, end: datetime.date | None) -> bool:
        stays = list(self.stored.get(person.pk, ())) if person.pk else []
        stays += [(case.shelter_started_on, case.closed_on) for case in self.new.get(id(person), ())]
        return any(
            other_start is not None
            and (end is None or other_start <= end)
            and (other_end is None or other_end >= start)
            for other_start, other_end in stays
        )

    def add(self, history: History) -> None:
        if history.case.shelter_started_on is not None:
            self.new.setdefault(id(history.person), []).append(history.case)


# --- The deadlines, derived once from the records ----------------------------------------------------


class _Rows:
    def __init__(self, rows):
        self._rows = list(rows)

    def all(self):
        return self._rows


class _AsStored:
    """A case as ``deadlines.desired_deadlines`` reads it, with its records from memory."""

    def __init__(self, history: History):
        self._case = history.case
        self.dossier_parts = _Rows(history.parts.values())
        self.scenarios = _Rows(history.scenarios)
        self.cooperation_checks = _Rows(history.checks)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


def derived_deadlines(history: History, programme, *, today, safe_countries) -> list[Deadline]:
    """The deadline rows of a new case (``deadlines.recompute`` with no rows yet); the
    records must have their ids (the latest scenario is the one with the highest)."""
    desired = deadlines.desired_deadlines(_AsStored(history), programme, today=today, safe_countries=safe_countries)
    return [
        new(Deadline, case=history.case, kind=kind, base_due_on=base, due_on=base) for kind, base in desired.items()
    ]


# --- The file ------------------------------------------------------------------------------------------


class BulkImport:
    """Apply the new cases of a file in memory and write them in bulk (inside the caller's
    transaction, after ``import_apply.Applier`` has locked the file's LVVs).

    ``applier`` is the per-event path's applier: its user, origin, LVVs and the persons
    without V-number it has read (``persons``, kept up to date for the lines after)."""

    def __init__(self, applier):
        self.applier = applier
        self.user = applier.user
        self.origin = applier.origin
        self.today = timezone.localdate()
        self.by_v_number: dict[str, Person] = {}
        self.taken: set[tuple[int, str]] = set()
        self.places: Places | None = None
        self.programme = None
        self.safe_countries: list = []

    # -- reads done once for the file's new cases --
    def prepare(self, lines) -> None:
        v_numbers = {line.person["v_number"] for line in lines if line.person["v_number"]}
        self.by_v_number = {p.v_number: p for p in Person.objects.filter(v_number__in=v_numbers)} if v_numbers else {}
        # External ids of cases the user may not see (the applier found the visible ones).
        locations = {self.applier.locations[line.lvv].pk for line in lines}
        self.taken = set(
            Case.objects.filter(location_id__in=locations, external_id__in={line.external_id for line in lines})
            .exclude(external_id="")
            .values_list("location_id", "external_id")
        )
        sheltered = [line for line in lines if any(e.type == "shelter_started" for e in line.events)]
        linked = {self.by_v_number[v].pk for line in sheltered if (v := line.person["v_number"]) in self.by_v_number}
        linked |= {p.pk for p in self.applier.persons.values()}
        self.places = Places(sorted(linked))
        self.programme = ProgrammeSettings.current()
        self.safe_countries = list(SafeCountry.objects.all())

    def run(self, lines, summary, max_errors: int) -> list:
        """Apply and write ``lines`` (new cases, in file order); returns the errors (then
        nothing of these lines may be kept: the caller rolls back).

        A chunk is written by a second thread, on this thread's connection and in its
        transaction, while this one applies the next chunk: PostgreSQL's work on one chunk
        overlaps Python's on the next. One chunk is written at a time, in order, and nothing
        after a line with an error."""

        errors: list = []
        if not lines:
            return errors
        self.prepare(lines)
        db = connections[DEFAULT_DB_ALIAS]
        db.inc_thread_sharing()
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as pool:
                writing = None
                for start in range(0, len(lines), CHUNK):
                    histories = self._chunk(lines[start : start + CHUNK], summary, errors)
                    if writing is not None:
                        self._written(writing, summary)
                        writing = None
                    if len(errors) >= max_errors:
                        return errors[:max_errors]
                    if not errors:  # after an error, the other lines are checked, nothing written
                        writing = (pool.submit(self.write, histories, db), histories)
                if writing is not None:
                    self._written(writing, summary)
        except IntegrityError:  # a row written meanwhile by someone else (the LVVs are locked)
            return [LineError(None, "", str(CONFLICT))]
        finally:
            db.dec_thread_sharing()
        return errors

    def _chunk(self, lines, summary, errors: list) -> list[History]:
        histories = []
        for line in lines:
            summary.per_lvv.setdefault(line.lvv, Counter())["lines"] += 1
            try:
                histories.append(self.history(line))
            except LineFailed as failed:
                errors.extend(failed.errors)
        return histories

    @staticmethod
    def _written(writing, summary) -> None:
        future, histories = writing
        future.result()  # the writer's error, here
        for history in histories:
            summary.count(history.line.lvv, "created")

    # -- one line, in memory --
    def history(self, line) -> History:
        """The line's case with its whole history, or ``LineFailed``."""

        location = self.applier.locations[line.lvv]
        if (location.pk, line.external_id) in self.taken:
            raise LineFailed([LineError(line.number, "", str(EXTERNAL_ID_TAKEN))])
        try:
            history = self._register(line, location)
        except SERVICE_ERRORS as exc:
            raise LineFailed(service_errors(line.number, exc, event=None)) from None
        events = line.events[1:] if line.events[0].type == "registered" else line.events
        for event in events:
            self._apply(history, event)
        history.log(
            actor=self.user, action=AccessAction.CREATE, obj=history.case, detail={"import": line.fingerprint()}
        )
        self._keep(history, location)
        return history

    def _register(self, line, location) -> History:
        """``register_person_and_case`` (or ``register_case`` for a person the file named
        before without V-number), in memory."""
        p = line.person
        identity = self.applier._identity(line, location)
        known = self.applier.persons.get(identity) if not p["v_number"] and p["birth_date"] else None
        linked = self.by_v_number.get(p["v_number"]) if p["v_number"] else None
        person = known or linked
        case_fields = {
            "external_id": line.external_id,
            "registered_on": line.events[0].date,
            "case_types": line.case_types,
            "prior_departure_procedures": line.prior_departure_procedures,
        }
        if person is None:
            fields = services._normalise({**p, "sex": p["sex"] or "", "nationality": p["nationality"] or ""})
            services._check_texts(fields)
            person = new(Person, created_by_organisation_id=getattr(self.user, "organisation_id", None), **fields)
        services._check_texts({"external_id": line.external_id, "health_notes": ""})
        services._refuse_special_types(line.case_types, self.user, None)
        case = new(
            Case,
            person=person,
            location=location,
            external_id=line.external_id,
            created_by=user_or_none(self.user),
            registered_on=case_fields["registered_on"],
            registration_source=RegistrationSource.MUNICIPALITY,
            case_types=list(line.case_types),
            prior_departure_procedures=line.prior_departure_procedures,
        )
        history = History(line, case, person, new_person=known is None and linked is None, today=self.today)
        if history.new_person:
            history.log(actor=self.user, action=AccessAction.CREATE, obj=person)
        elif linked is not None:
            history.log(actor=self.user, action=AccessAction.UPDATE, obj=person, detail={"linked": True})
        history.event(
            EventType.REGISTERED, on=case.registered_on, actor=self.user, data={"source": case.registration_source}
        )
        history.log(actor=self.user, action=AccessAction.CREATE, obj=case)
        return history

    def _keep(self, history: History, location) -> None:
        """A line applied without error: its new person is the one later lines name."""
        person, p = history.person, history.line.person
        if history.new_person and p["v_number"]:
            self.by_v_number[p["v_number"]] = person
        elif history.new_person and p["birth_date"]:
            self.applier.persons[self.applier._identity(history.line, location)] = person
        self.places.add(history)

    def _apply(self, history: History, event) -> None:

        if event.type in extension_of:
            self._apply_extension(history, event)
            return
        step = step_name(event.type, event.values)
        arguments = service_arguments(event)
        if event.type == "shelter_started":  # the stay as the history gives it (one place per person)
            arguments.update(place_until=shelter_interval(history.line)[1], places=self.places)
        actor = self.applier._actor(step)
        try:
            STEPS[event.type](history, actor, on=event.date, **arguments)
            if actor is not self.user:
                self._done_as_system(history, step)
            if event.type == "outflow" and event.values["verified"]:
                confirm_outflow(history, policy.SYSTEM, on=event.date)
                if not policy.is_system(self.user):
                    self._done_as_system(history, "confirm_outflow")
        except SERVICE_ERRORS as exc:
            raise LineFailed(service_errors(history.line.number, exc, event=event)) from None

    def _apply_extension(self, history: History, event) -> None:

        extension = extension_of[event.type]
        user = self.user
        actor = user if policy.is_system(user) or extension.may(user, event) else policy.SYSTEM
        try:
            extension.build(history, acting_user=actor, event=event)
        except SERVICE_ERRORS as exc:
            raise LineFailed(service_errors(history.line.number, exc, event=event)) from None
        if actor is not user:
            self._done_as_system(history, event.type)

    def _done_as_system(self, history: History, step: str) -> None:
        detail = {"step": step, "via": "import", "performed_as": policy.SYSTEM.username}
        history.log(actor=self.user, action=AccessAction.UPDATE, obj=history.case, detail=detail)

    # -- writing a chunk --
    def write(self, histories: list[History], db=None) -> None:
        """Every row of the chunk, kind by kind, in the order the services write them."""
        writer = Writer(self.origin, db or connections[DEFAULT_DB_ALIAS])
        writer.models(Person, [h.person for h in histories if h.new_person])
        writer.models(Case, [h.case for h in histories])
        by_model: dict[type, list] = {}
        for history in histories:
            for obj in history.records:
                by_model.setdefault(type(obj), []).append(obj)
        for model, rows in by_model.items():
            writer.models(model, rows)
        rows = []
        for history in histories:
            if history.stepped:
                rows += derived_deadlines(history, self.programme, today=self.today, safe_countries=self.safe_countries)
        writer.models(Deadline, rows)
        writer.timeline([(h.case.pk, *event) for h in histories for event in h.events])
        writer.access_log([log for h in histories for log in h.logs])


# --- Writing: COPY, with ids drawn from each table's sequence first ------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _text(value) -> str:
    return NULL if value is None else str(value).translate(_COPY_ESCAPES)


def _json(value) -> str:
    return json.dumps(value).translate(_COPY_ESCAPES)


def _array(value) -> str:
    if value is None:
        return NULL
    items = ",".join('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value)
    return ("{" + items + "}").translate(_COPY_ESCAPES)


def _scalar(value) -> str:
    if value is None:
        return NULL
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(getattr(value, "code", value)).translate(_COPY_ESCAPES)  # a country: its code


def _iso(value) -> str:
    return NULL if value is None else value.isoformat()


def _number(value) -> str:
    return NULL if value is None else str(value)


def _converter(field) -> Callable[[Any], str]:
    """The text of a field's value in COPY's format (a generic one for any other field)."""
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, ArrayField):
        return _array
    if isinstance(field, (models.DateField, models.DateTimeField)):  # a DateTimeField is a DateField
        return _iso
    if field.is_relation:  # the related row's id: a number, unless the key is of another kind
        return _number if isinstance(field.target_field, models.AutoField) else _scalar
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return _number
    if type(field) in (models.CharField, models.TextField):
        return _text
    return _scalar


class Writer:
    """Rows into their tables with ``COPY ... FROM STDIN`` (PostgreSQL's text format): no SQL
    to compile and no value to bind per row. A model's rows first get their ids from the
    table's sequence (so the rows after them can refer to them) and the values the model
    would give them on saving (the timestamps of ``auto_now`` and ``auto_now_add``). Each
    statement goes through Django's execute wrappers and query log like any other."""

    def __init__(self, origin, db):
        self.origin = origin
        self.db = db
        self.now = timezone.now()

    def models(self, model: type[models.Model], objs: list[models.Model]) -> None:
        if not objs:
            return
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        ids = self._ids(model, len(objs))
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, self.db.alias
        converters = [(f, _converter(f)) for f in fields]
        lines = []
        for obj in objs:
            values = obj.__dict__
            row = []
            for f, convert in converters:
                if f.is_relation:
                    value = self._related(obj, f)
                elif getattr(f, "auto_now", False) or (getattr(f, "auto_now_add", False) and values[f.attname] is None):
                    value = values[f.attname] = self.now
                else:
                    value = values[f.attname]
                row.append(convert(value))
            lines.append("\t".join(row))
        self._copy(model._meta.db_table, [f.column for f in fields], lines)

    @staticmethod
    def _related(obj: models.Model, field) -> Any:
        """A foreign key's id, from the related object when it got its id after being set."""
        value = obj.__dict__.get(field.attname)
        if value is None and field.is_cached(obj):
            related = field.get_cached_value(obj)
            value = obj.__dict__[field.attname] = related.pk if related is not None else None
        return value

    def timeline(self, events: list[tuple]) -> None:
        """``services.add_event``'s rows: (case id, type, date, actor, summary, data)."""
        now = _scalar(self.now)
        lines = []
        for case_id, type_, on, actor, summary, data in events:
            data = data() if callable(data) else data
            actor_id = getattr(user_or_none(actor), "pk", None)
            row = (str(case_id), type_, on.isoformat(), now, _text(actor_id), _text(summary[:300]), _json(data or {}))
            lines.append("\t".join(row))
        columns = ["case_id", "type", "occurred_on", "recorded_at", "actor_id", "summary", "data"]
        self._copy(TimelineEvent._meta.db_table, columns, lines)

    def access_log(self, logs: list[tuple]) -> None:
        """``audit.log.record``'s rows: (actor, action, object, detail)."""
        now, channel, ip = _scalar(self.now), self.origin.channel, _text(self.origin.ip_address)
        lines = []
        for actor, action, obj, detail in logs:
            detail = audit_log._storable((detail() if callable(detail) else detail) or {})
            authenticated = actor is not None and getattr(actor, "is_authenticated", False)
            object_type = obj._meta.label_lower
            row = (
                now,
                _text(actor.pk if authenticated and isinstance(actor, models.Model) else None),
                _text(actor.get_username() if authenticated else ""),
                _text(getattr(actor, "organisation_id", None) if authenticated else None),
                action,
                object_type,
                str(obj.pk),
                Result.ALLOWED,
                channel,
                ip,
                _json(detail),
                activity_for(object_type, action),
                _text(audit_log._about_case(obj, detail)),
                "",
            )
            lines.append("\t".join(row))
        # The fields the chain seals (the id from its sequence) and an empty hash: not sealed yet.
        columns = [name for name in chain.FIELDS if name != "id"] + ["chain_hash"]
        self._copy(AccessLogEntry._meta.db_table, columns, lines)

    def _ids(self, model: type[models.Model], count: int) -> list[int]:
        sql = "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"
        with self.db.cursor() as cursor:
            cursor.execute(sql, [model._meta.db_table, model._meta.pk.column, count])
            return [row[0] for row in cursor.fetchall()]

    def _copy(self, table: str, columns: list[str], lines: list[str]) -> None:
        if not lines:
            return
        quote = self.db.ops.quote_name
        sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
        data = ("\n".join(lines) + "\n").encode("utf-8")

        def copy(sql, params, many, context):
            with self.db.wrap_database_errors, context["cursor"].cursor.copy(sql) as stream:
                for start in range(0, len(data), 1 << 20):
                    stream.write(data[start : start + (1 << 20)])

        with self.db.cursor() as cursor:
            debug = getattr(cursor, "debug_sql", None)  # the query log (DEBUG, or a test capturing queries)
            with debug(sql) if debug else contextlib.nullcontext():
                cursor._execute_with_wrappers(sql, None, False, executor=copy)


__all__ = ["CHUNK", "BulkImport", "History", "Places", "Writer", "confirm_outflow", "derived_deadlines", "new"]
