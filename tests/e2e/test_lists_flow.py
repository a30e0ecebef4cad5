"""The lists in a real browser (Debian Chromium via Playwright): sort, save a filter, print,
and widths that fit a 1280 px and a 375 px wide screen.

On the demo data, ``casemanager.amsterdam`` sorts the case list by a header (aria-sort and
the order follow), saves the filter, applies it again from another view of the list, sees
the print view leave out navigation, filters and toolbar, and finds no horizontal page scroll
on the case list, the waiting list, the LSO meetings and the MRT escalations at 375 px, with
the tables fitting at 1280 px; ``dtv.amsterdam`` the same for the review queue and an inbox.
axe (WCAG 2.1 A/AA) on the case list with its saved filters open and on the review queue.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lvv import demo
from lvv.accounts.models import User
from lvv.lists.models import SavedFilter
from tests.e2e.browser import assert_accessible
from tests.e2e.test_casemanager_flow import assert_csp, csp_violations, shot  # noqa: F401

PASSWORD = "demo-wachtwoord"
NARROW = {"width": 375, "height": 800}
WIDE = {"width": 1280, "height": 800}

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    demo.seed(password=PASSWORD, cases_per_location=8, pilots=demo.PILOTS[:1])  # Amsterdam's cases


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{base}/")


def column_texts(page: Page, testid: str) -> list[str]:
    return [text.strip() for text in page.get_by_test_id(testid).all_inner_texts()]


def assert_fits(page: Page, url: str, name: str) -> None:
    """No horizontal scroll of the page at 375 px; at 1280 px the table needs none either."""
    for size in (NARROW, WIDE):
        page.set_viewport_size(size)
        page.goto(url)
        widths = page.evaluate(
            """() => ({
                page: document.documentElement.scrollWidth,
                view: document.documentElement.clientWidth,
                tables: [...document.querySelectorAll('.app-table-scroll')].map(
                    (box) => [box.scrollWidth, box.clientWidth]),
            })"""
        )
        assert widths["page"] <= widths["view"], f"{name} at {size['width']} px scrolls sideways: {widths}"
        if size is WIDE:
            for scroll, client in widths["tables"]:
                assert scroll <= client, f"{name} at 1280 px: the table is wider than the page: {widths}"
        shot(page, f"lists-{name}-{size['width']}")
    page.set_viewport_size(WIDE)


def test_sort_save_a_filter_print_and_fit(demo_data, live_server, page: Page, csp_violations):  # noqa: F811
    base = live_server.url
    log_in(page, base, "casemanager.amsterdam")
    response = page.goto(f"{base}/cases/?mine=false")
    assert_csp(response, page, csp_violations)

    # Sort by V-number: the header's link, then the same link again for the other direction.
    header = page.get_by_test_id("sort-v_number")
    expect(header).not_to_have_attribute("aria-sort", re.compile(".+"))
    expect(page.get_by_test_id("sort-name")).to_have_attribute("aria-sort", "ascending")
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=v_number"))
    expect(page.get_by_test_id("sort-v_number")).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_test_id("sort-name")).not_to_have_attribute("aria-sort", re.compile(".+"))
    rows = page.get_by_test_id("case-row")
    numbers = [row.locator("td").first.inner_text().strip() for row in rows.all()]
    assert numbers == sorted(numbers) and len(numbers) == 8, numbers
    page.get_by_test_id("sort-v_number").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-v_number"))
    expect(page.get_by_test_id("sort-v_number")).to_have_attribute("aria-sort", "descending")
    numbers = [row.locator("td").first.inner_text().strip() for row in page.get_by_test_id("case-row").all()]
    assert numbers == sorted(numbers, reverse=True), numbers

    # Save the filter (all cases, by V-number descending) under a name.
    page.get_by_test_id("saved-filters").locator("summary").click()
    page.get_by_label("Naam van het filter").fill("Op V-nummer aflopend")
    page.get_by_role("button", name="Huidige filters bewaren").click()
    expect(page.locator(".app-messages")).to_contain_text("Filter “Op V-nummer aflopend” is bewaard.")
    saved = SavedFilter.objects.get(user=User.objects.get(username="casemanager.amsterdam"))
    assert saved.querystring == "mine=false&sort=-v_number"
    shot(page, "lists-saved-filter")
    assert_accessible(page, "case list with its saved filters")

    # From another view of the list, the saved filter applies the filters and the sort again.
    page.goto(f"{base}/cases/?state=registered")
    page.get_by_test_id("saved-filter").get_by_role("link", name="Op V-nummer aflopend").click()
    expect(page).to_have_url(re.compile(r"\?mine=false&sort=-v_number$"))
    expect(page.get_by_test_id("sort-v_number")).to_have_attribute("aria-sort", "descending")

    # Print: the button is there (with JavaScript), and the print view shows the list only.
    expect(page.get_by_test_id("print")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in (".app-nav", ".app-filters", ".app-list-toolbar", ".app-footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_test_id("case-row").first).to_be_visible()
    shot(page, "lists-print")
    page.emulate_media(media="screen")

    # The export links carry the current selection.
    expect(page.get_by_test_id("export-csv")).to_have_attribute(
        "href", re.compile(r"^\?mine=false&sort=-v_number&export=csv$")
    )

    # Widths: every list of the case manager at 375 px and 1280 px.
    assert_fits(page, f"{base}/cases/?mine=false", "cases")
    assert_fits(page, f"{base}/cases/?state=waiting&location=amsterdam", "waiting-list")
    assert_fits(page, f"{base}/lso/", "meetings")
    assert_fits(page, f"{base}/mrt/", "escalations")

    # The DT&V supervisor: the review queue and an inbox.
    page.context.clear_cookies()
    log_in(page, base, "dtv.amsterdam")
    page.goto(f"{base}/lso/review/?sort=-last_review")
    expect(page.get_by_test_id("sort-last_review")).to_have_attribute("aria-sort", "descending")
    assert_accessible(page, "review queue")
    assert_fits(page, f"{base}/lso/review/", "review-queue")
    assert_fits(page, f"{base}/inbox/dtv_dossier/", "inbox")
