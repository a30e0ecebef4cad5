"""The person page and the person in the API: everything a user may see about one person (the
person, the person's cases the user may see, the journal notes and the documents of those
cases), never a case of an LVV or an NGO the user does not work for; 404 for a person without
such a case; special notes and documents only with the permission; the view logged; a fixed
number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.document_helpers import add as add_document
from tests.cases.document_helpers import empty_documents_root
from tests.cases.note_helpers import add_note
from tests.factories import CaseFactory, PersonFactory
from tests.paging import assert_paged
from tests.queries import count_queries
from tests.users import with_special

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)
SECRET = "Vertelt over een behandeling bij de huisarts."


@pytest.fixture(autouse=True)
def documents_root():
    return empty_documents_root()


@pytest.fixture
def person(world):
    """A person with a closed earlier stay and a current one in Amsterdam (the current one
    assigned to NGO A), and a stay in Rotterdam in between."""
    ams, rot = world.ams, world.rot
    person = PersonFactory(family_name="Tesfamariam", given_names="Semere")
    earlier = CaseFactory(
        person=person,
        location=ams.location,
        registered_on=datetime.date(2019, 5, 1),
        with_outflow="unknown_destination",
        external_id="AMS-EERDER",
    )
    elsewhere = CaseFactory(person=person, location=rot.location, external_id="RTM-TUSSEN")
    current = CaseFactory(person=person, location=ams.location, assigned_ngo=ams.ngo_a, external_id="AMS-NU")
    person.earlier, person.elsewhere, person.current = earlier, elsewhere, current
    return person


def page(client, person, **params):
    return client.get(reverse("cases:person", args=[person.pk]), params)


def test_the_case_worker_sees_the_person_and_the_cases_of_own_lvv(client, world, person):
    manager = world.ams.users[Role.CASEMANAGER]
    add_note(manager, person.current, "Gesprek over de toekomst.")
    add_note(manager, person.earlier, "Eerder gesprek.", written_on=TODAY() - 400 * DAY)
    add_note(world.rot.users[Role.CASEMANAGER], person.elsewhere, "Gesprek in Rotterdam.")
    client.force_login(manager)
    response = page(client, person)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Semere Tesfamariam" in html and person.v_number in html
    assert html.count('data-testid="person-case"') == 2
    assert "AMS-NU" in html and "AMS-EERDER" in html and "RTM-TUSSEN" not in html
    assert html.index("AMS-NU") < html.index("AMS-EERDER")  # newest first
    assert "Gesprek over de toekomst." in html and "Eerder gesprek." in html
    assert "Gesprek in Rotterdam." not in html
    assert html.index("Gesprek over de toekomst.") < html.index("Eerder gesprek.")
    assert reverse("cases:note", args=[person.current.pk, person.current.notes.get().pk]) in html
    row = AccessLogEntry.objects.filter(object_type="cases.person", action="view").latest("id")
    assert (row.actor, row.result, row.object_id) == (manager, "allowed", str(person.pk))
    assert sorted(row.detail["cases"]) == sorted([person.current.pk, person.earlier.pk])


def test_other_lvvs_and_ngos_see_only_their_own_cases(client, world, person):
    client.force_login(world.rot.users[Role.CASEMANAGER])
    html = page(client, person).content.decode()
    assert html.count('data-testid="person-case"') == 1 and "RTM-TUSSEN" in html and "AMS-NU" not in html
    client.force_login(world.ams.users[Role.NGO])  # the NGO of the current case only
    html = page(client, person).content.decode()
    assert html.count('data-testid="person-case"') == 1 and "AMS-NU" in html and "AMS-EERDER" not in html
    client.force_login(world.ams.users[Role.IND])
    assert page(client, person).content.decode().count('data-testid="person-case"') == 2


@pytest.mark.parametrize("who", ["other_lvv", "other_ngo", "bureau", "no_case"])
def test_404_for_a_person_without_a_case_the_user_may_see(client, world, who):
    person = world.ams.assigned.person  # one case: Amsterdam, assigned to NGO A
    users = {
        "other_lvv": world.rot.users[Role.CASEMANAGER],
        "other_ngo": world.ams.users["ngo_b"],
        "bureau": world.bureau,
        "no_case": world.ams.users[Role.CASEMANAGER],
    }
    if who == "no_case":  # registered by the user's own organisation, no case yet
        person = services.create_person(
            acting_user=users[who], origin=COMMAND, family_name="Nog", given_names="Geen casus"
        )
    client.force_login(users[who])
    assert page(client, person).status_code == 404
    assert client.get(reverse("cases:person", args=[10**12])).status_code == 404
    refused = AccessLogEntry.objects.filter(object_type="cases.person", result="denied")
    assert refused.filter(object_id=str(person.pk)).count() == 1


def test_special_notes_only_with_the_permission(client, world, person):
    manager = with_special(world.ams.users[Role.CASEMANAGER])
    add_note(manager, person.current, SECRET, confidentiality="special")
    add_note(manager, person.current, "Gewone notitie.")
    client.force_login(manager)
    html = page(client, person).content.decode()
    assert SECRET in html and "bijzonder persoonsgegeven" in html
    client.force_login(world.ams.users[Role.NGO])
    html = page(client, person).content.decode()
    assert SECRET not in html and "Gewone notitie." in html
    # The permission on one case opens that case's special notes only.
    dtv = with_special(world.ams.users[Role.DTV], person.earlier)
    add_note(
        dtv,
        person.earlier,
        "Bijzonder over het eerdere verblijf.",
        confidentiality="special",
        written_on=TODAY() - 300 * DAY,
    )
    client.force_login(dtv)
    html = page(client, person).content.decode()
    assert "Bijzonder over het eerdere verblijf." in html and SECRET not in html


def test_the_notes_page(client, world, person):
    manager = world.ams.users[Role.CASEMANAGER]
    for n in range(12):
        add_note(
            manager, person.current if n % 2 else person.earlier, f"Notitie {n:02d}.", written_on=TODAY() - n * DAY
        )
    client.force_login(manager)
    url = reverse("cases:person", args=[person.pk])
    assert_paged(client, url, "notes_page", "person-note", "notities", (10, "Notitie 00."), (2, "Notitie 11."))


def test_the_documents_of_the_visible_cases(client, world, person):
    manager = with_special(world.ams.users[Role.CASEMANAGER])
    add_document(manager, person.current, title="Beschikking IND")
    add_document(manager, person.current, title="Medische brief", kind="medical_letter", confidentiality="special")
    add_document(world.rot.users[Role.CASEMANAGER], person.elsewhere, title="Brief uit Rotterdam")
    client.force_login(manager)
    html = page(client, person).content.decode()
    assert html.count('data-testid="person-document"') == 2
    assert "Beschikking IND" in html and "Medische brief" in html and "Brief uit Rotterdam" not in html
    client.force_login(world.ams.users[Role.NGO])
    html = page(client, person).content.decode()
    assert "Beschikking IND" in html and "Medische brief" not in html


def test_links_from_the_case_page_and_the_case_list(client, world, person):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    url = reverse("cases:person", args=[person.pk])
    assert url in client.get(reverse("cases:detail", args=[person.current.pk])).content.decode()
    assert url in client.get(reverse("cases:list"), {"mine": "false"}).content.decode()


def test_the_page_takes_a_fixed_number_of_queries(client, world, person, django_assert_max_num_queries):
    manager = with_special(world.ams.users[Role.CASEMANAGER])
    url = reverse("cases:person", args=[person.pk])
    add_note(manager, person.current, "Een.")
    add_document(manager, person.current)
    client.force_login(manager)
    client.get(url)  # warm the caches
    few = count_queries(client, url)
    for n in range(3):
        CaseFactory(person=person, location=world.ams.location, external_id=f"AMS-EXTRA-{n}")
    for n in range(15):
        first = add_note(manager, person.current, f"Notitie {n}.", confidentiality="special" if n % 2 else "normal")
        add_note(manager, person.current, "Correctie.", corrects=first, confidentiality=first.confidentiality)
    for n in range(4):
        add_document(manager, person.earlier, title=f"Document {n}")
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(few):
        client.get(url, {"notes_page": 2, "documents_page": 2})


# --- The API --------------------------------------------------------------------------------


def test_api_person_with_the_visible_cases(api_client, world, person):
    manager = world.ams.users[Role.CASEMANAGER]
    services.hand_over(
        acting_user=manager, origin=COMMAND, case=person.current, role="case_manager", to_user=manager, reason=""
    )
    api_client.force_authenticate(manager)
    data = api_client.get(f"/api/v1/persons/{person.pk}/").json()
    assert data["id"] == person.pk and data["family_name"] == "Tesfamariam"
    assert [c["reference"] for c in data["cases"]] == ["AMS-NU", "AMS-EERDER"]
    current = data["cases"][0]
    assert current["case_manager"]["id"] == manager.pk and current["ngo_guide"] is None
    assert current["state"] == "registered" and current["location"] == "amsterdam"
    assert current["url"] == f"/api/v1/cases/{person.current.pk}/"
    assert data["notes_url"] == f"/api/v1/persons/{person.pk}/notes/"
    assert data["documents_url"] == f"/api/v1/persons/{person.pk}/documents/"
    api_client.force_authenticate(world.rot.users[Role.CASEMANAGER])
    assert [c["reference"] for c in api_client.get(f"/api/v1/persons/{person.pk}/").json()["cases"]] == ["RTM-TUSSEN"]
    # A change answers the person alone, as before.
    etag = api_client.get(f"/api/v1/persons/{person.pk}/")["ETag"]
    changed = api_client.patch(f"/api/v1/persons/{person.pk}/", {"given_names": "Semere A."}, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and "cases" not in changed.json()


def test_api_person_notes_and_documents(api_client, world, person):
    manager = with_special(world.ams.users[Role.CASEMANAGER])
    normal = add_note(manager, person.current, "Gewone notitie.")
    special = add_note(manager, person.current, SECRET, confidentiality="special", written_on=TODAY() - 1 * DAY)
    add_note(world.rot.users[Role.CASEMANAGER], person.elsewhere, "Gesprek in Rotterdam.")
    document = add_document(manager, person.current, title="Beschikking IND")
    add_document(manager, person.current, title="Medische brief", kind="medical_letter", confidentiality="special")
    api_client.force_authenticate(manager)
    notes = api_client.get(f"/api/v1/persons/{person.pk}/notes/").json()
    assert [n["id"] for n in notes["results"]] == [normal.pk, special.pk] and notes["count"] == 2
    assert api_client.get(f"/api/v1/persons/{person.pk}/notes/", {"page_size": 1}).json()["next"]
    documents = api_client.get(f"/api/v1/persons/{person.pk}/documents/").json()
    assert documents["count"] == 2
    api_client.force_authenticate(world.ams.users[Role.NGO])
    notes = api_client.get(f"/api/v1/persons/{person.pk}/notes/").json()
    assert [n["id"] for n in notes["results"]] == [normal.pk]
    documents = api_client.get(f"/api/v1/persons/{person.pk}/documents/").json()
    assert [d["id"] for d in documents["results"]] == [document.pk]
    assert documents["results"][0]["content_url"] == (
        f"/api/v1/cases/{person.current.pk}/documents/{document.pk}/content/"
    )
    assert documents["results"][0]["case"] == person.current.pk and documents["results"][0]["kind"] == "decision"
    rows = AccessLogEntry.objects.filter(channel="api", action="list", object_type__in=["cases.note", "cases.document"])
    assert rows.count() == 5 and all(row.detail["person"] == person.pk for row in rows)


@pytest.mark.parametrize("who", ["other_lvv", "other_ngo", "bureau"])
def test_api_404_for_users_who_see_none_of_the_cases(api_client, world, who):
    person = world.ams.assigned.person
    users = {
        "other_lvv": world.rot.users[Role.CASEMANAGER],
        "other_ngo": world.ams.users["ngo_b"],
        "bureau": world.bureau,
    }
    api_client.force_authenticate(users[who])
    for path in ("", "notes/", "documents/"):
        assert api_client.get(f"/api/v1/persons/{person.pk}/{path}").status_code == 404, path
    refused = AccessLogEntry.objects.filter(channel="api", result="denied", object_id=str(person.pk))
    assert refused.count() == 3


def test_api_takes_a_fixed_number_of_queries(api_client, world, person):
    manager = with_special(world.ams.users[Role.CASEMANAGER])
    add_note(manager, person.current, "Een.")
    add_document(manager, person.current)
    api_client.force_authenticate(manager)
    urls = [
        f"/api/v1/persons/{person.pk}/",
        f"/api/v1/persons/{person.pk}/notes/",
        f"/api/v1/persons/{person.pk}/documents/",
    ]
    for url in urls:
        api_client.get(url)  # warm the caches

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert api_client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    few = counts()
    for n in range(3):
        CaseFactory(person=person, location=world.ams.location, external_id=f"AMS-EXTRA-{n}")
    for n in range(10):
        first = add_note(manager, person.current, f"Notitie {n}.")
        add_note(manager, person.current, "Correctie.", corrects=first)
    for n in range(3):
        add_document(manager, person.earlier, title=f"Document {n}")
    assert counts() == few


def test_person_cases_are_newest_first(world, person):
    from cases import selectors

    manager = world.ams.users[Role.CASEMANAGER]
    assert [c.external_id for c in selectors.person_cases(manager, person.pk)] == ["AMS-NU", "AMS-EERDER"]
    assert list(selectors.person_cases(world.bureau, person.pk)) == []
    assert Case.objects.filter(person=person).count() == 3
