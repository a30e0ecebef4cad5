"""The case file in a real browser (Debian Chromium via Playwright), one journey across three
partners.

1. The case worker, who may see special-category data, opens a case the NGO guides, writes
   a normal and a special note in the journal and uploads a normal and a special document.
2. The NGO guide opens the same case: the normal note and document are there, the special
   ones are nowhere on the page (their titles and texts neither, the timeline included),
   and the special document's download address answers 404.
3. The DT&V records the delivery of its dossier part with a file through the step form on
   the case page (the dossier table links the file, the download gives the same bytes),
   then opens a departure waiting for its confirmation from its inbox and confirms it; the
   inbox no longer lists it.

axe (WCAG 2.1 A/AA) runs on every page state. Screenshots go to /tmp/e2e-journey-<name>.png.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import demo_files, services
from cases.models import Confidentiality, Document, DocumentKind, Note
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.e2e.browser import assert_accessible, label
from tests.e2e.test_trajectory_flow import log_in, log_out
from tests.factories import CaseFactory, advance_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NORMAL_NOTE = "Gesprek over de woonsituatie; afspraak volgende week."
SPECIAL_NOTE = "Psychiater meldt verhoogd suïciderisico; medicatie aangepast."
NORMAL_TITLE = "Brief van de gemeente"
SPECIAL_TITLE = "Verklaring van de psychiater"
NORMAL_PDF = demo_files.pdf("Brief van de gemeente", "Uitnodiging voor een gesprek.")
SPECIAL_PDF = demo_files.pdf("Verklaring van de psychiater", "Vertrouwelijk.")
DOSSIER_TITLE = "DT&V-dossier uit de browser"
DOSSIER_PDF = demo_files.pdf("DT&V-dossier", "Vertrektraject en contacten met de ambassade.")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-journey-{name}.png", full_page=True)  # noqa: S108 -- the agreed place


def open_form(page: Page, details_id: str, name: str):
    details = page.locator(f"#{details_id}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = page.get_by_role("form", name=name, exact=True)
    expect(form).to_be_visible()
    return form


def write_note(page: Page, text: str, *, special: bool) -> None:
    form = open_form(page, "note-add", "Notitie toevoegen")
    expect(form.get_by_label(label("Datum"))).to_have_value(timezone.localdate().isoformat())
    form.get_by_label(label("Soort")).select_option("conversation")
    form.get_by_label(label("Notitie")).fill(text)
    form.get_by_label("bijzonder persoonsgegeven" if special else "normaal", exact=True).check()
    if special:
        assert_accessible(page, "case page with a special note filled in")
    form.get_by_role("button", name="Notitie toevoegen").click()
    expect(page.get_by_role("status")).to_contain_text("De notitie is vastgelegd.")
    expect(page.get_by_test_id("note").first).to_contain_text(text)


def upload(page: Page, title: str, name: str, content: bytes, *, special: bool) -> None:
    form = open_form(page, "document-add", "Document toevoegen")
    form.get_by_label(label("Bestand")).set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": content}
    )
    form.get_by_label(label("Titel")).fill(title)
    form.get_by_label(label("Soort")).select_option("correspondence")
    form.get_by_label("bijzonder persoonsgegeven" if special else "normaal", exact=True).check()
    if special:
        assert_accessible(page, "case page with a special document chosen")
    form.get_by_role("button", name="Document toevoegen").click()
    expect(page.get_by_role("status")).to_contain_text("Het document is toegevoegd.")
    expect(page.locator("section#documents").get_by_test_id("document").first).to_contain_text(title)


def downloaded(page: Page, link) -> bytes:
    with page.expect_download() as download_info:
        link.click()
    with open(download_info.value.path(), "rb") as handle:
        return handle.read()


def timeline_rows(page: Page, event: str):
    return page.get_by_test_id("timeline-event").filter(has=page.get_by_role("rowheader", name=event, exact=True))


def test_case_file_journey_across_three_partners(world, live_server, page: Page):
    base = live_server.url
    ams = world.ams
    manager = ams.users[Role.CASEMANAGER]
    manager.user_permissions.add(Permission.objects.get(codename="view_special_category"))

    # Setup through the services: the NGO's case in shelter with the dossier requested, and
    # another case whose departure waits for the DT&V's confirmation.
    case = advance_case(ams.assigned, "sheltered")
    case = services.request_dossier(
        acting_user=SYSTEM, origin=COMMAND, case=case, on=case.registered_on + datetime.timedelta(days=7)
    )
    departed = CaseFactory(location=ams.location, with_outflow="departure_origin")
    case_url = f"{base}/cases/{case.pk}/"

    # 1. The case worker writes the journal and adds the documents.
    log_in(page, base, manager.username)
    page.goto(case_url)
    expect(page.get_by_test_id("journal-empty")).to_be_visible()
    expect(page.get_by_test_id("documents-empty")).to_be_visible()
    assert_accessible(page, "case page of the case worker")
    write_note(page, NORMAL_NOTE, special=False)
    write_note(page, SPECIAL_NOTE, special=True)
    notes = page.get_by_test_id("note")
    expect(notes).to_have_count(2)
    expect(notes.first.locator(".app-status--special")).to_have_text("bijzonder persoonsgegeven")
    expect(notes.nth(1).locator(".app-status--special")).to_have_count(0)
    assert_accessible(page, "case page after the special note")

    upload(page, NORMAL_TITLE, "brief.pdf", NORMAL_PDF, special=False)
    upload(page, SPECIAL_TITLE, "verklaring.pdf", SPECIAL_PDF, special=True)
    documents = page.locator("section#documents").get_by_test_id("document")
    expect(documents).to_have_count(2)
    expect(documents.first.locator(".app-status--special")).to_have_text("bijzonder persoonsgegeven")
    expect(timeline_rows(page, "Notitie")).to_have_count(2)
    expect(timeline_rows(page, "Document toegevoegd")).to_have_count(2)
    shot(page, "case-worker")
    assert_accessible(page, "case page with both notes and documents")

    special_note = Note.objects.get(case=case, text=SPECIAL_NOTE)
    special_document = Document.objects.get(case=case, title=SPECIAL_TITLE)
    assert special_note.confidentiality == Confidentiality.SPECIAL
    assert special_document.confidentiality == Confidentiality.SPECIAL
    assert Note.objects.get(case=case, text=NORMAL_NOTE).confidentiality == Confidentiality.NORMAL
    assert Document.objects.get(case=case, title=NORMAL_TITLE).confidentiality == Confidentiality.NORMAL
    log_out(page)

    # 2. The NGO guide sees the normal note and document, and nothing of the special ones.
    log_in(page, base, ams.users[Role.NGO].username)
    page.goto(case_url)
    notes = page.get_by_test_id("note")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text(NORMAL_NOTE)
    documents = page.locator("section#documents").get_by_test_id("document")
    expect(documents).to_have_count(1)
    expect(documents.first).to_contain_text(NORMAL_TITLE)
    assert downloaded(page, documents.first.get_by_role("link", name=NORMAL_TITLE)) == NORMAL_PDF
    expect(timeline_rows(page, "Notitie")).to_have_count(1)
    expect(timeline_rows(page, "Document toegevoegd")).to_have_count(1)
    html = page.content()
    for secret in (SPECIAL_NOTE, SPECIAL_TITLE, "verklaring.pdf", "bijzonder persoonsgegeven"):
        assert secret not in html, f"the NGO guide's case page shows {secret!r}"
    for address in (
        f"/cases/{case.pk}/documents/{special_document.pk}/download/",
        f"/cases/{case.pk}/notes/{special_note.pk}/",
    ):
        assert page.request.get(base + address).status == 404, address
    shot(page, "ngo")
    assert_accessible(page, "case page of the NGO guide")
    log_out(page)

    # 3. The DT&V delivers its dossier part with a file, through the step on the case page.
    log_in(page, base, ams.users[Role.DTV].username)
    expect(page.get_by_test_id("inbox-dtv_dossier").get_by_test_id("inbox-item")).to_have_count(1)
    page.goto(case_url)
    expect(page.get_by_test_id("dossier-DTV")).to_contain_text("nog niet geleverd")
    form = open_form(page, "step-deliver_dossier_dtv", "DT&V-deel dossier geleverd")
    expect(form.get_by_label(label("Geleverd op"))).to_have_value(timezone.localdate().isoformat())
    form.get_by_label(label("Bestand (niet verplicht)")).set_input_files(
        {"name": "dossier-dtv.pdf", "mimeType": "application/pdf", "buffer": DOSSIER_PDF}
    )
    form.get_by_label(label("Titel van het bestand")).fill(DOSSIER_TITLE)
    expect(form.get_by_label("bijzonder persoonsgegeven", exact=True)).to_have_count(0)
    assert_accessible(page, "case page with the DT&V's delivery form filled in")
    form.get_by_role("button", name="DT&V-deel dossier geleverd").click()
    expect(page.get_by_role("status")).to_contain_text("“DT&V-deel dossier geleverd” is vastgelegd.")
    expect(page.locator("#step-deliver_dossier_dtv")).to_have_count(0)
    dossier_file = page.get_by_test_id("dossier-file-DTV").get_by_role("link", name=DOSSIER_TITLE)
    expect(dossier_file).to_be_visible()
    assert downloaded(page, dossier_file) == DOSSIER_PDF
    document = Document.objects.get(case=case, title=DOSSIER_TITLE)
    assert document.kind == DocumentKind.DOSSIER_DTV
    assert document.original_name == "dossier-dtv.pdf"
    shot(page, "dtv-dossier")
    assert_accessible(page, "case page after the DT&V's delivery")

    # ... then confirms the departure waiting in its inbox.
    page.goto(f"{base}/inbox/dtv_confirm/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vertrek te bevestigen")
    items = page.get_by_test_id("inbox-item")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(departed.reference)
    assert_accessible(page, "the DT&V's inbox of departures to confirm")
    items.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/cases/{departed.pk}/#step-confirm_outflow$"))
    expect(page.get_by_test_id("outflow-confirmation")).to_contain_text("wacht op bevestiging door de DT&V")
    form = open_form(page, "step-confirm_outflow", "Uitstroom bevestigen")
    expect(form.get_by_label(label("Bevestigd op"))).to_have_value(timezone.localdate().isoformat())
    assert_accessible(page, "case page with the confirmation form")
    form.get_by_role("button", name="Uitstroom bevestigen").click()
    expect(page.get_by_role("status")).to_contain_text("“Uitstroom bevestigen” is vastgelegd.")
    expect(page.get_by_test_id("outflow-confirmation")).to_contain_text("bevestigd op")
    assert_accessible(page, "case page after the confirmation")

    page.goto(f"{base}/inbox/dtv_confirm/")
    expect(page.get_by_test_id("inbox-item")).to_have_count(0)
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    shot(page, "dtv-inbox-empty")
    assert_accessible(page, "the DT&V's empty inbox")
    departed.refresh_from_db()
    assert departed.outflow.confirmed_on == timezone.localdate()
