"""The case's steps answer a refusal the same way on the page and in the API (lvv.errors,
docs/adr/0025): the same status, the same access-log row."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case
from cases.workflow import State
from lvv import errors
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.factories import CaseFactory
from tests.refusals import assert_same_refusal, assert_stale_on_both

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def page_step(client, case, step, **data):
    return client.post(reverse("cases:step", args=[case.pk, step]), {"on": today().isoformat(), **data})


def api_step(api_client, case, step, **data):
    return api_client.post(f"/api/v1/cases/{case.pk}/{step}/", data, format="json")


def test_a_stale_version_is_409_on_the_page_and_in_the_api_with_one_log_row(client, api_client, world):
    manager = world.ams.users[Role.CASEMANAGER]
    case = CaseFactory(location=world.ams.location, registered_on=today())
    seen = case.version
    services.record_admission_check(acting_user=SYSTEM, origin=COMMAND, case=case, regional_ties=True)
    client.force_login(manager)
    api_client.force_authenticate(manager)

    page = page_step(client, case, "reject", version=seen, reason="Geen regiobinding.")
    api = api_step(api_client, case, "reject", version=seen, reason="Geen regiobinding.")
    row = assert_stale_on_both(page, api)
    assert api.json() == {"detail": str(errors.STALE_VERSION), "code": "stale_version"}
    assert row["detail"]["step"] == "reject" and row["object_id"] == str(case.pk)
    # With If-Match the API answers 412, as HTTP prescribes; the row is the same.
    header = api_client.post(
        f"/api/v1/cases/{case.pk}/reject/", {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{seen}"'
    )
    assert header.status_code == 412 and header.json()["code"] == "precondition_failed"
    assert_same_refusal("conflict", "stale_version")
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED


def test_a_step_the_state_does_not_allow_is_409_with_one_log_row(client, api_client, world):
    manager = world.ams.users[Role.CASEMANAGER]
    case = CaseFactory(location=world.ams.location, sheltered=True)
    client.force_login(manager)
    api_client.force_authenticate(manager)
    page = page_step(client, case, "admit", version=case.version)
    api = api_step(api_client, case, "admit", version=case.version)
    assert page.status_code == api.status_code == 409
    assert api.json()["code"] == "step_not_allowed"
    assert assert_same_refusal("conflict", "step_not_allowed")["detail"]["step"] == "admit"


def test_a_refused_step_writes_the_same_row_on_the_page_and_in_the_api(client, api_client, world):
    case = world.ams.assigned
    ngo = world.ams.users[Role.NGO]  # sees the case, may not admit
    client.force_login(ngo)
    api_client.force_authenticate(ngo)
    page = page_step(client, case, "admit", version=case.version)
    api = api_step(api_client, case, "admit", version=case.version)
    assert page.status_code == api.status_code == 403
    row = assert_same_refusal("denied", "permission_denied")
    assert (row["action"], row["object_type"], row["detail"]["step"]) == ("update", "cases.case", "admit")


def test_invalid_input_is_400_on_the_page_and_in_the_api_and_not_logged_as_a_refusal(client, api_client, world):
    manager = world.ams.users[Role.CASEMANAGER]
    case = CaseFactory(location=world.ams.location, sheltered=True)
    client.force_login(manager)
    api_client.force_authenticate(manager)
    body = {"version": case.version, "category": "departure_origin"}  # no country
    page = page_step(client, case, "record_outflow", **body)
    api = api_step(api_client, case, "record-outflow", **body)
    assert page.status_code == api.status_code == 400
    assert str(services.COUNTRY_REQUIRED) in api.json()["country"]
    assert not AccessLogEntry.objects.filter(object_id=str(case.pk)).exclude(result="allowed").exists()
