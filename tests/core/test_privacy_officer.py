"""The privacy officer reads the access log of the municipality's LVVs: who saw this person,
what did this user see; filters, pages, a CSV export; never another LVV's rows, never a case."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lvv.accounts.models import Role
from lvv.audit.log import COMMAND, record
from lvv.audit.models import AccessLogEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = reverse("privacy:access-log")


@pytest.fixture
def officer(world):
    return UserFactory(
        username="privacy.amsterdam", organisation=world.ams.location.municipality, roles=[Role.PRIVACY_OFFICER]
    )


@pytest.fixture
def rows(world):
    ams, rot = world.ams, world.rot
    return {
        "ngo_saw_ams": record(actor=ams.users["ngo"], action="view", origin=COMMAND, obj=ams.assigned),
        "dtv_saw_ams": record(actor=ams.users["dtv"], action="view", origin=COMMAND, obj=ams.unassigned),
        "note_ams": record(
            actor=ams.users["ind"],
            action="view",
            origin=COMMAND,
            object_type="cases.note",
            detail={"case": ams.assigned.pk},
        ),
        "rot": record(actor=rot.users["casemanager"], action="view", origin=COMMAND, obj=rot.assigned),
        "own_login": record(actor=ams.users["casemanager"], action="login", origin=COMMAND),
    }


def _shown(response) -> set[int]:
    return {row.pk for row in response.context["rows"]}


def test_officer_sees_the_rows_of_the_own_lvvs_and_own_staff_only(client, officer, rows):
    client.force_login(officer)
    page = client.get(URL)
    assert page.status_code == 200
    ids = {key for key, row in rows.items() if row.pk in _shown(page)}
    assert ids == {"ngo_saw_ams", "dtv_saw_ams", "note_ams", "own_login"}
    assert "rot" not in ids


def test_who_saw_this_person_by_v_number_or_record_number(client, officer, rows, world):
    client.force_login(officer)
    person = world.ams.assigned.person
    by_v = client.get(URL, {"person": person.v_number})
    assert _shown(by_v) == {rows["ngo_saw_ams"].pk, rows["note_ams"].pk}
    assert _shown(client.get(URL, {"person": str(person.pk)})) == _shown(by_v)
    other_lvv_person = world.rot.assigned.person
    assert _shown(client.get(URL, {"person": other_lvv_person.v_number})) == set()
    assert _shown(client.get(URL, {"person": "Jansen"})) == set()


def test_what_did_this_user_see_and_other_filters(client, officer, rows, world):
    client.force_login(officer)
    assert _shown(client.get(URL, {"user": "ngo.amsterdam"})) == {rows["ngo_saw_ams"].pk}
    logins = _shown(client.get(URL, {"action": "login"}))  # the officer's own login too
    assert rows["own_login"].pk in logins and rows["ngo_saw_ams"].pk not in logins
    assert _shown(client.get(URL, {"organisation": world.ams.dtv.pk})) == {rows["dtv_saw_ams"].pk}
    assert _shown(client.get(URL, {"location": "amsterdam"})) == {
        rows["ngo_saw_ams"].pk,
        rows["dtv_saw_ams"].pk,
        rows["note_ams"].pk,
    }
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert _shown(client.get(URL, {"date_from": tomorrow.isoformat()})) == set()
    today = timezone.localdate().isoformat()
    assert {row.pk for row in rows.values()} - {rows["rot"].pk} <= _shown(
        client.get(URL, {"date_from": today, "date_to": today})
    )
    bad = client.get(URL, {"date_from": "gisteren", "location": "rotterdam"})
    assert bad.status_code == 200 and bad.context["filter"].form.errors


def test_the_log_reading_is_logged_and_exported_as_dutch_csv(client, officer, rows):
    client.force_login(officer)
    client.get(URL, {"user": "ngo.amsterdam"})
    response = client.get(URL, {"user": "ngo.amsterdam", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufefftijdstip;gebruiker;organisatie;actie")
    lines = body.strip().splitlines()
    assert len(lines) == 2 and "ngo.amsterdam" in lines[1]
    reads = AccessLogEntry.objects.filter(actor=officer, object_type="audit.accesslog")
    assert sorted(reads.values_list("action", flat=True)) == ["export", "list"]


def test_paging_without_counting(client, officer, world):
    for _ in range(55):
        record(actor=world.ams.users["ngo"], action="view", origin=COMMAND, obj=world.ams.assigned)
    client.force_login(officer)
    first = client.get(URL, {"user": "ngo.amsterdam"})
    assert len(first.context["rows"]) == 50 and first.context["more"]
    second = client.get(URL, {"user": "ngo.amsterdam", "page": 2})
    assert len(second.context["rows"]) == 5 and not second.context["more"]


@pytest.mark.parametrize("role", ["casemanager", "lsochair", "ngo", "ind", "dtv"])
def test_other_roles_do_not_reach_the_log(client, world, role):
    client.force_login(world.ams.users[role])
    assert client.get(URL).status_code == 404


def test_bureau_does_not_reach_the_log(client, world):
    client.force_login(world.bureau)
    assert client.get(URL).status_code == 404


def test_officer_sees_no_case(client, officer, world):
    client.force_login(officer)
    assert client.get(reverse("cases:detail", args=[world.ams.assigned.pk])).status_code == 404
    assert client.get(reverse("cases:list")).status_code == 404
    api = client.get(f"/api/v1/cases/{world.ams.assigned.pk}/")
    assert api.status_code == 404


def test_query_count_does_not_grow_with_rows(client, officer, world, django_assert_max_num_queries):
    client.force_login(officer)
    for _ in range(60):
        record(actor=world.ams.users["ngo"], action="view", origin=COMMAND, obj=world.ams.assigned)
    with django_assert_max_num_queries(12):
        client.get(URL, {"person": world.ams.assigned.person.v_number})


def test_reads_of_the_edit_forms_and_the_review_note_page_are_logged(client, world):
    case = world.ams.assigned
    client.force_login(world.ams.users["casemanager"])
    assert client.get(reverse("cases:edit", args=[case.pk])).status_code == 200
    assert client.get(reverse("cases:person-edit", args=[case.pk])).status_code == 200
    client.force_login(world.ams.users["dtv"])
    assert client.get(reverse("lso:review-note", args=[case.pk])).status_code == 200
    reads = AccessLogEntry.objects.filter(action="view", about_case=case.pk).order_by("id")
    assert [(row.object_type, row.detail.get("page")) for row in reads] == [
        ("cases.case", "edit"),
        ("cases.person", "edit"),
        ("cases.case", "review_note"),
    ]
