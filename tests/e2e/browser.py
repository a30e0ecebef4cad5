"""Shared by the browser tests: logging in, field labels and the axe check (WCAG 2.1 A/AA)."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe, AxeResults
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def label(text: str) -> re.Pattern:
    """A field's label, with or without the required-field asterisk after it."""
    return re.compile(rf"^{re.escape(text)}( \*)?$")


AXE = Axe()  # reads axe's script once
# The violations only: axe then leaves out collecting and sending the passes, the incomplete and
# the inapplicable checks (about half of its time on these pages).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}


def axe_violations(page: Page, options: dict = AXE_OPTIONS) -> AxeResults:
    """axe (WCAG 2.1 A/AA) on the page shown, put into the page only when it is not there yet
    (the crawl's pages have it from an init script)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    return AxeResults(page.evaluate("options => axe.run(document, options)", options))


def assert_accessible(page: Page, name: str) -> None:
    results = axe_violations(page)
    assert results.violations_count == 0, f"axe on the {name}:\n{results.generate_report()}"


def log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in on the login page and wait for the home page's welcome."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom")
