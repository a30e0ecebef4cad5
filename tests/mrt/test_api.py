"""The MRT over the API: escalation from the LSO's minutes, preparation, session, advice and
the LSO's follow-up, end to end; hidden escalations answer 404."""

from __future__ import annotations

import pytest

from cases.models import EventType, TimelineEvent
from lso.models import ItemOutcome
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry, Result
from mrt import services
from mrt.models import Escalation, EscalationStatus
from tests.lso.helpers import chair, published, sheltered_case, today
from tests.mrt.helpers import escalated
from tests.users import as_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def test_escalation_to_advice_to_lso_follow_up(api_client, world):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    item = meeting.items.get()
    client = as_user(api_client, chair(ams))

    # The LSO escalates in its minutes.
    response = client.post(
        f"{BASE}/agenda-items/{item.pk}/outcome/",
        {
            "decision": "escalate",
            "escalation_reason": "disagreement",
            "escalation_question": "Vertrek of verblijf?",
            "agreed": False,
            "positions": [
                {"organisation": ams.ngo_a.pk, "text": "Verblijf op medische gronden."},
                {"organisation": ams.dtv.pk, "text": "Vertrek is haalbaar."},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    [row] = client.get(f"{BASE}/escalations/").json()["results"]
    assert row["status"]["code"] == "open" and row["meeting"] == meeting.pk and row["case"]["id"] == case.pk
    url = f"{BASE}/escalations/{row['id']}/"
    escalation = client.get(url).json()
    assert {p["organisation"]["id"] for p in escalation["positions"]} == {ams.ngo_a.pk, ams.dtv.pk}
    assert {t["owner_organisation"]["id"] for t in escalation["tasks"]} == {ams.ind.pk, ams.dtv.pk}

    # The IND writes its position and completes its task; its open tasks list empties.
    ind = as_user(api_client, ams.users[Role.IND])
    assert ind.post(f"{url}positions/", {"text": "Geen verblijfsgrond."}, format="json").status_code == 200
    [task] = ind.get(f"{BASE}/mrt-tasks/").json()["results"]
    assert task["case"]["id"] == case.pk
    assert ind.post(f"{BASE}/mrt-tasks/{task['id']}/done/", {}, format="json").status_code == 200
    assert ind.get(f"{BASE}/mrt-tasks/").json()["count"] == 0
    assert ind.post(f"{url}advice/", {"reasoning": "x", "direction": "departure"}, format="json").status_code == 403

    # The municipality plans a session, schedules the case and records the advice.
    client = as_user(api_client, chair(ams))
    response = client.post(
        f"{BASE}/mrt-sessions/",
        {
            "location": "amsterdam",
            "date": today().isoformat(),
            "place": "Stadhuis",
            "ngo": ams.ngo_a.pk,
            "ind_specialist": ams.users[Role.IND].pk,
            "dtv_specialist": ams.users[Role.DTV].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    session = response.json()
    assert session["municipality"]["id"] == ams.location.municipality_id and session["national"] is False
    response = client.post(f"{url}schedule/", {"session": session["id"], "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["status"]["code"] == "scheduled"
    assert client.post(f"{url}schedule/", {"session": session["id"], "version": 1}, format="json").status_code == 409
    response = client.post(f"{url}advice/", {"reasoning": "x"}, format="json")
    assert response.status_code == 400 and response.json() == {"direction": [str(services.DIRECTION_REQUIRED)]}
    response = client.post(
        f"{url}advice/",
        {"reasoning": "Vertrek na medische stabilisatie.", "direction": "departure", "route": "return_to_origin"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    advice = response.json()["advice"]
    assert advice["direction"]["code"] == "departure" and advice["followed_up"] is False
    assert response.json()["status"]["code"] == "advised"
    assert TimelineEvent.objects.filter(case=case, type=EventType.MRT_DISCUSSED).exists()
    assert client.get(f"{BASE}/advice/{advice['id']}/").json()["case"]["id"] == case.pk
    for user in (world.rot.users[Role.LSO_CHAIR], ams.users["ngo_b"], world.bureau):
        assert as_user(api_client, user).get(f"{BASE}/advice/{advice['id']}/").status_code == 404
    client = as_user(api_client, chair(ams))

    # The advice comes back to the LSO as a suggestion; the LSO does not follow it.
    response = client.post(
        f"{BASE}/meetings/",
        {"location": "amsterdam", "date": today().isoformat(), "start_time": "14:00", "online_link": "https://x.nl/l"},
        format="json",
    )
    nxt = response.json()
    [suggestion] = client.get(f"{BASE}/meetings/{nxt['id']}/suggestions/").json()["results"]
    assert suggestion["reasons"][0]["reason"]["code"] == "mrt_advice_received"
    response = client.post(f"{BASE}/meetings/{nxt['id']}/add-suggestions/", {"cases": [case.pk]}, format="json")
    assert response.status_code == 201
    new_item = response.json()[0]
    assert new_item["source_event"] == advice["event"]
    version = client.get(f"{BASE}/meetings/{nxt['id']}/").json()["version"]
    client.post(f"{BASE}/meetings/{nxt['id']}/publish/", {"version": version}, format="json")
    outcome_url = f"{BASE}/agenda-items/{new_item['id']}/outcome/"
    response = client.post(outcome_url, {"decision": "no_decision"}, format="json")
    assert response.status_code == 400 and "advice_followed" in response.json()
    response = client.post(outcome_url, {"decision": "no_decision", "advice_followed": False}, format="json")
    assert response.status_code == 400 and "advice_not_followed_reason" in response.json()
    response = client.post(
        outcome_url,
        {
            "decision": "scenario",
            "direction": "residence",
            "route": "medical",
            "advice_followed": False,
            "advice_not_followed_reason": "Nieuwe medische informatie.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    outcome = response.json()["outcome"]
    assert outcome["advice_followed"] is False and outcome["advice_event"] == advice["event"]
    assert client.get(url).json()["followed_up"] is True
    assert client.get(f"{BASE}/advice/{advice['id']}/").json()["followed_up"] is True
    assert ItemOutcome.objects.filter(advice_followed=False).count() == 1


def test_other_lvv_unassigned_ngo_and_bureau_get_404_on_escalations(api_client, world):
    ams = world.ams
    case, escalation = escalated(ams, ams.assigned)
    task = escalation.tasks.first()
    session = services.create_session(acting_user=chair(ams), origin=COMMAND, location=ams.location, date=today())
    e = f"{BASE}/escalations/{escalation.pk}/"
    endpoints = [
        ("get", e, None),
        ("post", f"{e}positions/", {"text": "x"}),
        ("post", f"{e}tasks/", {"owner_organisation": ams.ind.pk, "description": "x", "due_on": "2099-01-01"}),
        ("post", f"{e}schedule/", {"session": session.pk}),
        ("post", f"{e}advice/", {"reasoning": "x", "direction": "departure"}),
        ("get", f"{BASE}/mrt-tasks/{task.pk}/", None),
        ("post", f"{BASE}/mrt-tasks/{task.pk}/done/", {}),
    ]
    for user in (world.rot.users[Role.LSO_CHAIR], world.rot.users[Role.IND], ams.users["ngo_b"], world.bureau):
        client = as_user(api_client, user)
        for method, url, body in endpoints:
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 404, (user.username, url, response.status_code)
        assert client.get(f"{BASE}/escalations/").json()["count"] == 0
        assert client.get(f"{BASE}/mrt-tasks/", {"scope": "all"}).json()["count"] == 0
        assert client.get(f"{BASE}/advice/").json()["count"] == 0
    # Sessions of an LVV are hidden from other LVVs and the bureau.
    for user in (world.rot.users[Role.LSO_CHAIR], world.bureau):
        assert as_user(api_client, user).get(f"{BASE}/mrt-sessions/{session.pk}/").status_code == 404
    assert AccessLogEntry.objects.filter(object_type="mrt.escalation", result=Result.DENIED).exists()
    assert Escalation.objects.get().status == EscalationStatus.OPEN


def test_mrt_bad_input_never_500(api_client, world):
    ams = world.ams
    _case, escalation = escalated(ams)
    client = as_user(api_client, chair(ams))
    e = f"{BASE}/escalations/{escalation.pk}/"
    for url, body in [
        (f"{e}tasks/", {"owner_organisation": ams.ngo_a.pk, "description": "x", "due_on": "2099-01-01"}),
        (f"{e}tasks/", {"owner_organisation": "x", "due_on": "morgen"}),
        (f"{e}schedule/", {"session": 999999}),
        (f"{e}advice/", {"reasoning": "x", "direction": "nowhere"}),
        (f"{e}advice/", {"reasoning": "x", "no_durable_solution_possible": True, "direction": "departure"}),
        (f"{e}advice/", {"reasoning": "x", "direction": "departure", "on": "2999-01-01"}),
        (f"{BASE}/mrt-sessions/", {"location": "amsterdam", "date": "x"}),
        (f"{BASE}/mrt-sessions/", {"location": "amsterdam", "date": "2020-01-01", "ngo": world.rot.ngo_a.pk}),
        (f"{BASE}/mrt-sessions/", {"location": "amsterdam", "date": "2020-01-01", "dtv_specialist": chair(ams).pk}),
    ]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (url, body, response.status_code)
    # A national session: the planner's own municipality.
    response = client.post(f"{BASE}/mrt-sessions/", {"date": today().isoformat()}, format="json")
    assert response.status_code == 201 and response.json()["national"] is True
    assert as_user(api_client, world.rot.users[Role.DTV]).get(f"{BASE}/mrt-sessions/").json()["count"] == 1
