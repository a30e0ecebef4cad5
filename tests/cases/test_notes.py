"""The case journal (contracts/case-file.md, "Notes" and "Confidentiality"): the service,
the case page (with its htmx partial), the note page and the API; who may see and write
what; notes that never change; corrections; a fixed number of queries."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.forms import NOTE_ADDED
from cases.models import Case, EventType, Note, NoteKind, TimelineEvent
from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry, AppendOnlyError
from lvv.params import DATE_TOO_EARLY
from tests.append_only import assert_model_refuses_changes
from tests.cases.note_helpers import add_note
from tests.factories import CaseFactory
from tests.paging import assert_api_paged
from tests.queries import count_queries
from tests.users import OUTSIDERS, assert_special_needs_the_permission, outsiders

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)
SECRET = "Vertelt over een behandeling bij de huisarts."


# --- The service ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV, Role.NGO])
def test_everyone_who_sees_the_case_may_write_a_note(world, role):
    user = world.ams.users[role]
    case = world.ams.assigned
    note = add_note(user, case, text="Telefonisch gesproken.", kind=NoteKind.PHONE_CALL, written_on=TODAY() - 2 * DAY)
    note.refresh_from_db()
    assert (note.case, note.kind, note.text, note.confidentiality) == (
        case,
        "phone_call",
        "Telefonisch gesproken.",
        "normal",
    )
    assert note.author == user and note.author_organisation == user.organisation and note.corrects is None
    event = TimelineEvent.objects.get(case=case, type=EventType.NOTE)
    assert event.occurred_on == TODAY() - 2 * DAY and event.actor == user
    assert event.data == {"note": note.pk, "kind": "phone_call", "confidentiality": "normal"}
    row = AccessLogEntry.objects.get(object_type="cases.note", action="create")
    assert (row.object_id, row.actor, row.result, row.detail["case"]) == (str(note.pk), user, "allowed", case.pk)


def test_the_timeline_and_the_log_never_carry_the_text(world, manager):
    add_note(manager, world.ams.assigned, text=SECRET, confidentiality="special")
    event = TimelineEvent.objects.get(case=world.ams.assigned, type=EventType.NOTE)
    assert event.summary == "" and SECRET not in json.dumps(event.data)
    assert not any(SECRET in json.dumps(row.detail) for row in AccessLogEntry.objects.all())


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_user_who_may_not_see_the_case_writes_nothing(world, who):
    with pytest.raises(services.NotVisibleError):
        add_note(outsiders(world)[who], world.ams.assigned)
    assert not Note.objects.exists() and not TimelineEvent.objects.filter(type=EventType.NOTE).exists()


def test_a_special_note_needs_the_special_category_permission(world, ngo):
    written = Note.objects.exists
    assert_special_needs_the_permission(world, ngo, add_note, Note, services.NOTE_SPECIAL_NOT_ALLOWED, written)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"written_on": TODAY() + DAY}, "written_on", services.DATE_IN_FUTURE),
        ({"written_on": datetime.date(1999, 12, 31)}, "written_on", DATE_TOO_EARLY % {"date": "1 januari 2000"}),
        ({"text": "   "}, "text", None),
        ({"text": "x" * 5001}, "text", None),
        ({"text": "a\x00b"}, "text", None),
        ({"kind": "letter"}, "kind", None),
        ({"confidentiality": "secret"}, "confidentiality", None),
    ],
)
def test_invalid_notes_are_refused_per_field(world, manager, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        add_note(manager, world.ams.assigned, **fields)
    assert field in refused.value.message_dict
    if message:
        assert refused.value.message_dict[field] == [str(message)]
    assert not Note.objects.exists() and not TimelineEvent.objects.filter(type=EventType.NOTE).exists()


def test_a_note_of_5000_characters_is_fine(world, ngo):
    assert len(add_note(ngo, world.ams.assigned, text="x" * 5000).text) == 5000


def test_a_correction_is_a_new_note_that_refers_to_its_note(world, manager):
    case = world.ams.assigned
    original = add_note(manager, case, text="Afspraak op maandag.", kind=NoteKind.PHONE_CALL)
    correction = add_note(manager, case, text="Correctie: de afspraak is op dinsdag.", corrects=original)
    original.refresh_from_db()
    assert original.text == "Afspraak op maandag."  # unchanged
    assert correction.corrects == original and list(original.corrections.all()) == [correction]
    event = TimelineEvent.objects.filter(case=case, type=EventType.NOTE).latest("id")
    assert event.data["corrects"] == original.pk and event.data["note"] == correction.pk
    # By id as well (the API passes the id).
    assert add_note(manager, case, corrects=original.pk).corrects == original


def test_a_correction_refers_to_a_visible_note_of_the_same_case(world, manager, ngo):
    case = world.ams.assigned
    elsewhere = add_note(manager, world.ams.unassigned)
    special = add_note(manager, case, confidentiality="special")
    for user, corrects in ((manager, elsewhere), (manager, 10**12), (ngo, special)):
        with pytest.raises(ValidationError) as refused:
            add_note(user, case, corrects=corrects)
        # A special note the user may not see is as absent as one that does not exist.
        assert refused.value.message_dict == {"corrects": [str(services.NOTE_CORRECTS_UNKNOWN)]}
    with pytest.raises(ValidationError) as refused:
        add_note(manager, case, corrects=special)  # normal
    assert refused.value.message_dict == {"confidentiality": [str(services.NOTE_CORRECTION_SPECIAL)]}
    assert add_note(manager, case, corrects=special, confidentiality="special").corrects == special


def test_notes_are_never_changed_or_deleted(world, manager):
    note = add_note(manager, world.ams.assigned, text="Zoals het was.")
    assert_model_refuses_changes(note, AppendOnlyError, Note.objects.filter(pk=note.pk), text="Anders")
    # The database refuses too, whatever the client.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_note SET text = 'Anders' WHERE id = %s", [note.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_note WHERE id = %s", [note.pk])
        cursor.execute("SET CONSTRAINTS cases_note_deleted_with_case IMMEDIATE")
    assert Note.objects.get(pk=note.pk).text == "Zoals het was."


def test_a_case_takes_its_journal_with_it(world, manager):
    case = CaseFactory(location=world.ams.location)
    original = add_note(manager, case)
    add_note(manager, case, corrects=original)
    with transaction.atomic():
        case.delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred check, now
    assert not Note.objects.filter(case_id=case.pk).exists()


# --- The selectors -------------------------------------------------------------------------


def test_notes_newest_first_by_date_then_by_writing(world, manager):
    case = world.ams.assigned
    old = add_note(manager, case, written_on=TODAY() - 5 * DAY)
    first = add_note(manager, case, written_on=TODAY() - DAY, kind=NoteKind.HOME_VISIT)
    second = add_note(manager, case, written_on=TODAY() - DAY)
    newest = add_note(manager, case, kind=NoteKind.HOME_VISIT)
    assert list(selectors.case_notes(manager, case)) == [newest, second, first, old]
    assert list(selectors.case_notes(manager, case, kind="home_visit")) == [newest, first]


def test_special_notes_exist_only_for_users_with_the_permission(world, manager, ngo):
    case = world.ams.assigned
    normal = add_note(manager, case, kind=NoteKind.HOME_VISIT)
    special = add_note(manager, case, text=SECRET, confidentiality="special")
    assert list(selectors.case_notes(manager, case)) == [special, normal]
    assert list(selectors.case_notes(ngo, case)) == [normal]
    with pytest.raises(Note.DoesNotExist):
        selectors.get_visible_note(ngo, case, special.pk)
    note_events = [e.data["note"] for e in selectors.visible_timeline(ngo, case) if e.type == EventType.NOTE]
    assert note_events == [normal.pk]
    assert len([e for e in selectors.visible_timeline(manager, case) if e.type == EventType.NOTE]) == 2
    # Nothing of the case for a user who may not see it.
    assert not selectors.case_notes(world.bureau, case).exists()
    assert not selectors.visible_timeline(world.rot.users[Role.CASEMANAGER], case).exists()


# --- The case page --------------------------------------------------------------------------


def page(client, case, **params):
    return client.get(reverse("cases:detail", args=[case.pk]), params)


def partial(client, case, **params):
    return client.get(
        reverse("cases:notes", args=[case.pk]), params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="journal-notes"
    )


def test_the_case_page_shows_the_journal_newest_first(client, world, manager):
    case = world.ams.assigned
    add_note(manager, case, text="Oud gesprek.", written_on=TODAY() - 3 * DAY)
    add_note(manager, case, text="Huisbezoek gedaan.", kind=NoteKind.HOME_VISIT)
    client.force_login(manager)
    html = page(client, case).content.decode()
    assert 'id="journal"' in html and html.index("Huisbezoek gedaan.") < html.index("Oud gesprek.")
    filtered = page(client, case, note_kind="home_visit").content.decode()
    assert "Huisbezoek gedaan." in filtered and "Oud gesprek." not in filtered


def test_the_htmx_partial_filters_and_pages(client, world, manager):
    case = world.ams.assigned
    for day in range(12):
        add_note(manager, case, text=f"Notitie nummer {day:02d}.", written_on=TODAY() - day * DAY)
    add_note(manager, case, text="Een huisbezoek.", kind=NoteKind.HOME_VISIT, written_on=TODAY() - 30 * DAY)
    client.force_login(manager)
    response = partial(client, case)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="journal-notes"' in html
    assert html.count('data-testid="note"') == 10 and "Notitie nummer 00." in html
    assert "Oudere notities" in html and "Nieuwere notities" not in html
    assert response["HX-Push-Url"] == reverse("cases:detail", args=[case.pk])
    assert "HX-Request" in response["Vary"]
    second = partial(client, case, notes_page=2).content.decode()
    assert second.count('data-testid="note"') == 3 and "Een huisbezoek." in second and "Nieuwere notities" in second
    assert partial(client, case, notes_page=2)["HX-Push-Url"].endswith("?notes_page=2")
    visits = partial(client, case, note_kind="home_visit")
    assert visits.content.decode().count('data-testid="note"') == 1
    assert visits["HX-Push-Url"].endswith("?note_kind=home_visit")
    row = AccessLogEntry.objects.filter(object_type="cases.note", action="list").latest("id")
    assert (row.actor, row.channel) == (manager, "web")
    assert row.detail == {"case": case.pk, "filters": {"kind": "home_visit"}}
    beyond = partial(client, case, notes_page=99).content.decode()
    assert 'data-testid="note"' not in beyond and "Er zijn geen oudere notities." in beyond
    # The same address without htmx is the case page at the same place.
    plain = client.get(reverse("cases:notes", args=[case.pk]), {"note_kind": "home_visit", "notes_page": "x"})
    assert plain.status_code == 302
    assert plain["Location"] == reverse("cases:detail", args=[case.pk]) + "?note_kind=home_visit#journal"


def test_adding_a_note_on_the_page(client, world, ngo):
    case = world.ams.assigned
    client.force_login(ngo)
    assert 'name="confidentiality"' not in page(client, case).content.decode()  # no special notes for the NGO
    response = client.post(
        reverse("cases:notes", args=[case.pk]),
        {"written_on": (TODAY() - DAY).isoformat(), "kind": "home_visit", "text": "Op bezoek geweest."},
    )
    assert response.status_code == 302 and response["Location"].endswith("#journal")
    note = Note.objects.get()
    assert (note.author, note.kind, note.written_on) == (ngo, "home_visit", TODAY() - DAY)
    assert note.confidentiality == "normal"
    html = client.get(response["Location"]).content.decode()
    assert str(NOTE_ADDED) in html and "Op bezoek geweest." in html
    # A crafted confidentiality does not make a special note for the NGO.
    client.post(
        reverse("cases:notes", args=[case.pk]),
        {"written_on": TODAY().isoformat(), "kind": "other", "text": "Iets.", "confidentiality": "special"},
    )
    assert not Note.objects.filter(confidentiality="special").exists()


def test_the_page_shows_field_errors_in_dutch(client, world, manager):
    case = world.ams.assigned
    client.force_login(manager)
    response = client.post(
        reverse("cases:notes", args=[case.pk]),
        {"written_on": (TODAY() + DAY).isoformat(), "kind": "", "text": "", "confidentiality": "special"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and not Note.objects.exists()
    # Each error next to its field and once more in the summary at the top, as a link to it.
    assert str(services.DATE_IN_FUTURE) in html and html.count("Dit veld is vereist.") == 4
    assert 'href="#id_kind_field"' in html and 'href="#id_text_field"' in html
    assert 'id="note-add" open' in html and 'name="confidentiality"' in html  # the manager may write special notes


def test_a_special_note_on_the_page(client, world, manager, ngo):
    case = world.ams.assigned
    client.force_login(manager)
    client.post(
        reverse("cases:notes", args=[case.pk]),
        {"written_on": TODAY().isoformat(), "kind": "conversation", "text": SECRET, "confidentiality": "special"},
    )
    special = Note.objects.get(confidentiality="special")
    note_url = reverse("cases:note", args=[case.pk, special.pk])
    html = page(client, case).content.decode()
    assert SECRET in html and note_url in html  # in the journal and linked from the timeline
    assert client.get(note_url).status_code == 200
    client.force_login(ngo)
    for html in (page(client, case).content.decode(), partial(client, case).content.decode()):
        assert SECRET not in html and note_url not in html
    assert "bijzonder persoonsgegeven" not in page(client, case).content.decode()
    assert client.get(note_url).status_code == 404
    assert client.post(note_url, {"written_on": TODAY().isoformat(), "kind": "other", "text": "x"}).status_code == 404
    assert Note.objects.count() == 1
    refused = AccessLogEntry.objects.filter(object_type="cases.note", result="denied").latest("id")
    assert refused.object_id == str(special.pk)


def test_the_timeline_names_the_kind_and_links_the_note(client, world, ngo):
    case = world.ams.assigned
    note = add_note(ngo, case, text=SECRET, kind=NoteKind.PARTNER_CONTACT)
    client.force_login(ngo)
    html = page(client, case).content.decode()
    timeline = html[html.index('id="timeline"') : html.index('id="journal"')]
    assert "Notitie" in timeline and "contact met ketenpartner" in timeline
    assert reverse("cases:note", args=[case.pk, note.pk]) in timeline and SECRET not in timeline


def test_correcting_a_note_on_its_page(client, world, ngo):
    case = world.ams.assigned
    original = add_note(ngo, case, text="Afspraak op maandag.", kind=NoteKind.PHONE_CALL, written_on=TODAY() - 2 * DAY)
    client.force_login(ngo)
    url = reverse("cases:note", args=[case.pk, original.pk])
    html = client.get(url).content.decode()
    assert "Afspraak op maandag." in html and "Deze notitie is niet gecorrigeerd." in html
    assert 'value="phone_call" selected' in html  # the correction starts from the note's kind and date
    response = client.post(
        url, {"written_on": original.written_on.isoformat(), "kind": "phone_call", "text": "Correctie: op dinsdag."}
    )
    assert response.status_code == 302 and response["Location"] == url + "#corrections"
    correction = Note.objects.get(corrects=original)
    html = client.get(url).content.decode()
    assert "Correctie: op dinsdag." in html and reverse("cases:note", args=[case.pk, correction.pk]) in html
    # In the journal: the correction links to what it corrects, the note to its corrections.
    journal = partial(client, case).content.decode()
    assert f'href="{url}"' in journal and f'href="{url}#corrections"' in journal
    correction_page = client.get(reverse("cases:note", args=[case.pk, correction.pk])).content.decode()
    assert f'href="{url}"' in correction_page
    assert client.post(url, {"written_on": "", "kind": "x", "text": ""}).status_code == 400
    assert Note.objects.count() == 2


def test_a_note_of_another_case_is_not_found_under_this_one(client, world, manager):
    elsewhere = add_note(manager, world.ams.unassigned)
    client.force_login(manager)
    assert client.get(reverse("cases:note", args=[world.ams.assigned.pk, elsewhere.pk])).status_code == 404


@pytest.mark.parametrize("who", OUTSIDERS)
def test_pages_answer_404_to_users_who_may_not_see_the_case(client, world, manager, who):
    case = world.ams.assigned
    note = add_note(manager, case)
    client.force_login(outsiders(world)[who])
    notes_url = reverse("cases:notes", args=[case.pk])
    note_url = reverse("cases:note", args=[case.pk, note.pk])
    body = {"written_on": TODAY().isoformat(), "kind": "other", "text": "Iets."}
    assert client.get(notes_url).status_code == 404
    assert partial(client, case).status_code == 404
    assert client.post(notes_url, body).status_code == 404
    assert client.get(note_url).status_code == 404
    assert client.post(note_url, body).status_code == 404
    assert Note.objects.count() == 1
    assert AccessLogEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), result="denied").count() == 5


def test_the_journal_takes_a_fixed_number_of_queries(client, world, manager, django_assert_max_num_queries):
    case = world.ams.assigned
    client.force_login(manager)
    detail = reverse("cases:detail", args=[case.pk])
    notes_url = reverse("cases:notes", args=[case.pk])
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "journal-notes"}
    first = add_note(manager, case, kind=NoteKind.HOME_VISIT)
    add_note(manager, case, corrects=first)
    client.get(detail)  # warm the caches (content types, programme settings)
    few = count_queries(client, detail), count_queries(client, notes_url, **htmx)
    for day in range(20):
        note = add_note(
            manager, case, written_on=TODAY() - day * DAY, confidentiality="special" if day % 3 else "normal"
        )
        add_note(manager, case, corrects=note, confidentiality=note.confidentiality)
    assert (count_queries(client, detail), count_queries(client, notes_url, **htmx)) == few
    # 19, two for the owners (history, colleagues), one for the documents, three for the procedures
    with django_assert_max_num_queries(25):
        client.get(detail)
    with django_assert_max_num_queries(11):
        client.get(notes_url, **htmx)
    with django_assert_max_num_queries(12):
        client.get(reverse("cases:note", args=[case.pk, first.pk]))


# --- The API --------------------------------------------------------------------------------


def api_url(case, note=None) -> str:
    base = f"/api/v1/cases/{case.pk if isinstance(case, Case) else case}/notes/"
    return f"{base}{note.pk if isinstance(note, Note) else note}/" if note is not None else base


def test_api_writes_and_reads_a_note_per_contract(api_client, world, ngo):
    case = world.ams.assigned
    api_client.force_authenticate(ngo)
    body = {"written_on": (TODAY() - DAY).isoformat(), "kind": "phone_call", "text": "Gebeld over de afspraak."}
    response = api_client.post(api_url(case), body, format="json")
    assert response.status_code == 201
    data = response.json()
    note = Note.objects.get()
    assert data["id"] == note.pk and data["author"] == "ngo.amsterdam"
    assert {k: data[k] for k in ("case", "written_on", "kind", "text", "confidentiality", "corrects")} == {
        "case": case.pk,
        **body,
        "confidentiality": "normal",
        "corrects": None,
    }
    assert data["author_organisation"] == world.ams.ngo_a.name and data["corrected_by"] == []
    assert api_client.get(api_url(case, note)).json() == data
    listed = api_client.get(api_url(case)).json()
    assert (listed["count"], listed["next"], listed["results"]) == (1, None, [data])
    rows = AccessLogEntry.objects.filter(channel="api", object_type="cases.note").order_by("id")
    assert [(r.action, r.result) for r in rows] == [("create", "allowed"), ("view", "allowed"), ("list", "allowed")]
    assert all(r.actor == ngo and r.detail["case"] == case.pk for r in rows)


def test_api_lists_newest_first_paginated_and_filtered(api_client, world, ngo):
    case = world.ams.assigned
    for day in range(5):
        add_note(
            ngo, case, text=f"Dag {day}", written_on=TODAY() - day * DAY, kind="home_visit" if day % 2 else "other"
        )
    api_client.force_authenticate(ngo)
    assert_api_paged(api_client, api_url(case), "text", ["Dag 0", "Dag 1"], "Dag 2", "home_visit", ["Dag 1", "Dag 3"])


def test_api_corrections(api_client, world, manager):
    case = world.ams.assigned
    original = add_note(manager, case, text="Afspraak op maandag.")
    api_client.force_authenticate(manager)
    body = {"written_on": TODAY().isoformat(), "kind": "conversation", "text": "Op dinsdag.", "corrects": original.pk}
    response = api_client.post(api_url(case), body, format="json")
    assert response.status_code == 201 and response.json()["corrects"] == original.pk
    assert api_client.get(api_url(case, original)).json()["corrected_by"] == [response.json()["id"]]
    elsewhere = add_note(manager, world.ams.unassigned)
    refused = api_client.post(api_url(case), {**body, "corrects": elsewhere.pk}, format="json")
    assert refused.status_code == 400 and refused.json() == {"corrects": [str(services.NOTE_CORRECTS_UNKNOWN)]}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "text", "Dit veld is vereist."),
        ({"text": ""}, "text", "Dit veld mag niet leeg zijn."),
        ({"written_on": (TODAY() + DAY).isoformat()}, "written_on", str(services.DATE_IN_FUTURE)),
        ({"kind": "letter"}, "kind", None),
        ({"text": "x" * 5001}, "text", None),
        ({"confidentiality": "secret"}, "confidentiality", None),
        ({"corrects": 0}, "corrects", None),
    ],
)
def test_api_field_errors_in_dutch(api_client, world, ngo, body, field, message):
    api_client.force_authenticate(ngo)
    base = {"written_on": TODAY().isoformat(), "kind": "other", "text": "Iets."} if body else {}
    response = api_client.post(api_url(world.ams.assigned), {**base, **body}, format="json")
    assert response.status_code == 400 and field in response.json()
    if message:
        assert message in response.json()[field]
    assert not Note.objects.exists()


def test_api_special_notes(api_client, world, manager, ngo):
    case = world.ams.assigned
    normal = add_note(ngo, case, text="Gewone notitie.")
    special = add_note(manager, case, text=SECRET, confidentiality="special")
    api_client.force_authenticate(ngo)
    body = {"written_on": TODAY().isoformat(), "kind": "conversation", "text": SECRET, "confidentiality": "special"}
    refused = api_client.post(api_url(case), body, format="json")
    assert refused.status_code == 403 and refused.json()["detail"] == str(services.NOTE_SPECIAL_NOT_ALLOWED)
    assert AccessLogEntry.objects.filter(object_type="cases.note", action="create", result="denied").exists()
    assert api_client.get(api_url(case, special)).status_code == 404
    assert [n["id"] for n in api_client.get(api_url(case)).json()["results"]] == [normal.pk]
    for path in ("trajectory", "timeline"):
        text = json.dumps(api_client.get(f"/api/v1/cases/{case.pk}/{path}/").json())
        assert f'"note": {special.pk}' not in text and f'"note": {normal.pk}' in text
    trajectory = api_client.get(f"/api/v1/cases/{case.pk}/trajectory/").json()
    timeline = api_client.get(f"/api/v1/cases/{case.pk}/timeline/").json()
    assert trajectory["timeline_count"] == timeline["count"] == TimelineEvent.objects.filter(case=case).count() - 1
    api_client.force_authenticate(manager)
    assert api_client.get(api_url(case, special)).json()["text"] == SECRET
    assert [n["id"] for n in api_client.get(api_url(case)).json()["results"]] == [special.pk, normal.pk]
    text = json.dumps(api_client.get(f"/api/v1/cases/{case.pk}/timeline/").json())
    assert f'"note": {special.pk}' in text and SECRET not in text
    assert api_client.get(f"/api/v1/cases/{case.pk}/trajectory/").json()["timeline_count"] == (
        TimelineEvent.objects.filter(case=case).count()
    )


@pytest.mark.parametrize("who", OUTSIDERS)
def test_api_answers_404_to_users_who_may_not_see_the_case(api_client, world, manager, who):
    case = world.ams.assigned
    note = add_note(manager, case)
    api_client.force_authenticate(outsiders(world)[who])
    body = {"written_on": TODAY().isoformat(), "kind": "other", "text": "Iets."}
    assert api_client.get(api_url(case)).status_code == 404
    assert api_client.post(api_url(case), body, format="json").status_code == 404
    assert api_client.post(api_url(case), {}, format="json").status_code == 404  # 404 before any field error
    assert api_client.get(api_url(case, note)).status_code == 404
    assert Note.objects.count() == 1
    rows = AccessLogEntry.objects.filter(channel="api", object_type="cases.case", object_id=str(case.pk))
    assert rows.filter(result="denied").count() == 4


def test_api_unknown_ids_and_other_methods(api_client, world, manager):
    note = add_note(manager, world.ams.unassigned)
    api_client.force_authenticate(manager)
    assert api_client.get(api_url(world.ams.assigned, note)).status_code == 404  # another case's note
    assert api_client.get(api_url(10**30)).status_code == 404
    assert api_client.get(api_url(world.ams.unassigned, 10**30)).status_code == 404
    for method in (api_client.put, api_client.patch, api_client.delete):
        assert method(api_url(world.ams.unassigned, note), {"text": "x"}, format="json").status_code == 405
    assert Note.objects.get().text == "Gesprek gevoerd."
    api_client.logout()
    assert api_client.get(api_url(world.ams.unassigned)).status_code in (401, 403)


def test_api_list_takes_a_fixed_number_of_queries(api_client, world, manager):
    case = world.ams.assigned
    api_client.force_authenticate(manager)
    add_note(manager, case)
    api_client.get(api_url(case))  # warm the caches
    few = count_queries(api_client, api_url(case))
    for day in range(30):
        note = add_note(manager, case, written_on=TODAY() - day * DAY)
        add_note(manager, case, corrects=note)
    assert count_queries(api_client, api_url(case)) == few
    assert api_client.get(api_url(case)).json()["count"] == 61


def test_the_schema_lists_the_kinds(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"/api/v1/cases/{case_id}/notes/", "/api/v1/cases/{case_id}/notes/{id}/"} <= set(schema["paths"])
    assert set(schema["components"]["schemas"]["NoteKindEnum"]["enum"]) == set(NoteKind.values)
    assert set(schema["paths"]["/api/v1/cases/{case_id}/notes/"]) == {"get", "post"}
