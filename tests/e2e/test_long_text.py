"""Long text does not widen a page: the longest unbroken word a form takes (5,000
characters) wraps inside its column on the case page, the LSO meeting, the MRT escalation
and the DT&V review page (Debian Chromium via Playwright). Screenshots go to
/tmp/e2e-long-text-<page>.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from cases import services as case_services
from lso import services as lso_services
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.text import TEXT_MAX
from mrt import services as mrt_services
from tests.conftest import PASSWORD
from tests.lso.helpers import chair, published, sheltered_case
from tests.mrt.helpers import escalated

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORD = "Lang" + "x" * (TEXT_MAX - 4)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/")


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_long_unbroken_word_wraps(page: Page, live_server, world):
    ams = world.ams
    case = sheltered_case(ams)
    case = case_services.set_scenario(
        acting_user=SYSTEM, origin=COMMAND, case=case, direction="departure", notes=WORD, on=case.shelter_started_on
    )
    case_services.update_case(
        acting_user=SYSTEM, origin=COMMAND, case=case, expected_version=None, health_notes=WORD, external_id=WORD[:64]
    )
    meeting = published(ams, [case])
    item = meeting.items.get()
    lso_services.save_preparation_note(acting_user=ams.users[Role.NGO], origin=COMMAND, item=item, text=WORD)
    lso_services.add_review_note(acting_user=ams.users[Role.DTV], origin=COMMAND, case=case, text=WORD)
    _other, escalation = escalated(ams)
    mrt_services.save_position(acting_user=ams.users[Role.NGO], origin=COMMAND, escalation=escalation, text=WORD)
    lso_services.record_outcome(
        acting_user=chair(ams), origin=COMMAND, item=item, decision="postpone", notes=WORD, agreed=True
    )

    log_in(page, live_server.url, ams.users[Role.CASEMANAGER].username)
    for path in (f"/cases/{case.pk}/", f"/lso/{meeting.pk}/", f"/mrt/{escalation.pk}/"):
        page.goto(f"{live_server.url}{path}")
        assert page.get_by_text(WORD[:40], exact=False).first.is_visible()
        page.screenshot(path=f"/tmp/e2e-long-text-{path.strip('/').replace('/', '-')}.png", full_page=True)  # noqa: S108
        assert overflow(page) == 0, path
    page.context.clear_cookies()
    log_in(page, live_server.url, ams.users[Role.DTV].username)
    page.goto(f"{live_server.url}/lso/review/case/{case.pk}/")
    assert overflow(page) == 0
