"""The meeting page's suggestions in a real browser (Debian Chromium via Playwright): the
most urgent part first, "Meer tonen" by keyboard appends the next part (htmx) and moves the
focus to its first row, and without JavaScript the same link shows the next part on the
page. axe (WCAG 2.1 A/AA) runs on each state."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from lso import presenters, services
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.e2e.browser import assert_accessible, log_in
from tests.factories import CaseFactory
from tests.lso.helpers import meeting_for

PER_PAGE = 3

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_more_suggestions_by_keyboard_and_without_javascript(
    world, live_server, page: Page, browser: Browser, monkeypatch
):
    monkeypatch.setattr(presenters, "SUGGESTIONS_PER_PAGE", PER_PAGE)
    ams = world.ams
    for n in range(PER_PAGE + 2):
        case = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, sheltered=True, external_id=f"S-{n}")
        services.request_lso_discussion(acting_user=ams.users[Role.NGO], origin=COMMAND, case=case, reason="Graag")
    meeting = meeting_for(ams)
    chair = ams.users[Role.LSO_CHAIR]
    base = live_server.url
    url = f"{base}/lso/{meeting.pk}/"

    log_in(page, base, chair.username)
    page.goto(url)
    rows = page.locator("#suggestion-rows tr")
    expect(rows).to_have_count(PER_PAGE)
    expect(page.get_by_test_id("suggestions-status")).to_contain_text(f"Suggestie 1 tot en met {PER_PAGE} van 5")
    assert_accessible(page, "meeting page with the first suggestions")

    more = page.get_by_role("link", name="Meer tonen")
    more.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(PER_PAGE + 2)
    expect(rows.nth(PER_PAGE).locator("th")).to_be_focused()
    expect(rows.nth(PER_PAGE)).to_contain_text("S-3")
    expect(page.get_by_test_id("suggestions-status")).to_have_text("5 suggesties, de meest urgente eerst.")
    expect(page.get_by_role("link", name="Meer tonen")).to_have_count(0)
    assert page.url == url  # appended in place
    assert_accessible(page, "meeting page with all suggestions")

    # Without JavaScript the same link shows the next part on the page.
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    plain = context.new_page()
    log_in(plain, base, chair.username)
    plain.goto(url)
    plain.get_by_role("link", name="Meer tonen").click()
    assert plain.url == f"{url}?suggestions=2#suggestions"
    expect(plain.locator("#suggestion-rows tr")).to_have_count(2)
    expect(plain.get_by_test_id("suggestions-status")).to_contain_text("Suggestie 4 tot en met 5 van 5")
    plain.get_by_role("link", name="Naar de meest urgente suggesties").click()
    expect(plain.locator("#suggestion-rows tr")).to_have_count(PER_PAGE)
    context.close()
