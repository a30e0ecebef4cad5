"""The work queue: the start page of the case roles.

Due and overdue deadlines of the visible cases, the newest registrations and the waiting
list per LVV with today's free places; the programme bureau keeps its own start page.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import DeadlineKind
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.partners.models import ProgrammeSettings
from tests.factories import CaseFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

KW = {"acting_user": SYSTEM, "origin": COMMAND}


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def overdue_case(location, **kwargs):
    """Sheltered long ago: its cooperation check is overdue."""
    return CaseFactory(location=location, sheltered=True, **kwargs)


def due_soon_case(location, **kwargs):
    """Dossier asked for 10 days ago: both parts due in 4 days (within the 7 of 'binnenkort')."""
    case = CaseFactory(location=location, registered_on=days_ago(10), admitted=True, **kwargs)
    return services.request_dossier(**KW, case=case, on=days_ago(10))


def waitlist(location, on, **kwargs):
    """Admitted on ``on`` without a place yet: on the one waiting list."""
    case = CaseFactory(location=location, registered_on=days_ago(60), **kwargs)
    return services.admit(**KW, case=case, on=on, require_check=False)


def deadline_rows(response):
    return list(response.context["deadline_page"].object_list)


def test_due_and_overdue_deadlines_of_visible_cases_only(client, world):
    ams, rot = world.ams, world.rot
    late = overdue_case(ams.location, assigned_ngo=ams.ngo_a)
    soon = due_soon_case(ams.location)
    later = CaseFactory(location=ams.location, registered_on=today(), admitted=True)
    services.request_dossier(**KW, case=later, on=today())  # due in 14 days: not yet
    hidden = overdue_case(rot.location)

    client.force_login(ams.users[Role.CASEMANAGER])
    response = client.get(reverse("home"))
    rows = deadline_rows(response)
    assert {row.case_id for row in rows} == {late.pk, soon.pk}
    assert [row.due_on for row in rows] == sorted(row.due_on for row in rows)  # earliest first
    assert rows[0].case_id == late.pk and rows[0].kind == DeadlineKind.COOPERATION_CHECK
    html = response.content.decode()
    assert "te laat" in html and "binnenkort" in html
    assert late.person.family_name in html and soon.person.family_name in html
    assert hidden.person.family_name not in html
    # ``later`` is admitted without a place: on the waiting list, not among the deadlines.
    assert later.pk not in {row.case_id for row in rows}

    # The NGO sees the deadlines of its own assigned cases only.
    client.force_login(ams.users[Role.NGO])
    assert {row.case_id for row in deadline_rows(client.get(reverse("home")))} == {late.pk}
    client.force_login(ams.users["ngo_b"])
    response = client.get(reverse("home"))
    assert deadline_rows(response) == []
    assert 'data-testid="work-deadlines-empty"' in response.content.decode()


def test_paused_and_resolved_deadlines_are_not_due(client, world):
    case = overdue_case(world.ams.location)
    services.pause_deadline(**KW, case=case, kind=DeadlineKind.COOPERATION_CHECK, reason="Opname")
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert deadline_rows(client.get(reverse("home"))) == []


def test_due_soon_follows_the_programme_setting(client, world):
    CaseFactory(location=world.ams.location, registered_on=today(), admitted=True)
    case = CaseFactory(location=world.ams.location, registered_on=today(), admitted=True)
    services.request_dossier(**KW, case=case, on=today())  # due in 14 days
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert deadline_rows(client.get(reverse("home"))) == []
    ProgrammeSettings.objects.update_or_create(pk=1, defaults={"due_soon_days": 14})
    assert {row.case_id for row in deadline_rows(client.get(reverse("home")))} == {case.pk}


def test_deadlines_paginate_and_htmx_gets_the_section_alone(client, world):
    for _ in range(23):
        overdue_case(world.ams.location)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("home"))
    page = response.context["deadline_page"]
    assert (page.paginator.count, len(page.object_list)) == (23, 20)
    assert 'href="?deadlines_page=2"' in response.content.decode()
    response = client.get(
        reverse("home"), {"deadlines_page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="work-deadlines"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="app-section" id="work-deadlines"')
    assert "<html" not in html
    assert len(deadline_rows(response)) == 3


def test_newest_registrations_capped_with_a_show_all_link(client, world):
    for n in range(12):
        CaseFactory(location=world.ams.location, registered_on=days_ago(n))
    admitted = CaseFactory(location=world.ams.location, admitted=True)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("home"))
    shown = response.context["registrations"]
    assert len(shown) == 10 and response.context["more_registrations"]
    assert [c.registered_on for c in shown] == sorted((c.registered_on for c in shown), reverse=True)
    assert admitted not in shown
    assert all(c.location == world.ams.location for c in shown)
    assert f'href="{reverse("cases:list")}?state=registered"' in response.content.decode()


def test_registrations_empty_state(client, world):
    client.force_login(world.rot.users[Role.IND])
    for case in (world.rot.assigned, world.rot.unassigned):
        services.admit(**KW, case=case, require_check=False)
    response = client.get(reverse("home"))
    assert response.context["registrations"] == []
    assert 'data-testid="work-registrations-empty"' in response.content.decode()


def test_waiting_list_per_lvv_in_order_with_free_places(client, world):
    ams = world.ams
    second = waitlist(ams.location, days_ago(5))
    first = waitlist(ams.location, days_ago(9))
    third = waitlist(ams.location, days_ago(5))  # same day as the second: in order of entry
    CaseFactory(location=ams.location, sheltered=True)
    CaseFactory(location=ams.location, sheltered=True)
    waitlist(world.rot.location, days_ago(3))  # another LVV's

    client.force_login(ams.users[Role.CASEMANAGER])
    response = client.get(reverse("home"))
    (location,) = response.context["waiting_lists"]
    assert location == ams.location
    assert [case.pk for case in location.waiting] == [first.pk, second.pk, third.pk]
    assert location.waiting_count == 3
    assert location.free_places_today == services.free_places(ams.location, today()) == 98
    html = response.content.decode()
    assert "Vandaag 98 vrije plaatsen van de 100." in html
    assert f"?state=waiting&amp;location={ams.location.slug}" in html

    # "Show all" goes to the case list, in waiting-list order.
    listed = client.get(reverse("cases:list"), {"state": "waiting", "location": ams.location.slug})
    assert [case.pk for case in listed.context["page"].object_list] == [first.pk, second.pk, third.pk]


def test_waiting_list_capped_per_lvv(client, world):
    for n in range(12):
        waitlist(world.ams.location, days_ago(30 - n))
    client.force_login(world.ams.users[Role.CASEMANAGER])
    (location,) = client.get(reverse("home")).context["waiting_lists"]
    assert (len(location.waiting), location.waiting_count) == (10, 12)


def test_empty_waiting_list(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("home"))
    assert "Niemand op de wachtlijst." in response.content.decode()


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.LSO_CHAIR, Role.NGO, Role.IND, Role.DTV])
def test_every_case_role_gets_the_work_queue(client, world, role):
    client.force_login(world.ams.users[role])
    response = client.get(reverse("home"))
    assert response.status_code == 200 and response.context["work_queue"]
    assert "Termijnen" in response.content.decode()


def test_the_programme_bureau_keeps_its_start_page_and_sees_no_person(client, world):
    overdue_case(world.ams.location)
    waitlist(world.ams.location, days_ago(2))
    client.force_login(world.bureau)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not response.context.get("work_queue")
    html = response.content.decode()
    assert "Uw rol geeft toegang tot geaggregeerde cijfers" in html
    for case in world.ams.assigned.__class__.objects.all():
        assert case.person.family_name not in html
    # Its "show all" targets stay closed to it.
    assert client.get(reverse("cases:list"), {"state": "waitlisted"}).status_code == 404


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.NGO, Role.IND])
def test_work_queue_queries_constant_for_5_and_50_rows(client, world, role):
    ams = world.ams

    def add(n):
        for i in range(n):
            overdue_case(ams.location, assigned_ngo=ams.ngo_a)
            CaseFactory(location=ams.location, registered_on=days_ago(i), assigned_ngo=ams.ngo_a)
            waitlist(ams.location, days_ago(i + 1), assigned_ngo=ams.ngo_a)

    client.force_login(ams.users[role])
    add(5)
    client.get(reverse("home"))  # warm the content-type cache
    small = count_queries(client, reverse("home"))
    add(45)
    assert count_queries(client, reverse("home")) == small
    assert count_queries(client, reverse("home") + "?deadlines_page=2") == small
