"""A case manager's day in a real browser (Debian Chromium via Playwright).

Logs in as ``casemanager.amsterdam`` on the demo data, lists, searches and opens a case,
navigates once by keyboard (skip link), checks that a Content-Security-Policy without
inline scripts or styles is in force, and runs axe (WCAG 2.1 A/AA) on the login page,
the case list and the case page. Screenshots go to /tmp/e2e-<name>.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from cases.models import Case
from lvv import demo
from tests.e2e.browser import assert_accessible

PASSWORD = "demo-wachtwoord"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(transactional_db):
    demo.seed(password=PASSWORD, cases_per_location=3, pilots=demo.PILOTS[:2])  # Amsterdam and Rotterdam


@pytest.fixture
def csp_violations(page: Page) -> list[str]:
    """Console messages in which Chromium reports a blocked inline script or style."""
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return messages


def assert_csp(response: Response | None, page: Page, csp_violations: list[str]) -> None:
    """The policy is sent and the page needs no exception to it."""
    assert response is not None and response.ok, response
    policy = response.headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], policy
    assert directives.get("style-src") == ["'self'"], policy
    assert page.locator("[style]").count() == 0, "inline style attribute in the page"
    assert page.locator("script:not([src])").count() == 0, "inline script in the page"
    assert csp_violations == []


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-{name}.png", full_page=True)  # noqa: S108 -- the agreed place for the screenshots


def full_name_in_list(case: Case) -> str:
    return f"{case.person.family_name}, {case.person.given_names}"


def test_casemanager_logs_in_finds_and_opens_a_case(demo_data, live_server, page: Page, csp_violations):
    amsterdam = list(Case.objects.filter(location__slug="amsterdam").select_related("person"))
    rotterdam = list(Case.objects.filter(location__slug="rotterdam").select_related("person"))
    assert len(amsterdam) == 3 and len(rotterdam) == 3
    amsterdam_names = {full_name_in_list(case) for case in amsterdam}
    rotterdam_names = {full_name_in_list(case) for case in rotterdam} - amsterdam_names
    assert rotterdam_names, "the demo should give Rotterdam persons other names than Amsterdam's"

    # Login page (the username field has autofocus, so the keyboard check is on the case list).
    response = page.goto(f"{live_server.url}/accounts/login/")
    assert_csp(response, page, csp_violations)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    shot(page, "login")
    assert_accessible(page, "login page")

    page.get_by_label("Gebruikersnaam").fill("casemanager.amsterdam")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    # Start page.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
    expect(page.get_by_test_id("current-user")).to_contain_text("Gemeente Amsterdam")
    shot(page, "home")

    # Case list through the main navigation: Amsterdam's cases, none of Rotterdam's.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casussen").click()
    expect(page).to_have_url(f"{live_server.url}/cases/")
    assert_csp(page.reload(), page, csp_violations)

    # Keyboard: the skip link is the first Tab stop, shows itself and Enter moves focus to <main>,
    # so the next Tab lands on the first link of the content, past header and navigation.
    page.keyboard.press("Tab")
    skip_link = page.locator("a.utrecht-skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()
    expect(skip_link).to_have_text("Direct naar de inhoud")
    expect(skip_link).to_have_attribute("href", "#main")
    assert skip_link.bounding_box()["height"] >= 24
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cases/#main$"))
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("main#main a").first).to_be_focused()

    rows = page.get_by_test_id("case-row")
    expect(rows).to_have_count(len(amsterdam))
    for case in amsterdam:
        expect(rows.filter(has_text=full_name_in_list(case))).to_have_count(1)
    table_text = page.locator("main").inner_text()
    for name in rotterdam_names:
        assert name not in table_text
    for case in rotterdam:
        assert case.person.v_number not in table_text
        assert case.reference not in table_text
    shot(page, "case-list")
    assert_accessible(page, "case list")

    # Search by a name.
    target = min(amsterdam, key=lambda case: case.pk)
    page.get_by_role("search").get_by_label("Zoeken").fill(target.person.family_name)
    page.get_by_role("search").get_by_role("button", name="Zoeken").click()
    expect(page).to_have_url(re.compile(r"/cases/\?.*q="))
    target_row = rows.filter(has_text=full_name_in_list(target))
    expect(target_row).to_have_count(1)
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("LVV Amsterdam")
    expect(page.get_by_test_id("result-count")).to_contain_text(f"{rows.count()} casus")
    shot(page, "case-search")
    assert_accessible(page, "case list with search")

    # Open the case and see the person.
    target_row.get_by_role("link", name=full_name_in_list(target)).click()
    expect(page).to_have_url(f"{live_server.url}/cases/{target.pk}/")
    assert_csp(page.reload(), page, csp_violations)
    person = target.person
    expect(page.get_by_role("heading", level=1)).to_have_text(person.full_name)
    details = page.get_by_role("region", name="Persoon", exact=True)
    expect(details).to_contain_text(person.v_number)
    expect(details).to_contain_text(person.family_name)
    expect(details).to_contain_text(person.given_names)
    expect(details).to_contain_text(person.nationality.name)
    expect(page.get_by_role("region", name="Casus", exact=True)).to_contain_text("LVV Amsterdam")
    shot(page, "case-detail")
    assert_accessible(page, "case page")

    # On a phone: the page itself must not scroll sideways (a wide table scrolls in its own box).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/")
    expect(rows).to_have_count(len(amsterdam))
    shot(page, "case-list-mobile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, "case list on a phone")
