"""A DT&V supervisor's inboxes in a real browser (Debian Chromium via Playwright).

Logs in as ``dtv.amsterdam`` on the demo data: the navigation's Inbox entry with its count
(and its text for screen readers), the home page's inbox sections, the inbox overview and one
inbox's page, reached by keyboard; axe (WCAG 2.1 A/AA) on each, and no inline script or style.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from cases import inboxes
from lvv import demo
from lvv.accounts.models import User
from tests.e2e.browser import assert_accessible
from tests.e2e.test_casemanager_flow import assert_csp, csp_violations, shot  # noqa: F401

PASSWORD = "demo-wachtwoord"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    demo.seed(password=PASSWORD, cases_per_location=3, pilots=demo.PILOTS[:1])  # Amsterdam's cases


def test_dtv_finds_its_inboxes_by_keyboard(demo_data, live_server, page: Page, csp_violations):  # noqa: F811
    user = User.objects.get(username="dtv.amsterdam")
    counts = inboxes.counts(user)
    total = sum(counts.values())
    assert counts["dtv_dossier"] >= 1, counts  # the demo's partial dossier in Amsterdam

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill("dtv.amsterdam")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # The home page: a section per inbox, first.
    section = page.get_by_test_id("inbox-dtv_dossier")
    expect(section.get_by_role("heading", level=2)).to_contain_text("Dossier opgevraagd: DT&V-deel")
    expect(section.get_by_test_id("inbox-item")).to_have_count(counts["dtv_dossier"])
    shot(page, "inbox-home")
    assert_accessible(page, "home page with inboxes")

    # The navigation: "Inbox" with the total; its accessible name has the counts per inbox.
    nav_link = page.get_by_role("navigation", name="Hoofdmenu").get_by_test_id("nav-inbox")
    expect(nav_link).to_contain_text("Inbox")
    items = "openstaand item" if total == 1 else "openstaande items"
    expect(nav_link).to_have_accessible_name(re.compile(rf"^Inbox met {total} {items} \("))
    expect(nav_link).to_have_accessible_name(
        re.compile(re.escape(f"Dossier opgevraagd: DT&V-deel: {counts['dtv_dossier']}"))
    )
    nav_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    response = page.reload()
    assert_csp(response, page, csp_violations)
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(page.get_by_test_id("nav-inbox")).to_have_attribute("aria-current", "page")
    shot(page, "inbox-overview")
    assert_accessible(page, "inbox overview")

    # One inbox's page, through its link.
    page.get_by_test_id("inbox-dtv_dossier").get_by_role("link", name="Naar de inbox").first.click()
    expect(page).to_have_url(f"{live_server.url}/inbox/dtv_dossier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier opgevraagd: DT&V-deel")
    expect(page.get_by_test_id("inbox-item")).to_have_count(counts["dtv_dossier"])
    shot(page, "inbox-detail")
    assert_accessible(page, "inbox page")
