"""The LSO pages: the chair's path from meeting to final minutes, access, errors and the
number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cases.models import Direction, Scenario
from lso import forms as lso_forms
from lso import services
from lso.models import AgendaItem, Meeting, MeetingStatus
from lvv import errors
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory, PersonFactory
from tests.lso.helpers import chair, meeting_for, published, sheltered_case, today

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"lso:{name}", args=args)


def requested(lvv, case):
    services.request_lso_discussion(
        acting_user=lvv.users[Role.NGO], origin=COMMAND, case=case, reason="Bespreken graag"
    )
    return case


def test_chair_builds_publishes_minutes_and_finalises(world, client):
    ams = world.ams
    client.force_login(chair(ams))
    response = client.post(
        url("meeting-create"),
        {"location": ams.location.pk, "date": today().isoformat(), "start_time": "09:30", "place": "Stadhuis"},
    )
    meeting = Meeting.objects.get(location=ams.location)
    assert response.status_code == 302
    case = requested(ams, sheltered_case(ams))
    page = client.get(url("meeting-detail", meeting.pk))
    assert page.status_code == 200
    assert [s.case for s in page.context["suggestions"]] == [case]
    assert b"Toevoegen" in page.content
    assert f'action="{url("publish", meeting.pk)}" aria-label="Agenda publiceren"' in page.content.decode()

    response = client.post(url("add-suggestion", meeting.pk), {"case": case.pk, "version": meeting.version})
    assert response.status_code == 302
    item = AgendaItem.objects.get(meeting=meeting)
    meeting.refresh_from_db()
    response = client.post(url("publish", meeting.pk), {"version": meeting.version})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED

    prefix = f"outcome-{item.pk}"
    response = client.post(
        url("item-outcome", meeting.pk, item.pk),
        {
            f"{prefix}-decision": "scenario",
            f"{prefix}-direction": Direction.DEPARTURE,
            f"{prefix}-route": "return_to_origin",
            f"{prefix}-agreed": "yes",
            f"{prefix}-action_1_description": "Gesprek over terugkeer",
            f"{prefix}-action_1_owner": str(ams.ngo_a.pk),
            f"{prefix}-action_1_due_on": (today() + datetime.timedelta(days=14)).isoformat(),
            f"{prefix}-version": meeting.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Scenario.objects.filter(case=case, direction=Direction.DEPARTURE).exists()
    assert case.lso_actions.count() == 1
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    page = client.get(url("meeting-detail", meeting.pk)).content.decode()
    assert f'action="{url("finalize", meeting.pk)}" aria-label="Verslag definitief maken"' in page
    assert url("publish", meeting.pk) not in page

    response = client.post(url("finalize", meeting.pk), {"version": meeting.version})
    assert response.status_code == 302
    page = client.get(url("meeting-detail", meeting.pk))
    assert b'data-testid="minutes-final"' in page.content
    assert b'data-testid="outcome-form"' not in page.content
    assert client.get(url("minutes-print", meeting.pk)).status_code == 200
    minutes = client.get(url("minutes-pdf", meeting.pk))
    assert minutes.status_code == 200 and minutes["Content-Type"] == "application/pdf"
    assert minutes.content.startswith(b"%PDF")


def test_outcome_errors_are_field_level_and_keep_input(world, client):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    item = meeting.items.get()
    client.force_login(chair(ams))
    prefix = f"outcome-{item.pk}"
    response = client.post(
        url("item-outcome", meeting.pk, item.pk),
        {f"{prefix}-decision": "scenario", f"{prefix}-agreed": "yes", f"{prefix}-notes": "mijn verslag"},
    )
    assert response.status_code == 400
    form = response.context["entries"][0].outcome_form
    assert str(services.DIRECTION_REQUIRED) in form.errors["direction"]
    assert "mijn verslag" in response.content.decode()


def test_meeting_without_place_gets_a_dutch_field_error(world, client):
    client.force_login(chair(world.ams))
    response = client.post(
        url("meeting-create"), {"location": world.ams.location.pk, "date": today().isoformat(), "start_time": "10:00"}
    )
    assert response.status_code == 400
    assert str(services.PLACE_OR_LINK_REQUIRED) in response.context["form"].errors["place"]


def test_stale_version_is_a_form_error(world, client):
    ams = world.ams
    meeting = meeting_for(ams)
    case = requested(ams, sheltered_case(ams))
    client.force_login(chair(ams))
    response = client.post(url("add-suggestion", meeting.pk), {"case": case.pk, "version": meeting.version + 5})
    assert response.status_code == 409
    assert str(errors.STALE_VERSION) in response.content.decode()


def test_manual_add_by_reference_and_reorder(world, client):
    ams = world.ams
    meeting = meeting_for(ams)
    first, second = sheltered_case(ams), sheltered_case(ams)
    client.force_login(ams.users[Role.CASEMANAGER])
    for case in (first, second):
        meeting.refresh_from_db()
        response = client.post(url("add-manual", meeting.pk), {"case": case.reference, "version": meeting.version})
        assert response.status_code == 302
    meeting.refresh_from_db()
    response = client.post(url("add-manual", meeting.pk), {"case": "LVV-999999", "version": meeting.version})
    assert str(lso_forms.CASE_NOT_FOUND) in response.context["manual_form"].errors["case"]
    second_item = AgendaItem.objects.get(meeting=meeting, case=second)
    response = client.post(url("item-move", meeting.pk, second_item.pk, "up"), {"version": meeting.version})
    assert response.status_code == 302
    assert list(AgendaItem.objects.filter(meeting=meeting).order_by("order").values_list("case", flat=True)) == [
        second.pk,
        first.pk,
    ]
    meeting.refresh_from_db()
    response = client.post(
        url("item-time", meeting.pk, second_item.pk),
        {f"time-{second_item.pk}-minutes_allotted": "25", f"time-{second_item.pk}-version": meeting.version},
    )
    assert response.status_code == 302
    second_item.refresh_from_db()
    assert second_item.minutes_allotted == 25


def test_partner_writes_a_preparation_note(world, client):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    item = meeting.items.get()
    client.force_login(ams.users[Role.IND])
    response = client.post(url("item-note", meeting.pk, item.pk), {f"note-{item.pk}-text": "IND: geen procedure"})
    assert response.status_code == 302
    assert item.notes.get().text == "IND: geen procedure"


def test_access(world, client):
    ams = world.ams
    meeting = published(ams, [ams.assigned, ams.unassigned])
    item = meeting.items.get(case=ams.unassigned)
    pages = [
        url("meeting-detail", meeting.pk),
        url("meeting-edit", meeting.pk),
        url("minutes-print", meeting.pk),
        url("minutes-pdf", meeting.pk),
        url("pack-status", meeting.pk),
    ]
    for user in (world.rot.users[Role.LSO_CHAIR], world.rot.users[Role.NGO], world.bureau):
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == 404, (user, page)
        assert client.post(url("item-note", meeting.pk, item.pk), {f"note-{item.pk}-text": "x"}).status_code == 404
    client.force_login(world.bureau)
    assert client.get(url("meeting-list")).status_code == 404
    assert client.get(url("review-queue")).status_code == 404
    # The NGO sees the meeting, but only the item of the case assigned to it.
    client.force_login(ams.users[Role.NGO])
    page = client.get(url("meeting-detail", meeting.pk))
    assert [e.item.case for e in page.context["entries"]] == [ams.assigned]
    assert client.post(url("item-note", meeting.pk, item.pk), {f"note-{item.pk}-text": "x"}).status_code == 404
    client.force_login(ams.users["ngo_b"])
    page = client.get(url("meeting-detail", meeting.pk))
    assert page.context["entries"] == []


def _count_queries(client, django_assert_max_num_queries, path, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_meeting_page_query_count_is_fixed(world, client, django_assert_max_num_queries):
    ams = world.ams
    client.force_login(chair(ams))
    few = published(ams, [sheltered_case(ams) for _ in range(2)])
    many = published(ams, [sheltered_case(ams) for _ in range(8)], date=today() - datetime.timedelta(days=1))
    counts = [
        _count_queries(client, django_assert_max_num_queries, url("meeting-detail", m.pk), 40) for m in (few, many)
    ]
    assert counts[0] == counts[1]


def test_review_queue(world, client, django_assert_max_num_queries):
    ams = world.ams
    dtv = ams.users[Role.DTV]
    client.force_login(dtv)
    sheltered_case(ams)
    few = _count_queries(client, django_assert_max_num_queries, url("review-queue"), 25)
    for _ in range(6):
        sheltered_case(ams)
    many = _count_queries(client, django_assert_max_num_queries, url("review-queue"), 25)
    assert few == many
    response = client.get(url("review-queue"), {"overdue_actions": "true", "no_scenario_days": "abc"})
    assert response.status_code == 200
    case = sheltered_case(ams)
    response = client.post(url("review-note", case.pk), {"text": "Stil traject", "flagged": "on"})
    assert response.status_code == 302
    assert case.review_notes.get().flagged
    response = client.post(url("review-note", case.pk), {"text": ""})
    assert response.status_code == 400 and response.context["form"].errors["text"]
    # Others: 404.
    for user in (ams.users[Role.CASEMANAGER], world.rot.users[Role.DTV], world.bureau):
        client.force_login(user)
        assert client.get(url("review-note", case.pk)).status_code == 404
    client.force_login(ams.users[Role.CASEMANAGER])
    assert client.get(url("review-queue")).status_code == 404


def test_the_agenda_search_finds_open_cases_of_this_lvv_by_name_or_v_number(world, client):
    """The meeting page's search is the case list's (accent-insensitive name, V-number,
    external id), within the cases the agenda may take: open, of the meeting's LVV, not on
    its agenda yet."""
    ams, rot = world.ams, world.rot
    meeting = meeting_for(ams)
    found = sheltered_case(ams, person=PersonFactory(family_name="Özdemir", v_number="1234567890"))
    on_agenda = sheltered_case(ams, person=PersonFactory(family_name="Ozdemir"))
    services.add_item(acting_user=ams.users[Role.LSO_CHAIR], origin=COMMAND, meeting=meeting, case=on_agenda)
    elsewhere = CaseFactory(location=rot.location, sheltered=True, person=PersonFactory(family_name="Ozdemir"))
    client.force_login(ams.users[Role.LSO_CHAIR])

    def results(query):
        return [
            case.pk for case in client.get(url("meeting-detail", meeting.pk), {"q": query}).context["search_results"]
        ]

    assert results("ozdemir") == [found.pk]  # not the one on the agenda, not Rotterdam's
    assert results("1234567890") == [found.pk]
    assert results("Jansen") == []
    assert elsewhere.pk not in results("Ozdemir")
