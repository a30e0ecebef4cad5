"""Procedures over the API: /api/v1/cases/{id}/applications/ (+ decide),
departure-steps/ and departure-plans/: each kind and outcome, 404 for users who may not
see the case (and for another case's record), 403 for roles that may not write (before the
body is read), 400 field errors in Dutch, 409 on a stale version; fixed query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from procedures.models import IND_KINDS, Application, ApplicationKind, DeparturePlan, DepartureStep
from tests.procedures.helpers import (
    DAY,
    plan,
    sheltered,
    special_everywhere,
    step,
    submit,
    today,
)
from tests.users import OUTSIDERS, as_user, outsiders

pytestmark = pytest.mark.django_db

KINDS = [kind.value for kind in ApplicationKind]


def base(case) -> str:
    return f"/api/v1/cases/{case.pk}/"


def application_body(**changes) -> dict:
    return {"kind": "regular", "submitted_on": (today() - 10 * DAY).isoformat(), **changes}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("outcome", ["granted", "rejected", "withdrawn"])
def test_each_kind_and_outcome_over_the_api(api_client, world, case, kind, outcome):
    special_everywhere(world.ams)
    client = as_user(api_client, world.ams.users[Role.CASEMANAGER])
    created = client.post(
        f"{base(case)}applications/", application_body(kind=kind, submitted_by="vluchtelingenwerk"), format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["kind"], body["pending"], body["outcome"], body["version"], body["decided_by_ind"]) == (
        kind,
        True,
        "",
        1,
        kind in IND_KINDS,
    )
    assert body["decision_due_on"] == (today() - 10 * DAY + 180 * DAY).isoformat()
    decider = world.ams.users[Role.IND if kind in IND_KINDS else Role.CASEMANAGER]
    client = as_user(api_client, decider)
    url = f"{base(case)}applications/{body['id']}/decide/"
    decided = client.post(url, {"outcome": outcome, "decided_on": today().isoformat(), "version": 1}, format="json")
    assert decided.status_code == 200, decided.json()
    assert (decided.json()["outcome"], decided.json()["pending"], decided.json()["version"]) == (outcome, False, 2)
    listed = client.get(f"{base(case)}applications/").json()
    assert listed["count"] == 1 and listed["results"][0]["decided_on"] == today().isoformat()
    assert client.get(f"{base(case)}applications/{body['id']}/").json()["outcome"] == outcome


def test_departure_steps_and_plans_over_the_api(api_client, world, case):
    client = as_user(api_client, world.ams.users[Role.DTV])
    created = client.post(
        f"{base(case)}departure-steps/",
        {"kind": "embassy_presentation", "on": today().isoformat(), "partner": "iom", "details": "Erkend."},
        format="json",
    )
    assert created.status_code == 201 and created.json()["partner"] == "iom"
    first = client.post(
        f"{base(case)}departure-plans/",
        {"made_on": today().isoformat(), "planned_on": "2099-01-04", "support": "iom"},
        format="json",
    ).json()
    second = client.post(
        f"{base(case)}departure-plans/",
        {"made_on": today().isoformat(), "planned_on": "2099-02-04", "support": "dtv", "replaces": first["id"]},
        format="json",
    )
    assert second.status_code == 201 and second.json()["current"]
    plans = client.get(f"{base(case)}departure-plans/").json()["results"]
    assert [(p["planned_on"], p["current"]) for p in plans] == [("2099-02-04", True), ("2099-01-04", False)]
    stale = client.post(
        f"{base(case)}departure-plans/",
        {"made_on": today().isoformat(), "planned_on": "2099-03-04", "support": "dtv", "replaces": first["id"]},
        format="json",
    )
    assert stale.status_code == 409 and DeparturePlan.objects.count() == 2
    assert client.get(f"{base(case)}departure-steps/{created.json()['id']}/").json()["details"] == "Erkend."


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_endpoint_is_404_for_who_may_not_see_the_case(api_client, world, case, who):
    application = submit(world.ams.users[Role.CASEMANAGER], case, "regular")
    departure_step = step(world.ams.users[Role.DTV], case)
    departure_plan = plan(world.ams.users[Role.DTV], case)
    client = as_user(api_client, outsiders(world)[who])
    for path in (
        "applications/",
        f"applications/{application.pk}/",
        "departure-steps/",
        f"departure-steps/{departure_step.pk}/",
        "departure-plans/",
        f"departure-plans/{departure_plan.pk}/",
    ):
        assert client.get(base(case) + path).status_code == 404, path
    for path in ("applications/", f"applications/{application.pk}/decide/", "departure-steps/", "departure-plans/"):
        assert client.post(base(case) + path, {}, format="json").status_code == 404, path
    assert Application.objects.get().is_pending and DepartureStep.objects.count() == 1
    assert AccessLogEntry.objects.filter(result="denied", channel="api", object_type="cases.case").exists()


def test_records_of_another_case_or_unknown_ids_are_404(api_client, world, case):
    other = sheltered(world.ams.unassigned)
    application = submit(world.ams.users[Role.CASEMANAGER], other, "regular")
    client = as_user(api_client, world.ams.users[Role.IND])
    assert client.get(f"{base(case)}applications/{application.pk}/").status_code == 404
    decide = f"{base(case)}applications/{application.pk}/decide/"
    assert (
        client.post(decide, {"outcome": "granted", "decided_on": today().isoformat(), "version": 1}).status_code == 404
    )
    assert client.get(f"{base(case)}departure-plans/999999/").status_code == 404
    assert client.get("/api/v1/cases/999999/applications/").status_code == 404
    assert Application.objects.get().is_pending


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.LSO_CHAIR, "applications/"),
        (Role.DTV, "applications/"),
        (Role.CASEMANAGER, "departure-steps/"),
        (Role.IND, "departure-steps/"),
        (Role.NGO, "departure-plans/"),
        (Role.LSO_CHAIR, "departure-plans/"),
    ],
)
def test_roles_that_may_not_write_get_403_before_the_body(api_client, world, case, role, path):
    client = as_user(api_client, world.ams.users[role])
    assert client.get(base(case) + path).status_code == 200  # they read
    assert client.post(base(case) + path, {"nonsense": True}, format="json").status_code == 403
    assert (
        not Application.objects.exists() and not DepartureStep.objects.exists() and not DeparturePlan.objects.exists()
    )
    assert AccessLogEntry.objects.filter(result="denied", channel="api", object_type__startswith="procedures.").exists()


@pytest.mark.parametrize(("kind", "role"), [("asylum_repeat", Role.CASEMANAGER), ("appeal", Role.IND)])
def test_a_decision_by_the_wrong_partner_is_403(api_client, world, case, kind, role):
    application = submit(world.ams.users[Role.CASEMANAGER], case, kind)
    client = as_user(api_client, world.ams.users[role])
    url = f"{base(case)}applications/{application.pk}/decide/"
    assert client.post(url, {"outcome": "granted"}, format="json").status_code == 403
    assert Application.objects.get().is_pending


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (application_body(kind="asylum"), "kind"),
        (application_body(submitted_on="3-2-2020"), "submitted_on"),
        (application_body(submitted_on=(today() + DAY).isoformat()), "submitted_on"),
        (application_body(submitted_on="1999-12-31"), "submitted_on"),
        (application_body(submitted_by="neighbour"), "submitted_by"),
        (application_body(notes="x" * 5001), "notes"),
        ({"submitted_on": "2020-02-03"}, "kind"),
    ],
)
def test_field_errors_are_400_in_dutch(api_client, world, case, body, field):
    client = as_user(api_client, world.ams.users[Role.CASEMANAGER])
    response = client.post(f"{base(case)}applications/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Application.objects.exists()


def test_service_errors_are_400_and_a_stale_version_409(api_client, world, case):
    client = as_user(api_client, world.ams.users[Role.CASEMANAGER])
    early = client.post(f"{base(case)}applications/", application_body(submitted_on="2019-12-01"), format="json")
    assert early.status_code == 400 and "vóór de toelating" in early.json()["submitted_on"][0]
    application = submit(world.ams.users[Role.CASEMANAGER], case, "no_fault", on=today() - 5 * DAY)
    client = as_user(api_client, world.ams.users[Role.IND])
    url = f"{base(case)}applications/{application.pk}/decide/"
    before = client.post(
        url, {"outcome": "granted", "decided_on": (today() - 6 * DAY).isoformat(), "version": 1}, format="json"
    )
    assert before.status_code == 400 and "decided_on" in before.json()
    assert client.post(url, {"outcome": "granted", "decided_on": today().isoformat()}, format="json").status_code == 400
    stale = client.post(url, {"outcome": "granted", "decided_on": today().isoformat(), "version": 3}, format="json")
    assert stale.status_code == 409
    ok = client.post(url, {"outcome": "granted", "decided_on": today().isoformat(), "version": 1}, format="json")
    assert ok.status_code == 200
    again = client.post(url, {"outcome": "rejected", "decided_on": today().isoformat(), "version": 2}, format="json")
    assert again.status_code == 400 and "non_field_errors" in again.json()
    closed = world.ams.unassigned  # registered, not admitted
    client = as_user(api_client, world.ams.users[Role.CASEMANAGER])
    response = client.post(f"{base(closed)}applications/", application_body(), format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()


def test_plans_with_dates_out_of_order_are_400(api_client, world, case):
    client = as_user(api_client, world.ams.users[Role.DTV])
    response = client.post(
        f"{base(case)}departure-plans/",
        {"made_on": today().isoformat(), "planned_on": (today() - DAY).isoformat(), "support": "iom"},
        format="json",
    )
    assert response.status_code == 400 and "planned_on" in response.json()
    response = client.post(
        f"{base(case)}departure-plans/", {"made_on": today().isoformat(), "planned_on": "2100-01-01"}, format="json"
    )
    assert response.status_code == 400 and {"planned_on", "support"} <= set(response.json())


def test_lists_take_a_fixed_number_of_queries(api_client, world, case):
    worker, dtv = world.ams.users[Role.CASEMANAGER], world.ams.users[Role.DTV]
    submit(worker, case, "regular")
    step(dtv, case)
    plan(dtv, case)
    client = as_user(api_client, worker)
    paths = ("applications/", "departure-steps/", "departure-plans/")

    def queries():
        counts = []
        for path in paths:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(base(case) + path).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    queries()  # the user's permissions, once
    few = queries()
    for _n in range(15):
        submit(worker, case, "other")
        step(dtv, case)
        plan(dtv, case)
    assert queries() == few


def test_the_schema_documents_the_endpoints(api_client, world):
    client = as_user(api_client, world.ams.users[Role.CASEMANAGER])
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/cases/{case_id}/applications/",
        "/api/v1/cases/{case_id}/applications/{id}/",
        "/api/v1/cases/{case_id}/applications/{id}/decide/",
        "/api/v1/cases/{case_id}/departure-steps/",
        "/api/v1/cases/{case_id}/departure-plans/{id}/",
    } <= paths
