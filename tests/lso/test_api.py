"""The LSO over the API: the chair's flow, versions, bad input, locked minutes, access and
query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from cases.models import EventType, TimelineEvent
from lso import selectors, services
from lso.models import Action, AgendaItem, Meeting, MeetingStatus, ReviewNote
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry, Result
from tests.factories import CaseFactory
from tests.lso.helpers import chair, meeting_for, published, sheltered_case, today
from tests.mrt.helpers import escalated
from tests.users import as_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def test_chair_builds_publishes_and_minutes_a_meeting(api_client, world, django_capture_on_commit_callbacks):
    ams = world.ams
    rest = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, dossier_complete=True)
    other = sheltered_case(ams)
    client = as_user(api_client, chair(ams))

    response = client.post(
        f"{BASE}/meetings/",
        {"location": "amsterdam", "date": today().isoformat(), "start_time": "09:30", "place": "Stadhuis"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    meeting = response.json()
    assert meeting["status"] == {"code": "draft", "label": "concept"}
    assert meeting["may_prepare"] and meeting["may_chair"] and response["ETag"] == '"1"'
    url = f"{BASE}/meetings/{meeting['id']}/"

    response = client.get(f"{url}suggestions/")
    assert response.status_code == 200
    [suggestion] = response.json()["results"]
    assert suggestion["case"]["id"] == rest.pk
    assert suggestion["reasons"][0]["reason"]["code"] == "rest_period_ended_without_scenario"

    response = client.post(f"{url}items/", {"case": rest.pk, "from_suggestion": True}, format="json")
    assert response.status_code == 201, response.json()
    first = response.json()
    assert first["source"]["code"] == "suggested" and first["reason"]["code"] == "rest_period_ended_without_scenario"
    response = client.post(f"{url}items/", {"case": other.pk, "minutes_allotted": 20}, format="json")
    assert response.status_code == 201 and response.json()["reason"]["code"] == "manual"
    second = response.json()
    assert client.post(f"{url}items/", {"case": other.pk}, format="json").status_code == 400

    response = client.post(f"{url}reorder/", {"items": [second["id"], first["id"]]}, format="json")
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [second["id"], first["id"]]
    response = client.patch(f"{BASE}/agenda-items/{first['id']}/", {"minutes_allotted": 15}, format="json")
    assert response.status_code == 200 and response.json()["minutes_allotted"] == 15

    # A partner prepares the item.
    ngo = as_user(api_client, ams.users[Role.NGO])
    response = ngo.post(f"{BASE}/agenda-items/{first['id']}/notes/", {"text": "Gesprek gehad."}, format="json")
    assert response.status_code == 201 and response.json()["organisation"]["id"] == ams.ngo_a.pk
    client = as_user(api_client, chair(ams))

    version = client.get(url).json()["version"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}publish/", {"version": version}, format="json")
    assert response.status_code == 200 and response.json()["status"]["code"] == "published"

    response = client.post(
        f"{BASE}/agenda-items/{first['id']}/outcome/",
        {
            "decision": "scenario",
            "direction": "departure",
            "route": "return_to_origin",
            "notes": "Terugkeer voorbereiden.",
            "actions": [
                {"description": "Reisdocument aanvragen", "owner_organisation": ams.dtv.pk, "due_on": "2099-01-01"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["outcome"]["decision"]["code"] == "scenario"
    assert [a["description"] for a in item["actions"]] == ["Reisdocument aanvragen"]
    rest.refresh_from_db()
    assert rest.current_scenario.direction == "departure"
    assert TimelineEvent.objects.filter(case=rest, type=EventType.LSO_DISCUSSED).exists()

    # The action is in the DT&V's work queue, and the DT&V marks it done.
    dtv = as_user(api_client, ams.users[Role.DTV])
    [action] = dtv.get(f"{BASE}/actions/").json()["results"]
    assert action["case"]["id"] == rest.pk and action["overdue"] is False
    response = dtv.post(f"{BASE}/actions/{action['id']}/done/", {}, format="json")
    assert response.status_code == 200 and response.json()["done_on"] == today().isoformat()
    assert dtv.get(f"{BASE}/actions/").json()["count"] == 0
    assert dtv.get(f"{BASE}/actions/", {"scope": "all"}).json()["count"] == 1

    client = as_user(api_client, chair(ams))
    client.post(f"{BASE}/agenda-items/{second['id']}/outcome/", {"decision": "no_decision"}, format="json")
    version = client.get(url).json()["version"]
    response = client.post(f"{url}finalize/", {"version": version}, format="json")
    assert response.status_code == 200 and response.json()["status"]["code"] == "minutes_final"
    assert response.json()["may_chair"] is False

    # Final minutes: every change answers 403 with the Dutch reason; nothing changes.
    locked = str(services.MINUTES_ARE_FINAL)
    version = response.json()["version"]
    attempts = [
        client.patch(url, {"place": "Elders", "version": version}, format="json"),
        client.post(f"{url}items/", {"case": ams.unassigned.pk}, format="json"),
        client.post(f"{url}reorder/", {"items": [first["id"], second["id"]]}, format="json"),
        client.post(f"{url}publish/", {"version": version}, format="json"),
        client.post(f"{url}finalize/", {"version": version}, format="json"),
        client.patch(f"{BASE}/agenda-items/{first['id']}/", {"minutes_allotted": 5}, format="json"),
        client.delete(f"{BASE}/agenda-items/{first['id']}/"),
        client.post(f"{BASE}/agenda-items/{first['id']}/outcome/", {"decision": "postpone"}, format="json"),
        as_user(api_client, ams.users[Role.NGO]).post(
            f"{BASE}/agenda-items/{first['id']}/notes/", {"text": "Te laat"}, format="json"
        ),
    ]
    for response in attempts:
        assert response.status_code == 403, response.json()
        assert response.json()["detail"] == locked
    assert Meeting.objects.get(pk=meeting["id"]).version == version


def test_meeting_versions_and_bad_input(api_client, world):
    client = as_user(api_client, chair(world.ams))
    meeting = meeting_for(world.ams)
    url = f"{BASE}/meetings/{meeting.pk}/"
    assert client.patch(url, {"place": "Zaal"}, format="json").json() == {
        "version": ["Geef de versie mee waarop de wijziging is gebaseerd."]
    }
    assert client.patch(url, {"place": "Zaal", "version": 9}, format="json").status_code == 409
    assert client.patch(url, {"place": "Zaal"}, format="json", HTTP_IF_MATCH='"9"').status_code == 412
    assert AccessLogEntry.objects.filter(object_type="lso.meeting", result=Result.CONFLICT).count() == 2
    response = client.patch(url, {"place": "", "online_link": "", "version": 1}, format="json")
    assert response.status_code == 400
    assert response.json() == {"place": [str(services.PLACE_OR_LINK_REQUIRED)]}
    response = client.patch(url, {"place": "Zaal 2"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    for body in (
        {"location": "amsterdam", "date": "gisteren", "start_time": "9", "place": "x"},
        {"location": "nergens", "date": "2020-01-01", "start_time": "09:00", "place": "x"},
        {"location": ["amsterdam"], "date": {"a": 1}, "start_time": None},
        [],
    ):
        assert client.post(f"{BASE}/meetings/", body, format="json").status_code == 400
    # Another LVV: forbidden, not hidden (the LVV is no secret).
    response = client.post(
        f"{BASE}/meetings/",
        {"location": "rotterdam", "date": "2020-01-01", "start_time": "09:00", "place": "x"},
        format="json",
    )
    assert response.status_code == 403
    item_url = f"{url}items/"
    assert client.post(item_url, {"case": "abc"}, format="json").status_code == 400
    assert client.post(item_url, {"case": world.rot.assigned.pk}, format="json").status_code == 400  # not visible
    assert (
        client.post(item_url, {"case": world.ams.assigned.pk, "minutes_allotted": 0}, format="json").status_code == 400
    )
    assert client.post(f"{url}reorder/", {"items": "1,2"}, format="json").status_code == 400
    assert client.post(f"{url}publish/", {}, format="json").status_code == 400
    response = client.post(f"{url}publish/", {"version": 2}, format="json")
    assert response.status_code == 400 and response.json() == {"non_field_errors": [str(services.AGENDA_EMPTY)]}
    # The case worker prepares but does not publish.
    cm = as_user(api_client, world.ams.users[Role.CASEMANAGER])
    assert cm.post(item_url, {"case": world.ams.assigned.pk}, format="json").status_code == 201
    assert cm.post(f"{url}publish/", {"version": 3}, format="json").status_code == 403


def test_minutes_errors_over_the_api(api_client, world):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    item = meeting.items.get()
    client = as_user(api_client, chair(ams))
    url = f"{BASE}/agenda-items/{item.pk}/outcome/"
    assert client.post(url, {"decision": "scenario"}, format="json").json() == {
        "direction": [str(services.DIRECTION_REQUIRED)]
    }
    response = client.post(
        url,
        {"decision": "actions", "actions": [{"description": "x", "owner_organisation": 999999, "due_on": "nope"}]},
        format="json",
    )
    assert response.status_code == 400 and "actions" in response.json()
    response = client.post(url, {"decision": "no_decision", "agreed": False}, format="json")
    assert response.json() == {"positions": [str(services.DISSENT_NEEDS_POSITIONS)]}
    response = client.post(url, {"decision": "no_decision", "version": 1}, format="json")
    assert response.status_code == 409
    # The case worker may not record minutes.
    cm = as_user(api_client, ams.users[Role.CASEMANAGER])
    assert cm.post(url, {"decision": "no_decision"}, format="json").status_code == 403
    # A scenario on a closed case: the trajectory refuses the step (409), nothing changes.
    case_services.record_outflow(acting_user=SYSTEM, origin=COMMAND, case=case, category="back_to_bbb")
    response = as_user(api_client, chair(ams)).post(
        url, {"decision": "scenario", "direction": "departure"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "step_not_allowed"
    assert not AgendaItem.objects.filter(pk=item.pk, outcome__isnull=False).exists()


def test_requests_and_reviews(api_client, world):
    ams = world.ams
    case = sheltered_case(ams)
    ngo = as_user(api_client, ams.users[Role.NGO])
    response = ngo.post(f"{BASE}/lso-requests/", {"case": case.pk, "reason": "Graag bespreken"}, format="json")
    assert response.status_code == 201 and response.json()["type"] == "lso_requested"
    assert ngo.post(f"{BASE}/lso-requests/", {"case": case.pk, "reason": " "}, format="json").status_code == 400
    for outsider in (world.rot.users[Role.NGO], ams.users["ngo_b"], world.bureau):
        response = as_user(api_client, outsider).post(
            f"{BASE}/lso-requests/", {"case": case.pk, "reason": "x"}, format="json"
        )
        assert response.status_code == 400 and "case" in response.json()  # no such case for them
    ngo = as_user(api_client, ams.users[Role.NGO])
    # Reviews: the DT&V only.
    assert ngo.post(f"{BASE}/reviews/", {"case": case.pk, "text": "x"}, format="json").status_code == 403
    dtv = as_user(api_client, ams.users[Role.DTV])
    response = dtv.post(f"{BASE}/reviews/", {"case": case.pk, "text": "Geen voortgang", "flagged": True}, format="json")
    assert response.status_code == 201 and response.json()["flagged"] is True
    assert TimelineEvent.objects.get(case=case, type=EventType.DTV_REVIEW).data["flagged"] is True
    assert dtv.get(f"{BASE}/reviews/", {"case": case.pk}).json()["count"] == 1
    assert dtv.post(f"{BASE}/reviews/", {"case": world.rot.assigned.pk, "text": "x"}, format="json").status_code == 400
    assert (
        dtv.post(f"{BASE}/reviews/", {"case": case.pk, "text": "x", "on": "2999-01-01"}, format="json").status_code
        == 400
    )


def test_review_queue_filters(api_client, world):
    ams = world.ams
    no_scenario = sheltered_case(ams)  # sheltered since 6 January 2020, no scenario
    departure = CaseFactory(location=ams.location, with_scenario=True)  # departure since 3 February 2020
    action_case = sheltered_case(ams)
    Action.objects.create(
        case=action_case, description="Te laat", owner_organisation=ams.dtv, due_on=today() - datetime.timedelta(1)
    )
    dtv = as_user(api_client, ams.users[Role.DTV])
    url = f"{BASE}/reviews/queue/"

    def ids(**params):
        response = dtv.get(url, params)
        assert response.status_code == 200, response.json()
        return {row["case"]["id"] for row in response.json()["results"]}

    everything = ids()
    assert {no_scenario.pk, departure.pk, action_case.pk} <= everything
    assert world.rot.assigned.pk not in everything
    assert no_scenario.pk in ids(no_scenario_days=30) and departure.pk not in ids(no_scenario_days=30)
    assert ids(departure_without_progress="true") == {departure.pk}
    assert ids(overdue_actions="true") == {action_case.pk}
    assert ids(mrt_pending="true") == set()
    assert ids(near_max_stay="true") == set()
    row = next(r for r in dtv.get(url).json()["results"] if r["case"]["id"] == departure.pk)
    assert row["scenario"]["direction"]["code"] == "departure"
    assert dtv.get(url, {"no_scenario_days": "veel"}).status_code == 400
    assert dtv.get(url, {"location": "rotterdam"}).status_code == 400
    assert as_user(api_client, world.bureau).get(url).json()["count"] == 0


# --- Access: hidden objects answer 404 ---------------------------------------------------


def test_other_lvv_unassigned_ngo_and_bureau_get_404(api_client, world):
    ams = world.ams
    meeting = published(ams, [ams.assigned])
    item = meeting.items.get()
    action = Action.objects.create(
        case=ams.assigned, item=item, description="x", owner_organisation=ams.ngo_a, due_on=today()
    )
    note = services.add_review_note(acting_user=ams.users[Role.DTV], origin=COMMAND, case=ams.assigned, text="x")
    m, i = f"{BASE}/meetings/{meeting.pk}/", f"{BASE}/agenda-items/{item.pk}/"
    meeting_endpoints = [
        ("get", m, None),
        ("patch", m, {"place": "x", "version": 1}),
        ("put", m, {"date": "2020-01-01", "start_time": "09:00", "place": "x", "version": 1}),
        ("post", f"{m}publish/", {"version": 1}),
        ("post", f"{m}finalize/", {"version": 1}),
        ("get", f"{m}suggestions/", None),
        ("post", f"{m}items/", {"case": ams.unassigned.pk}),
        ("post", f"{m}add-suggestions/", {"cases": [ams.unassigned.pk]}),
        ("post", f"{m}reorder/", {"items": [item.pk]}),
    ]
    item_endpoints = [
        ("get", i, None),
        ("patch", i, {"minutes_allotted": 5}),
        ("delete", i, None),
        ("post", f"{i}notes/", {"text": "x"}),
        ("post", f"{i}outcome/", {"decision": "no_decision"}),
        ("get", f"{BASE}/actions/{action.pk}/", None),
        ("post", f"{BASE}/actions/{action.pk}/done/", {}),
        ("get", f"{BASE}/reviews/{note.pk}/", None),
    ]
    outsiders = [world.rot.users[Role.LSO_CHAIR], world.rot.users[Role.DTV], world.rot.users[Role.NGO], world.bureau]
    for user in outsiders:
        client = as_user(api_client, user)
        for method, url, body in meeting_endpoints + item_endpoints:
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 404, (user.username, method, url, response.status_code)
        assert client.get(f"{BASE}/meetings/").json()["count"] == 0
        assert client.get(f"{BASE}/agenda-items/").json()["count"] == 0
        assert client.get(f"{BASE}/actions/", {"scope": "all"}).json()["count"] == 0
        assert client.get(f"{BASE}/reviews/").json()["count"] == 0
    # The NGO the case is not assigned to sees the meeting (a partner of the LVV) but not
    # the item, its actions or the review of that case.
    client = as_user(api_client, ams.users["ngo_b"])
    assert client.get(m).status_code == 200 and client.get(m).json()["items"] == []
    for method, url, body in item_endpoints:
        assert getattr(client, method)(url, body, format="json").status_code == 404, url
    assert AccessLogEntry.objects.filter(object_type="lso.agendaitem", result=Result.DENIED).exists()
    assert ReviewNote.objects.count() == 1 and AgendaItem.objects.count() == 1
    assert Meeting.objects.get().status == MeetingStatus.PUBLISHED


def test_unauthenticated_gets_nothing(api_client, world):
    meeting = meeting_for(world.ams)
    assert api_client.get(f"{BASE}/meetings/{meeting.pk}/").status_code in (401, 403)


# --- Query counts ------------------------------------------------------------------------


def count(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_meeting_list_and_detail_constant(api_client, world):
    ams = world.ams
    client = as_user(api_client, chair(ams))
    for n in range(3):
        published(ams, [sheltered_case(ams)], date=today() - datetime.timedelta(days=n))
    client.get(f"{BASE}/meetings/")  # warm caches
    small = count(client, f"{BASE}/meetings/")
    first = Meeting.objects.first()
    small_detail = count(client, f"{BASE}/meetings/{first.pk}/")
    for n in range(3, 25):
        published(ams, [sheltered_case(ams), sheltered_case(ams)], date=today() - datetime.timedelta(days=n))
    for case in [sheltered_case(ams) for _ in range(6)]:
        services.add_item(acting_user=chair(ams), origin=COMMAND, meeting=first, case=case)
    item = first.items.first()
    services.save_preparation_note(acting_user=ams.users[Role.DTV], origin=COMMAND, item=item, text="x")
    assert count(client, f"{BASE}/meetings/") == small
    assert count(client, f"{BASE}/meetings/{first.pk}/") == small_detail


def test_suggestions_endpoint_constant(api_client, world):
    ams = world.ams
    client = as_user(api_client, chair(ams))
    meeting = meeting_for(ams)
    CaseFactory(location=ams.location, dossier_complete=True)
    services.request_lso_discussion(acting_user=ams.users[Role.NGO], origin=COMMAND, case=ams.assigned, reason="x")
    url = f"{BASE}/meetings/{meeting.pk}/suggestions/"
    client.get(url)
    small = count(client, url)
    for _ in range(12):
        case = sheltered_case(ams)
        services.request_lso_discussion(acting_user=ams.users[Role.NGO], origin=COMMAND, case=case, reason="x")
        CaseFactory(location=ams.location, dossier_complete=True)
    large = count(client, url)
    assert client.get(url).json()["count"] == 26
    assert small == large


def test_work_lists_constant(api_client, world):
    """Actions, reviews, the review queue and escalations: the same queries for 2 and 12 rows."""
    ams = world.ams
    dtv = ams.users[Role.DTV]

    def grow(n):
        for _ in range(n):
            case, _escalation = escalated(ams)
            Action.objects.create(case=case, description="x", owner_organisation=ams.dtv, due_on=today())
            services.add_review_note(acting_user=dtv, origin=COMMAND, case=case, text="x", flagged=True)

    urls = [
        f"{BASE}/actions/",
        f"{BASE}/reviews/",
        f"{BASE}/reviews/queue/?overdue_actions=false",
        f"{BASE}/escalations/",
        f"{BASE}/mrt-tasks/",
        f"{BASE}/advice/",
    ]
    client = as_user(api_client, dtv)
    grow(2)
    for url in urls:
        client.get(url)
    small = [count(client, url) for url in urls]
    grow(10)
    assert [count(client, url) for url in urls] == small


def test_meeting_notices_for_the_member(world):
    ams = world.ams
    meeting = meeting_for(ams)
    services.add_item(acting_user=chair(ams), origin=COMMAND, meeting=meeting, case=ams.assigned)
    services.publish_meeting(acting_user=chair(ams), origin=COMMAND, meeting=meeting)
    dtv = ams.users[Role.DTV]
    [notice] = selectors.notices_for(dtv)
    assert notice.meeting == meeting and notice.read_at is None
    with pytest.raises(services.NotVisibleError):
        services.mark_notice_read(acting_user=ams.users[Role.IND], notice=notice)
    services.mark_notice_read(acting_user=dtv, notice=notice)
    assert selectors.notices_for(dtv).get().read_at is not None
    assert not selectors.notices_for(world.rot.users[Role.DTV]).exists()
