"""The privacy officer's day and the form conventions, in a real browser (Debian Chromium
via Playwright), with axe (WCAG 2.1 A/AA) on every page.

The privacy officer of Amsterdam asks who saw a person, exports that selection, makes the
person's subject access file, and reads the register of processing activities. Anyone reads
the accessibility statement. A case worker's failed submit puts the focus on the error
summary, whose link takes the focus to the field; a long text field counts down.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lvv.accounts.models import Role
from lvv.audit.log import COMMAND, record
from tests.conftest import PASSWORD
from tests.e2e.browser import assert_accessible
from tests.e2e.test_trajectory_flow import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_privacy_officer_answers_who_saw_a_person_and_a_subject_access_request(live_server, page: Page, world):
    officer = UserFactory(
        username="privacy.amsterdam", organisation=world.ams.location.municipality, roles=[Role.PRIVACY_OFFICER]
    )
    officer.set_password(PASSWORD)
    officer.save()
    person = world.ams.assigned.person
    record(actor=world.ams.users[Role.NGO], action="view", origin=COMMAND, obj=world.ams.assigned)
    base = live_server.url

    log_in(page, base, officer.username)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Toegangslog").click()
    assert_accessible(page, "access log")
    page.get_by_label("Persoon").fill(person.v_number)
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_test_id("access-log")).to_contain_text("ngo.amsterdam")
    assert_accessible(page, "access log for one person")
    with page.expect_download() as download:
        page.get_by_test_id("log-export").click()
    assert download.value.suggested_filename == "toegangslog.csv"

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Inzageverzoek").click()
    assert_accessible(page, "subject access")
    page.get_by_label("Persoon").fill("0000000001")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_test_id("error-summary")).to_be_focused()
    assert_accessible(page, "subject access, not found")
    page.get_by_label("Persoon").fill(person.v_number)
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_test_id("subject-access-result")).to_contain_text(person.family_name)
    assert_accessible(page, "subject access result")
    with page.expect_download() as download:
        page.get_by_role("link", name="Leesbaar bestand (PDF)").click()
    assert download.value.suggested_filename == f"inzage-{person.pk}.pdf"

    page.get_by_role("link", name="Verwerkingsactiviteiten").click()
    expect(page.get_by_test_id("activities-amsterdam")).to_contain_text("Casusregie LVV")
    assert_accessible(page, "processing activities")


def test_anyone_reads_the_accessibility_statement(live_server, page: Page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Toegankelijkheid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheidsverklaring")
    expect(page.get_by_test_id("compliance-status")).to_contain_text("voldoet gedeeltelijk")
    assert_accessible(page, "accessibility statement")


def test_a_failed_submit_focuses_the_summary_and_its_link_the_field(live_server, page: Page, world):
    case = world.ams.assigned
    base = live_server.url
    log_in(page, base, world.ams.users[Role.CASEMANAGER].username)
    page.goto(f"{base}/cases/{case.pk}/person/edit/")
    page.locator("#id_family_name").fill("")
    page.get_by_role("button", name="Opslaan").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_focused()
    assert_accessible(page, "form with errors")
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_family_name")).to_be_focused()


def test_a_long_text_field_counts_down(live_server, page: Page, world):
    case = world.ams.assigned
    base = live_server.url
    log_in(page, base, world.ams.users[Role.CASEMANAGER].username)
    page.goto(f"{base}/cases/{case.pk}/")
    text = page.locator("textarea[maxlength]:visible").first
    text.fill("Twaalf tekens")
    counter = page.locator(f"#{text.get_attribute('id')}_counter")
    expect(counter).to_contain_text("tekens over")
