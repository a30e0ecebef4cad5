"""The case import, version 2 (contracts/case-import.md, "Version 2"): applications and
departure plans in the history, beside version 1 lines in one file; the same records as
the steps by hand; each new rule broken once (the line, the field, nothing written);
idempotency across the versions and an update that adds version 2 events."""

from __future__ import annotations

import copy
import datetime

import pytest

from cases import importer
from cases import services as case_services
from cases.importer import run_import
from cases.models import Case, EventType, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from procedures import importing
from procedures import services as procedure_services
from procedures.models import Application, DeparturePlan, DepartureStep
from tests.cases.import_helpers import jsonl
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NEW_TYPES = (EventType.APPLICATION_SUBMITTED, EventType.APPLICATION_DECIDED, EventType.DEPARTURE_PLANNED)

V1 = {
    "schema": "lvv-case/1",
    "external_id": "AMS-2019-0001",
    "lvv": "amsterdam",
    "person": {"v_number": "1234567890", "family_name": "Tesfay", "given_names": "Abel", "birth_date": "1981-05-02"},
    "events": [
        {"type": "registered", "date": "2019-03-20"},
        {"type": "admitted", "date": "2019-04-01"},
        {"type": "shelter_started", "date": "2019-04-01"},
    ],
}
# Every new event type: two applications of one kind (the decision takes the earliest), an
# appeal decided by the court, a plan and a re-planning.
V2_EVENTS = [
    {"type": "registered", "date": "2019-05-02"},
    {"type": "admitted", "date": "2019-05-09"},
    {"type": "application_submitted", "date": "2019-05-09", "kind": "asylum_repeat"},
    {"type": "shelter_started", "date": "2019-05-10"},
    {"type": "application_submitted", "date": "2019-06-01", "kind": "no_fault"},
    {"type": "application_submitted", "date": "2019-06-03", "kind": "no_fault"},
    {"type": "application_decided", "date": "2019-08-01", "kind": "asylum_repeat", "outcome": "rejected"},
    {"type": "application_submitted", "date": "2019-08-15", "kind": "appeal"},
    {"type": "application_decided", "date": "2019-09-01", "kind": "no_fault", "outcome": "withdrawn"},
    {"type": "application_decided", "date": "2019-12-01", "kind": "appeal", "outcome": "rejected"},
    {"type": "departure_planned", "date": "2020-01-10", "planned_on": "2020-02-01", "support": "iom"},
    {"type": "departure_planned", "date": "2020-01-20", "planned_on": "2020-03-01", "support": "dtv"},
]
V2 = {
    "schema": "lvv-case/2",
    "external_id": "AMS-2019-0002",
    "lvv": "amsterdam",
    "person": {"family_name": "Okafor", "given_names": "Amaka", "birth_date": "1990-02-03"},
    "events": V2_EVENTS,
}


def v2(events=None, **changes) -> dict:
    data = copy.deepcopy(V2)
    if events is not None:
        data["events"] = events
    data.update(changes)
    return data


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        TimelineEvent.objects.count(),
        Application.objects.count(),
        DeparturePlan.objects.count(),
        DepartureStep.objects.count(),
    )


def errors_of(data: bytes, user=SYSTEM) -> list[importer.LineError]:
    with pytest.raises(importer.ImportInvalid) as caught:
        run_import(data, acting_user=user, origin=COMMAND)
    return caught.value.errors


def _applications(case) -> list[tuple]:
    return list(
        Application.objects.filter(case=case)
        .order_by("submitted_on", "id")
        .values_list("kind", "submitted_on", "submitted_by", "decided_on", "outcome", "version")
    )


def _plans(case) -> list[tuple]:
    plans = DeparturePlan.objects.filter(case=case).order_by("made_on", "id")
    return list(plans.values_list("made_on", "planned_on", "support"))


def _timeline(case) -> list[tuple]:
    """The new events in order, with their data (record ids replaced by their order)."""
    rows = TimelineEvent.objects.filter(case=case, type__in=NEW_TYPES).order_by("occurred_on", "id")
    ids: dict = {}
    out = []
    for event in rows:
        data = dict(event.data)
        for key in ("application", "plan"):
            if key in data:
                data[key] = ids.setdefault((key, data[key]), len(ids))
        out.append((event.type, event.occurred_on, data))
    return out


def test_a_file_with_both_versions_gives_the_records_of_the_steps_by_hand(world):
    """Version 1 and version 2 lines in one file; the imported history equals the same
    steps taken by hand by the partners whose work they are."""
    summary = run_import(jsonl(V1, V2), acting_user=world.ams.users[Role.CASEMANAGER], origin=COMMAND)
    assert (summary.created, summary.lines) == (2, 2)
    imported = Case.objects.get(external_id="AMS-2019-0002")
    assert Case.objects.get(external_id="AMS-2019-0001").state == "sheltered"

    # By hand: the case worker, the IND, the case worker (the court's decision), the DT&V.
    worker, ind, dtv = (world.ams.users[role] for role in (Role.CASEMANAGER, Role.IND, Role.DTV))
    day = datetime.date.fromisoformat
    case = CaseFactory(location=world.ams.location, registered_on=day("2019-05-02"))
    kw = {"origin": COMMAND}
    case = case_services.admit(
        acting_user=worker, case=case, on=day("2019-05-09"), require_check=False, waitlist_when_full=False, **kw
    )
    first = procedure_services.submit_application(
        acting_user=worker, case=case, kind="asylum_repeat", submitted_on=day("2019-05-09"), **kw
    )
    case = case_services.start_shelter(
        acting_user=worker, case=case, on=day("2019-05-10"), enforce_capacity=False, **kw
    )
    no_fault = procedure_services.submit_application(
        acting_user=worker, case=case, kind="no_fault", submitted_on=day("2019-06-01"), **kw
    )
    procedure_services.submit_application(
        acting_user=worker, case=case, kind="no_fault", submitted_on=day("2019-06-03"), **kw
    )
    procedure_services.decide_application(
        acting_user=ind, application=first, outcome="rejected", decided_on=day("2019-08-01"), **kw
    )
    appeal = procedure_services.submit_application(
        acting_user=worker, case=case, kind="appeal", submitted_on=day("2019-08-15"), **kw
    )
    procedure_services.decide_application(
        acting_user=ind, application=no_fault, outcome="withdrawn", decided_on=day("2019-09-01"), **kw
    )
    procedure_services.decide_application(
        acting_user=worker, application=appeal, outcome="rejected", decided_on=day("2019-12-01"), **kw
    )
    plan = procedure_services.plan_departure(
        acting_user=dtv, case=case, made_on=day("2020-01-10"), planned_on=day("2020-02-01"), support="iom", **kw
    )
    procedure_services.plan_departure(
        acting_user=dtv,
        case=case,
        made_on=day("2020-01-20"),
        planned_on=day("2020-03-01"),
        support="dtv",
        replaces=plan.pk,
        **kw,
    )

    assert _applications(imported) == _applications(case)
    assert _applications(imported) == [
        ("asylum_repeat", day("2019-05-09"), "", day("2019-08-01"), "rejected", 2),
        ("no_fault", day("2019-06-01"), "", day("2019-09-01"), "withdrawn", 2),  # the earliest of its kind
        ("no_fault", day("2019-06-03"), "", None, "", 1),
        ("appeal", day("2019-08-15"), "", day("2019-12-01"), "rejected", 2),
    ]
    assert (
        _plans(imported)
        == _plans(case)
        == [
            (day("2020-01-10"), day("2020-02-01"), "iom"),
            (day("2020-01-20"), day("2020-03-01"), "dtv"),
        ]
    )
    assert procedure_services.current_plan(imported).planned_on == day("2020-03-01")
    assert _timeline(imported) == _timeline(case)
    assert len(_timeline(imported)) == 9


def test_steps_the_importing_role_may_not_take_are_the_systems_and_logged_as_this_import(world):
    worker = world.ams.users[Role.CASEMANAGER]
    run_import(jsonl(V2), acting_user=worker, origin=COMMAND)
    case = Case.objects.get(external_id="AMS-2019-0002")
    decisions = Application.objects.filter(case=case, decided_on__isnull=False)
    # The IND's decisions and the DT&V's plans: as the system; the court's (appeal) by the worker.
    assert {(a.kind, a.decided_by_id) for a in decisions} == {
        ("asylum_repeat", None),
        ("no_fault", None),
        ("appeal", worker.pk),
    }
    assert set(DeparturePlan.objects.filter(case=case).values_list("recorded_by", flat=True)) == {None}
    assert set(Application.objects.filter(case=case).values_list("recorded_by", flat=True)) == {worker.pk}
    done_as_system = AccessLogEntry.objects.filter(actor=worker, detail__performed_as="system", detail__via="import")
    steps = sorted(row.detail["step"] for row in done_as_system)
    assert steps == ["application_decided", "application_decided", "departure_planned", "departure_planned"]


def test_importing_twice_changes_nothing_and_a_version_1_line_as_version_2_is_the_same(world):
    run_import(jsonl(V1, V2), acting_user=SYSTEM, origin=COMMAND)
    before = counts()
    summary = run_import(jsonl({**V1, "schema": "lvv-case/2"}, V2), acting_user=SYSTEM, origin=COMMAND)
    assert (summary.skipped, summary.created) == (2, 0)
    assert counts() == before


def test_an_update_adds_version_2_events_to_a_version_1_case(world):
    run_import(jsonl(V1), acting_user=SYSTEM, origin=COMMAND)
    longer = {
        **V1,
        "schema": "lvv-case/2",
        "events": [
            *V1["events"],
            {"type": "application_submitted", "date": "2019-06-01", "kind": "medical_art64"},
            {"type": "application_decided", "date": "2019-07-01", "kind": "medical_art64", "outcome": "granted"},
            {"type": "departure_planned", "date": "2019-07-02", "planned_on": "2019-07-02", "support": "independent"},
        ],
    }
    summary = run_import(jsonl(longer), acting_user=SYSTEM, origin=COMMAND, update=True)
    assert summary.updated == 1
    case = Case.objects.get(external_id="AMS-2019-0001")
    assert _applications(case) == [
        ("medical_art64", datetime.date(2019, 6, 1), "", datetime.date(2019, 7, 1), "granted", 2)
    ]
    assert _plans(case) == [(datetime.date(2019, 7, 2), datetime.date(2019, 7, 2), "independent")]


def test_a_dry_run_checks_the_services_and_writes_nothing(world):
    before = counts()
    summary = run_import(jsonl(V1, V2), acting_user=SYSTEM, origin=COMMAND, dry_run=True)
    assert summary.created == 2 and counts() == before


# --- Each new rule broken once: the line, the field, the reason; nothing written ------------------


def _event(index: int, **changes):
    def change(events):
        events[index] = {**events[index], **changes}
        for key, value in changes.items():
            if value is None:
                del events[index][key]
        return events

    return change


def _insert(index: int, event: dict):
    def change(events):
        events.insert(index, event)
        return events

    return change


RULES = [
    (
        "version-2-type-on-a-version-1-line",
        lambda events: events[:3],
        {"schema": "lvv-case/1"},
        "events[2].type",
        importer.INVALID_CHOICE % {"choices": ", ".join(importer.EVENT_TYPES)},
    ),
    (
        "kind-unknown",
        _event(2, kind="asylum"),
        {},
        "events[2].kind",
        importer.INVALID_CHOICE % {"choices": ", ".join(importing.KINDS)},
    ),
    ("kind-missing", _event(2, kind=None), {}, "events[2].kind", importer.REQUIRED),
    (
        "outcome-unknown",
        _event(6, outcome="granted_in_part"),
        {},
        "events[6].outcome",
        importer.INVALID_CHOICE % {"choices": "granted, rejected, withdrawn"},
    ),
    ("outcome-missing", _event(6, outcome=None), {}, "events[6].outcome", importer.REQUIRED),
    ("unknown-field", _event(2, submitted_by="lawyer"), {}, "events[2].submitted_by", importer.UNKNOWN_FIELD),
    (
        "application-before-admitted",
        _insert(1, {"type": "application_submitted", "date": "2019-05-02", "kind": "regular"}),
        {},
        "events[1].type",
        importing.NEEDS_ADMITTED % {"type": "application_submitted"},
    ),
    (
        "plan-before-admitted",
        _insert(1, {"type": "departure_planned", "date": "2019-05-02", "planned_on": "2019-06-01", "support": "iom"}),
        {},
        "events[1].type",
        importing.NEEDS_ADMITTED % {"type": "departure_planned"},
    ),
    (
        "decided-without-submitted",
        _event(6, kind="regular"),
        {},
        "events[6].kind",
        importing.DECIDED_WITHOUT_SUBMITTED % {"kind": "regular"},
    ),
    (
        "decided-twice",
        _insert(
            7, {"type": "application_decided", "date": "2019-08-01", "kind": "asylum_repeat", "outcome": "granted"}
        ),
        {},
        "events[7].kind",
        importing.DECIDED_WITHOUT_SUBMITTED % {"kind": "asylum_repeat"},
    ),
    (
        "planned-before-the-events-date",
        _event(10, planned_on="2020-01-09"),
        {},
        "events[10].planned_on",
        importing.PLANNED_BEFORE_DATE % {"date": "2020-01-10"},
    ),
    ("planned-on-not-a-date", _event(10, planned_on="1-2-2020"), {}, "events[10].planned_on", importer.NOT_A_DATE),
    ("planned-on-missing", _event(10, planned_on=None), {}, "events[10].planned_on", importer.REQUIRED),
    (
        "support-unknown",
        _event(10, support="taxi"),
        {},
        "events[10].support",
        importer.INVALID_CHOICE % {"choices": "iom, dtv, independent"},
    ),
    (
        "dates-out-of-order",
        _event(9, date="2019-08-31"),
        {},
        "events[9].date",
        importer.DATE_ORDER % {"date": "2019-09-01"},
    ),
    (
        "after-outflow",
        _insert(10, {"type": "outflow", "date": "2020-01-01", "category": "back_to_bbb"}),
        {},
        "events[11].type",
        importer.AFTER_END % {"type": "outflow"},
    ),
]


@pytest.mark.parametrize(
    ("change", "top", "field", "message"), [rule[1:] for rule in RULES], ids=[rule[0] for rule in RULES]
)
def test_each_new_rule_broken_once_names_line_and_field_and_writes_nothing(world, change, top, field, message):
    bad = v2(change(copy.deepcopy(V2_EVENTS)), **top)
    before = counts()
    errors = errors_of(jsonl(V1, bad))
    assert [(e.line, e.field) for e in errors] == [(2, field)], errors
    assert errors[0].message == str(message)
    assert counts() == before


def test_a_planned_date_after_2099_is_refused(world):
    bad = v2(_event(10, planned_on="2100-01-01")(copy.deepcopy(V2_EVENTS)))
    errors = errors_of(jsonl(bad))
    assert [(e.line, e.field) for e in errors] == [(1, "events[10].planned_on")]
    assert not Application.objects.exists()


def test_a_schema_neither_version_is_refused(world):
    errors = errors_of(jsonl(v2(schema="lvv-case/3")))
    assert [(e.line, e.field, e.message) for e in errors] == [(1, "schema", importer.wrong_schema())]
    assert "lvv-case/2" in importer.wrong_schema() and "lvv-case/1" in importer.wrong_schema()
