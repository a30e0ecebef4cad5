"""Registration that never guesses, and the outflow's dispute and reconciliation, in a real
browser (Debian Chromium via Playwright), with axe (WCAG 2.1 A/AA) on every page.

A case worker of Amsterdam types a V-number known only in Rotterdam: the page says a match
request was recorded and shows nothing of that person; a case worker of Rotterdam sees
both sides and links. The DT&V disputes a departure, the case manager sees it in the work
queue, and the reconciliation page lists what is open.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases import services
from cases.models import Case, MatchRequest
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.e2e.browser import assert_accessible, label
from tests.e2e.test_trajectory_flow import log_in, log_out
from tests.factories import CaseFactory, PersonFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_hidden_match_becomes_a_request_that_the_other_lvv_links(live_server, page: Page, world):
    hidden = PersonFactory(v_number="5556667778", family_name="Verborgen", given_names="Yonas")
    CaseFactory(location=world.rot.location, person=hidden)
    base = live_server.url

    log_in(page, base, world.ams.users[Role.CASEMANAGER].username)
    page.goto(f"{base}/cases/new/")
    assert_accessible(page, "intake form")
    page.get_by_label(label("V-nummer")).fill("5556667778")
    page.get_by_label(label("Achternaam")).fill("Tesfay")
    page.get_by_label(label("Voornamen")).fill("Abel")
    page.get_by_role("button", name="Registreren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Koppelverzoek")
    html = page.content()
    assert "Verborgen" not in html and "Yonas" not in html and "Rotterdam" not in html
    assert_accessible(page, "match request (requester)")
    log_out(page)

    log_in(page, base, world.rot.users[Role.CASEMANAGER].username)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Koppelverzoeken").click()
    assert_accessible(page, "match request list")
    page.locator("main table a").first.click()
    expect(page.get_by_role("cell", name="Verborgen")).to_be_visible()
    assert_accessible(page, "match request (resolver)")
    page.get_by_label("Dezelfde persoon: registreer de casus bij de bekende persoon").check()
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.get_by_test_id("status")).to_have_text("gekoppeld aan de bekende persoon")
    assert MatchRequest.objects.get().case.person == hidden


def test_a_disputed_departure_reaches_the_case_manager_and_the_reconciliation(live_server, page: Page, world):
    today = timezone.localdate()
    case = CaseFactory(location=world.ams.location, registered_on=today - datetime.timedelta(days=60))
    kw = {"acting_user": SYSTEM, "origin": COMMAND}
    case = services.admit(**kw, case=case, on=today - datetime.timedelta(days=60), require_check=False)
    case = services.start_shelter(**kw, case=case, on=today - datetime.timedelta(days=59))
    case = services.record_outflow(**kw, case=case, category="departure_origin", country="ER", on=today)
    base = live_server.url

    log_in(page, base, world.ams.users[Role.DTV].username)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Afstemming uitstroom").click()
    expect(page.get_by_test_id("reconciliation-dtv")).to_contain_text(case.reference)
    assert_accessible(page, "reconciliation (DT&V)")
    page.goto(f"{base}/cases/{case.pk}/#step-dispute_outflow")
    step = page.locator("#step-dispute_outflow")
    if step.get_attribute("open") is None:
        step.locator("summary").first.click()
    step.get_by_label(label("Waarom klopt deze uitstroom niet?")).fill("Geen vertrek vastgesteld.")
    step.get_by_role("button").last.click()
    expect(page.get_by_test_id("outflow-dispute")).to_contain_text("Geen vertrek vastgesteld.")
    assert_accessible(page, "case page with a disputed outflow")
    log_out(page)

    log_in(page, base, world.ams.users[Role.CASEMANAGER].username)
    expect(page.get_by_test_id("work-disputed")).to_contain_text(case.reference)
    Case.objects.get(pk=case.pk)
