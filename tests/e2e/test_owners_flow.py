"""Case owners and the person page in a real browser (Debian Chromium via Playwright).

A case worker finds the case among "my cases" (the list's default), hands the case manager
over to a colleague with the keyboard (a missing reason first: the error is shown in Dutch),
sees the history, switches the list to all cases, and opens the person page from the case
page. axe (WCAG 2.1 A/AA) runs on every page. Screenshots go to /tmp/e2e-owners-<name>.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cases import services
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.e2e.browser import assert_accessible, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-owners-{name}.png", full_page=True)  # noqa: S108 -- the agreed place


def test_hand_over_and_the_person_page(world, live_server, page: Page):
    base = live_server.url
    ams = world.ams
    manager = ams.users[Role.CASEMANAGER]
    manager.first_name, manager.last_name = "Casemanager", "Amsterdam"
    manager.save()
    UserFactory(
        username="collega.amsterdam",
        first_name="Collega",
        last_name="Amsterdam",
        organisation=ams.location.municipality,
        roles=[Role.CASEMANAGER],
    )
    case = ams.assigned
    services.hand_over(acting_user=manager, origin=COMMAND, case=case, role="case_manager", to_user=manager)
    person = case.person

    log_in(page, base, manager.username)
    expect(page.get_by_test_id("work-mine-case")).to_have_count(1)
    assert_accessible(page, "work queue with my cases")

    # The case list shows my cases by default; a link shows all.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casussen").click()
    rows = page.get_by_test_id("case-row")
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("mine-switch")).to_contain_text("U ziet uw eigen casussen")
    shot(page, "my-cases")
    assert_accessible(page, "case list with my cases")
    page.get_by_role("link", name="Alle casussen tonen").click()
    expect(rows).to_have_count(2)
    assert_accessible(page, "case list with all cases")

    # Hand over with the keyboard: first without a reason (refused, in Dutch), then with one.
    page.goto(f"{base}/cases/{case.pk}/")
    owners = page.locator("#owners")
    expect(owners.get_by_test_id("owner-case_manager")).to_contain_text("Casemanager Amsterdam")
    summary = page.locator("#hand-over-case_manager summary")
    summary.focus()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name="Casusregisseur overdragen")
    form.get_by_label("Overdragen aan").select_option(label="Collega Amsterdam (Gemeente Amsterdam)")
    form.get_by_role("button", name="Overdragen").press("Enter")
    form = page.get_by_role("form", name="Casusregisseur overdragen")
    expect(form).to_contain_text("Geef de reden van de overdracht.")
    assert_accessible(page, "case page with a hand-over error")
    form.get_by_label("Overdragen aan").select_option(label="Collega Amsterdam (Gemeente Amsterdam)")
    form.get_by_label("Reden").fill("Verdeling van de caseload.")
    form.get_by_role("button", name="Overdragen").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("De casus is overgedragen: Collega Amsterdam")
    expect(owners.get_by_test_id("owner-case_manager")).to_contain_text("Collega Amsterdam")
    history = owners.get_by_test_id("owner-change")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Verdeling van de caseload.")
    shot(page, "case-page")
    assert_accessible(page, "case page after the hand-over")

    # The person page, from the case page.
    page.get_by_test_id("person-page-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(person.full_name)
    expect(page.get_by_test_id("person-case")).to_have_count(1)
    shot(page, "person-page")
    assert_accessible(page, "person page")
