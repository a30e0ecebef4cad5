"""The LSO outcome form in a real browser (Debian Chromium via Playwright): choosing a
decision shows only the sections that belong to it, by keyboard; a hidden section is not
sent; after a failed submit the chosen decision's section shows its error; without
JavaScript every section shows. axe (WCAG 2.1 A/AA) runs on each state with JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from lso import services
from lso.models import ItemOutcome, PartnerPosition
from lvv.accounts.models import Role
from tests.e2e.browser import assert_accessible, log_in
from tests.lso.helpers import published, sheltered_case

SECTIONS = ("scenario", "escalate", "positions")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assert_shown(page: Page, *shown: str) -> None:
    for name in SECTIONS:
        section = page.get_by_test_id(f"outcome-section-{name}")
        if name in shown:
            expect(section).to_be_visible()
        else:
            expect(section).to_be_hidden()


def test_decision_shows_only_its_sections_by_keyboard(world, live_server, page: Page, browser: Browser):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    chair = ams.users[Role.LSO_CHAIR]
    base = live_server.url
    url = f"{base}/lso/{meeting.pk}/"

    log_in(page, base, chair.username)
    page.goto(url)
    summary = page.get_by_text(f"Uitkomst vastleggen voor {case.reference}")
    summary.focus()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name=f"Uitkomst {case.reference}")
    # No decision yet: only what belongs to every decision.
    assert_shown(page)
    expect(page.get_by_test_id("outcome-section-actions")).to_be_visible()
    assert_accessible(page, "outcome form before a decision")

    # The first decision by keyboard (Tab into the group, Space), then the arrows.
    form.get_by_label("scenario vastgesteld of gewijzigd").focus()
    page.keyboard.press("Space")
    assert_shown(page, "scenario")
    assert_accessible(page, "outcome form for a scenario")
    page.keyboard.press("ArrowDown")
    expect(form.get_by_label("vervolgacties afgesproken")).to_be_checked()
    assert_shown(page)
    page.keyboard.press("ArrowDown")
    expect(form.get_by_label("voorgelegd aan het MRT")).to_be_checked()
    assert_shown(page, "escalate")
    # Tab skips the hidden sections: from the decision to the notes, then the MRT's reason.
    page.keyboard.press("Tab")
    expect(form.get_by_label("Verslag")).to_be_focused()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Reden voorleggen aan het MRT")).to_be_focused()
    assert_accessible(page, "outcome form for the MRT")

    # Partners who disagree: their positions show; agreeing again hides them.
    form.get_by_role("group", name="Zijn de partners het eens?").get_by_label("nee").check()
    assert_shown(page, "escalate", "positions")
    position = form.get_by_label(f"Standpunt {ams.ngo_a.name} (als zij het niet eens is)")
    position.fill("Wij zien het anders")
    form.get_by_role("group", name="Zijn de partners het eens?").get_by_label("ja").check()
    assert_shown(page, "escalate")

    # A failed submit: the page comes back with the section of the chosen decision and its error.
    form.get_by_role("button", name="Uitkomst vastleggen").click()
    summary_box = page.get_by_test_id("error-summary")
    expect(summary_box).to_be_focused()
    expect(summary_box).to_contain_text(str(services.ESCALATION_REASON_REQUIRED))
    assert_shown(page, "escalate")
    escalate = page.get_by_test_id("outcome-section-escalate")
    expect(escalate).to_contain_text(str(services.ESCALATION_QUESTION_REQUIRED))
    assert_accessible(page, "outcome form with errors")

    # Switch to a scenario and record it: the hidden sections were not sent.
    form = page.get_by_role("form", name=f"Uitkomst {case.reference}")
    form.get_by_label("Vraag aan het MRT").fill("Wat adviseert het MRT?")
    form.get_by_label("scenario vastgesteld of gewijzigd").check()
    assert_shown(page, "scenario")
    form.get_by_label("Richting (bij een scenario)").select_option(label="vertrek")
    form.get_by_role("button", name="Uitkomst vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("De uitkomst van het agendapunt is vastgelegd")
    outcome = ItemOutcome.objects.get(item__meeting=meeting)
    assert outcome.decision == "scenario"
    assert not PartnerPosition.objects.filter(outcome=outcome).exists()


def test_without_javascript_every_section_shows(world, live_server, browser: Browser):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    plain = context.new_page()
    log_in(plain, live_server.url, ams.users[Role.LSO_CHAIR].username)
    plain.goto(f"{live_server.url}/lso/{meeting.pk}/")
    plain.get_by_text(f"Uitkomst vastleggen voor {case.reference}").click()
    plain.get_by_role("link", name="Het formulier voor de uitkomst openen").click()
    assert_shown(plain, *SECTIONS)
    expect(plain.get_by_test_id("outcome-section-scenario")).to_contain_text(
        "Scenario (alleen bij het besluit ‘scenario vastgesteld of gewijzigd’)"
    )
    # (axe needs JavaScript; the page's markup is the same as in the test above.)
    context.close()
