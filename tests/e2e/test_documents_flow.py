"""Case documents in a real browser (Debian Chromium via Playwright): the case manager opens a
demo case, sees its documents, adds a PDF through the upload form (a wrong file first: the
error is next to the field), downloads it again byte for byte, and axe (WCAG 2.1 A/AA) finds
nothing on the Documenten section with the form open and with an error. Screenshots go to
/tmp/e2e-<name>.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cases import demo_files
from cases.models import Case, Document
from lvv import demo
from tests.e2e.browser import assert_accessible

PASSWORD = "demo-wachtwoord"
PDF = demo_files.pdf("Beschikking", "Toegevoegd in de browser.")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    demo.seed(password=PASSWORD, cases_per_location=3, pilots=demo.PILOTS[:1])  # Amsterdam's cases


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-{name}.png", full_page=True)  # noqa: S108 -- the agreed place for the screenshots


def test_casemanager_adds_and_downloads_a_document(demo_data, live_server, page: Page):
    case = Case.objects.filter(location__slug="amsterdam", documents__isnull=False).order_by("external_id").first()
    assert case is not None, "the demo gives the first cases documents"
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill("casemanager.amsterdam")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/cases/{case.pk}/")
    section = page.locator("section#documents")
    expect(section.get_by_role("heading", name="Documenten")).to_be_visible()
    rows = section.get_by_test_id("document")
    expect(rows.first).to_be_visible()
    before = rows.count()
    expect(section).to_contain_text("Verwijsbrief huisarts")  # a special document: the case manager may see it

    # A wrong file first: a PNG named .pdf. The error is next to the field, the form stays open.
    section.get_by_text("Document toevoegen", exact=True).first.click()
    form = section.get_by_role("form", name="Document toevoegen")
    form.get_by_label("Bestand").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": demo_files.png()}
    )
    form.get_by_label("Titel").fill("Beschikking uit de browser")
    form.get_by_label("Soort").select_option("decision")
    form.get_by_role("button", name="Document toevoegen").click()
    expect(page.locator("#id_document_file_errors")).to_contain_text("De inhoud van dit bestand is PNG")
    shot(page, "documents-error")
    assert_accessible(page, "case page with a refused upload")

    form = page.locator("section#documents").get_by_role("form", name="Document toevoegen")
    form.get_by_label("Bestand").set_input_files(
        {"name": "beschikking.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form.get_by_label("Titel").fill("Beschikking uit de browser")
    form.get_by_role("button", name="Document toevoegen").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/#documents$"))
    expect(page.get_by_text("Het document is toegevoegd.")).to_be_visible()
    rows = page.locator("section#documents").get_by_test_id("document")
    expect(rows).to_have_count(min(before + 1, 10))
    expect(rows.first).to_contain_text("Beschikking uit de browser")
    section = page.locator("section#documents")
    section.get_by_text("Document toevoegen", exact=True).first.click()
    shot(page, "documents")
    assert_accessible(page, "case page with the upload form open")

    with page.expect_download() as download_info:
        rows.first.get_by_role("link", name="Beschikking uit de browser").click()
    download = download_info.value
    assert download.suggested_filename == "beschikking.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == PDF
    assert Document.objects.filter(case=case, title="Beschikking uit de browser").count() == 1

    # On a phone the page does not scroll sideways (the table scrolls in its own box).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/{case.pk}/#documents")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
