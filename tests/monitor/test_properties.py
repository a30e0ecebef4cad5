"""Properties of the figures over small random trajectories (hypothesis), built through
the services. Each example runs in its own savepoint and is rolled back.

1. Adding events after D never changes the figures at D: the records as they stood on D
   (every event after D left out) give the same figures as the full records.
2. The total is the sum of the LVVs for every key except ``ever_sheltered`` (and its
   outside-covenant twin), which counts distinct persons: at most the sum, at least the
   largest LVV.
3. Per LVV, within the covenant: ``present`` + the outflows on or before D of cases
   sheltered on or before D = the cases sheltered on or before D. (``present`` counts
   persons; it equals the open sheltered cases because no person is in shelter twice at
   once, which the services enforce and the generated data respects: a person comes back
   only in the other LVV, after the first stay.) Outflows of cases that never got shelter (from the waiting list) are in
   ``outflow`` but not in this sum.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from monitor.figures import DURABLE, FIGURE_KEYS, figures, flatten
from tests.factories import PersonFactory
from tests.monitor.builders import build

pytestmark = pytest.mark.django_db
BASE = datetime.date(2020, 1, 6)
CATEGORIES = ["departure_origin", "onward_migration", "residence_granted", "asylum_centre", "back_to_bbb", "other"]
DISTINCT_KEYS = ("ever_sheltered", "outside_covenant.ever_sheltered")

case_spec = st.fixed_dictionaries(
    {
        "lvv": st.integers(0, 1),
        "same_person_as": st.none() | st.integers(0, 3),
        "within": st.sampled_from([True, True, True, False]),
        "registered": st.integers(0, 90),
        "admit_after": st.integers(0, 10),
        "wait": st.none() | st.integers(0, 20),
        "shelter_after": st.none() | st.integers(0, 30),
        "scenarios": st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["departure", "residence"])), max_size=2),
        "mrt": st.none() | st.integers(0, 60),
        "outflow": st.none() | st.tuples(st.integers(0, 40), st.sampled_from(CATEGORIES)),
        "confirm": st.none() | st.integers(0, 20),
    }
)
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never meets a new one by chance
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def dates(spec: dict) -> dict:
    """The steps of one case on calendar dates."""
    day = datetime.timedelta(days=1)
    registered = BASE + spec["registered"] * day
    admitted = registered + spec["admit_after"] * day
    waitlisted = admitted if spec["wait"] is not None else None
    sheltered = None
    if spec["shelter_after"] is not None:
        sheltered = admitted + ((spec["wait"] or 0) + spec["shelter_after"]) * day
    scenarios = sorted((admitted + offset * day, direction) for offset, direction in spec["scenarios"])
    mrt = [admitted + spec["mrt"] * day] if spec["mrt"] is not None else []
    outflow = confirmed = None
    if spec["outflow"] is not None:
        last = max([admitted, *(d for d in (waitlisted, sheltered) if d), *(d for d, _ in scenarios), *mrt])
        outflow = (last + spec["outflow"][0] * day, spec["outflow"][1])
        if spec["confirm"] is not None and outflow[1] in DURABLE:
            confirmed = outflow[0] + spec["confirm"] * day
    return {
        "registered": registered,
        "admitted": admitted,
        "waitlisted": waitlisted,
        "sheltered": sheltered,
        "scenarios": scenarios,
        "mrt": mrt,
        "outflow": outflow,
        "confirmed": confirmed,
    }


def as_of(steps: dict, d: datetime.date) -> dict | None:
    """The case as its records stood on ``d`` (None: not registered yet)."""
    if steps["registered"] > d:
        return None
    kept = dict(steps)
    for key in ("admitted", "waitlisted", "sheltered", "confirmed"):
        if kept[key] and kept[key] > d:
            kept[key] = None
    if kept["admitted"] is None:
        kept["waitlisted"] = kept["sheltered"] = None
    kept["scenarios"] = [(on, direction) for on, direction in steps["scenarios"] if on <= d]
    kept["mrt"] = [on for on in steps["mrt"] if on <= d]
    if steps["outflow"] and steps["outflow"][0] > d:
        kept["outflow"] = kept["confirmed"] = None
    return kept


def _stays_overlap(a: dict, b: dict) -> bool:
    """Whether two cases' shelters overlap (inclusive; no outflow: open)."""
    if not a["sheltered"] or not b["sheltered"]:
        return False
    a_end = a["outflow"][0] if a["outflow"] else None
    b_end = b["outflow"][0] if b["outflow"] else None
    return (b_end is None or a["sheltered"] <= b_end) and (a_end is None or b["sheltered"] <= a_end)


def build_all(specs: list[dict], locations, d: datetime.date | None = None) -> list[Case]:
    persons: list = []
    cases = []
    for number, spec in enumerate(specs):
        location = locations[spec["lvv"]]
        other = spec["same_person_as"]
        person = None
        if (
            other is not None
            and other < number
            and specs[other]["lvv"] != spec["lvv"]
            # one place at a time: no overlap with any earlier stay of that person
            and not any(
                _stays_overlap(dates(specs[earlier]), dates(spec))
                for earlier in range(number)
                if persons[earlier] is persons[other]
            )
        ):
            person = persons[other]  # a second stay, in the other LVV
        person = person or PersonFactory()
        persons.append(person)
        steps = dates(spec) if d is None else as_of(dates(spec), d)
        if steps is None:
            continue
        if not steps["admitted"]:
            cases.append(build(location, person=person, registered=steps["registered"]))
            continue
        cases.append(build(location, person=person, exception=not spec["within"], **steps))
    return cases


@PROPERTY_SETTINGS
@given(specs=st.lists(case_spec, min_size=1, max_size=4), offset=st.integers(20, 140))
def test_events_after_the_date_never_change_the_figures(locations, specs, offset):
    d = BASE + datetime.timedelta(days=offset)
    with transaction.atomic():
        build_all(specs, locations, d)
        before = figures(d, locations)
        transaction.set_rollback(True)
    with transaction.atomic():
        build_all(specs, locations)
        after = figures(d, locations)
        transaction.set_rollback(True)
    assert after == before


@PROPERTY_SETTINGS
@given(specs=st.lists(case_spec, min_size=1, max_size=4), offset=st.integers(20, 140))
def test_totals_and_the_balance_of_the_sheltered(locations, specs, offset):
    d = BASE + datetime.timedelta(days=offset)
    with transaction.atomic():
        build_all(specs, locations)
        result = figures(d, locations)
        parts = [flatten(part) for part in result["locations"].values()]
        total = flatten(result["total"])
        for key in FIGURE_KEYS:
            summed = sum(part[key] for part in parts)
            if key in DISTINCT_KEYS:
                assert max(part[key] for part in parts) <= total[key] <= summed
            else:
                assert total[key] == summed, key
        for location in locations:
            part = result["locations"][location.slug]
            sheltered = Case.objects.filter(location=location, within_covenant=True, shelter_started_on__lte=d)
            left = sheltered.filter(outflow__outflow_on__lte=d).count()
            assert part["present"] + left == sheltered.count()
            assert part["ever_sheltered"] == sheltered.values("person").distinct().count()
            assert part["scenario_set"]["total"] <= part["present"]
            assert part["durable_solutions"]["verified"] <= part["durable_solutions"]["total"]
            assert sum(part["outcome_classes"].values()) == sum(part["outflow"].values())
        transaction.set_rollback(True)


@PROPERTY_SETTINGS
@given(specs=st.lists(case_spec, min_size=1, max_size=4), offset=st.integers(0, 140))
def test_waiting_list_and_present_against_an_independent_spelling(locations, specs, offset):
    """``waiting_list``: everyone admitted on or before D without shelter or outflow on D;
    ``present`` in total: distinct persons nationally (one place per person). Spelled here
    in plain Python over the records, apart from ``monitor.figures``' SQL."""
    d = BASE + datetime.timedelta(days=offset)
    with transaction.atomic():
        cases = build_all(specs, locations)
        result = figures(d, locations)
        rows = [Case.objects.select_related("outflow", "location").get(pk=c.pk) for c in cases]

        def outflow_on(case):
            return case.outflow.outflow_on if hasattr(case, "outflow") else None

        def gone(case):
            return (outflow_on(case) and outflow_on(case) <= d) or (case.closed_on and case.closed_on <= d)

        for location in locations:
            waiting = {
                c.person_id
                for c in rows
                if c.location_id == location.pk
                and c.within_covenant
                and c.decided_on
                and c.decided_on <= d
                and not (c.shelter_started_on and c.shelter_started_on <= d)
                and not gone(c)
            }
            assert result["locations"][location.slug]["waiting_list"] == len(waiting)
        present = {
            c.person_id
            for c in rows
            if c.within_covenant and c.shelter_started_on and c.shelter_started_on <= d and not gone(c)
        }
        assert result["total"]["present"] == len(present)
        transaction.set_rollback(True)
