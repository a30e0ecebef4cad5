"""The LSO chair's flow in a real browser (Debian Chromium via Playwright).

The chair plans a meeting for today, puts a suggested case (a partner asked for it) on the
agenda, publishes it, has the agenda pack made (Celery runs eagerly in the tests, so the
page offers the file at once), records minutes that set a scenario and sees the scenario
on the case page. axe (WCAG 2.1 A/AA) runs on every page visited. Screenshots go to
/tmp/e2e-lso-<name>.png.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from lso import services
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.e2e.browser import assert_accessible, label, log_in
from tests.factories import CaseFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-lso-{name}.png", full_page=True)  # noqa: S108 -- the agreed place


def test_chair_builds_publishes_packs_and_minutes(world, live_server, page: Page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    ams = world.ams
    case = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, sheltered=True)
    services.request_lso_discussion(
        acting_user=ams.users[Role.NGO], origin=COMMAND, case=case, reason="Geen voortgang in het traject"
    )
    chair = ams.users[Role.LSO_CHAIR]

    log_in(page, base, chair.username)
    assert_accessible(page, "work queue")

    # The meetings list, then a new meeting today.
    page.get_by_role("link", name="LSO", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("LSO-vergaderingen")
    assert_accessible(page, "meeting list")
    page.get_by_role("link", name="Nieuwe vergadering plannen").click()
    assert_accessible(page, "meeting form")
    page.get_by_label(label("Datum")).fill(timezone.localdate().isoformat())
    page.get_by_label(label("Aanvang")).fill("09:30")
    page.get_by_label(label("Plaats")).fill("Stadhuis, kamer 2")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("De vergadering is aangemaakt.")
    assert_accessible(page, "new meeting page")
    shot(page, "meeting-new")

    # The suggestion onto the agenda, then publish.
    suggestion = page.get_by_test_id("suggestion")
    expect(suggestion).to_contain_text("Bespreking aangevraagd door een partner")
    page.get_by_role("button", name=f"{case.reference} toevoegen").click()
    expect(page.get_by_test_id("agenda-item")).to_have_count(1)
    assert_accessible(page, "meeting page with an agenda")
    # The item's time: its form comes when opened (ADR 0029).
    page.get_by_text(f"Tijd wijzigen voor {case.reference}").click()
    time_form = page.get_by_role("form", name=f"Tijd voor {case.reference}")
    time_form.get_by_role("spinbutton").fill("25")
    assert_accessible(page, "meeting page with the time form open")
    time_form.get_by_role("button", name="Tijd opslaan").click()
    expect(page.get_by_test_id("item-minutes")).to_have_text("25 minuten")
    page.get_by_role("button", name="Agenda publiceren").click()
    expect(page.get_by_test_id("meeting-status")).to_have_text("agenda gepubliceerd")
    assert_accessible(page, "published meeting page")

    # The agenda pack (eager Celery: ready when the page comes back).
    page.get_by_role("button", name="Agendapakket maken").click()
    expect(page.get_by_test_id("pack-download")).to_be_visible()
    assert_accessible(page, "meeting page with the pack")
    with page.expect_download() as download:
        page.get_by_test_id("pack-download").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # The minutes: a departure scenario.
    page.get_by_text(f"Uitkomst vastleggen voor {case.reference}").click()
    form = page.get_by_role("form", name=f"Uitkomst {case.reference}")
    form.get_by_label("scenario vastgesteld of gewijzigd").check()
    form.get_by_label("Richting (bij een scenario)").select_option(label="vertrek")
    form.get_by_label(label("Route")).select_option(label="terugkeer naar land van herkomst")
    assert_accessible(page, "outcome form")
    form.get_by_role("button", name="Uitkomst vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("De uitkomst van het agendapunt is vastgelegd")
    expect(page.get_by_test_id("outcome-decision")).to_have_text("scenario vastgesteld of gewijzigd")
    expect(page.get_by_test_id("meeting-status")).to_have_text("gehouden")
    assert_accessible(page, "meeting page with minutes")

    # Final minutes: locked.
    page.get_by_role("button", name="Verslag definitief maken").click()
    expect(page.get_by_test_id("minutes-final")).to_be_visible()
    expect(page.get_by_test_id("outcome-form")).to_have_count(0)
    assert_accessible(page, "final minutes")
    shot(page, "meeting-final")

    # The scenario is on the case.
    page.get_by_role("link", name=re.compile(re.escape(case.person.family_name))).first.click()
    expect(page.locator("#scenarios")).to_contain_text("vertrek")
    assert_accessible(page, "case page")
