"""The MRT pages: escalation list and page, positions, tasks, the session and the advice;
access for other LVVs, unassigned NGOs and the programme bureau."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lvv.accounts.models import Role
from mrt.models import EscalationStatus
from tests.lso.helpers import chair, sheltered_case
from tests.mrt.helpers import escalate

pytestmark = pytest.mark.django_db


def status_after(client, form: str, escalation, data: dict) -> str:
    """Post ``data`` to the page ``form`` of ``escalation``, which must redirect; the
    escalation's status afterwards."""
    response = client.post(reverse(f"mrt:{form}", args=[escalation.pk]), data)
    assert response.status_code == 302
    escalation.refresh_from_db()
    return escalation.status


def test_escalation_to_advice_in_the_browser_pages(world, client, django_assert_max_num_queries):
    ams = world.ams
    escalation = escalate(ams, sheltered_case(ams))
    client.force_login(ams.users[Role.IND])
    response = client.get(reverse("mrt:escalation-list"))
    assert response.status_code == 200 and len(response.context["tasks"]) == 1
    with django_assert_max_num_queries(30):
        page = client.get(reverse("mrt:escalation-detail", args=[escalation.pk]))
    assert page.status_code == 200
    response = client.post(reverse("mrt:position", args=[escalation.pk]), {"text": "Procedure loopt nog"})
    assert response.status_code == 302
    task = escalation.tasks.get(owner_organisation=ams.ind)
    assert client.post(reverse("mrt:task-done", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.done_on

    client.force_login(chair(ams))
    response = client.post(reverse("mrt:advice", args=[escalation.pk]), {"advice-reasoning": "", "advice-version": 1})
    assert response.status_code == 400
    assert response.context["advice_form"].errors["reasoning"]
    advice = {
        "advice-direction": "departure",
        "advice-reasoning": "Vertrek is haalbaar",
        "advice-version": escalation.version,
    }
    assert status_after(client, "advice", escalation, advice) == EscalationStatus.ADVISED


def test_session_form_plans_and_schedules(world, client):
    ams = world.ams
    escalation = escalate(ams, ams.assigned)
    client.force_login(ams.users[Role.CASEMANAGER])
    session = {"session-date": escalation.escalated_on.isoformat()}
    assert status_after(client, "session", escalation, session) == EscalationStatus.SCHEDULED


def test_access(world, client):
    ams = world.ams
    escalation = escalate(ams, ams.unassigned)
    task = escalation.tasks.first()
    for user in (world.rot.users[Role.LSO_CHAIR], ams.users[Role.NGO], world.bureau):
        client.force_login(user)
        assert client.get(reverse("mrt:escalation-detail", args=[escalation.pk])).status_code == 404
        assert client.post(reverse("mrt:position", args=[escalation.pk]), {"text": "x"}).status_code == 404
        assert client.post(reverse("mrt:task-done", args=[task.pk])).status_code == 404
    client.force_login(ams.users[Role.NGO])
    assert client.get(reverse("mrt:escalation-list")).context["page"].paginator.count == 0
    client.force_login(world.bureau)
    assert client.get(reverse("mrt:escalation-list")).status_code == 404
