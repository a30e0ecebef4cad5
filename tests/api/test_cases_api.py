"""The API: same policy and services as the pages; 404 hidden, 403 not allowed, 409/412 stale,
400 with field errors, never 500."""

from __future__ import annotations

import pytest

from cases.models import V_NUMBER_INVALID, Case, Person
from lvv.accounts import tokens
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_client(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    return api_client


def test_token_authentication(api_client, world):
    _token, key = tokens.issue(world.ams.users[Role.IND], origin=COMMAND)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert response.json()["count"] == 2


def test_anonymous_is_refused(api_client, world):
    assert api_client.get("/api/v1/cases/").status_code in (401, 403)


def test_create_person_then_case(worker_client, world):
    person = worker_client.post(
        "/api/v1/persons/",
        {
            "v_number": "9876543210",
            "family_name": "Okafor",
            "given_names": "Chinedu",
            "birth_date": "1990-02-03",
            "sex": "m",
            "nationality": "NG",
        },
        format="json",
    )
    assert person.status_code == 201, person.content
    assert person.json()["version"] == 1
    # Between the two steps the person is visible to the registering organisation.
    assert worker_client.get(f"/api/v1/persons/{person.json()['id']}/").status_code == 200
    case = worker_client.post(
        "/api/v1/cases/",
        {
            "person": person.json()["id"],
            "location": "amsterdam",
            "assigned_ngo": world.ams.ngo_a.pk,
            "external_id": "AMS-API-1",
        },
        format="json",
    )
    assert case.status_code == 201, case.content
    assert case.json()["person_name"] == "Chinedu Okafor"
    assert case["ETag"] == '"1"'
    # The NGO it is assigned to sees it; the other NGO does not.
    other = world.ams.users["ngo_b"]
    worker_client.force_authenticate(other)
    assert worker_client.get(f"/api/v1/cases/{case.json()['id']}/").status_code == 404


def test_field_errors_are_dutch_and_field_level(worker_client, world):
    response = worker_client.post(
        "/api/v1/persons/", {"v_number": "12345678901", "birth_date": "morgen"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["v_number"] == [str(V_NUMBER_INVALID)]
    assert "family_name" in body and "given_names" in body and "birth_date" in body
    assert Person.objects.filter(v_number="12345678901").count() == 0


def test_case_with_duplicate_external_id_is_a_field_error(worker_client, world):
    person = worker_client.post("/api/v1/persons/", {"family_name": "A", "given_names": "B"}, format="json").json()
    response = worker_client.post(
        "/api/v1/cases/",
        {
            "person": person["id"],
            "location": "amsterdam",
            "external_id": world.ams.assigned.external_id,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "external_id" in str(response.json()) or "kenmerk" in str(response.json())


def test_hidden_person_cannot_be_used_for_a_case(worker_client, world):
    response = worker_client.post(
        "/api/v1/cases/",
        {
            "person": world.rot.assigned.person_id,
            "location": "amsterdam",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "person" in response.json()


def test_creating_in_another_lvv_is_forbidden(worker_client, world):
    person = worker_client.post("/api/v1/persons/", {"family_name": "A", "given_names": "B"}, format="json").json()
    response = worker_client.post("/api/v1/cases/", {"person": person["id"], "location": "rotterdam"}, format="json")
    assert response.status_code == 403


def test_update_with_version_and_stale_version(worker_client, world):
    url = f"/api/v1/cases/{world.ams.assigned.pk}/"
    first = worker_client.patch(url, {"external_id": "NIEUW", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = worker_client.patch(url, {"external_id": "ANDERS", "version": 1}, format="json")
    assert stale.status_code == 409
    assert Case.objects.get(pk=world.ams.assigned.pk).external_id == "NIEUW"


def test_if_match_precondition(worker_client, world):
    url = f"/api/v1/persons/{world.ams.assigned.person_id}/"
    etag = worker_client.get(url)["ETag"]
    ok = worker_client.patch(url, {"family_name": "Nieuw"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    stale = worker_client.patch(url, {"family_name": "Anders"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Person.objects.get(pk=world.ams.assigned.person_id).family_name == "Nieuw"


def test_update_without_version_is_a_field_error(worker_client, world):
    response = worker_client.patch(f"/api/v1/cases/{world.ams.assigned.pk}/", {"external_id": "X"}, format="json")
    assert response.status_code == 400 and "version" in response.json()


@pytest.mark.parametrize("role", [Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR])
def test_visible_but_not_changeable_is_403(api_client, world, role):
    api_client.force_authenticate(world.ams.users[role])
    response = api_client.patch(
        f"/api/v1/cases/{world.ams.assigned.pk}/", {"external_id": "X", "version": 1}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR])
def test_other_lvv_gets_404_on_read_and_write(api_client, world, role):
    api_client.force_authenticate(world.rot.users[role])
    for url in (f"/api/v1/cases/{world.ams.assigned.pk}/", f"/api/v1/persons/{world.ams.assigned.person_id}/"):
        assert api_client.get(url).status_code == 404
        assert api_client.patch(url, {"version": 1}, format="json").status_code == 404


def test_filters_and_search(worker_client, world):
    response = worker_client.get("/api/v1/cases/", {"q": world.ams.assigned.person.v_number})
    assert [row["id"] for row in response.json()["results"]] == [world.ams.assigned.pk]
    response = worker_client.get("/api/v1/cases/", {"q": world.ams.assigned.person.family_name})
    assert world.ams.assigned.pk in [row["id"] for row in response.json()["results"]]
    response = worker_client.get("/api/v1/cases/", {"location": "rotterdam"})
    assert response.status_code == 400  # not a choice for this user
    response = worker_client.get("/api/v1/persons/", {"v_number": world.ams.assigned.person.v_number})
    assert response.json()["count"] == 1


@pytest.mark.parametrize("body", [b"not json", b'{"version": "abc"}', b"[1,2,3]", b'{"person": {"a": 1}}'])
def test_garbage_never_gives_500(worker_client, world, body):
    for url in ("/api/v1/cases/", "/api/v1/persons/", f"/api/v1/cases/{world.ams.assigned.pk}/"):
        method = worker_client.post if url.count("/") == 4 else worker_client.patch
        response = method(url, body, content_type="application/json")
        assert 400 <= response.status_code < 500


def test_schema_and_docs(worker_client):
    schema = worker_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/cases/{id}/" in paths and "/api/v1/persons/" in paths
    assert worker_client.get("/api/v1/docs/").status_code == 200
