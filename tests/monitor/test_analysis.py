"""The dashboard's functions: trends, breakdowns, durations, and whose figures a user reads."""

from __future__ import annotations

import datetime

import pytest

from cases.models import Person
from lvv.accounts.models import Role
from lvv.partners.models import OrganisationKind
from monitor.analysis import DIMENSIONS, breakdowns, durations, month_starts, trends
from monitor.figures import figures
from monitor.scope import locations_for, may_read_figures
from tests.factories import LocationFactory, OrganisationFactory, PersonFactory, ServiceLinkFactory, UserFactory
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db


# --- trends --------------------------------------------------------------------------------


def test_month_starts_cover_whole_months():
    assert month_starts(datetime.date(2019, 11, 20), datetime.date(2020, 2, 3)) == [
        datetime.date(2019, 11, 1),
        datetime.date(2019, 12, 1),
        datetime.date(2020, 1, 1),
        datetime.date(2020, 2, 1),
    ]


def test_trends_per_month(ams, rot):
    build(ams, sheltered=datetime.date(2020, 1, 31), scenarios=[(datetime.date(2020, 2, 1), "departure")])
    build(
        ams,
        sheltered=datetime.date(2020, 2, 1),
        scenarios=[(datetime.date(2020, 2, 10), "departure"), (datetime.date(2020, 3, 2), "residence")],
        outflow=(datetime.date(2020, 3, 31), "residence_granted"),
    )
    build(rot, sheltered=datetime.date(2020, 2, 15), outflow=(datetime.date(2020, 2, 29), "asylum_centre"))
    build(rot, waitlisted=datetime.date(2020, 3, 1), outflow=(datetime.date(2020, 3, 5), "other"))
    build(rot, exception=True, sheltered=datetime.date(2020, 2, 1))  # outside the covenant: never counts
    end = datetime.date(2020, 3, 20)
    result = trends(datetime.date(2020, 1, 10), end, [ams, rot])
    assert result["months"] == ["2020-01", "2020-02", "2020-03"]
    assert result["start"] == "2020-01-01" and result["end"] == "2020-03-20"
    a, r, total = result["locations"]["amsterdam"], result["locations"]["rotterdam"], result["total"]
    assert [m["date"] for m in total] == ["2020-01-31", "2020-02-29", "2020-03-20"]
    assert [m["present"] for m in a] == [1, 2, 2]
    assert [m["inflow"] for m in a] == [1, 1, 0]
    assert [m["scenarios_set"] for m in a] == [0, 2, 1]
    assert [m["present"] for m in r] == [0, 0, 0]
    assert [m["inflow"] for m in r] == [0, 1, 0]
    assert r[1]["outflow"] == {"durable": 0, "semi_durable": 1, "none": 0}
    assert r[2]["outflow"] == {"durable": 0, "semi_durable": 0, "none": 1}
    # The outflow on 31 March lies after the end: not in the last month.
    assert a[2]["outflow"] == {"durable": 0, "semi_durable": 0, "none": 0}
    assert [m["present"] for m in total] == [1, 2, 2]
    # The month's present is the figures' present on the month's date.
    for month in total:
        assert month["present"] == figures(datetime.date.fromisoformat(month["date"]), [ams, rot])["total"]["present"]


def test_trends_fixed_number_of_queries(ams, django_assert_num_queries):
    build(ams, sheltered=D - 40 * DAY, outflow=(D - DAY, "deceased"))
    with django_assert_num_queries(4):
        trends(D - 400 * DAY, D, [ams])
    for _number in range(4):
        build(ams, sheltered=D - 40 * DAY, scenarios=[(D - 20 * DAY, "departure")], outflow=(D - DAY, "deceased"))
    with django_assert_num_queries(4):
        trends(D - 400 * DAY, D, [ams])


# --- breakdowns ----------------------------------------------------------------------------


def test_breakdowns_of_the_persons_sheltered(ams, rot):
    young = PersonFactory(birth_date=datetime.date(2002, 6, 16), sex="f", nationality="NG")  # 17 on D
    adult = PersonFactory(birth_date=datetime.date(2002, 6, 15), sex="m", nationality="ER")  # 18 on D
    old = PersonFactory(birth_date=None, sex="", nationality="")
    build(ams, person=young, sheltered=D - 90 * DAY, case_types=["medical", "repeat_asylum"])
    build(
        ams,
        person=adult,
        sheltered=D - 90 * DAY,
        prior_departure_procedures=6,
        outflow=(D - 5 * DAY, "departure_origin", "ER"),
    )
    build(ams, person=old, sheltered=D - 90 * DAY, prior_departure_procedures=2)
    build(rot, person=adult, sheltered=D - 3 * DAY, prior_departure_procedures=1)  # second LVV, later case
    build(ams, sheltered=D + DAY)  # after D: not in the population
    build(ams, exception=True, sheltered=D - 90 * DAY)  # outside the covenant
    result = breakdowns(D, [ams, rot])
    a, r, total = result["locations"]["amsterdam"], result["locations"]["rotterdam"], result["total"]
    assert result["dimensions"] == list(DIMENSIONS)
    assert (a["population"], r["population"], total["population"]) == (3, 1, 3)
    assert a["population"] == figures(D, [ams])["total"]["ever_sheltered"]
    assert a["case_type"]["medical"] == 1 and a["case_type"]["repeat_asylum"] == 1 and a["case_type"]["unknown"] == 2
    assert a["prior_departure_procedures"] == {"0": 0, "1": 0, "2-5": 1, ">5": 1, "unknown": 1}
    # In total, the adult is described by the latest case (Rotterdam, one procedure).
    assert total["prior_departure_procedures"] == {"0": 0, "1": 1, "2-5": 1, ">5": 0, "unknown": 1}
    assert a["country_of_return"] == {"ER": 1}
    assert total["country_of_return"] == {"ER": 0}  # the latest case did not end in departure
    assert a["sex"] == {"m": 1, "f": 1, "x": 0, "unknown": 1}
    assert a["age_band"] == {"<18": 1, "18-29": 1, "30-44": 0, "45-64": 0, "65+": 0, "unknown": 1}
    assert a["nationality"] == {"ER": 1, "NG": 1, "unknown": 1}
    assert result["values"]["nationality"] == ["ER", "NG", "unknown"]
    assert r["nationality"] == {"ER": 1, "NG": 0, "unknown": 0}
    for part in (a, r, total):
        for dimension in ("prior_departure_procedures", "sex", "age_band", "nationality"):
            assert sum(part[dimension].values()) == part["population"]


@pytest.mark.parametrize(
    ("birth", "band"),
    [
        (datetime.date(2002, 2, 28), "18-29"),  # 18 on 29 Feb 2020
        (datetime.date(2002, 3, 1), "<18"),
        (datetime.date(1975, 2, 28), "45-64"),
        (datetime.date(1975, 3, 1), "30-44"),
        (datetime.date(1955, 2, 28), "65+"),
    ],
)
def test_age_band_on_a_leap_day(ams, birth, band):
    d = datetime.date(2020, 2, 29)
    person = PersonFactory(birth_date=birth)
    build(ams, person=person, sheltered=d - 10 * DAY)
    assert breakdowns(d, [ams])["total"]["age_band"][band] == 1
    age = Person.objects.get(pk=person.pk).age_on(d)
    assert {"18-29": 18 <= age <= 29, "<18": age < 18, "45-64": 45 <= age <= 64, "30-44": 30 <= age <= 44}.get(
        band, age >= 65
    )


def test_breakdowns_fixed_number_of_queries(ams, rot, django_assert_num_queries):
    build(ams, sheltered=D - 10 * DAY)
    with django_assert_num_queries(6):
        breakdowns(D, [ams, rot])
    for number in range(5):
        build(rot, sheltered=D - 10 * DAY, outflow=(D - DAY, "departure_origin", ["MA", "DZ"][number % 2]))
    with django_assert_num_queries(6):
        breakdowns(D, [ams, rot])


# --- durations -----------------------------------------------------------------------------


def test_durations(ams, rot):
    registered = D - 100 * DAY
    build(ams, registered=registered, admitted=registered + 4 * DAY, sheltered=registered + 4 * DAY)
    build(
        ams,
        registered=registered,
        admitted=registered + 10 * DAY,
        sheltered=registered + 10 * DAY,
        dossier=(registered + 20 * DAY, registered + 30 * DAY),
        scenarios=[(registered + 50 * DAY, "departure")],
        outflow=(registered + 70 * DAY, "departure_origin"),
    )
    # A scenario before the dossier was complete: no duration for that step.
    build(
        rot,
        registered=registered,
        admitted=registered + 2 * DAY,
        sheltered=registered + 2 * DAY,
        dossier=(registered + 20 * DAY, registered + 40 * DAY),
        scenarios=[(registered + 30 * DAY, "departure")],
    )
    build(rot, registered=registered, admitted=D + DAY)  # admitted after D
    build(rot, registered=registered, admitted=registered + DAY, exception=True)  # outside the covenant
    result = durations(D, [ams, rot])
    a, total = result["locations"]["amsterdam"], result["total"]
    assert a["registration_to_admission"] == {"count": 2, "median": 7.0, "p25": 5.5, "p75": 8.5}
    assert a["dossier_to_scenario"] == {"count": 1, "median": 20.0, "p25": 20.0, "p75": 20.0}
    assert a["shelter_to_outflow"] == {"count": 1, "median": 60.0, "p25": 60.0, "p75": 60.0}
    assert total["registration_to_admission"]["count"] == 3
    assert total["registration_to_admission"]["median"] == 4.0
    assert total["dossier_to_scenario"]["count"] == 1
    empty = durations(D - 200 * DAY, [ams])["total"]["shelter_to_outflow"]
    assert empty == {"count": 0, "median": None, "p25": None, "p75": None}


def test_durations_one_query(ams, django_assert_num_queries):
    build(ams, sheltered=D - 10 * DAY)
    with django_assert_num_queries(1):
        durations(D, [ams])


# --- whose figures -------------------------------------------------------------------------


def test_locations_for_each_role(world):
    ams, rot = world.ams.location, world.rot.location
    assert locations_for(world.bureau) == [ams, rot]
    assert locations_for(world.ams.users[Role.CASEMANAGER]) == [ams]
    assert locations_for(world.rot.users[Role.LSO_CHAIR]) == [rot]
    for role in (Role.NGO, Role.IND, Role.DTV):
        assert locations_for(world.ams.users[role]) == []
    admin = UserFactory(username="beheer", roles=[Role.ADMIN], organisation=None)
    assert locations_for(admin) == [] and not may_read_figures(admin)
    world.bureau.is_active = False
    assert locations_for(world.bureau) == []


def test_municipality_serving_two_lvvs_reads_both(world):
    municipality = OrganisationFactory(name="Gemeente Regio", kind=OrganisationKind.MUNICIPALITY)
    own = LocationFactory(slug="regio", municipality=municipality)
    ServiceLinkFactory(organisation=municipality, location=world.rot.location)
    user = UserFactory(username="casemanager.regio", organisation=municipality, roles=[Role.CASEMANAGER])
    assert locations_for(user) == [own, world.rot.location]


def test_every_key_has_a_dutch_label():
    from monitor.figures import FIGURE_KEYS
    from monitor.labels import FIGURE_LABELS, value_label

    assert list(FIGURE_LABELS) == FIGURE_KEYS
    assert str(FIGURE_LABELS["outflow.back_to_bbb"]) == "Uitstroom: teruggestroomd naar BBB"
    assert value_label("nationality", "ER") == "Eritrea"
    assert value_label("case_type", "no_fault") == "buitenschuld"
    assert value_label("sex", "unknown") == "onbekend"
    assert value_label("prior_departure_procedures", ">5") == "meer dan 5"
