"""Each definition of contracts/monitor.md, with the boundary dates around D."""

from __future__ import annotations

import datetime

import pytest

from lvv.partners.models import LocationCapacity
from monitor.figures import FIGURE_KEYS, empty_location, flatten, unflatten
from tests.factories import PersonFactory
from tests.monitor.builders import DAY, D, at, build

pytestmark = pytest.mark.django_db


def test_every_key_is_present_and_zero_without_cases(ams, rot):
    result = at(D)
    assert result["reference_date"] == "2020-06-15"
    assert list(result["locations"]) == ["amsterdam", "rotterdam"]
    for part in (*result["locations"].values(), result["total"]):
        expected = empty_location()
        expected["capacity"] = part["capacity"]
        assert part == expected
    assert result["total"]["capacity"] == 360 + 117
    assert list(flatten(result["total"])) == FIGURE_KEYS
    assert unflatten(flatten(result["total"])) == result["total"]


def test_capacity_is_the_one_in_force_on_the_date(ams):
    LocationCapacity.objects.create(location=ams, effective_from=D, places=400)
    assert at(D - DAY, ams)["locations"]["amsterdam"]["capacity"] == 360
    assert at(D, ams)["locations"]["amsterdam"]["capacity"] == 400


def test_shelter_started_on_the_date_counts_on_that_date(ams):
    build(ams, sheltered=D)
    before, on = at(D - DAY, ams)["total"], at(D, ams)["total"]
    assert (before["present"], before["ever_sheltered"]) == (0, 0)
    assert (on["present"], on["ever_sheltered"]) == (1, 1)


def test_outflow_on_the_date_ends_presence_on_that_date(ams):
    build(ams, sheltered=D - 30 * DAY, outflow=(D, "back_to_bbb"))
    before, on = at(D - DAY, ams)["total"], at(D, ams)["total"]
    assert before["present"] == 1 and before["outflow"]["back_to_bbb"] == 0
    assert on["present"] == 0 and on["outflow"]["back_to_bbb"] == 1
    assert on["ever_sheltered"] == 1
    assert on["outcome_classes"] == {"durable": 0, "semi_durable": 0, "none": 1}


def test_shelter_and_outflow_on_the_same_day(ams):
    build(ams, sheltered=D, outflow=(D, "unknown_destination"))
    total = at(D, ams)["total"]
    assert (total["present"], total["ever_sheltered"], total["outflow"]["unknown_destination"]) == (0, 1, 1)


def test_scenario_direction_is_the_latest_on_the_date(ams):
    build(ams, sheltered=D - 60 * DAY, scenarios=[(D - 10 * DAY, "departure"), (D + DAY, "residence")])
    build(ams, sheltered=D - 60 * DAY, scenarios=[(D - 20 * DAY, "residence"), (D, "departure")])
    build(ams, sheltered=D - 60 * DAY, scenarios=[(D + DAY, "departure")])  # none yet on D
    assert at(D - DAY, ams)["total"]["scenario_set"] == {"departure": 1, "residence": 1, "total": 2}
    assert at(D, ams)["total"]["scenario_set"] == {"departure": 2, "residence": 0, "total": 2}
    assert at(D + DAY, ams)["total"]["scenario_set"] == {"departure": 2, "residence": 1, "total": 3}


def test_two_scenarios_on_one_day_the_later_recorded_counts(ams):
    build(ams, sheltered=D - 60 * DAY, scenarios=[(D, "departure"), (D, "residence")])
    assert at(D, ams)["total"]["scenario_set"] == {"departure": 0, "residence": 1, "total": 1}


def test_scenarios_count_only_for_persons_present(ams):
    build(ams, sheltered=D - 60 * DAY, scenarios=[(D - 30 * DAY, "departure")], outflow=(D, "departure_origin"))
    build(ams, admitted=D - 60 * DAY, scenarios=[(D - 30 * DAY, "departure")])  # admitted, not sheltered
    assert at(D - DAY, ams)["total"]["scenario_set"]["departure"] == 1
    assert at(D, ams)["total"]["scenario_set"]["total"] == 0


def test_person_in_two_lvvs_counts_once_in_the_total_of_ever_sheltered(ams, rot):
    person = PersonFactory()
    build(ams, person=person, sheltered=D - 90 * DAY, outflow=(D - 40 * DAY, "back_to_bbb"))
    build(rot, person=person, sheltered=D - 10 * DAY)
    result = at(D)
    assert result["locations"]["amsterdam"]["ever_sheltered"] == 1
    assert result["locations"]["rotterdam"]["ever_sheltered"] == 1
    assert result["total"]["ever_sheltered"] == 1
    assert result["total"]["present"] == 1


def test_second_stay_in_the_same_lvv_is_one_person(ams):
    person = PersonFactory()
    build(ams, person=person, sheltered=D - 90 * DAY, outflow=(D - 40 * DAY, "forced_termination"))
    build(ams, person=person, sheltered=D - 10 * DAY)
    total = at(D, ams)["total"]
    assert (total["ever_sheltered"], total["present"], total["outflow"]["forced_termination"]) == (1, 1, 1)


def test_outside_the_covenant_counts_only_apart(ams):
    build(ams, exception=True, sheltered=D - 30 * DAY, scenarios=[(D - DAY, "departure")], mrt=[D - DAY])
    build(ams, exception=True, sheltered=D - 30 * DAY, outflow=(D - DAY, "residence_granted"), confirmed=D)
    build(ams, exception=True, waitlisted=D - 5 * DAY)
    total = at(D, ams)["total"]
    assert total["outside_covenant"] == {"present": 1, "ever_sheltered": 2}
    flat = flatten(total)
    counted = {key: value for key, value in flat.items() if value and not key.startswith("outside_covenant.")}
    assert counted == {"capacity": 360}


def test_waiting_list_on_the_date(ams):
    build(ams, waitlisted=D)  # waiting from D
    build(ams, waitlisted=D - 20 * DAY, sheltered=D)  # a place on D: no longer waiting
    build(ams, waitlisted=D - 20 * DAY, outflow=(D, "unknown_destination"))  # left from the list on D
    build(ams, admitted=D - 20 * DAY)  # admitted with a place free: waiting too (one queue)
    build(ams, admitted=D + DAY)  # admitted after D
    assert at(D - DAY, ams)["total"]["waiting_list"] == 3
    on = at(D, ams)["total"]
    assert on["waiting_list"] == 2
    # Leaving from the waiting list is an outflow, but not of a sheltered person.
    assert on["outflow"]["unknown_destination"] == 1 and on["ever_sheltered"] == 1


def test_mrt_discussed_before_and_after_the_date(ams):
    build(ams, sheltered=D - 60 * DAY, mrt=[D - 5 * DAY, D - 2 * DAY])  # twice: one case
    build(ams, sheltered=D - 60 * DAY, mrt=[D])
    build(ams, sheltered=D - 60 * DAY, mrt=[D + DAY])
    assert at(D - DAY, ams)["total"]["mrt_cases"] == 1
    assert at(D, ams)["total"]["mrt_cases"] == 2
    assert at(D + DAY, ams)["total"]["mrt_cases"] == 3


def test_durable_solutions_and_verification_on_or_before_the_date(ams):
    build(ams, sheltered=D - 90 * DAY, outflow=(D - 9 * DAY, "departure_origin", "MA"), confirmed=D)
    build(ams, sheltered=D - 90 * DAY, outflow=(D - 8 * DAY, "onward_migration", "DE"), confirmed=D + DAY)
    build(ams, sheltered=D - 90 * DAY, outflow=(D - 7 * DAY, "residence_granted"), confirmed=D - DAY)
    build(ams, sheltered=D - 90 * DAY, outflow=(D - 6 * DAY, "residence_granted"))
    build(ams, sheltered=D - 90 * DAY, outflow=(D - 5 * DAY, "asylum_centre"))
    build(ams, sheltered=D - 90 * DAY, outflow=(D - 4 * DAY, "postponement_art64"))
    build(ams, sheltered=D - 90 * DAY, outflow=(D + DAY, "departure_origin", "MA"))  # after D
    total = at(D, ams)["total"]
    assert total["durable_solutions"] == {
        "residence_granted": 2,
        "departure": 2,
        "departure_origin": 1,
        "onward_migration": 1,
        "total": 4,
        "verified": 2,
    }
    assert at(D + DAY, ams)["total"]["durable_solutions"]["verified"] == 3
    assert total["outcome_classes"] == {"durable": 4, "semi_durable": 2, "none": 0}
    assert total["outflow"]["departure_origin"] == 1 and total["present"] == 1


def test_total_is_the_sum_of_the_locations_and_scope_limits_them(ams, rot):
    build(ams, sheltered=D - 10 * DAY, scenarios=[(D - DAY, "residence")])
    build(rot, sheltered=D - 10 * DAY, outflow=(D - DAY, "deceased"))
    build(rot, waitlisted=D - 10 * DAY)
    both = at(D)
    assert both["total"]["present"] == 1 and both["total"]["outflow"]["deceased"] == 1
    assert both["total"]["waiting_list"] == 1 and both["total"]["capacity"] == 477
    only_rot = at(D, rot)
    assert list(only_rot["locations"]) == ["rotterdam"]
    assert only_rot["total"] == only_rot["locations"]["rotterdam"]


def test_a_fixed_number_of_queries(ams, rot, django_assert_num_queries):
    for _number in range(2):
        build(ams, sheltered=D - 10 * DAY, scenarios=[(D - DAY, "departure")], mrt=[D - DAY])
    with django_assert_num_queries(5):
        few = at(D, ams, rot)
    for number in range(8):
        build(rot if number % 2 else ams, sheltered=D - 10 * DAY, scenarios=[(D - DAY, "residence")], mrt=[D])
    with django_assert_num_queries(5):
        many = at(D, ams, rot)
    assert many["total"]["present"] == few["total"]["present"] + 8


def test_reference_date_far_back_counts_nothing(ams):
    build(ams, sheltered=D)
    assert at(datetime.date(2019, 1, 1), ams)["total"]["ever_sheltered"] == 0
