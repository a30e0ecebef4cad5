"""The bulk import (cases.import_bulk) writes what the services write.

The same file is imported twice in one test, first one event at a time through the
services (``run_import(bulk=False)``, rolled back), then in bulk, and every row either
wrote is compared field by field: every table of the project, ids replaced by stable keys
(a case by its LVV and external id, a person by its cases, another row by its case and its
place among that case's rows of its kind), timestamps left out. The file holds every event
type of both versions of the contract; the import runs as the system and as a case worker
(whose missing roles are the system's), under each trigger of the rest period."""

from __future__ import annotations

import copy
import datetime
import random

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from cases import import_bulk, importer
from cases.models import EXTERNAL_ID_TAKEN, Case, CaseQuerySet, Person, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from lvv.partners.models import ProgrammeSettings, RestPeriodTrigger, SafeCountry
from procedures.models import Application, DeparturePlan
from tests.cases.import_helpers import EXAMPLE, jsonl
from tests.factories import CaseFactory, PersonFactory

pytestmark = pytest.mark.django_db

OUTFLOW_CATEGORIES = [
    ("departure_origin", "ER", True),
    ("onward_migration", "DE", False),
    ("residence_granted", None, True),
    ("residence_granted", None, False),
    ("asylum_centre", None, False),
    ("postponement_art64", None, False),
    ("unknown_destination", None, False),
    ("back_to_bbb", None, False),
    ("forced_termination", None, False),
    ("detention", None, False),
    ("deceased", None, False),
    ("other", None, False),
]
KINDS = ["asylum_repeat", "no_fault", "regular", "medical_art64", "appeal", "other"]


def _line(external_id: str, lvv: str, person: dict, events: list, *, schema="lvv-case/1", **top) -> dict:
    return {"schema": schema, "external_id": external_id, "lvv": lvv, "person": person, "events": events, **top}


def _person(n: int, **changes) -> dict:
    person = {
        "v_number": f"77{n:08d}",
        "family_name": f"Achternaam{n}",
        "given_names": "Abel",
        "birth_date": "1980-01-01",
        "sex": "m",
        "nationality": "ER",
    }
    person.update(changes)
    return person


def handmade(stored_identity: Person, stored_v_number: str) -> list[dict]:
    """Lines for each rule of the trajectory and each way of finding the person."""
    full = copy.deepcopy(EXAMPLE["events"])
    identity = {"v_number": None, "family_name": "Okafor", "given_names": "Amaka", "birth_date": "1990-02-03"}
    stored = {
        "v_number": None,
        "family_name": stored_identity.family_name,
        "given_names": stored_identity.given_names,
        "birth_date": stored_identity.birth_date.isoformat(),
    }
    v2 = [
        {"type": "registered", "date": "2019-05-02"},
        {"type": "admitted", "date": "2019-05-09"},
        {"type": "application_submitted", "date": "2019-05-09", "kind": "asylum_repeat"},
        {"type": "shelter_started", "date": "2019-05-10"},
        {"type": "application_submitted", "date": "2019-06-01", "kind": "no_fault"},
        {"type": "application_submitted", "date": "2019-06-01", "kind": "no_fault"},
        {"type": "application_submitted", "date": "2019-06-02", "kind": "medical_art64"},
        {"type": "application_decided", "date": "2019-08-01", "kind": "asylum_repeat", "outcome": "rejected"},
        {"type": "application_submitted", "date": "2019-08-15", "kind": "appeal"},
        {"type": "application_decided", "date": "2019-09-01", "kind": "no_fault", "outcome": "withdrawn"},
        {"type": "application_decided", "date": "2019-09-01", "kind": "medical_art64", "outcome": "granted"},
        {"type": "application_decided", "date": "2019-12-01", "kind": "appeal", "outcome": "rejected"},
        {"type": "application_submitted", "date": "2019-12-02", "kind": "regular"},
        {"type": "application_submitted", "date": "2019-12-02", "kind": "other"},
        {"type": "application_decided", "date": "2019-12-03", "kind": "other", "outcome": "granted"},
        {"type": "departure_planned", "date": "2020-01-10", "planned_on": "2020-02-01", "support": "iom"},
        {"type": "departure_planned", "date": "2020-01-10", "planned_on": "2020-02-15", "support": "independent"},
        {"type": "departure_planned", "date": "2020-01-20", "planned_on": "2020-03-01", "support": "dtv"},
    ]
    return [
        _line(
            "H-01", "amsterdam", _person(1), full, case_types=["medical", "repeat_asylum"], prior_departure_procedures=2
        ),
        # The same V-number: the same person, moved to Rotterdam the day after the outflow.
        _line(
            "H-02",
            "rotterdam",
            _person(1, family_name="Anders"),
            [
                {"type": "registered", "date": "2020-02-04"},
                {"type": "admitted", "date": "2020-02-04"},
                {"type": "shelter_started", "date": "2020-02-04"},
                {"type": "scenario_set", "date": "2020-03-01", "direction": "residence"},
                {"type": "cooperation_checked", "date": "2020-04-01", "result": "insufficient"},
            ],
        ),
        # No V-number: name and birth date within one LVV; an exception with its reason,
        # the waiting list, two scenarios on one day, both dossier parts.
        _line(
            "H-03",
            "amsterdam",
            identity,
            [
                {"type": "admitted", "date": "2019-06-03", "exception": "public_order", "exception_reason": "Overlast"},
                {"type": "waitlisted", "date": "2019-06-03"},
                {"type": "shelter_started", "date": "2019-06-20"},
                {"type": "dossier_delivered", "date": "2019-06-21", "by": "DTV"},
                {"type": "scenario_set", "date": "2019-08-01", "direction": "residence"},
                {"type": "scenario_set", "date": "2019-08-01", "direction": "departure"},
                {"type": "dossier_delivered", "date": "2019-08-02", "by": "IND"},
                {"type": "cooperation_checked", "date": "2019-09-12", "result": "insufficient"},
                {"type": "mrt_discussed", "date": "2019-11-14", "outcome": "no_durable_solution_possible"},
            ],
            within_covenant=False,
            case_types=["psychological"],
        ),
        _line("H-04", "amsterdam", identity, [{"type": "registered", "date": "2020-01-06"}]),
        _line("H-05", "rotterdam", identity, [{"type": "registered", "date": "2020-01-07"}]),  # another LVV: another
        # Without V-number and birth date: never merged.
        _line(
            "H-06",
            "rotterdam",
            {"family_name": "Benali", "given_names": "Karim", "sex": None},
            [
                {"type": "registered", "date": "2019-05-02"},
                {"type": "rejected", "date": "2019-05-09", "reason": "Geen aantoonbare regiobinding " * 20},
            ],
        ),
        _line(
            "H-07",
            "rotterdam",
            {"family_name": "Benali", "given_names": "Karim"},
            [{"type": "waitlisted", "date": "2019-05-03"}],
        ),
        # Outside the covenant without a reason; a forced termination without its procedure.
        _line(
            "H-08",
            "amsterdam",
            _person(8, nationality=None),
            [
                {"type": "admitted", "date": "2019-04-02", "exception": "humanitarian"},
                {"type": "shelter_started", "date": "2019-04-03"},
                {"type": "outflow", "date": "2019-12-02", "category": "forced_termination"},
            ],
            within_covenant=False,
        ),
        # A safe country of origin: the maximum stay; still sheltered.
        _line(
            "H-09",
            "amsterdam",
            _person(9, nationality="MA"),
            [
                {"type": "admitted", "date": "2024-01-02"},
                {"type": "shelter_started", "date": "2024-01-03"},
                {"type": "dossier_delivered", "date": "2024-01-10", "by": "IND"},
                {"type": "dossier_delivered", "date": "2024-01-11", "by": "DTV"},
            ],
            case_types=["safe_country"],
        ),
        # Persons stored before the file: by V-number and by name and birth date.
        _line(
            "H-10",
            "amsterdam",
            _person(10, v_number=stored_v_number),
            [{"type": "registered", "date": "2021-01-04"}, {"type": "admitted", "date": "2021-01-05"}],
        ),
        _line(
            "H-11",
            "amsterdam",
            stored,
            [{"type": "registered", "date": "2021-02-01"}, {"type": "waitlisted", "date": "2021-02-01"}],
        ),
        # Version 2: every event type, special-category data, re-planning on one day.
        _line("H-12", "amsterdam", _person(12), v2, schema="lvv-case/2", case_types=["family"]),
        _line(
            "H-13",
            "rotterdam",
            _person(13),
            [
                {"type": "admitted", "date": "2022-03-01"},
                {"type": "departure_planned", "date": "2022-03-01", "planned_on": "2022-03-01", "support": "dtv"},
                {"type": "outflow", "date": "2022-03-01", "category": "departure_origin", "country": "NG"},
            ],
            schema="lvv-case/2",
        ),
    ]


class _Days:
    """Dates in order from a random first day."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.day = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randrange(0, 1500))

    def __call__(self, low: int, high: int) -> str:
        self.day += datetime.timedelta(days=self.rng.randrange(low, high))
        return self.day.isoformat()


def _in_shelter(rng: random.Random, at: _Days) -> list[dict]:
    events = [{"type": "shelter_started", "date": at(0, 30)}]
    for kind in rng.sample(["IND", "DTV"], rng.randrange(0, 3)):
        events.append({"type": "dossier_delivered", "date": at(1, 20), "by": kind})
    for _ in range(rng.randrange(0, 3)):
        events.append({"type": "scenario_set", "date": at(0, 40), "direction": rng.choice(["departure", "residence"])})
    for _ in range(rng.randrange(0, 3)):
        events.append(
            {"type": "cooperation_checked", "date": at(20, 60), "result": rng.choice(["sufficient", "insufficient"])}
        )
    return events


def _procedures(rng: random.Random, at: _Days) -> list[dict]:
    events = []
    if rng.random() < 0.3:
        kind = rng.choice(KINDS)
        events.append({"type": "application_submitted", "date": at(0, 30), "kind": kind})
        if rng.random() < 0.6:
            outcome = rng.choice(["granted", "rejected", "withdrawn"])
            events.append({"type": "application_decided", "date": at(0, 90), "kind": kind, "outcome": outcome})
    if rng.random() < 0.2:
        made = at(0, 30)
        planned = (at.day + datetime.timedelta(days=rng.randrange(0, 60))).isoformat()
        events.append({"type": "departure_planned", "date": made, "planned_on": planned, "support": "iom"})
    return events


def _admitted(rng: random.Random, at: _Days, n: int) -> list[dict]:
    events = [{"type": "admitted", "date": at(0, 10)}]
    if rng.random() < 0.3:
        events.append({"type": "waitlisted", "date": at(0, 1)})
    if rng.random() < 0.85:
        events += _in_shelter(rng, at)
    events += _procedures(rng, at)
    if rng.random() < 0.2:
        outcome = rng.choice([None, "no_durable_solution_possible"])
        events.append({"type": "mrt_discussed", "date": at(0, 30), "outcome": outcome})
    if rng.random() < 0.6:
        category, country, verified = OUTFLOW_CATEGORIES[n % len(OUTFLOW_CATEGORIES)]
        outflow = {"type": "outflow", "date": at(0, 120), "category": category, "verified": verified}
        if country:
            outflow["country"] = country
        events.append(outflow)
    return events


def generated(count: int, seed: int = 13) -> list[dict]:
    """Histories drawn at random (every outflow category, open and closed, both versions)."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        at = _Days(rng)
        events = [{"type": "registered", "date": at(0, 1)}]
        if rng.random() < 0.1:
            events.append({"type": "rejected", "date": at(0, 20), "reason": "Geen regiobinding"})
        else:
            events += _admitted(rng, at, n)
        v2 = any(e["type"] in ("application_submitted", "application_decided", "departure_planned") for e in events)
        person = _person(100 + n, nationality=rng.choice(["ER", "MA", "SY", None]))
        if rng.random() < 0.2:  # without V-number; the same person in several lines when never sheltered
            sheltered = any(e["type"] == "shelter_started" for e in events)
            name = f"Zonder{n}" if sheltered else f"Zonder{n % 3}"
            person = {"family_name": name, "given_names": "Nummer", "birth_date": "1991-03-03"}
        lines.append(
            _line(
                f"G-{n:03d}",
                rng.choice(["amsterdam", "rotterdam"]),
                person,
                events,
                schema="lvv-case/2" if v2 else "lvv-case/1",
                case_types=rng.sample(["medical", "family", "no_fault", "safe_country"], rng.randrange(0, 3)),
            )
        )
    today = datetime.date.today().isoformat()
    return [line for line in lines if line["events"][-1]["date"] <= today]


# --- The snapshot -----------------------------------------------------------------------------------


def _models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if isinstance(model._meta.pk, (models.AutoField, models.BigAutoField)) and not model._meta.proxy
    ]


def high_water() -> dict[type, int]:
    """The highest id of every table before the import (older rows are left out)."""
    return {model: model.objects.aggregate(top=models.Max("pk"))["top"] or 0 for model in _models()}


# JSON keys that hold the id of a row (the timeline's data, the access log's detail).
ID_KEYS = {"case": Case, "application": Application, "plan": DeparturePlan}


class Keys:
    """Stable names for the rows the import wrote: ids differ between the two imports."""

    def __init__(self, before: dict[type, int]):
        self.before = before
        self.names: dict[tuple[type, int], tuple] = {}
        slugs = dict(apps.get_model("partners", "Location").objects.values_list("pk", "slug"))
        new_cases = Case.objects.filter(pk__gt=before[Case]).order_by("pk")
        for pk, location, external_id in new_cases.values_list("pk", "location", "external_id"):
            self.names[(Case, pk)] = ("case", slugs[location], external_id)
        persons: dict[int, list] = {}
        for pk, person in new_cases.values_list("pk", "person"):
            persons.setdefault(person, []).append(self.names[(Case, pk)])
        for person, cases in persons.items():
            if person > before[Person]:
                self.names[(Person, person)] = ("person", *sorted(cases))
        for model in _models():
            if model in (Case, Person) or not any(f.name == "case" for f in model._meta.concrete_fields):
                continue
            rows = model.objects.filter(pk__gt=before[model]).order_by("pk").values_list("pk", "case")
            places: dict[int, int] = {}
            for pk, case in rows:
                places[case] = places.get(case, 0) + 1
                self.names[(model, pk)] = (model._meta.label_lower, self.name(Case, case), places[case])

    def name(self, model, pk):
        if pk is None or not isinstance(pk, int) or pk <= self.before.get(model, 0):
            return pk  # an older row: the same id in both imports
        return self.names.get((model, pk), ("unnamed", model._meta.label))

    def json(self, value):
        if isinstance(value, dict):
            return {k: self.name(ID_KEYS[k], v) if k in ID_KEYS else self.json(v) for k, v in value.items()}
        return value


def snapshot(before: dict[type, int]) -> dict[str, list]:
    """Every new row of every table, in the order written, as comparable values."""
    keys = Keys(before)
    out = {}
    for model in _models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and not isinstance(f, models.DateTimeField)  # ids and timestamps differ
        ]
        rows = []
        for row in model.objects.filter(pk__gt=before[model]).order_by("pk").values("pk", *[f.attname for f in fields]):
            values = {"row": keys.name(model, row["pk"])}
            for f in fields:
                value = row[f.attname]
                if f.is_relation:
                    value = keys.name(f.related_model, value)
                elif isinstance(f, models.JSONField):
                    value = keys.json(value)
                values[f.name] = value
            if model is AccessLogEntry:
                values["object_id"] = _logged_object(keys, row)
                values["about_case"] = keys.name(Case, row["about_case"])
            rows.append(values)
        if rows:
            out[model._meta.label_lower] = rows
    return out


def _logged_object(keys: Keys, row: dict):
    if not row["object_type"] or not row["object_id"].isdigit():
        return row["object_id"]
    return keys.name(apps.get_model(row["object_type"]), int(row["object_id"]))


def both_ways(data: bytes, user) -> tuple[dict, dict]:
    """The rows of the per-event import (then rolled back) and of the bulk import."""
    before = high_water()
    with transaction.atomic():
        importer.run_import(data, acting_user=user, origin=COMMAND, bulk=False)
        by_services = snapshot(before)
        transaction.set_rollback(True)
    before_bulk = high_water()
    assert {m: n for m, n in before_bulk.items() if n != before[m]} == {}  # the sequences moved, not the rows
    with CaptureQueriesContext(connection) as queries:
        importer.run_import(data, acting_user=user, origin=COMMAND)
    by_bulk = snapshot(before)
    assert len(queries) < 80, [q["sql"][:120] for q in queries]  # rows in bulk, not per case
    return by_services, by_bulk


def assert_same(by_services: dict, by_bulk: dict) -> None:
    assert sorted(by_bulk) == sorted(by_services)
    for label, rows in by_services.items():
        assert len(by_bulk[label]) == len(rows), label
        for expected, found in zip(rows, by_bulk[label], strict=True):
            assert found == expected, label


# --- The tests ------------------------------------------------------------------------------------------


@pytest.fixture
def setting(world):
    """Stored persons to find, a safe country with a maximum stay, an LVV where participation is voluntary."""
    ams, rot = world.ams.location, world.rot.location
    ams.safe_country_max_stay_days = 180
    ams.save()
    rot.voluntary_participation = True
    rot.save()
    SafeCountry.objects.create(country="MA", listed_from=datetime.date(2015, 1, 1))
    stored = CaseFactory(location=ams, person=PersonFactory(v_number=None, family_name="Haile", given_names="Senait"))
    lines = handmade(stored.person, world.ams.unassigned.person.v_number) + generated(60)
    return lines


def every_event_type(lines: list[dict]) -> set[str]:
    return {event["type"] for line in lines for event in line["events"]}


def test_the_file_holds_every_event_type_of_every_version(setting):
    assert every_event_type(setting) == set(importer.event_types(importer.schemas()[-1]))
    categories = {e["category"] for line in setting for e in line["events"] if e["type"] == "outflow"}
    assert categories == {c for c, _country, _verified in OUTFLOW_CATEGORIES}


@pytest.mark.parametrize(
    "trigger",
    [RestPeriodTrigger.COMPLETE_DOSSIER, RestPeriodTrigger.SHELTER_START, RestPeriodTrigger.DOSSIER_AND_SCENARIO],
)
def test_bulk_import_as_the_system_writes_the_rows_of_the_services(setting, trigger):
    programme = ProgrammeSettings.current()
    programme.rest_period_trigger = trigger
    programme.save()
    by_services, by_bulk = both_ways(jsonl(*setting), SYSTEM)
    assert_same(by_services, by_bulk)
    # What the comparison covers: every kind of row, and deadlines of every kind.
    assert {"cases.case", "cases.person", "cases.timelineevent", "cases.deadline", "audit.accesslogentry"} <= set(
        by_bulk
    )
    assert {"procedures.application", "procedures.departureplan", "cases.outflow", "cases.scenario"} <= set(by_bulk)
    kinds = {row["kind"] for row in by_bulk["cases.deadline"]}
    assert {"scenario_review", "cooperation_check", "max_stay"} <= kinds
    assert Case.objects.filter(external_id__startswith="G-").count() + 13 == len(setting)


@pytest.mark.parametrize("special", [True, False], ids=["with-special-permission", "without"])
def test_bulk_import_as_a_case_worker_writes_the_rows_of_the_services(setting, world, special):
    worker = world.ams.users[Role.CASEMANAGER]
    lines = [line for line in setting if line["lvv"] == "amsterdam"]
    if special:
        worker.user_permissions.add(Permission.objects.get(codename="view_special_category"))
    else:
        for line in lines:
            line["case_types"] = [t for t in line.get("case_types", []) if t not in ("medical", "psychological")]
    by_services, by_bulk = both_ways(jsonl(*lines), worker)
    assert_same(by_services, by_bulk)
    # The partners' steps are the system's, logged as this worker's import.
    on_behalf = [row for row in by_bulk["audit.accesslogentry"] if row["detail"].get("performed_as") == "system"]
    assert {row["detail"]["step"] for row in on_behalf} >= {
        "deliver_dossier_ind",
        "deliver_dossier_dtv",
        "confirm_outflow",
        "application_decided",
        "departure_planned",
    }
    assert all(row["actor"] == worker.pk for row in on_behalf)


def test_the_errors_are_those_of_the_services(setting, world):
    """A case worker without the special-category permission may not set special case types:
    the same lines, fields and messages either way, and nothing written."""
    worker = world.ams.users[Role.CASEMANAGER]
    lines = [line for line in setting if line["lvv"] == "amsterdam"]
    data = jsonl(*lines)
    found = []
    for bulk in (False, True):
        before = (Case.objects.count(), TimelineEvent.objects.count(), AccessLogEntry.objects.count())
        with pytest.raises(importer.ImportInvalid) as caught:
            importer.run_import(data, acting_user=worker, origin=COMMAND, bulk=bulk)
        found.append([e.as_dict() for e in caught.value.errors])
        assert (Case.objects.count(), TimelineEvent.objects.count()) == before[:2]
    assert found[0] == found[1]
    assert found[0] and {e["field"] for e in found[0]} == {"case_types"}


def test_an_external_id_taken_by_a_case_the_user_may_not_see(world, monkeypatch):
    """Found by the services' model validation, by the bulk path before writing: the same error."""
    hidden = CaseFactory(location=world.ams.location, external_id="VERBORGEN")
    original = CaseQuerySet.visible_to

    def all_but_hidden(self, user):  # a user who sees every case of the LVV but this one
        return original(self, user).exclude(pk=hidden.pk)

    monkeypatch.setattr(CaseQuerySet, "visible_to", all_but_hidden)
    data = jsonl(_line("VERBORGEN", "amsterdam", _person(500), [{"type": "registered", "date": "2020-01-06"}]))
    found = []
    for bulk in (False, True):
        with pytest.raises(importer.ImportInvalid) as caught:
            importer.run_import(data, acting_user=world.ams.users[Role.CASEMANAGER], origin=COMMAND, bulk=bulk)
        found.append([e.as_dict() for e in caught.value.errors])
    assert found[0] == found[1] == [{"line": 1, "field": "", "message": str(EXTERNAL_ID_TAKEN)}]
    assert not Person.objects.filter(v_number=_person(500)["v_number"]).exists()


def copies(count: int) -> list[dict]:
    """``count`` cases with the same rich history (every kind of row), each its own person."""
    template = next(line for line in handmade(PersonFactory.build(), "0000000000") if line["external_id"] == "H-12")
    lines = []
    for n in range(count):
        line = copy.deepcopy(template)
        line["external_id"], line["person"] = f"C-{n:03d}", _person(900 + n)
        line["events"].append(
            {"type": "outflow", "date": "2020-03-02", "category": "residence_granted", "verified": True}
        )
        lines.append(line)
    return lines


def test_the_bulk_path_runs_a_fixed_number_of_queries_per_chunk(world, monkeypatch):
    def queries(lines) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert importer.run_import(jsonl(*lines), acting_user=SYSTEM, origin=COMMAND).created == len(lines)
        return len(captured)

    ProgrammeSettings.current()  # its row exists, as in any running system
    lines = copies(45)
    assert queries(lines[:3]) == queries(lines[3:30])
    monkeypatch.setattr(import_bulk, "CHUNK", 5)
    with CaptureQueriesContext(connection) as captured:
        importer.run_import(jsonl(*lines[30:]), acting_user=SYSTEM, origin=COMMAND)
    inserts = [q for q in captured if q["sql"].startswith('COPY "cases_case"')]
    assert len(inserts) == 3  # one per chunk of five lines


def test_the_errors_of_every_chunk_are_reported_as_the_services_report_them(world, monkeypatch):
    """After a bad line the bulk path writes nothing more but checks every line, as the
    per-event path does: the errors of later chunks are reported too."""
    worker = world.ams.users[Role.CASEMANAGER]  # without the special-category permission
    lines = copies(12)
    for n in (1, 9):
        lines[n]["case_types"] = ["medical"]
    monkeypatch.setattr(import_bulk, "CHUNK", 5)
    found = []
    for bulk in (False, True):
        with pytest.raises(importer.ImportInvalid) as caught:
            importer.run_import(jsonl(*lines), acting_user=worker, origin=COMMAND, bulk=bulk)
        found.append([e.as_dict() for e in caught.value.errors])
    assert found[0] == found[1]
    assert [(e["line"], e["field"]) for e in found[1]] == [(2, "case_types"), (10, "case_types")]
    assert not Case.objects.filter(external_id__startswith="C-").exists()
