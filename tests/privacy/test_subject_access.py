"""Subject access (AVG art. 15): everything about one person across all LVVs, through the
command, the privacy officer's page (JSON, PDF, ZIP) and the API; each making logged; only
for the privacy officer of a municipality whose LVV the person stayed in."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, Document, DocumentKind
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND, record
from lvv.audit.models import AccessLogEntry
from privacy import subject_access
from tests.factories import CaseFactory, UserFactory, advance_case

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def officer(world):
    return UserFactory(
        username="privacy.amsterdam", organisation=world.ams.location.municipality, roles=[Role.PRIVACY_OFFICER]
    )


@pytest.fixture
def person_file(world, settings, tmp_path):
    """A person with a case in Amsterdam (a special note, a document, a trajectory) and an
    earlier case in Rotterdam."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    case = world.ams.assigned
    person = case.person
    earlier = CaseFactory(location=world.rot.location, person=person)
    advance_case(case, "admitted")
    user = world.ams.users["casemanager"]
    services.add_note(
        acting_user=user,
        origin=COMMAND,
        case=case,
        written_on=timezone.localdate(),
        kind="conversation",
        text="Gesprek",
    )
    services.add_note(
        acting_user=UserFactory(
            username="arts", organisation=world.ams.location.municipality, roles=[Role.CASEMANAGER], is_superuser=True
        ),
        origin=COMMAND,
        case=case,
        written_on=timezone.localdate(),
        kind="other",
        text="Medische bijzonderheid",
        confidentiality="special",
    )
    document = Document(
        case=case,
        title="Paspoort",
        kind=DocumentKind.IDENTITY_DOCUMENT,
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        original_name="paspoort.pdf",
    )
    document.file.save("x", ContentFile(PDF), save=False)
    document.save()
    record(actor=world.ams.users["ngo"], action="view", origin=COMMAND, obj=case)
    return {"person": person, "case": case, "earlier": earlier, "document": document}


def test_the_file_holds_everything_about_the_person_across_lvvs(person_file, world):
    data = subject_access.build(person_file["person"])
    assert data["schema"] == "lvv-subject-access/1"
    assert data["person"]["v_number"] == person_file["person"].v_number
    assert {case["lvv"] for case in data["cases"]} == {world.ams.location.name, world.rot.location.name}
    ams = next(case for case in data["cases"] if case["id"] == person_file["case"].pk)
    texts = {note["text"] for note in ams["records"]["cases.note"]}
    assert texts == {"Gesprek", "Medische bijzonderheid"}  # the person's own special data too
    assert "cases.timelineevent" in ams["records"]
    assert data["documents"][0]["title"] == "Paspoort"
    assert any(row["user"] == "ngo.amsterdam" for row in data["access_log"])
    other = world.rot.assigned.person
    assert other.family_name not in json.dumps(data)


def test_sources_reach_every_record_kind_that_leads_to_a_case():
    labels = {source.label for source in subject_access.sources()}
    assert {
        "cases.note",
        "cases.document",
        "cases.outflow",
        "lso.agendaitem",
        "mrt.advice",
        "lso.itemoutcome",
    } <= labels
    assert not labels & subject_access.EXCLUDED


def test_command_writes_json_and_the_documents_zip_and_is_logged(person_file, tmp_path):
    output = tmp_path / "inzage.json"
    out = io.StringIO()
    call_command("subject_access", "--v-number", person_file["person"].v_number, "--output", str(output), stdout=out)
    data = json.loads(output.read_text(encoding="utf-8"))
    assert len(data["cases"]) == 2
    with zipfile.ZipFile(tmp_path / "inzage.zip") as archive:
        assert archive.read(data["documents"][0]["file_in_zip"]) == PDF
    assert AccessLogEntry.objects.filter(
        action="export", object_type="cases.person", object_id=str(person_file["person"].pk), channel="command"
    ).exists()
    with pytest.raises(CommandError, match="No person"):
        call_command("subject_access", "--person", "999999", "--output", str(output))


def test_officer_page_finds_the_person_and_downloads_json_pdf_zip(client, officer, person_file):
    client.force_login(officer)
    person = person_file["person"]
    page = client.get(reverse("subject-access:find"), {"person": person.v_number})
    assert page.status_code == 200 and page.context["person"] == person
    as_json = client.get(reverse("subject-access:download", args=[person.pk, "json"]))
    assert as_json.status_code == 200 and json.loads(as_json.content)["person"]["id"] == person.pk
    as_pdf = client.get(reverse("subject-access:download", args=[person.pk, "pdf"]))
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert "Medische bijzonderheid" in text and person.family_name in text
    as_zip = client.get(reverse("subject-access:download", args=[person.pk, "zip"]))
    assert zipfile.ZipFile(io.BytesIO(as_zip.content)).namelist() == [subject_access.zip_name(person_file["document"])]
    formats = AccessLogEntry.objects.filter(actor=officer, action="export").values_list("detail__format", flat=True)
    assert sorted(formats) == ["json", "pdf", "zip"]


def test_officer_of_another_municipality_and_other_roles_get_nothing(client, world, person_file):
    person = world.rot.assigned.person  # only in Rotterdam
    amsterdam_officer = UserFactory(
        username="privacy.a", organisation=world.ams.location.municipality, roles=[Role.PRIVACY_OFFICER]
    )
    client.force_login(amsterdam_officer)
    page = client.get(reverse("subject-access:find"), {"person": person.v_number})
    assert page.context["person"] is None and page.context["form"].errors["person"]
    assert client.get(reverse("subject-access:download", args=[person.pk, "json"])).status_code == 404
    for user in [*world.ams.users.values(), world.bureau]:
        client.force_login(user)
        assert client.get(reverse("subject-access:find")).status_code == 404
        assert (
            client.get(reverse("subject-access:download", args=[person_file["person"].pk, "json"])).status_code == 404
        )


def test_api_gives_the_file_to_the_officer_only(api_client, officer, world, person_file):
    person = person_file["person"]
    api_client.force_authenticate(officer)
    response = api_client.get(f"/api/v1/subject-access/{person.pk}/")
    assert response.status_code == 200 and len(response.json()["cases"]) == 2
    assert api_client.get(f"/api/v1/subject-access/{world.rot.unassigned.person.pk}/").status_code == 404
    for user in (world.ams.users["casemanager"], world.rot.users["casemanager"], world.bureau):
        api_client.force_authenticate(user)
        assert api_client.get(f"/api/v1/subject-access/{person.pk}/").status_code == 404
    assert Case.objects.filter(person=person).count() == 2
