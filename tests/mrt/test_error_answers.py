"""The MRT's pages and API answer a refusal the same way (lvv.errors, docs/adr/0025): the same
status, the same access-log row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lvv.accounts.models import Role
from mrt.models import Advice
from tests.lso.helpers import chair
from tests.mrt.helpers import escalated
from tests.refusals import assert_same_refusal, assert_stale_on_both

pytestmark = pytest.mark.django_db


def advise(client, api_client, escalation, version):
    page = client.post(
        reverse("mrt:advice", args=[escalation.pk]),
        {"advice-reasoning": "Vertrek is haalbaar.", "advice-direction": "departure", "advice-version": version},
    )
    api = api_client.post(
        f"/api/v1/escalations/{escalation.pk}/advice/",
        {"reasoning": "Vertrek is haalbaar.", "direction": "departure", "version": version},
        format="json",
    )
    return page, api


def test_a_stale_version_is_409_on_the_page_and_in_the_api_with_one_log_row(client, api_client, world):
    ams = world.ams
    _case, escalation = escalated(ams)
    client.force_login(chair(ams))
    api_client.force_authenticate(chair(ams))
    page, api = advise(client, api_client, escalation, escalation.version + 3)
    row = assert_stale_on_both(page, api)
    assert (row["action"], row["object_type"], row["object_id"]) == ("update", "mrt.escalation", str(escalation.pk))
    assert page.context["advice_form"].data["advice-version"] == escalation.version
    assert not Advice.objects.exists()


def test_a_refusal_writes_the_same_row_on_the_page_and_in_the_api(client, api_client, world):
    ams = world.ams
    _case, escalation = escalated(ams)
    ind = ams.users[Role.IND]  # a partner of the escalation, not its coordinator
    client.force_login(ind)
    api_client.force_authenticate(ind)
    page, api = advise(client, api_client, escalation, escalation.version)
    assert page.status_code == api.status_code == 403
    row = assert_same_refusal("denied", "permission_denied")
    assert (row["action"], row["object_type"], row["object_id"]) == ("update", "mrt.escalation", str(escalation.pk))
    assert not Advice.objects.exists()
