"""The monitor's version 2 keys (contracts/monitor.md, "Added in version 2"):
``procedures_pending``, ``departures_planned`` and ``mrt_no_durable_solution``, at the
boundary dates (submitted or decided on D, planned on D, MRT advice after D), from the
records the services write; and a property test against an independent spelling of the
definitions in plain Python."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import services as case_services
from cases.models import EventType, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND
from monitor import exports
from monitor import services as monitor_services
from monitor.figures import FIGURE_KEYS, figures, flatten
from monitor.labels import FIGURE_LABELS
from procedures import services
from procedures.models import ApplicationKind
from tests.factories import CaseFactory, PersonFactory
from tests.lso.helpers import sheltered_case
from tests.monitor.builders import DAY, D, at, build
from tests.mrt.helpers import advise, escalated

pytestmark = pytest.mark.django_db

SYS = {"acting_user": SYSTEM, "origin": COMMAND}
KINDS = [kind.value for kind in ApplicationKind]


def sheltered(location, *, on=D - 90 * DAY, **kwargs):
    return build(location, sheltered=on, **kwargs)


def submit(case, kind, on):
    return services.submit_application(**SYS, case=case, kind=kind, submitted_on=on)


def decide(application, on, outcome="rejected"):
    return services.decide_application(**SYS, application=application, outcome=outcome, decided_on=on)


def plan(case, made_on, planned_on, support="iom"):
    return services.plan_departure(**SYS, case=case, made_on=made_on, planned_on=planned_on, support=support)


# --- procedures_pending -------------------------------------------------------------------------


def test_every_new_key_is_there_and_zero_without_records(ams):
    part = at(D, ams)["locations"]["amsterdam"]
    assert part["procedures_pending"] == {**dict.fromkeys(KINDS, 0), "total": 0}
    assert part["departures_planned"] == 0 and part["mrt_no_durable_solution"] == 0
    assert FIGURE_KEYS[-len(KINDS) - 3 :] == [
        *(f"procedures_pending.{kind}" for kind in KINDS),
        "procedures_pending.total",
        "departures_planned",
        "mrt_no_durable_solution",
    ]


def test_an_application_submitted_on_the_date_is_pending_on_that_date(ams):
    submit(sheltered(ams), "asylum_repeat", D)
    assert at(D - DAY, ams)["total"]["procedures_pending"]["asylum_repeat"] == 0
    assert at(D, ams)["total"]["procedures_pending"]["asylum_repeat"] == 1


def test_an_application_decided_on_the_date_is_no_longer_pending_on_that_date(ams):
    application = submit(sheltered(ams), "no_fault", D - 30 * DAY)
    decide(application, D, "granted")
    assert at(D - DAY, ams)["total"]["procedures_pending"]["no_fault"] == 1
    assert at(D, ams)["total"]["procedures_pending"]["no_fault"] == 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("outcome", ["granted", "rejected", "withdrawn"])
def test_each_kind_counts_until_each_outcome(ams, kind, outcome):
    application = submit(sheltered(ams), kind, D - 10 * DAY)
    decide(application, D + DAY, outcome)
    pending = at(D, ams)["total"]["procedures_pending"]
    assert pending == {**dict.fromkeys(KINDS, 0), kind: 1, "total": 1}
    assert at(D + DAY, ams)["total"]["procedures_pending"]["total"] == 0


def test_the_total_counts_a_person_with_two_pending_kinds_once(ams, rot):
    case = sheltered(ams)
    submit(case, "asylum_repeat", D - 5 * DAY)
    submit(case, "medical_art64", D - 4 * DAY)
    submit(case, "medical_art64", D - 3 * DAY)  # two of one kind: one person
    submit(sheltered(rot), "regular", D)
    result = at(D)
    assert result["locations"]["amsterdam"]["procedures_pending"] == {
        **dict.fromkeys(KINDS, 0),
        "asylum_repeat": 1,
        "medical_art64": 1,
        "total": 1,
    }
    assert result["total"]["procedures_pending"]["total"] == 2
    assert result["total"]["procedures_pending"]["regular"] == 1


def test_only_present_persons_within_the_covenant_count(ams):
    left = sheltered(ams)
    submit(left, "regular", D - 10 * DAY)
    case_services.record_outflow(**SYS, case=left, category="asylum_centre", on=D, enforce_procedure=False)
    waiting = build(ams, admitted=D - 20 * DAY)  # admitted, no place yet: not present
    submit(waiting, "regular", D - 10 * DAY)
    outside = sheltered(ams, exception=True)
    submit(outside, "regular", D - 10 * DAY)
    assert at(D - DAY, ams)["total"]["procedures_pending"]["regular"] == 1  # the one who left on D
    assert at(D, ams)["total"]["procedures_pending"]["regular"] == 0


# --- departures_planned ---------------------------------------------------------------------


def test_a_departure_planned_for_the_date_counts_on_that_date_and_not_after(ams):
    plan(sheltered(ams), D - 10 * DAY, D)
    assert at(D, ams)["total"]["departures_planned"] == 1
    assert at(D + DAY, ams)["total"]["departures_planned"] == 0
    assert at(D - 11 * DAY, ams)["total"]["departures_planned"] == 0  # not planned yet


def test_a_plan_made_on_the_date_counts_from_that_date(ams):
    plan(sheltered(ams), D, D)
    assert at(D - DAY, ams)["total"]["departures_planned"] == 0
    assert at(D, ams)["total"]["departures_planned"] == 1


def test_the_latest_plan_made_on_or_before_the_date_counts(ams):
    case = sheltered(ams)
    plan(case, D - 10 * DAY, D + 5 * DAY)
    plan(case, D - 2 * DAY, D - DAY)  # re-planned to an earlier date, which has passed on D
    plan(case, D + DAY, D + 30 * DAY)  # a later re-planning does not count on D
    assert at(D - 3 * DAY, ams)["total"]["departures_planned"] == 1
    assert at(D - DAY, ams)["total"]["departures_planned"] == 1
    assert at(D, ams)["total"]["departures_planned"] == 0
    assert at(D + DAY, ams)["total"]["departures_planned"] == 1


def test_two_plans_made_on_one_day_the_one_recorded_last_counts(ams):
    case = sheltered(ams)
    plan(case, D - 5 * DAY, D + 5 * DAY)
    plan(case, D - 5 * DAY, D - 5 * DAY)
    assert at(D, ams)["total"]["departures_planned"] == 0
    plan(case, D - 5 * DAY, D)
    assert at(D, ams)["total"]["departures_planned"] == 1


def test_departures_of_persons_no_longer_present_do_not_count(ams):
    case = sheltered(ams)
    plan(case, D - 10 * DAY, D)
    case_services.record_outflow(
        **SYS, case=case, category="departure_origin", country="MA", on=D, enforce_procedure=False
    )
    assert at(D - DAY, ams)["total"]["departures_planned"] == 1
    assert at(D, ams)["total"]["departures_planned"] == 0


# --- mrt_no_durable_solution ------------------------------------------------------------------


def _mrt(case, on, outcome=None, imported=True):
    case_services.record_mrt_discussion(**SYS, case=case, on=on, outcome=outcome, imported=imported)


def test_an_imported_discussion_that_found_no_durable_solution_counts_from_its_date(ams):
    _mrt(sheltered(ams), D, "no_durable_solution_possible")
    _mrt(sheltered(ams), D - 10 * DAY)  # discussed, no such outcome
    _mrt(sheltered(ams), D + DAY, "no_durable_solution_possible")  # after D
    assert at(D - DAY, ams)["total"]["mrt_no_durable_solution"] == 0
    day = at(D, ams)["total"]
    assert (day["mrt_cases"], day["mrt_no_durable_solution"]) == (2, 1)
    assert at(D + DAY, ams)["total"]["mrt_no_durable_solution"] == 2


def test_a_case_discussed_twice_counts_once_and_a_bare_flag_never(ams):
    case = sheltered(ams)
    _mrt(case, D - 5 * DAY, "no_durable_solution_possible")
    _mrt(case, D - 4 * DAY, "no_durable_solution_possible")
    bare = sheltered(ams)
    _mrt(bare, D - 5 * DAY, "no_durable_solution_possible", imported=False)  # no advice behind it
    TimelineEvent.objects.create(
        case=bare, type=EventType.MRT_ADVICE, occurred_on=D - DAY, data={"no_durable_solution_possible": True}
    )
    assert at(D, ams)["total"]["mrt_no_durable_solution"] == 1
    assert at(D, ams)["total"]["mrt_cases"] == 1


def test_the_mrts_own_advice_counts_from_the_day_it_was_given(world):
    ams = world.ams
    today = timezone.localdate()
    case, escalation = escalated(ams, reason="complexity")
    other, other_escalation = escalated(ams, sheltered_case(ams), reason="complexity")
    advise(ams, escalation, "Geen realistisch perspectief.", no_durable_solution_possible=True)
    advise(ams, other_escalation)
    assert at(today - DAY, ams.location)["total"]["mrt_no_durable_solution"] == 0  # the MRT after that D
    part = at(today, ams.location)["total"]
    assert (part["mrt_cases"], part["mrt_no_durable_solution"]) == (2, 1)


def test_the_total_is_the_sum_of_the_locations_for_the_new_keys(ams, rot):
    submit(sheltered(ams), "regular", D - DAY)
    submit(sheltered(rot), "regular", D - DAY)
    plan(sheltered(rot), D - DAY, D + DAY)
    _mrt(sheltered(rot), D - DAY, "no_durable_solution_possible")
    result = at(D)
    total = flatten(result["total"])
    assert (total["procedures_pending.regular"], total["procedures_pending.total"]) == (2, 2)
    assert total["departures_planned"] == 1
    assert result["total"]["mrt_no_durable_solution"] == 1
    assert at(D, ams)["locations"]["amsterdam"]["departures_planned"] == 0


def test_the_figures_still_take_five_queries(ams, rot, django_assert_num_queries):
    case = sheltered(ams)
    submit(case, "regular", D - DAY)
    plan(case, D - DAY, D + DAY)
    with django_assert_num_queries(5):
        at(D, ams, rot)


# --- A property: the definitions spelled independently -----------------------------------------

BASE = datetime.date(2020, 1, 6)
case_spec = st.fixed_dictionaries(
    {
        "lvv": st.integers(0, 1),
        "within": st.sampled_from([True, True, True, False]),
        "shelter_after": st.none() | st.integers(0, 20),
        "applications": st.lists(
            st.tuples(st.sampled_from(KINDS), st.integers(0, 60), st.none() | st.integers(0, 40)), max_size=3
        ),
        "plans": st.lists(st.tuples(st.integers(0, 60), st.integers(0, 40)), max_size=3),
        "mrt": st.lists(st.tuples(st.integers(0, 60), st.booleans()), max_size=2),
        "outflow_after": st.none() | st.integers(0, 30),
    }
)
PROPERTY_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same examples on every run
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def plan_of(spec: dict) -> dict:
    """The case's records on calendar dates (applications decided after their submission,
    plans made in order, everything before the outflow)."""
    admitted = BASE
    sheltered_on = admitted + spec["shelter_after"] * DAY if spec["shelter_after"] is not None else None
    applications = [
        (kind, admitted + start * DAY, admitted + (start + wait) * DAY if wait is not None else None)
        for kind, start, wait in spec["applications"]
    ]
    plans = [(admitted + made * DAY, admitted + (made + ahead) * DAY) for made, ahead in spec["plans"]]
    mrt = [(admitted + on * DAY, no_solution) for on, no_solution in spec["mrt"]]
    outflow = None
    if spec["outflow_after"] is not None:
        last = max(
            [admitted, sheltered_on or admitted]
            + [on for _k, on, _d in applications]
            + [made for made, _p in plans]
            + [on for on, _n in mrt]
        )
        outflow = last + spec["outflow_after"] * DAY
    return {"sheltered": sheltered_on, "applications": applications, "plans": plans, "mrt": mrt, "outflow": outflow}


def build_case(location, spec: dict):
    records = plan_of(spec)
    case = CaseFactory(location=location, person=PersonFactory(), registered_on=BASE)
    exception = {"exception": "humanitarian", "exception_reason": "Noodsituatie."} if not spec["within"] else {}
    case = case_services.admit(**SYS, case=case, on=BASE, require_check=False, waitlist_when_full=False, **exception)
    steps = []
    if records["sheltered"]:
        steps.append((records["sheltered"], 0, "shelter", None))
    steps += [(on, 1, "submit", (kind, decided)) for kind, on, decided in records["applications"]]
    steps += [(made, 1, "plan", planned) for made, planned in records["plans"]]
    steps += [(on, 1, "mrt", no_solution) for on, no_solution in records["mrt"]]
    decisions = []
    for on, _order, what, detail in sorted(steps, key=lambda step: (step[0], step[1])):
        if what == "shelter":
            case = case_services.start_shelter(**SYS, case=case, on=on, enforce_capacity=False)
        elif what == "submit":
            application = submit(case, detail[0], on)
            if detail[1] is not None:
                decisions.append((detail[1], application))
        elif what == "plan":
            plan(case, on, detail)
        else:
            outcome = "no_durable_solution_possible" if detail else None
            case = case_services.record_mrt_discussion(**SYS, case=case, on=on, outcome=outcome, imported=True)
    for on, application in sorted(decisions, key=lambda item: (item[0], item[1].pk)):
        decide(application, on)
    if records["outflow"]:
        case_services.record_outflow(
            **SYS, case=case, category="back_to_bbb", on=records["outflow"], enforce_procedure=False
        )
    return records


def spelled(specs_and_records, d: datetime.date, slug: str) -> dict:
    """The version 2 keys of one LVV, straight from the definitions."""
    pending = {kind: 0 for kind in KINDS}
    total = departures = no_solution = 0
    for spec, records, case_slug in specs_and_records:
        if case_slug != slug or not spec["within"]:
            continue
        if any(on <= d and no for on, no in records["mrt"]):
            no_solution += 1
        present = (
            records["sheltered"] is not None
            and records["sheltered"] <= d
            and (records["outflow"] is None or records["outflow"] > d)
        )
        if not present:
            continue
        kinds = {kind for kind, on, decided in records["applications"] if on <= d and (decided is None or decided > d)}
        for kind in kinds:
            pending[kind] += 1
        total += bool(kinds)
        plans = enumerate(records["plans"])
        made = [(made_on, number, planned) for number, (made_on, planned) in plans if made_on <= d]
        if made and max(made)[2] >= d:
            departures += 1
    return {
        "procedures_pending": {**pending, "total": total},
        "departures_planned": departures,
        "mrt_no_durable_solution": no_solution,
    }


@PROPERTY_SETTINGS
@given(specs=st.lists(case_spec, min_size=1, max_size=4), offset=st.integers(0, 100))
def test_the_new_keys_against_an_independent_spelling(locations, specs, offset):
    d = BASE + offset * DAY
    with transaction.atomic():
        built = [(spec, build_case(locations[spec["lvv"]], spec), locations[spec["lvv"]].slug) for spec in specs]
        result = figures(d, locations)
        for location in locations:
            part = result["locations"][location.slug]
            expected = spelled(built, d, location.slug)
            assert {key: part[key] for key in expected} == expected
        for key in ("procedures_pending", "departures_planned", "mrt_no_durable_solution"):
            summed = [flatten({key: result["locations"][loc.slug][key]}) for loc in locations]
            assert flatten({key: result["total"][key]}) == {k: sum(s[k] for s in summed) for k in summed[0]}
        transaction.set_rollback(True)


# --- The keys in the JSON of the API, the dashboard, the exports and the snapshots -----------------


@pytest.fixture
def scene(world):
    """In Amsterdam: a pending regular application, a departure planned, an MRT discussion
    that found no durable solution."""
    case = sheltered(world.ams.location)
    submit(case, "regular", D - DAY)
    plan(case, D - DAY, D + DAY)
    _mrt(case, D - DAY, "no_durable_solution_possible")
    return world


def test_the_api_answers_the_new_keys_and_documents_them(api_client, scene):
    api_client.force_authenticate(scene.bureau)
    data = api_client.get("/api/v1/monitor/", {"date": D.isoformat()}).json()
    part = data["locations"]["amsterdam"]
    assert (part["procedures_pending"]["regular"], part["departures_planned"], part["mrt_no_durable_solution"]) == (
        1,
        1,
        1,
    )
    schema = api_client.get("/api/v1/schema/").content.decode()
    assert "procedures_pending" in schema and "mrt_no_durable_solution" in schema


def test_the_dashboard_shows_the_new_keys_with_their_labels(client, scene):
    client.force_login(scene.bureau)
    response = client.get(reverse("monitor:dashboard"), {"date": D.isoformat()})
    html = response.content.decode()
    for label in (
        "Lopende procedure: reguliere verblijfsaanvraag",
        "Lopende procedures: personen",
        "Vertrek gepland",
        "MRT: geen bestendige oplossing mogelijk",
    ):
        assert label in html, label


def test_the_exports_carry_the_new_keys(scene):
    report = exports.build_report(D, full=False)
    text = exports.to_csv(report)
    header = text.removeprefix("\ufeff").splitlines()[0].split(";")
    assert header[-4 - len(KINDS) : -1] == [
        *(str(FIGURE_LABELS[f"procedures_pending.{kind}"]) for kind in KINDS),
        "Lopende procedures: personen",
        "Vertrek gepland",
        "MRT: geen bestendige oplossing mogelijk",
    ]
    assert exports.parse_csv(text) == figures(D)
    html = exports.render_report_html(exports.build_report(D, full=False))
    assert "Vertrek gepland" in html


def test_small_numbers_of_the_new_keys_are_suppressed(scene):
    report = exports.build_report(D, full=False, suppress_small=True)
    part = report.figures["locations"]["amsterdam"]
    assert part["procedures_pending"]["regular"] == "<5" and part["departures_planned"] == "<5"
    assert part["mrt_no_durable_solution"] == "<5"


def test_a_snapshot_keeps_the_new_keys_and_compares_with_an_older_one_without_them(scene):
    snapshot = monitor_services.take_snapshot(acting_user=scene.bureau, origin=COMMAND, reference_date=D)
    assert snapshot.data["total"]["departures_planned"] == 1
    older = copy.deepcopy(snapshot.data)
    for part in (*older["locations"].values(), older["total"]):
        for key in ("procedures_pending", "departures_planned", "mrt_no_durable_solution"):
            del part[key]
    diff = monitor_services.compare(older, snapshot)
    assert diff["total"]["departures_planned"] == {"old": None, "new": 1, "delta": None}
    assert diff["total"]["present"]["delta"] == 0
