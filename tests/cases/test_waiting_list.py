"""Capacity on a date and the waiting list: admitted people wait in order when the LVV is full."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from cases import services
from cases.workflow import State
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND
from lvv.partners.models import LocationCapacity
from tests.factories import CaseFactory, LocationFactory

pytestmark = pytest.mark.django_db

D = datetime.date(2024, 5, 1)
DAY = datetime.timedelta(days=1)


def kw(case, **extra):
    return {"acting_user": SYSTEM, "origin": COMMAND, "case": case, **extra}


@pytest.fixture
def small_lvv():
    location = LocationFactory(slug="klein", places=2)  # 2 places from 1 April 2019
    return location


def sheltered(location, on=D):
    case = CaseFactory(location=location, registered_on=on)
    case = services.admit(**kw(case), on=on, require_check=False)
    return services.start_shelter(**kw(case), on=on)


def admitted(location, on):
    case = CaseFactory(location=location, registered_on=on)
    return services.admit(**kw(case), on=on, require_check=False)


def test_capacity_on_a_date_follows_effective_dates(small_lvv):
    LocationCapacity.objects.create(location=small_lvv, effective_from=D + 10 * DAY, places=5)
    assert small_lvv.capacity_on(D) == 2
    assert small_lvv.capacity_on(D + 10 * DAY) == 5
    assert small_lvv.capacity_on(datetime.date(2019, 3, 31)) == 0


def test_full_lvv_puts_admitted_people_on_the_waiting_list_in_order(small_lvv):
    sheltered(small_lvv)
    sheltered(small_lvv)
    assert services.free_places(small_lvv, D) == 0
    first = admitted(small_lvv, D + DAY)
    second = admitted(small_lvv, D + 2 * DAY)
    third = admitted(small_lvv, D + 2 * DAY)
    assert [c.state for c in (first, second, third)] == [State.WAITLISTED] * 3
    assert first.waitlisted_on == D + DAY
    assert (services.waiting_ahead(first), services.waiting_ahead(second), services.waiting_ahead(third)) == (0, 1, 2)


def test_no_shelter_without_a_free_place_on_that_date(small_lvv):
    a = sheltered(small_lvv)
    sheltered(small_lvv)
    waiting = admitted(small_lvv, D + DAY)
    with pytest.raises(ValidationError) as exc:
        services.start_shelter(**kw(waiting), on=D + 2 * DAY)
    assert "geen vrije plek" in str(exc.value)
    # An outflow on a date frees the place on that same date.
    services.record_outflow(**kw(a), category="departure_origin", country="ER", on=D + 5 * DAY)
    assert services.free_places(small_lvv, D + 4 * DAY) == 0
    assert services.free_places(small_lvv, D + 5 * DAY) == 1
    waiting = services.start_shelter(**kw(waiting), on=D + 5 * DAY)
    assert waiting.state == State.SHELTERED
    assert waiting.timeline.filter(type="shelter_started", data__from_waiting_list=True).exists()


def test_places_are_offered_in_order_unless_a_reason_is_given(small_lvv):
    a = sheltered(small_lvv)
    sheltered(small_lvv)
    first = admitted(small_lvv, D + DAY)
    second = admitted(small_lvv, D + 2 * DAY)
    services.record_outflow(**kw(a), category="back_to_bbb", on=D + 3 * DAY)
    with pytest.raises(ValidationError) as exc:
        services.start_shelter(**kw(second), on=D + 3 * DAY)
    assert "skip_reason" in exc.value.message_dict
    second.refresh_from_db()
    assert second.state == State.WAITLISTED
    second = services.start_shelter(**kw(second), on=D + 3 * DAY, skip_reason="medische urgentie")
    assert second.state == State.SHELTERED
    assert services.waiting_ahead(first) == 0


def test_a_larger_capacity_from_a_date_opens_places(small_lvv):
    sheltered(small_lvv)
    sheltered(small_lvv)
    waiting = admitted(small_lvv, D + DAY)
    LocationCapacity.objects.create(location=small_lvv, effective_from=D + 7 * DAY, places=3)
    with pytest.raises(ValidationError):
        services.start_shelter(**kw(waiting), on=D + 6 * DAY)
    assert services.start_shelter(**kw(waiting), on=D + 7 * DAY).state == State.SHELTERED
