"""Case documents over the API (contracts/case-file.md, "Documents"): multipart upload, the
list, one document and its content (the bytes as uploaded, logged); refusals with field
errors and nothing stored; 404 for users who may not see the case, 403 for a special
document without the permission; dossier parts delivered with their file; the schema."""

from __future__ import annotations

import hashlib
import json

import pytest

from cases import documents, services
from cases.models import Case, Document, DossierPart, EventType, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.document_helpers import (
    EXE,
    PDF,
    PNG,
    add,
    allowed_files,
    empty_documents_root,
    stored_files,
    upload,
)
from tests.factories import CaseFactory
from tests.paging import assert_api_paged
from tests.queries import count_queries
from tests.users import OUTSIDERS, outsiders

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Verwijsbrief GGZ"


@pytest.fixture(autouse=True)
def documents_root():
    return empty_documents_root()


def api_url(case, document=None, *, content=False) -> str:
    base = f"/api/v1/cases/{case.pk if isinstance(case, Case) else case}/documents/"
    if document is None:
        return base
    url = f"{base}{document.pk if isinstance(document, Document) else document}/"
    return f"{url}content/" if content else url


def post(api_client, case, *, file=None, **fields):
    body = {"title": "Beschikking IND", "kind": "decision", **fields}
    if file is not False:
        body["file"] = file if file is not None else upload()
    return api_client.post(api_url(case), body, format="multipart")


def test_api_adds_lists_reads_and_downloads_a_document_per_contract(api_client, world, ngo):
    case = world.ams.assigned
    api_client.force_authenticate(ngo)
    response = post(api_client, case, file=upload("Beschikking 2020.pdf"), title="Beschikking asiel")
    assert response.status_code == 201, response.content
    data = response.json()
    document = Document.objects.get()
    assert data["id"] == document.pk and data["case"] == case.pk
    assert {k: data[k] for k in ("title", "kind", "confidentiality", "content_type", "size", "sha256")} == {
        "title": "Beschikking asiel",
        "kind": "decision",
        "confidentiality": "normal",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }
    assert data["uploaded_by"] == "ngo.amsterdam" and data["uploaded_by_organisation"] == world.ams.ngo_a.name
    assert data["uploaded_at"] and data["original_name"] == "Beschikking 2020.pdf" and data["dossier_part"] is None
    assert data["content"].endswith(api_url(case, document, content=True)) and "file" not in data
    assert api_client.get(api_url(case, document)).json() == data
    listed = api_client.get(api_url(case)).json()
    assert (listed["count"], listed["next"], listed["results"]) == (1, None, [data])
    content = api_client.get(api_url(case, document, content=True))
    assert content.status_code == 200 and b"".join(content.streaming_content) == PDF
    assert content["Content-Type"] == "application/pdf"
    assert (
        content["Content-Disposition"].startswith("attachment;")
        and "Beschikking 2020.pdf" in content["Content-Disposition"]
    )
    assert content["X-Content-Type-Options"] == "nosniff"
    rows = AccessLogEntry.objects.filter(channel="api", object_type="cases.document").order_by("id")
    assert [(r.action, r.result) for r in rows] == [
        ("create", "allowed"),
        ("view", "allowed"),
        ("list", "allowed"),
        ("export", "allowed"),
    ]
    assert all(r.actor == ngo and r.detail["case"] == case.pk for r in rows)


@pytest.mark.parametrize(("name", "content", "content_type"), list(allowed_files()))
def test_api_takes_every_allowed_type_and_gives_back_the_same_bytes(
    api_client, world, ngo, name, content, content_type
):
    api_client.force_authenticate(ngo)
    response = post(api_client, world.ams.assigned, file=upload(name, content, "application/octet-stream"))
    assert response.status_code == 201 and response.json()["content_type"] == content_type
    download = api_client.get(response.json()["content"], HTTP_ACCEPT=content_type)
    assert download["Content-Type"] == content_type and b"".join(download.streaming_content) == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("archief.txt", b"gewone tekst", documents.DOCUMENT_TYPE_NOT_ALLOWED % {"types": documents.TYPE_NAMES}),
        ("factuur.pdf", EXE, documents.DOCUMENT_TYPE_NOT_ALLOWED % {"types": documents.TYPE_NAMES}),
        ("beschikking.pdf", PNG, documents.DOCUMENT_TYPE_MISMATCH % {"detected": "PNG", "extensions": ".png"}),
        ("leeg.pdf", b"", documents.DOCUMENT_EMPTY),
    ],
)
def test_api_refuses_bad_files_with_a_field_error_and_stores_nothing(api_client, world, ngo, name, content, message):
    api_client.force_authenticate(ngo)
    response = post(api_client, world.ams.assigned, file=upload(name, content))
    assert response.status_code == 400 and response.json() == {"file": [str(message)]}
    assert not Document.objects.exists() and stored_files() == []


def test_api_refuses_a_file_over_the_maximum(api_client, world, ngo, settings):
    settings.DOCUMENT_MAX_BYTES = 100
    api_client.force_authenticate(ngo)
    response = post(api_client, world.ams.assigned)
    assert response.status_code == 400
    assert response.json()["file"][0].startswith("Het bestand is te groot")
    # A body that cannot fit under the maximum at all is refused before it is read.
    big = PDF + b"\0" * (documents.UPLOAD_OVERHEAD_BYTES + 100)
    response = post(api_client, world.ams.assigned, file=upload("groot.pdf", big))
    assert response.status_code == 413 and response.json()["file"][0].startswith("Het bestand is te groot")
    assert not Document.objects.exists() and stored_files() == []
    assert AccessLogEntry.objects.filter(object_type="cases.document", result="invalid").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"file": False}, "file"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "letter"}, "kind"),
        ({"kind": "dossier_dtv"}, "kind"),
        ({"confidentiality": "secret"}, "confidentiality"),
    ],
)
def test_api_field_errors_in_dutch(api_client, world, ngo, fields, field):
    api_client.force_authenticate(ngo)
    response = post(api_client, world.ams.assigned, **fields)
    assert response.status_code == 400 and field in response.json()
    assert not Document.objects.exists() and stored_files() == []


def test_api_takes_multipart_only(api_client, world, ngo):
    api_client.force_authenticate(ngo)
    response = api_client.post(api_url(world.ams.assigned), {"title": "x", "kind": "other"}, format="json")
    assert response.status_code == 415 and not Document.objects.exists()


def test_api_special_documents(api_client, world, manager, ngo):
    case = world.ams.assigned
    normal = add(ngo, case, title="Gewone brief", kind="correspondence")
    special = add(manager, case, title=SECRET_TITLE, kind="medical_letter", confidentiality="special")
    api_client.force_authenticate(ngo)
    refused = post(api_client, case, confidentiality="special")
    assert refused.status_code == 403 and refused.json()["detail"] == str(services.DOCUMENT_SPECIAL_NOT_ALLOWED)
    assert Document.objects.count() == 2 and len(stored_files()) == 2
    assert AccessLogEntry.objects.filter(object_type="cases.document", action="create", result="denied").exists()
    assert api_client.get(api_url(case, special)).status_code == 404
    assert api_client.get(api_url(case, special, content=True)).status_code == 404
    assert [d["id"] for d in api_client.get(api_url(case)).json()["results"]] == [normal.pk]
    for path in ("trajectory", "timeline"):
        text = json.dumps(api_client.get(f"/api/v1/cases/{case.pk}/{path}/").json())
        assert f'"document": {special.pk}' not in text and f'"document": {normal.pk}' in text
    api_client.force_authenticate(manager)
    assert api_client.get(api_url(case, special)).json()["title"] == SECRET_TITLE
    assert [d["id"] for d in api_client.get(api_url(case)).json()["results"]] == [special.pk, normal.pk]
    assert b"".join(api_client.get(api_url(case, special, content=True)).streaming_content) == PDF
    text = json.dumps(api_client.get(f"/api/v1/cases/{case.pk}/timeline/").json())
    assert f'"document": {special.pk}' in text and SECRET_TITLE not in text
    created = post(api_client, case, confidentiality="special", title="Nog een medische brief", kind="medical_letter")
    assert created.status_code == 201 and created.json()["confidentiality"] == "special"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_api_answers_404_to_users_who_may_not_see_the_case(api_client, world, manager, who):
    case = world.ams.assigned
    document = add(manager, case)
    api_client.force_authenticate(outsiders(world)[who])
    assert api_client.get(api_url(case)).status_code == 404
    assert post(api_client, case).status_code == 404
    assert post(api_client, case, file=False, title="").status_code == 404  # 404 before any field error
    assert api_client.get(api_url(case, document)).status_code == 404
    assert api_client.get(api_url(case, document, content=True)).status_code == 404
    assert Document.objects.count() == 1 and len(stored_files()) == 1
    rows = AccessLogEntry.objects.filter(channel="api", object_type="cases.case", object_id=str(case.pk))
    assert rows.filter(result="denied").count() == 5
    assert not AccessLogEntry.objects.filter(object_type="cases.document", action="export").exists()


def test_api_unknown_ids_and_other_methods(api_client, world, manager):
    document = add(manager, world.ams.unassigned)
    api_client.force_authenticate(manager)
    assert api_client.get(api_url(world.ams.assigned, document)).status_code == 404  # another case's document
    assert api_client.get(api_url(world.ams.assigned, document, content=True)).status_code == 404
    assert api_client.get(api_url(10**30)).status_code == 404
    assert api_client.get(api_url(world.ams.unassigned, 10**30, content=True)).status_code == 404
    for method in (api_client.put, api_client.patch, api_client.delete):
        assert method(api_url(world.ams.unassigned, document), {"title": "x"}).status_code == 405
    assert Document.objects.get().title == "Beschikking IND"
    api_client.logout()
    assert api_client.get(api_url(world.ams.unassigned)).status_code in (401, 403)


def test_api_lists_newest_first_paginated_and_filtered(api_client, world, ngo):
    case = world.ams.assigned
    for number in range(5):
        add(ngo, case, title=f"Document {number}", kind="correspondence" if number % 2 else "other")
    api_client.force_authenticate(ngo)
    newest, letters = ["Document 4", "Document 3"], ["Document 3", "Document 1"]
    assert_api_paged(api_client, api_url(case), "title", newest, "Document 2", "correspondence", letters)


def test_api_list_takes_a_fixed_number_of_queries(api_client, world, manager):
    case = world.ams.assigned
    api_client.force_authenticate(manager)
    add(manager, case)
    api_client.get(api_url(case))  # warm the caches
    few = count_queries(api_client, api_url(case))
    for number in range(30):
        add(manager, case, title=f"Document {number}", confidentiality="special" if number % 2 else "normal")
    assert count_queries(api_client, api_url(case)) == few
    assert api_client.get(api_url(case)).json()["count"] == 31


# --- Dossier parts with their file (the trajectory's deliver-dossier step) -----------------------


def requested_case(world):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, sheltered=True)
    return services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=case, on=case.shelter_started_on)


def test_api_delivers_a_dossier_part_with_its_file(api_client, world):
    case = requested_case(world)
    api_client.force_authenticate(world.ams.users[Role.DTV])
    url = f"/api/v1/cases/{case.pk}/deliver-dossier/"
    refused = api_client.post(
        url, {"kind": "DTV", "version": case.version, "file": upload("dtv.pdf", PNG)}, format="multipart"
    )
    assert refused.status_code == 400 and list(refused.json()) == ["file"]
    assert DossierPart.objects.get(case=case, kind="DTV").delivered_on is None and stored_files() == []
    response = api_client.post(
        url,
        {"kind": "DTV", "version": case.version, "file": upload("dtv.pdf"), "title": "DT&V-dossier"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    part = DossierPart.objects.get(case=case, kind="DTV")
    document = Document.objects.get(dossier_part=part)
    assert part.delivered_on is not None and (document.kind, document.title) == ("dossier_dtv", "DT&V-dossier")
    listed = api_client.get(api_url(case)).json()["results"]
    assert [(d["id"], d["kind"], d["dossier_part"]) for d in listed] == [(document.pk, "dossier_dtv", "DTV")]
    assert b"".join(api_client.get(api_url(case, document, content=True)).streaming_content) == PDF
    assert TimelineEvent.objects.filter(case=case, type=EventType.DOCUMENT_ADDED).count() == 1
    # Without a file, as JSON, as before.
    api_client.force_authenticate(world.ams.users[Role.IND])
    case.refresh_from_db()
    plain = api_client.post(url, {"kind": "IND", "version": case.version}, format="json")
    assert plain.status_code == 200 and Document.objects.count() == 1


def test_api_a_special_dossier_file_needs_the_permission(api_client, world):
    case = requested_case(world)
    api_client.force_authenticate(world.ams.users[Role.IND])
    body = {"kind": "IND", "version": case.version, "file": upload(), "confidentiality": "special"}
    response = api_client.post(f"/api/v1/cases/{case.pk}/deliver-dossier/", body, format="multipart")
    assert response.status_code == 403
    assert DossierPart.objects.get(case=case, kind="IND").delivered_on is None
    assert not Document.objects.exists() and stored_files() == []


# --- The schema --------------------------------------------------------------------------------


def test_the_schema_describes_multipart_uploads_and_binary_content(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    collection = paths["/api/v1/cases/{case_id}/documents/"]
    assert set(collection) == {"get", "post"}
    assert set(paths["/api/v1/cases/{case_id}/documents/{id}/"]) == {"get"}
    assert list(collection["post"]["requestBody"]["content"]) == ["multipart/form-data"]
    request = collection["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = schema["components"]["schemas"][request]
    assert fields["properties"]["file"] == {**fields["properties"]["file"], "type": "string", "format": "binary"}
    assert set(fields["required"]) >= {"file", "title", "kind"}
    assert {"400", "403", "404", "413"} <= set(collection["post"]["responses"])
    content = paths["/api/v1/cases/{case_id}/documents/{id}/content/"]["get"]["responses"]["200"]["content"]
    assert set(content) == set(documents.DOCUMENT_TYPES)
    assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())
    deliver = paths["/api/v1/cases/{id}/deliver-dossier/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in deliver
