"""Case documents (contracts/case-file.md, "Documents", "Confidentiality", "Access"): the
service and its checks (type by content agreeing with the name, size, emptiness; nothing
stored on any refusal or failure), the selectors, the case page with its Documenten section
and upload form, the download, dossier parts delivered with their file. The demo's
documents: tests/test_demo_data.py."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases import documents, selectors, services
from cases.models import Document, DossierPart, EventType, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.document_helpers import (
    EXE,
    PDF,
    PNG,
    ZIP_ARCHIVE,
    add,
    allowed_files,
    empty_documents_root,
    stored_files,
    upload,
)
from tests.factories import CaseFactory
from tests.paging import assert_paged
from tests.users import OUTSIDERS, assert_special_needs_the_permission, outsiders, with_special

TODAY = timezone.localdate
SECRET_TITLE = "Verwijsbrief GGZ"


@pytest.fixture(autouse=True)
def documents_root():
    """Each test starts with an empty document store (this test process's own folder)."""
    return empty_documents_root()


def read_back(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


# --- The service ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV, Role.NGO])
def test_everyone_who_sees_the_case_may_add_a_document(world, role):
    user = world.ams.users[role]
    case = world.ams.assigned
    document = add(user, case, file=upload("C:\\Users\\x\\Beschikking 2020.pdf"), title="  Beschikking  ")
    document.refresh_from_db()
    assert (document.case, document.title, document.kind, document.confidentiality) == (
        case,
        "Beschikking",
        "decision",
        "normal",
    )
    assert document.original_name == "Beschikking 2020.pdf"  # the name only, never a path
    assert (document.content_type, document.size) == ("application/pdf", len(PDF))
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.uploaded_by == user and document.uploaded_by_organisation == user.organisation
    # Stored under a random name per case, with the bytes as uploaded.
    assert document.file.name.startswith(f"cases/{case.pk}/") and "Beschikking" not in document.file.name
    assert read_back(document) == PDF and len(stored_files()) == 1
    event = TimelineEvent.objects.get(case=case, type=EventType.DOCUMENT_ADDED)
    assert event.occurred_on == TODAY() and event.actor == user and event.summary == ""
    assert event.data == {"document": document.pk, "kind": "decision", "confidentiality": "normal"}
    row = AccessLogEntry.objects.get(object_type="cases.document", action="create")
    assert (row.object_id, row.actor, row.result) == (str(document.pk), user, "allowed")
    assert row.detail["case"] == case.pk and row.detail["size"] == len(PDF)
    assert "Beschikking" not in json.dumps(row.detail) + json.dumps(event.data)  # never the title


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "content_type"), list(allowed_files()))
def test_the_allowed_types_by_content(world, ngo, name, content, content_type):
    document = add(ngo, world.ams.assigned, file=upload(name, content, "application/octet-stream"))
    assert document.content_type == content_type  # detected, not what the browser said
    assert read_back(document) == content


REFUSALS = [
    # name, bytes, message
    ("archief.zip", ZIP_ARCHIVE, documents.DOCUMENT_TYPE_NOT_ALLOWED % {"types": documents.TYPE_NAMES}),
    ("notities.txt", b"Gewone tekst.\n", documents.DOCUMENT_TYPE_NOT_ALLOWED % {"types": documents.TYPE_NAMES}),
    ("beschikking.pdf", EXE, documents.DOCUMENT_TYPE_NOT_ALLOWED % {"types": documents.TYPE_NAMES}),
    ("beschikking.pdf", PNG, documents.DOCUMENT_TYPE_MISMATCH % {"detected": "PNG", "extensions": ".png"}),
    ("programma.exe", PDF, documents.DOCUMENT_TYPE_MISMATCH % {"detected": "PDF", "extensions": ".pdf"}),
    ("beschikking", PDF, documents.DOCUMENT_TYPE_MISMATCH % {"detected": "PDF", "extensions": ".pdf"}),
    ("scan.jpg", PNG, documents.DOCUMENT_TYPE_MISMATCH % {"detected": "PNG", "extensions": ".png"}),
    ("leeg.pdf", b"", documents.DOCUMENT_EMPTY),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), REFUSALS)
def test_refused_files_store_nothing(world, ngo, name, content, message):
    with pytest.raises(ValidationError) as refused:
        add(ngo, world.ams.assigned, file=upload(name, content))
    assert refused.value.message_dict == {"file": [str(message)]}
    assert not Document.objects.exists() and stored_files() == []
    assert not TimelineEvent.objects.filter(type=EventType.DOCUMENT_ADDED).exists()


@pytest.mark.django_db
def test_a_file_over_the_maximum_is_refused(world, ngo, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF) - 1
    with pytest.raises(ValidationError) as refused:
        add(ngo, world.ams.assigned)
    message = refused.value.message_dict["file"][0]
    assert message.startswith("Het bestand is te groot") and "ten hoogste" in message
    assert not Document.objects.exists() and stored_files() == []
    settings.DOCUMENT_MAX_BYTES = len(PDF)  # exactly the maximum is fine
    assert add(ngo, world.ams.assigned).size == len(PDF)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": "  "}, "title", services.DOCUMENT_TITLE_REQUIRED),
        ({"title": "x" * 201}, "title", None),
        ({"title": "a\x00b"}, "title", None),
        ({"kind": "letter"}, "kind", services.DOCUMENT_KIND_INVALID),
        ({"kind": "dossier_ind"}, "kind", services.DOCUMENT_KIND_DOSSIER),
        ({"confidentiality": "secret"}, "confidentiality", services.DOCUMENT_CONFIDENTIALITY_INVALID),
        ({"file": None}, "file", documents.DOCUMENT_FILE_REQUIRED),
    ],
)
def test_invalid_fields_are_refused_per_field(world, manager, fields, field, message):
    if fields.get("file", 1) is None:
        with pytest.raises(ValidationError) as refused:
            services.add_document(
                acting_user=manager, origin=COMMAND, case=world.ams.assigned, file=None, title="T", kind="other"
            )
    else:
        with pytest.raises(ValidationError) as refused:
            add(manager, world.ams.assigned, **fields)
    assert field in refused.value.message_dict
    if message:
        assert refused.value.message_dict[field] == [str(message)]
    assert not Document.objects.exists() and stored_files() == []


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_user_who_may_not_see_the_case_stores_nothing(world, who):
    with pytest.raises(services.NotVisibleError):
        add(outsiders(world)[who], world.ams.assigned)
    assert not Document.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_a_special_document_needs_the_special_category_permission(world, ngo):
    def written():
        return Document.objects.exists() or stored_files() != []

    assert_special_needs_the_permission(world, ngo, add, Document, services.DOCUMENT_SPECIAL_NOT_ALLOWED, written)


@pytest.mark.django_db
def test_a_failing_write_removes_the_stored_file(world, ngo, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("the access log is unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(DatabaseError):
        add(ngo, world.ams.assigned)
    assert not Document.objects.exists() and stored_files() == []
    assert not TimelineEvent.objects.filter(type=EventType.DOCUMENT_ADDED).exists()


@pytest.mark.django_db(transaction=True)
def test_two_uploads_to_one_case_at_once_both_land(world, ngo):
    case = world.ams.assigned
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def upload_one(title: str) -> None:
        try:
            barrier.wait(timeout=10)
            add(ngo, case, title=title)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload_one, args=(f"Upload {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(Document.objects.filter(case=case).values_list("title", flat=True)) == ["Upload 1", "Upload 2"]
    assert len(stored_files()) == 2
    assert TimelineEvent.objects.filter(case=case, type=EventType.DOCUMENT_ADDED).count() == 2


# --- The selectors ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_documents_newest_first_and_special_ones_only_with_the_permission(world, manager, ngo):
    case = world.ams.assigned
    first = add(ngo, case, title="Eerste")
    special = add(manager, case, title=SECRET_TITLE, kind="medical_letter", confidentiality="special")
    newest = add(ngo, case, title="Nieuwste", kind="correspondence")
    assert list(selectors.case_documents(manager, case)) == [newest, special, first]
    assert list(selectors.case_documents(ngo, case)) == [newest, first]
    with pytest.raises(Document.DoesNotExist):
        selectors.get_visible_document(ngo, case, special.pk)
    assert selectors.get_visible_document(manager, case, special.pk) == special
    with pytest.raises(Document.DoesNotExist):  # another case's document is not found under this one
        selectors.get_visible_document(manager, world.ams.unassigned, first.pk)
    events = [e.data["document"] for e in selectors.visible_timeline(ngo, case) if e.type == EventType.DOCUMENT_ADDED]
    assert events == [newest.pk, first.pk]
    assert len([e for e in selectors.visible_timeline(manager, case) if e.type == EventType.DOCUMENT_ADDED]) == 3
    assert not selectors.case_documents(world.bureau, case).exists()
    assert not selectors.case_documents(world.rot.users[Role.CASEMANAGER], case).exists()


# --- Dossier parts with their file -------------------------------------------------------------


def requested_case(world):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, sheltered=True)
    return services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=case, on=case.shelter_started_on)


def deliver(user, case, kind="IND", **kwargs):
    return services.deliver_dossier_part(
        acting_user=user, origin=COMMAND, case=case, kind=kind, expected_version=case.version, **kwargs
    )


@pytest.mark.django_db
def test_a_dossier_part_delivered_with_its_file(world):
    case = requested_case(world)
    ind = world.ams.users[Role.IND]
    case = deliver(ind, case, file=upload("ind-dossier.pdf"))
    part = DossierPart.objects.get(case=case, kind="IND")
    document = Document.objects.get(dossier_part=part)
    assert part.delivered_on == TODAY() and part.delivered_by == ind
    assert (document.kind, document.case, document.uploaded_by, document.confidentiality) == (
        "dossier_ind",
        case,
        ind,
        "normal",
    )
    assert document.title == f"Dossierdeel IND {date_format(TODAY())}"
    assert read_back(document) == PDF
    types = list(TimelineEvent.objects.filter(case=case).values_list("type", flat=True))
    assert EventType.DOSSIER_DELIVERED in types and EventType.DOCUMENT_ADDED in types
    # Without a file, as before.
    case = deliver(world.ams.users[Role.DTV], case, kind="DTV")
    assert DossierPart.objects.get(case=case, kind="DTV").delivered_on and Document.objects.count() == 1


@pytest.mark.django_db
def test_a_delivery_with_a_bad_file_records_nothing(world):
    case = requested_case(world)
    with pytest.raises(ValidationError) as refused:
        deliver(world.ams.users[Role.IND], case, file=upload("dossier.pdf", PNG), title="Dossier")
    assert "file" in refused.value.message_dict
    assert DossierPart.objects.get(case=case, kind="IND").delivered_on is None
    assert not Document.objects.exists() and stored_files() == []
    case.refresh_from_db()
    with pytest.raises(PermissionDenied):  # a special file only with the permission
        deliver(world.ams.users[Role.IND], case, file=upload(), confidentiality="special")
    assert DossierPart.objects.get(case=case, kind="IND").delivered_on is None and stored_files() == []
    case.refresh_from_db()
    ind = with_special(world.ams.users[Role.IND])
    deliver(ind, case, file=upload(), title="Strafrechtelijke gegevens", confidentiality="special")
    assert Document.objects.get().confidentiality == "special"


@pytest.mark.django_db
def test_a_delivery_that_fails_after_storing_its_file_removes_it(world, monkeypatch):
    case = requested_case(world)

    def broken(*args, **kwargs):
        raise DatabaseError("the deadlines could not be written")

    monkeypatch.setattr(services.deadlines, "recompute", broken)
    with pytest.raises(DatabaseError):
        deliver(world.ams.users[Role.IND], case, file=upload())
    assert DossierPart.objects.get(case=case, kind="IND").delivered_on is None
    assert not Document.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_a_file_for_an_earlier_delivered_part_by_its_partner_only(world):
    case = deliver(SYSTEM, requested_case(world))
    part = DossierPart.objects.get(case=case, kind="IND")
    with pytest.raises(PermissionDenied):
        add(world.ams.users[Role.DTV], case, kind="dossier_ind", dossier_part=part)
    with pytest.raises(ValidationError) as refused:  # not delivered yet
        add(world.ams.users[Role.DTV], case, kind="dossier_dtv", dossier_part=DossierPart.objects.get(kind="DTV"))
    assert refused.value.message_dict == {"dossier_part": [str(services.DOCUMENT_DOSSIER_PART_INVALID)]}
    with pytest.raises(ValidationError):  # a part of another case
        add(world.ams.users[Role.IND], world.ams.assigned, kind="dossier_ind", dossier_part=part)
    document = add(world.ams.users[Role.IND], case, kind="other", dossier_part=part.pk)
    assert (document.kind, document.dossier_part) == ("dossier_ind", part)
    assert [str(path) for path in stored_files()] == [document.file.name]


# --- The case page ------------------------------------------------------------------------------


def page(client, case, **params):
    return client.get(reverse("cases:detail", args=[case.pk]), params)


def post_upload(client, case, *, file=None, **fields):
    body = {"title": "Beschikking IND", "kind": "decision", **fields}
    body["file"] = file if file is not None else upload()
    return client.post(reverse("cases:documents", args=[case.pk]), body)


def download_url(case, document) -> str:
    return reverse(
        "cases:document-download", args=[case.pk, document.pk if isinstance(document, Document) else document]
    )


def section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


@pytest.mark.django_db
def test_the_case_page_lists_documents_newest_first_with_the_upload_form(client, world, ngo):
    case = world.ams.assigned
    add(ngo, case, title="Oude brief", kind="correspondence")
    add(ngo, case, title="Nieuwe beschikking")
    client.force_login(ngo)
    html = page(client, case).content.decode()
    documents_html = section(html, 'id="documents"', "</section>")
    assert documents_html.index("Nieuwe beschikking") < documents_html.index("Oude brief")
    assert 'enctype="multipart/form-data"' in documents_html and 'name="file"' in documents_html
    assert 'name="confidentiality"' not in documents_html  # no special documents for the NGO
    assert "correspondentie" in documents_html.lower() and "beschikking.pdf" in documents_html
    assert TODAY().strftime("%Y") in documents_html and 'href="#documents"' in html
    assert "/media/" not in documents_html and "/static/" not in section(documents_html, "<table", "</table>")


@pytest.mark.django_db
def test_the_empty_state_and_pages_of_documents(client, world, manager):
    case = world.ams.assigned
    client.force_login(manager)
    assert "Er zijn nog geen documenten." in page(client, case).content.decode()
    for number in range(12):
        add(manager, case, title=f"Document nummer {number:02d}")
    url = reverse("cases:detail", args=[case.pk])
    first = assert_paged(
        client, url, "documents_page", "document", "documenten", (10, "Document nummer 11"), (2, "Document nummer 00")
    )
    assert "Document nummer 01" not in first


@pytest.mark.django_db
def test_uploading_on_the_page_and_downloading_the_same_bytes(client, world, ngo):
    case = world.ams.assigned
    client.force_login(ngo)
    response = post_upload(client, case, file=upload("Beschikking (kopie).pdf"))
    assert response.status_code == 302 and response["Location"].endswith("#documents")
    document = Document.objects.get()
    assert (document.uploaded_by, document.kind, document.confidentiality) == (ngo, "decision", "normal")
    html = client.get(response["Location"]).content.decode()
    assert "Het document is toegevoegd." in html and download_url(case, document) in html
    download = client.get(download_url(case, document))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Beschikking (kopie).pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff" and "no-store" in download["Cache-Control"]
    row = AccessLogEntry.objects.filter(object_type="cases.document", action="export").get()
    assert (row.object_id, row.actor, row.channel, row.detail) == (str(document.pk), ngo, "web", {"case": case.pk})
    # The timeline names the kind and links the download.
    timeline = section(html, 'id="timeline"', "</section>")
    assert "Document toegevoegd" in timeline and download_url(case, document) in timeline
    assert "Beschikking IND" not in timeline


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), REFUSALS)
def test_the_page_refuses_bad_files_in_dutch_and_stores_nothing(client, world, ngo, name, content, message):
    client.force_login(ngo)
    response = post_upload(client, world.ams.assigned, file=upload(name, content))
    html = response.content.decode()
    assert response.status_code == 400 and str(message).split("(")[0].strip() in html.replace("&#x27;", "'")
    assert 'id="document-add" open' in html
    assert not Document.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_the_page_refuses_a_file_over_the_maximum(client, world, ngo, settings):
    settings.DOCUMENT_MAX_BYTES = 100
    client.force_login(ngo)
    html = post_upload(client, world.ams.assigned).content.decode().replace("\xa0", " ")
    assert f"Het bestand is te groot ({len(PDF)} bytes). Een document mag ten hoogste 100 bytes zijn." in html
    assert not Document.objects.exists() and stored_files() == []


@pytest.mark.django_db
def test_the_page_shows_missing_fields_in_dutch(client, world, manager):
    client.force_login(manager)
    response = client.post(reverse("cases:documents", args=[world.ams.assigned.pk]), {"title": "", "kind": ""})
    html = response.content.decode()
    assert response.status_code == 400
    for field in ("file", "title", "kind"):
        assert f'id="id_document_{field}_errors"><p>Dit veld is vereist.</p>' in html
    assert 'name="confidentiality"' in html and not Document.objects.exists()


@pytest.mark.django_db
def test_special_documents_on_the_page(client, world, manager, ngo):
    case = world.ams.assigned
    client.force_login(ngo)
    response = post_upload(
        client, case, confidentiality="special", title=SECRET_TITLE
    )  # crafted: the NGO has no choice
    assert response.status_code == 302 and Document.objects.get().confidentiality == "normal"
    Document.objects.all().delete()
    special = add(manager, case, title=SECRET_TITLE, kind="medical_letter", confidentiality="special")
    client.force_login(manager)
    html = page(client, case).content.decode()
    assert SECRET_TITLE in html and download_url(case, special) in html and "bijzonder persoonsgegeven" in html
    assert client.get(download_url(case, special)).status_code == 200
    client.force_login(ngo)
    html = page(client, case).content.decode()
    assert SECRET_TITLE not in html and download_url(case, special) not in html
    assert "medische brief" not in section(html, 'id="timeline"', "</section>")  # not even its event
    assert client.get(download_url(case, special)).status_code == 404
    refused = AccessLogEntry.objects.filter(object_type="cases.document", result="denied").latest("id")
    assert (refused.object_id, refused.actor) == (str(special.pk), ngo)


@pytest.mark.django_db
def test_a_document_of_another_case_is_not_found_under_this_one(client, world, manager):
    elsewhere = add(manager, world.ams.unassigned)
    client.force_login(manager)
    assert client.get(download_url(world.ams.assigned, elsewhere)).status_code == 404
    assert client.get(download_url(world.ams.unassigned, 10**12)).status_code == 404
    assert client.post(download_url(world.ams.unassigned, elsewhere)).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_pages_answer_404_to_users_who_may_not_see_the_case(client, world, manager, who):
    case = world.ams.assigned
    document = add(manager, case)
    client.force_login(outsiders(world)[who])
    documents_url = reverse("cases:documents", args=[case.pk])
    assert page(client, case).status_code == 404
    assert client.get(documents_url).status_code == 404
    assert post_upload(client, case).status_code == 404
    assert client.get(download_url(case, document)).status_code == 404
    assert Document.objects.count() == 1 and len(stored_files()) == 1
    assert not AccessLogEntry.objects.filter(object_type="cases.document", action="export").exists()
    refused = AccessLogEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), result="denied")
    assert refused.count() == 4


@pytest.mark.django_db
def test_the_documents_address_leads_to_the_section(client, world, ngo):
    client.force_login(ngo)
    case = world.ams.assigned
    response = client.get(reverse("cases:documents", args=[case.pk]), {"documents_page": "2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "?documents_page=2#documents"


@pytest.mark.django_db
def test_the_case_page_takes_a_fixed_number_of_queries(client, world, manager, django_assert_max_num_queries):
    case = world.ams.assigned
    client.force_login(manager)
    detail = reverse("cases:detail", args=[case.pk])
    add(manager, case)
    client.get(detail)  # warm the caches (content types, programme settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(detail).status_code == 200
    for number in range(25):
        add(manager, case, title=f"Document {number}", confidentiality="special" if number % 3 else "normal")
    with CaptureQueriesContext(connection) as many:
        assert client.get(detail).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(detail, {"documents_page": 2})


# --- Dossier parts with their file on the page ---------------------------------------------------


@pytest.mark.django_db
def test_the_ind_delivers_its_dossier_part_with_the_file_on_the_page(client, world):
    case = requested_case(world)
    ind = world.ams.users[Role.IND]
    client.force_login(ind)
    html = page(client, case).content.decode()
    step = section(html, 'data-testid="step-deliver_dossier_ind"', "</details>")
    assert 'enctype="multipart/form-data"' in step and 'name="file"' in step
    assert 'name="confidentiality"' not in step  # the IND officer may not see special-category data
    url = reverse("cases:step", args=[case.pk, "deliver_dossier_ind"])
    refused = client.post(url, {"version": case.version, "on": TODAY().isoformat(), "file": upload("d.pdf", PNG)})
    assert refused.status_code == 400 and "De inhoud van dit bestand is PNG" in refused.content.decode()
    assert DossierPart.objects.get(case=case, kind="IND").delivered_on is None and stored_files() == []
    response = client.post(
        url, {"version": case.version, "on": TODAY().isoformat(), "file": upload("ind.pdf"), "title": "IND-dossier"}
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.kind, document.title, document.dossier_part.kind) == ("dossier_ind", "IND-dossier", "IND")
    html = page(client, case).content.decode()
    dossier = section(html, 'id="dossier"', "</section>")
    assert download_url(case, document) in section(dossier, 'data-testid="dossier-file-IND"', "</td>")
    assert b"".join(client.get(download_url(case, document)).streaming_content) == PDF
    # The case worker sees the file too; without one the DT&V delivers as before.
    client.force_login(world.ams.users[Role.DTV])
    case.refresh_from_db()
    url = reverse("cases:step", args=[case.pk, "deliver_dossier_dtv"])
    assert client.post(url, {"version": case.version, "on": TODAY().isoformat()}).status_code == 302
    assert DossierPart.objects.get(case=case, kind="DTV").delivered_on == TODAY() and Document.objects.count() == 1


@pytest.mark.django_db
def test_a_special_dossier_file_is_shown_only_with_the_permission(client, world, manager, ngo):
    case = requested_case(world)
    ind = with_special(world.ams.users[Role.IND])
    deliver(ind, case, file=upload(), title=SECRET_TITLE, confidentiality="special")
    document = Document.objects.get()
    client.force_login(manager)
    assert download_url(case, document) in section(page(client, case).content.decode(), 'id="dossier"', "</section>")
    client.force_login(ngo)
    html = page(client, case).content.decode()
    assert SECRET_TITLE not in html and download_url(case, document) not in html
