"""``GET /api/v1/monitor/``: the same JSON as the command, for the users who may read it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.api.urls import router
from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from monitor.figures import figures
from monitor.scope import NO_FIGURES, UNKNOWN_LOCATION
from monitor.services import DATE_IN_FUTURE, DATE_INVALID
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db
URL = "/api/v1/monitor/"


@pytest.fixture
def sheltered(world):
    ams = build(world.ams.location, sheltered=D - 10 * DAY)
    rot = build(world.rot.location, sheltered=D - 10 * DAY, outflow=(D - DAY, "back_to_bbb"))
    return ams, rot


def client_for(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_the_url_and_the_schema(world):
    assert reverse("api:monitor") == URL
    schema = client_for(APIClient(), world.bureau).get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/monitor/:" in text and "monitor_figures" in text
    assert "durable_solutions" in text and "LocationFigures" in text


def test_the_bureau_reads_every_lvv(api_client, world, sheltered):
    response = client_for(api_client, world.bureau).get(URL, {"date": D.isoformat()})
    assert response.status_code == 200
    assert response.json() == figures(D)
    assert list(response.json()["locations"]) == ["amsterdam", "rotterdam"]
    entry = AccessLogEntry.objects.get(object_type="monitor.figures", actor=world.bureau)
    assert entry.channel == "api" and entry.object_id == D.isoformat()


def test_the_bureau_never_reads_a_case(api_client, world, sheltered):
    client = client_for(api_client, world.bureau)
    assert client.get("/api/v1/cases/").json()["count"] == 0
    assert client.get("/api/v1/persons/").json()["count"] == 0
    cases = [*sheltered, world.ams.assigned, world.rot.unassigned]
    checked = 0
    for pattern in router.urls:
        name = pattern.name or ""
        if not name.startswith(("case-", "person-")) or "pk" not in str(pattern.pattern):
            continue
        for case in cases:
            pk = case.pk if name.startswith("case-") else case.person_id
            url = reverse(f"api:{name}", kwargs={"pk": pk})
            methods = pattern.callback.actions if hasattr(pattern.callback, "actions") else {"get": None}
            method = "get" if "get" in methods else "post"
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 404, (url, method, response.status_code)
            checked += 1
    assert checked >= 4 * 10


def test_a_municipality_user_reads_only_its_own_lvv(api_client, world, sheltered):
    for role in (Role.CASEMANAGER, Role.LSO_CHAIR):
        response = client_for(api_client, world.ams.users[role]).get(URL, {"date": D.isoformat()})
        assert response.status_code == 200
        data = response.json()
        assert list(data["locations"]) == ["amsterdam"]
        assert data == figures(D, [world.ams.location])
        assert data["total"]["present"] == 1 and data["total"]["outflow"]["back_to_bbb"] == 0


def test_a_municipality_user_cannot_ask_for_another_lvv(api_client, world):
    response = client_for(api_client, world.ams.users[Role.CASEMANAGER]).get(URL, {"lvv": "rotterdam"})
    assert response.status_code == 400
    assert response.json()["lvv"] == [str(UNKNOWN_LOCATION % {"slugs": "rotterdam"})]


def test_the_bureau_narrows_to_some_lvvs(api_client, world, sheltered):
    response = client_for(api_client, world.bureau).get(URL + "?lvv=rotterdam&date=" + D.isoformat())
    assert response.json() == figures(D, [world.rot.location])


@pytest.mark.parametrize("role", [Role.NGO, Role.IND, Role.DTV, "ngo_b"])
def test_other_users_are_refused(api_client, world, role):
    response = client_for(api_client, world.ams.users[role]).get(URL)
    assert response.status_code == 403
    assert response.json()["detail"] == str(NO_FIGURES)
    assert AccessLogEntry.objects.filter(object_type="monitor.figures", result="denied").count() == 1


def test_anonymous_is_refused(api_client, world):
    assert api_client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2020-02-30", DATE_INVALID),
        ("1-11-2020", DATE_INVALID),
        ("morgen", DATE_INVALID),
        ("2999-01-01", DATE_IN_FUTURE),
    ],
)
def test_an_invalid_date_is_a_field_error(api_client, world, date, message):
    response = client_for(api_client, world.bureau).get(URL, {"date": date})
    assert response.status_code == 400
    assert response.json() == {"date": [str(message)]}


def test_without_a_date_today(api_client, world):
    response = client_for(api_client, world.bureau).get(URL)
    assert response.json()["reference_date"] == timezone.localdate().isoformat()


def test_a_fixed_number_of_queries(api_client, world, sheltered, django_assert_max_num_queries):
    client = client_for(api_client, world.bureau)
    client.get(URL, {"date": D.isoformat()})
    with django_assert_max_num_queries(12) as few:
        client.get(URL, {"date": D.isoformat()})
    for _number in range(6):
        build(world.rot.location, sheltered=D - 5 * DAY, scenarios=[(D - DAY, "departure")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL, {"date": D.isoformat()})
