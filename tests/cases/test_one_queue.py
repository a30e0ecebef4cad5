"""One waiting list: everyone admitted without a place waits in it, in admission order;
a place out of order needs a reason (services, pages, API); ``waitlist`` only when no
place is left; the monitor's ``waiting_list`` counts the same people."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, EventType
from cases.workflow import State
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.partners.models import LocationCapacity
from monitor.figures import figures
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

KW = {"acting_user": SYSTEM, "origin": COMMAND}


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def admitted(location, on, **kwargs) -> Case:
    case = CaseFactory(location=location, registered_on=days_ago(60), **kwargs)
    return services.admit(**KW, case=case, on=on, require_check=False)


def set_capacity(location, places: int) -> None:
    LocationCapacity.objects.filter(location=location).update(places=places)


def test_admitted_with_a_free_place_is_on_the_waiting_list_and_counted(world):
    ams = world.ams
    early = admitted(ams.location, days_ago(10))
    assert early.state == State.ADMITTED and early.waitlisted_on == days_ago(10)
    # The monitor counts everyone admitted without a place (the old definition missed them).
    data = figures(timezone.localdate(), [ams.location])
    assert data["locations"]["amsterdam"]["waiting_list"] == 1
    assert services.waiting_ahead(admitted(ams.location, days_ago(5))) == 1


def test_a_later_admission_cannot_take_a_place_ahead_without_a_reason(world):
    ams = world.ams
    first = admitted(ams.location, days_ago(10))
    later = admitted(ams.location, days_ago(5))
    with pytest.raises(ValidationError) as exc:
        services.start_shelter(**KW, case=later, on=days_ago(1))
    assert exc.value.message_dict["skip_reason"] == [str(services.WAITING_LIST_ORDER % {"count": 1})]
    later.refresh_from_db()
    assert later.state == State.ADMITTED and later.shelter_started_on is None

    case = services.start_shelter(**KW, case=later, on=days_ago(1), skip_reason="Medisch urgent")
    event = case.timeline.get(type=EventType.SHELTER_STARTED)
    assert event.summary == "Medisch urgent"
    assert event.data["out_of_order"] is True and event.data["ahead"] == 1
    # The first in line takes a place without a reason.
    assert services.start_shelter(**KW, case=first, on=days_ago(1)).state == State.SHELTERED


def test_admission_goes_to_waitlisted_when_the_free_places_are_taken_by_those_ahead(world):
    ams = world.ams
    set_capacity(ams.location, 1)
    first = admitted(ams.location, days_ago(10))
    assert first.state == State.ADMITTED  # one place, nobody ahead
    second = admitted(ams.location, days_ago(5))
    assert second.state == State.WAITLISTED  # the one place goes to the first
    assert second.timeline.filter(type=EventType.WAITLISTED, data__reason="full").exists()


def test_waitlist_only_when_no_place_is_left(world):
    ams = world.ams
    case = admitted(ams.location, days_ago(3))
    with pytest.raises(ValidationError) as exc:
        services.waitlist(**KW, case=case, on=days_ago(2))
    assert "nog een plek vrij" in exc.value.message_dict["on"][0]
    set_capacity(ams.location, 0)
    case = services.waitlist(**KW, case=case, on=days_ago(2))
    assert case.state == State.WAITLISTED
    assert case.waitlisted_on == days_ago(3)  # the place in the queue stays the admission date


def test_the_page_form_sends_the_reason(client, world):
    ams = world.ams
    admitted(ams.location, days_ago(10))
    later = admitted(ams.location, days_ago(5))
    client.force_login(ams.users[Role.CASEMANAGER])
    url = reverse("cases:step", args=[later.pk, "start_shelter"])
    payload = {"version": later.version, "on": days_ago(1).isoformat(), "shelter_form": "24h"}
    response = client.post(url, payload)
    assert response.status_code == 400  # the page again, with the error at the field
    form = next(e["form"] for e in response.context["step_forms"] if e["form"] and e["form"].is_bound)
    assert form.errors["skip_reason"] == [str(services.WAITING_LIST_ORDER % {"count": 1})]
    response = client.post(url, {**payload, "skip_reason": "Acuut gevaar op straat"})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.state == State.SHELTERED
    html = client.get(reverse("cases:detail", args=[later.pk])).content.decode()
    assert "Acuut gevaar op straat" in html and "vóór 1 langer wachtenden" in html


def test_the_api_sends_the_reason(api_client, world):
    ams = world.ams
    admitted(ams.location, days_ago(10))
    later = admitted(ams.location, days_ago(5))
    api_client.force_authenticate(ams.users[Role.CASEMANAGER])
    url = f"/api/v1/cases/{later.pk}/start-shelter/"
    body = {"version": later.version, "on": days_ago(1).isoformat()}
    response = api_client.post(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"skip_reason": [str(services.WAITING_LIST_ORDER % {"count": 1})]}
    response = api_client.post(url, {**body, "skip_reason": "Acuut gevaar"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"]["code"] == "sheltered"


def test_work_queue_and_case_list_show_the_same_queue(client, world):
    ams = world.ams
    first = admitted(ams.location, days_ago(10))
    set_capacity(ams.location, 0)
    second = admitted(ams.location, days_ago(5))
    assert (first.state, second.state) == (State.ADMITTED, State.WAITLISTED)
    client.force_login(ams.users[Role.CASEMANAGER])
    (location,) = client.get(reverse("home")).context["waiting_lists"]
    assert [c.pk for c in location.waiting] == [first.pk, second.pk] and location.waiting_count == 2
    listed = client.get(reverse("cases:list"), {"state": "waiting", "location": ams.location.slug})
    assert [c.pk for c in listed.context["page"].object_list] == [first.pk, second.pk]
    data = figures(timezone.localdate(), [ams.location])
    assert data["locations"]["amsterdam"]["waiting_list"] == 2


def test_waiting_list_figure_at_boundary_dates(world):
    ams = world.ams
    d = days_ago(20)
    case = admitted(ams.location, d)
    at = lambda day: figures(day, [ams.location])["locations"]["amsterdam"]["waiting_list"]  # noqa: E731
    assert at(d - datetime.timedelta(days=1)) == 0
    assert at(d) == 1
    services.start_shelter(**KW, case=case, on=d + datetime.timedelta(days=5))
    assert at(d + datetime.timedelta(days=4)) == 1
    assert at(d + datetime.timedelta(days=5)) == 0  # sheltered on D: no longer waiting
    rejected = services.reject(**KW, case=CaseFactory(location=ams.location, registered_on=d), reason="EU", on=d)
    assert rejected.decided_on == d and at(d) == 1  # a rejection never waits
