"""Procedures and departures in a real browser (Debian Chromium via Playwright), on the
demo data: the DT&V finds a planned departure in its list, opens the case's section, plans
the departure again (first with a date error, shown in Dutch in the error summary), and the
IND records a decision on the application page; axe (WCAG 2.1 A/AA) and the content
security policy on each page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case
from cases.workflow import State
from lvv import demo
from lvv.accounts.models import User
from lvv.audit.log import COMMAND
from procedures import services
from procedures.models import Application, DeparturePlan
from tests.e2e.browser import assert_accessible
from tests.e2e.test_casemanager_flow import assert_csp, csp_violations, shot  # noqa: F401

PASSWORD = "demo-wachtwoord"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(transactional_db):
    demo.seed(password=PASSWORD, cases_per_location=3, pilots=demo.PILOTS[:1])  # Amsterdam's cases
    case = Case.objects.filter(location__slug="amsterdam", state=State.SHELTERED).order_by("external_id").first()
    dtv, worker = User.objects.get(username="dtv.amsterdam"), User.objects.get(username="casemanager.amsterdam")
    today = timezone.localdate()
    services.plan_departure(
        acting_user=dtv,
        origin=COMMAND,
        case=case,
        made_on=today,
        planned_on=today + datetime.timedelta(days=9),
        support="iom",
    )
    application = services.submit_application(
        acting_user=worker, origin=COMMAND, case=case, kind="regular", submitted_on=today, submitted_by="lawyer"
    )
    return case, application


def login(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_dtv_plans_a_departure_again_and_the_ind_decides(scene, live_server, page: Page, csp_violations):  # noqa: F811
    case, application = scene
    login(page, live_server, "dtv.amsterdam")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Vertrekken").click()
    expect(page).to_have_url(f"{live_server.url}/procedures/departures/")
    response = page.reload()
    assert_csp(response, page, csp_violations)
    row = page.get_by_test_id("departure-row").filter(has_text=case.reference)
    expect(row).to_have_count(1)
    shot(page, "procedures-departures")
    assert_accessible(page, "list of planned departures")

    row.get_by_role("link").click()
    section = page.get_by_test_id("procedures")
    expect(section.get_by_role("heading", level=2)).to_have_text("Procedures en vertrek")
    expect(section.get_by_test_id("current-plan")).to_contain_text("met ondersteuning van de IOM")
    expect(section.get_by_test_id("application-regular")).to_contain_text("in behandeling")
    shot(page, "procedures-case-section")
    assert_accessible(page, "case page with procedures")

    section.get_by_test_id("departure-plan-new").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vertrek opnieuw plannen")
    page.get_by_label("Vertrekdatum").fill("2020-01-01")
    page.get_by_label("Ondersteuning").select_option("dtv")
    page.get_by_role("button", name="Vastleggen").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_contain_text("De vertrekdatum ligt vóór de datum waarop het vertrek werd gepland")
    assert_accessible(page, "departure plan form with an error")
    planned = timezone.localdate() + datetime.timedelta(days=30)
    page.get_by_label("Vertrekdatum").fill(planned.isoformat())
    page.get_by_role("button", name="Vastleggen").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{case.pk}/#procedures")
    expect(page.get_by_test_id("current-plan")).to_contain_text("met ondersteuning van de DT&V")
    assert DeparturePlan.objects.filter(case=case).count() == 2

    page.context.clear_cookies()
    login(page, live_server, "ind.amsterdam")
    page.goto(f"{live_server.url}/cases/{case.pk}/procedures/applications/{application.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reguliere verblijfsaanvraag")
    response = page.reload()
    assert_csp(response, page, csp_violations)
    assert_accessible(page, "application page with the decision form")
    page.get_by_label("ingewilligd").check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_test_id("application-regular").get_by_test_id("application-status")).to_contain_text(
        "ingewilligd"
    )
    assert Application.objects.get(pk=application.pk).outcome == "granted"
