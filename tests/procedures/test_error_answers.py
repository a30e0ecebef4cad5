"""The procedures' pages and API answer a refusal the same way (lvv.errors, docs/adr/0025):
the same status, the same access-log row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lvv.accounts.models import Role
from procedures.models import Application, DepartureStep
from tests.procedures.helpers import sheltered, submit, today
from tests.refusals import assert_same_refusal, assert_stale_on_both

pytestmark = pytest.mark.django_db


def test_a_stale_version_is_409_on_the_page_and_in_the_api_with_one_log_row(client, api_client, world):
    case = sheltered(world.ams.assigned)
    ind = world.ams.users[Role.IND]
    application = submit(ind, case)  # a regular application: the IND decides it
    client.force_login(ind)
    api_client.force_authenticate(ind)
    body = {"outcome": "granted", "decided_on": today().isoformat(), "version": application.version + 2}
    page = client.post(reverse("procedures:application", args=[case.pk, application.pk]), body)
    api = api_client.post(f"/api/v1/cases/{case.pk}/applications/{application.pk}/decide/", body, format="json")
    row = assert_stale_on_both(page, api)
    assert (row["action"], row["object_type"], row["object_id"]) == (
        "update",
        "procedures.application",
        str(application.pk),
    )
    assert Application.objects.get(pk=application.pk).is_pending


def test_a_refusal_writes_the_same_row_on_the_page_and_in_the_api(client, api_client, world):
    case = sheltered(world.ams.assigned)
    manager = world.ams.users[Role.CASEMANAGER]  # sees the case; the DT&V records departure steps
    client.force_login(manager)
    api_client.force_authenticate(manager)
    body = {"kind": "identity_established", "on": today().isoformat()}
    page = client.post(reverse("procedures:departure-step-new", args=[case.pk]), body)
    api = api_client.post(f"/api/v1/cases/{case.pk}/departure-steps/", body, format="json")
    assert page.status_code == api.status_code == 403
    row = assert_same_refusal("denied", "permission_denied")
    assert (row["action"], row["object_type"], row["detail"]) == (
        "create",
        "procedures.departurestep",
        {"case": case.pk, "reason": "permission_denied"},
    )
    assert not DepartureStep.objects.exists()
