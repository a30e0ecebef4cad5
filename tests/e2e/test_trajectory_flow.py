"""The trajectory in a real browser (Debian Chromium via Playwright).

A case worker registers a person, records the admission check, admits, starts shelter and
asks for the dossier; the IND and the DT&V each log in and record their part; the case
worker then sees the rest period (14 days after the later delivery) on the case page.
axe (WCAG 2.1 A/AA) runs on every page visited. The services refuse dates in the future,
so every step uses today's date (the forms' default). Screenshots go to
/tmp/e2e-trajectory-<name>.png.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from cases.models import Case
from lvv.accounts.models import Role
from tests.e2e import browser
from tests.e2e.browser import assert_accessible, label

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-trajectory-{name}.png", full_page=True)  # noqa: S108 -- the agreed place


def log_in(page: Page, base: str, username: str) -> None:
    """Log in and check the work queue (the home page) with axe."""
    browser.log_in(page, base, username)
    assert_accessible(page, f"work queue of {username}")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("button", name="Inloggen")).to_be_visible()


def take_step(page: Page, step: str, title: str, *, fill=None) -> None:
    """Open the step's disclosure (if closed), fill it, send it and wait for the message."""
    details = page.locator(f"#step-{step}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = page.get_by_role("form", name=title)
    expect(form.get_by_label(re.compile("^(Datum|Start|Opgevraagd|Geleverd)"))).to_have_value(
        timezone.localdate().isoformat()
    )
    if fill:
        fill(form)
    form.get_by_role("button", name=title).click()
    expect(page.get_by_role("status")).to_contain_text(f"“{title}” is vastgelegd.")


def test_registration_to_rest_period_across_three_partners(world, live_server, page: Page):
    base = live_server.url
    ams = world.ams
    today = timezone.localdate()

    # Login page.
    page.goto(f"{base}/accounts/login/")
    assert_accessible(page, "login page")

    # The case worker registers a person from the work queue.
    log_in(page, base, ams.users[Role.CASEMANAGER].username)
    shot(page, "work-queue")
    page.get_by_role("navigation", name="Op deze pagina").get_by_role(
        "link", name="Nieuwe aanmelding registreren"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe aanmelding")
    assert_accessible(page, "intake form")
    page.get_by_label(label("V-nummer")).fill("2345678901")
    page.get_by_label(label("Achternaam")).fill("Haile")
    page.get_by_label(label("Voornamen")).fill("Senait")
    page.get_by_label(label("Geboortedatum")).fill("1990-03-14")
    page.get_by_label(label("Geslacht")).select_option("f")
    page.get_by_label(label("Nationaliteit")).select_option("ER")
    expect(page.get_by_label(label("Aangemeld op"))).to_have_value(today.isoformat())
    page.get_by_label(label("Aangemeld door")).select_option("ngo")
    page.get_by_label(label("Extern kenmerk")).fill("AMS-E2E-0001")
    page.get_by_role("checkbox", name="buitenschuld", exact=True).check()
    page.get_by_label(label("Eerdere vertrekprocedures")).fill("1")
    shot(page, "intake")
    page.get_by_role("button", name="Registreren").click()

    # On to the admission check, open and in view.
    case = Case.objects.get(external_id="AMS-E2E-0001")
    expect(page).to_have_url(f"{base}/cases/{case.pk}/#step-record_admission_check")
    expect(page.get_by_role("heading", level=1)).to_have_text("Senait Haile")
    expect(page.get_by_test_id("case-state")).to_have_text("aangemeld")
    expect(page.locator("#step-record_admission_check")).to_have_attribute("open", "")
    assert_accessible(page, "case page at registration")
    shot(page, "admission-check")

    take_step(
        page,
        "record_admission_check",
        "Toelatingstoets vastleggen",
        fill=lambda form: form.get_by_label("aantoonbare regiobinding (vereist in deze LVV)").check(),
    )
    expect(page.get_by_test_id("admission-check")).to_contain_text("voldoet aan alle criteria")
    assert_accessible(page, "case page after the admission check")

    take_step(page, "admit", "Toelaten")
    expect(page.get_by_test_id("case-state")).to_have_text("toegelaten, wacht op plek")
    assert_accessible(page, "case page after admission")

    take_step(
        page,
        "start_shelter",
        "Opvang starten",
        fill=lambda form: form.get_by_label("Vorm van opvang").select_option("24h"),
    )
    expect(page.get_by_test_id("case-state")).to_have_text("in de opvang")
    assert_accessible(page, "case page in shelter")

    take_step(page, "request_dossier", "Dossier opvragen")
    expect(page.get_by_test_id("dossier-IND")).to_contain_text("nog niet geleverd")
    expect(page.get_by_test_id("dossier-DTV")).to_contain_text("nog niet geleverd")
    assert_accessible(page, "case page with the dossier requested")
    shot(page, "dossier-requested")
    log_out(page)

    # The IND and the DT&V record their own parts.
    for role, step, title in (
        (Role.IND, "deliver_dossier_ind", "IND-deel dossier geleverd"),
        (Role.DTV, "deliver_dossier_dtv", "DT&V-deel dossier geleverd"),
    ):
        log_in(page, base, ams.users[role].username)
        page.goto(f"{base}/cases/{case.pk}/")
        assert_accessible(page, f"case page for {role}")
        other = "deliver_dossier_dtv" if step == "deliver_dossier_ind" else "deliver_dossier_ind"
        expect(page.locator(f"#step-{other}")).to_have_count(0)
        take_step(page, step, title)
        expect(page.locator(f"#step-{step}")).to_have_count(0)
        assert_accessible(page, f"case page after the {role} delivery")
        shot(page, f"delivered-{role}")
        log_out(page)

    # The case worker sees the rest period: 14 days after the later delivery (today).
    log_in(page, base, ams.users[Role.CASEMANAGER].username)
    page.goto(f"{base}/cases/{case.pk}/")
    with translation.override("nl"):
        rest_end = date_format(today + datetime.timedelta(days=14))
    rest = page.get_by_test_id("deadline-rest_period_end")
    expect(rest).to_contain_text("Einde rusttermijn")
    expect(rest).to_contain_text(rest_end)
    expect(page.get_by_test_id("next-deadline")).to_contain_text(f"einde rusttermijn: {rest_end}")
    timeline = page.get_by_test_id("timeline-event")
    expect(timeline.first).to_contain_text("Dossierdeel geleverd")
    expect(timeline.first).to_contain_text("deel: DT&V")
    assert_accessible(page, "case page with the rest period")
    shot(page, "rest-period")

    # The case list shows the state and the next deadline too.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casussen").click()
    row = page.get_by_test_id("case-row").filter(has_text="Haile, Senait")
    expect(row.get_by_test_id("case-state")).to_have_text("in de opvang")
    expect(row.get_by_test_id("case-next-deadline")).to_contain_text(rest_end)
    assert_accessible(page, "case list")
