"""The partner inboxes over the API: the user's inboxes with counts, one inbox's items
(paged, no names), 404 for an inbox that is not the user's and for the programme bureau."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from tests.cases.inbox_helpers import requested
from tests.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]


LIST = "/api/v1/inbox/"


def test_the_users_inboxes_with_their_counts(api_client, world):
    requested(world.ams, 2)
    CaseFactory(location=world.ams.location, with_outflow="residence_granted")
    api_client.force_authenticate(world.ams.users[Role.IND])
    response = api_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"]) >= 2
    ours = [(r["key"], r["count"]) for r in body["results"] if r["key"] in ("ind_dossier", "ind_confirm")]
    assert ours == [("ind_dossier", 2), ("ind_confirm", 1)]
    assert body["results"][0]["title"] == "Dossier opgevraagd: IND-deel"
    assert body["results"][0]["url"].endswith("/api/v1/inbox/ind_dossier/")
    assert "verdwijnt" in body["results"][0]["description"]


def test_one_inbox_pages_its_items_without_names(api_client, world):
    cases = requested(world.ams, 3)
    requested(world.rot, 1)
    api_client.force_authenticate(world.ams.users[Role.DTV])
    response = api_client.get(f"{LIST}dtv_dossier/", {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["next"] and len(body["results"]) == 2
    first = body["results"][0]
    assert first == {
        "case": cases[0].pk,
        "reference": cases[0].reference,
        "location": "amsterdam",
        "what": "DT&V-deel van het dossier opgevraagd",
        "since": "2020-01-06",
        "due_on": "2020-01-20",
    }
    text = response.content.decode()
    assert all(case.person.family_name not in text for case in cases)
    assert api_client.get(f"{LIST}dtv_dossier/", {"page": 2, "page_size": 2}).json()["results"][0]["case"] == (
        cases[2].pk
    )
    entry = AccessLogEntry.objects.filter(action="list", channel="api").latest("pk")
    assert entry.detail["inbox"] == "dtv_dossier"


@pytest.mark.parametrize(
    "who,key,status",
    [
        ("ind", "ind_confirm", 200),
        ("ind", "dtv_dossier", 404),
        ("dtv", "ind_dossier", 404),
        ("lsochair", "lso_prepare", 200),
        ("lsochair", "ind_dossier", 404),
        ("casemanager", "ind_dossier", 404),
        ("ngo", "dtv_review", 404),
        ("ngo_b", "lso_mrt_advice", 404),
        ("ind", "unknown", 404),
        ("ind", "x" * 300, 404),
    ],
)
def test_an_inbox_not_of_the_users_role_answers_404(api_client, world, who, key, status):
    api_client.force_authenticate(world.ams.users[who])
    assert api_client.get(f"{LIST}{key}/").status_code == status


def test_case_roles_without_an_inbox_get_an_empty_list_and_the_bureau_404(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    assert api_client.get(LIST).json()["results"] == []
    api_client.force_authenticate(world.bureau)
    assert api_client.get(LIST).status_code == 404
    assert api_client.get(f"{LIST}ind_dossier/").status_code == 404
    api_client.force_authenticate(None)
    assert api_client.get(LIST).status_code in (401, 403)


def test_other_lvvs_never_see_the_items(api_client, world):
    cases = requested(world.ams, 2)
    api_client.force_authenticate(world.rot.users[Role.IND])
    assert not any(r["count"] for r in api_client.get(LIST).json()["results"])
    body = api_client.get(f"{LIST}ind_dossier/").json()
    assert body["count"] == 0 and body["results"] == []
    assert all(str(case.pk) not in str(body) for case in cases)


def test_query_count_is_fixed(api_client, world):
    requested(world.ams, 2)
    api_client.force_authenticate(world.ams.users[Role.IND])
    api_client.get(f"{LIST}ind_dossier/")  # warm caches
    api_client.get(LIST)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count(f"{LIST}ind_dossier/"), count(LIST)
    requested(world.ams, 20)
    assert (count(f"{LIST}ind_dossier/"), count(LIST)) == small
