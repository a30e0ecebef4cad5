"""Special-category data in the MRT's reasoning: an advice whose reasoning is marked
``special`` shows its direction and route to every reader of the case, its reasoning only
to readers who may see that data of the case (page, API, timeline, the LSO's agenda);
only they may mark or write it; the queries stay fixed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases.models import EventType, TimelineEvent
from lso import confidential
from lso import selectors as lso_selectors
from lso import services as lso_services
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from mrt import services
from mrt.models import Advice, EscalationStatus
from tests.lso.helpers import chair, meeting_for
from tests.lso.test_special_texts import (
    OTHER_SECRET,
    PLACEHOLDER,
    SECRET,
    assert_case_does_not_quote,
    fresh,
    readers_without,
    with_special,
)
from tests.mrt.helpers import escalated
from tests.notices import assert_notices_do_not_quote

pytestmark = pytest.mark.django_db

API = "/api/v1"


def advise(lvv, escalation, user=None, *, reasoning=SECRET, mark="special"):
    return services.give_advice(
        acting_user=user or with_special(lvv.users[Role.CASEMANAGER]),
        origin=COMMAND,
        escalation=escalation,
        reasoning=reasoning,
        direction="departure",
        route="return_to_origin",
        reasoning_confidentiality=mark,
    )


def test_a_special_reasoning_needs_the_permission(world):
    ams = world.ams
    case, escalation = escalated(ams)
    with pytest.raises(PermissionDenied) as refused:
        advise(ams, escalation, chair(ams))
    assert str(refused.value) == str(confidential.SPECIAL_NOT_ALLOWED)
    with pytest.raises(ValidationError) as invalid:
        advise(ams, escalation, mark="secret")
    assert invalid.value.message_dict == {"reasoning_confidentiality": [str(confidential.CONFIDENTIALITY_INVALID)]}
    assert not Advice.objects.exists()
    assert not TimelineEvent.objects.filter(case=case, type=EventType.MRT_ADVICE).exists()
    # The chair with a grant on this case may.
    advice = advise(ams, escalation, with_special(chair(ams), case))
    assert advice.reasoning_confidentiality == "special" and advice.reasoning == SECRET


def test_the_timeline_notices_and_the_lso_never_quote_a_special_reasoning(
    world, client, api_client, django_capture_on_commit_callbacks
):
    ams = world.ams
    case, escalation = escalated(ams)
    with django_capture_on_commit_callbacks(execute=True):
        advice = advise(ams, escalation)  # the chair's and the DT&V's inboxes: notices
    assert_notices_do_not_quote(django_capture_on_commit_callbacks, SECRET)
    events = TimelineEvent.objects.filter(case=case, type__in=[EventType.MRT_DISCUSSED, EventType.MRT_ADVICE])
    assert {event.summary for event in events} == {str(confidential.EVENT_SUMMARY)}
    assert SECRET not in str([event.data for event in events])
    assert TimelineEvent.objects.get(pk=advice.event_id).data["reasoning_confidentiality"] == "special"
    assert_case_does_not_quote(SECRET, ams, case, client, api_client)
    # The advice goes to the next LSO: its reason and the minutes form do not quote it.
    meeting = meeting_for(ams)
    [suggestion] = lso_selectors.suggestions(meeting, chair(ams))
    assert SECRET not in suggestion.detail
    lso_services.add_suggested_items(acting_user=chair(ams), origin=COMMAND, meeting=meeting, cases=[case])
    meeting.refresh_from_db()
    lso_services.publish_meeting(acting_user=chair(ams), origin=COMMAND, meeting=meeting, notify=False)
    client.force_login(chair(ams))
    page = client.get(reverse("lso:meeting-detail", args=[meeting.pk]))
    assert 'data-testid="outcome-form"' in page.content.decode() and SECRET not in page.content.decode()


def test_escalation_page(world, client):
    ams = world.ams
    case, escalation = escalated(ams)
    url = reverse("mrt:escalation-detail", args=[escalation.pk])
    advice_url = reverse("mrt:advice", args=[escalation.pk])
    body = {"advice-direction": "departure", "advice-reasoning": SECRET, "advice-special": "on", "advice-version": 1}
    # The chair may record the advice, not mark it: no mark offered, a crafted one is refused.
    client.force_login(chair(ams))
    assert 'name="advice-special"' not in client.get(url).content.decode()
    response = client.post(advice_url, body)
    assert response.status_code == 403 and str(confidential.SPECIAL_NOT_ALLOWED) in response.content.decode()
    assert not Advice.objects.exists()
    # The case manager (with the permission) may.
    manager = with_special(ams.users[Role.CASEMANAGER])
    client.force_login(manager)
    assert 'name="advice-special"' in client.get(url).content.decode()
    assert client.post(advice_url, body).status_code == 302
    advice = Advice.objects.get()
    assert advice.reasoning_confidentiality == "special"
    page = client.get(url).content.decode()
    assert SECRET in page and 'data-testid="special-mark"' in page
    for name, user in readers_without(ams).items():
        client.force_login(user)
        page = client.get(url).content.decode()
        assert SECRET not in page and PLACEHOLDER in page, name
        assert "vertrek" in page.split('data-testid="advice"')[1].lower(), name  # the direction stays


def test_advice_over_the_api(world, api_client):
    ams = world.ams
    case, escalation = escalated(ams)
    url = f"{API}/escalations/{escalation.pk}/advice/"
    body = {"direction": "departure", "reasoning": SECRET, "reasoning_confidentiality": "special", "version": 1}
    api_client.force_authenticate(chair(ams))
    response = api_client.post(url, body, format="json")
    assert response.status_code == 403 and response.json()["detail"] == str(confidential.SPECIAL_NOT_ALLOWED)
    response = api_client.post(url, {**body, "reasoning_confidentiality": "x"}, format="json")
    assert response.status_code == 400 and "reasoning_confidentiality" in response.json()
    assert not Advice.objects.exists()
    api_client.force_authenticate(with_special(ams.users[Role.CASEMANAGER]))
    response = api_client.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    advice = response.json()["advice"]
    assert advice["reasoning"] == SECRET and advice["reasoning_confidentiality"]["code"] == "special"

    urls = [
        f"{API}/escalations/{escalation.pk}/",
        f"{API}/escalations/",
        f"{API}/advice/",
        f"{API}/advice/{advice['id']}/",
    ]
    for name, user in readers_without(ams).items():
        api_client.force_authenticate(user)
        for read in urls:
            response = api_client.get(read)
            assert response.status_code == 200 and SECRET not in response.content.decode(), (name, read)
        shown = api_client.get(urls[0]).json()["advice"]
        assert shown["reasoning"] is None and shown["direction"]["code"] == "departure"
        assert api_client.get(urls[3]).json()["reasoning"] is None


def test_advice_lists_queries_stay_fixed(world, api_client, client):
    ams = world.ams
    reader = ams.users[Role.NGO]

    def grow(n):
        for _ in range(n):
            case, escalation = escalated(ams)
            advise(ams, escalation)
            assign_perm("cases.view_special_category", reader, case)  # granted on every other case
            _case, escalation = escalated(ams)
            advise(ams, escalation, reasoning=OTHER_SECRET)

    def count(url):
        api_client.force_authenticate(fresh(reader))
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        assert SECRET in text and OTHER_SECRET not in text
        return len(queries.captured_queries)

    def count_page():
        client.force_login(fresh(reader))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("mrt:escalation-list")).status_code == 200
        return len(queries.captured_queries)

    urls = [f"{API}/advice/", f"{API}/escalations/"]
    grow(1)
    small = [count(url) for url in urls] + [count_page()]
    grow(5)
    assert [count(url) for url in urls] + [count_page()] == small
    assert Advice.objects.filter(escalation__status=EscalationStatus.ADVISED).count() == 12
