"""Special-category texts of the LSO and the MRT in a real browser (Debian Chromium via
Playwright): the case manager marks a preparation note and the MRT's reasoning special
with the checkbox; the NGO guide sees the placeholder instead; the DT&V supervisor with a
grant on the case marks a review. axe (WCAG 2.1 A/AA) runs on every page. Screenshots go
to /tmp/e2e-special-<name>.png.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from guardian.shortcuts import assign_perm
from playwright.sync_api import Page, expect

from lso import confidential
from lso.models import PreparationNote, ReviewNote
from lvv.accounts.models import Role
from mrt.models import Advice
from tests.e2e import browser
from tests.e2e.browser import assert_accessible, label
from tests.lso.helpers import published, sheltered_case
from tests.mrt.helpers import escalate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = "Psychiatrische behandeling; suïciderisico verhoogd"
REASONING = "Vertrek pas na medische stabilisatie"
SPECIAL = str(confidential.SPECIAL_LABEL)
PLACEHOLDER = str(confidential.WITHHELD)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-special-{name}.png", full_page=True)  # noqa: S108 -- the agreed place


def log_in(page: Page, base: str, user) -> None:
    page.context.clear_cookies()
    browser.log_in(page, base, user.username)


def test_marking_and_withholding_special_texts(world, live_server, page: Page):
    base = live_server.url
    ams = world.ams
    manager = ams.users[Role.CASEMANAGER]
    manager.user_permissions.add(Permission.objects.get(codename="view_special_category"))
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    item = meeting.items.get()

    # The case manager writes the municipality's preparation, marked special.
    log_in(page, base, manager)
    page.goto(base + reverse("lso:meeting-detail", args=[meeting.pk]))
    # The form comes when its disclosure is opened (ADR 0029), by keyboard.
    page.get_by_text(f"Voorbereiding vastleggen voor {case.reference}").focus()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name=f"Voorbereiding {case.reference}")
    form.get_by_label(label("Voorbereiding van uw organisatie")).fill(SECRET)
    form.get_by_label(SPECIAL).check()
    assert_accessible(page, "meeting page with the mark")
    form.get_by_role("button", name="Voorbereiding opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Uw voorbereiding is opgeslagen.")
    expect(page.get_by_test_id("preparation-note")).to_contain_text(SECRET)
    expect(page.get_by_test_id("special-mark")).to_be_visible()
    assert PreparationNote.objects.get(item=item).confidentiality == "special"
    shot(page, "meeting-manager")

    # The NGO guide sees that there is a preparation, not what it says, and no mark to set.
    log_in(page, base, ams.users[Role.NGO])
    page.goto(base + reverse("lso:meeting-detail", args=[meeting.pk]))
    expect(page.get_by_test_id("preparation-note")).to_contain_text(PLACEHOLDER)
    expect(page.get_by_text(SECRET)).to_have_count(0)
    page.get_by_text(f"Voorbereiding vastleggen voor {case.reference}").click()
    expect(page.get_by_role("form", name=f"Voorbereiding {case.reference}")).to_be_visible()
    expect(page.get_by_label(SPECIAL)).to_have_count(0)
    assert_accessible(page, "meeting page with the placeholder")
    shot(page, "meeting-ngo")

    # The MRT's advice, its reasoning marked special by the case manager.
    escalation = escalate(ams, sheltered_case(ams))
    log_in(page, base, manager)
    page.goto(base + reverse("mrt:escalation-detail", args=[escalation.pk]))
    form = page.get_by_role("form", name="Advies")
    form.get_by_label("Geadviseerde richting").select_option(label="vertrek")
    form.get_by_label(label("Onderbouwing")).fill(REASONING)
    form.get_by_label(SPECIAL).check()
    assert_accessible(page, "advice form with the mark")
    form.get_by_role("button", name="Advies vastleggen").click()
    expect(page.get_by_test_id("advice-reasoning")).to_contain_text(REASONING)
    assert Advice.objects.get(escalation=escalation).reasoning_confidentiality == "special"
    log_in(page, base, ams.users[Role.NGO])
    page.goto(base + reverse("mrt:escalation-detail", args=[escalation.pk]))
    expect(page.get_by_test_id("advice-reasoning")).to_have_text(PLACEHOLDER)
    expect(page.get_by_test_id("advice")).to_contain_text("vertrek")
    assert_accessible(page, "escalation page with the placeholder")
    shot(page, "escalation-ngo")

    # The DT&V supervisor, with a grant on this one case, marks a review.
    dtv = ams.users[Role.DTV]
    assign_perm("cases.view_special_category", dtv, case)
    log_in(page, base, dtv)
    page.goto(base + reverse("lso:review-note", args=[case.pk]))
    form = page.get_by_role("form", name="Beoordeling")
    form.get_by_role("textbox", name=label("Beoordeling")).fill(SECRET)
    form.get_by_label(SPECIAL).check()
    assert_accessible(page, "review form with the mark")
    form.get_by_role("button", name="Beoordeling vastleggen").click()
    expect(page.get_by_text("Uw beoordeling is vastgelegd.")).to_be_visible()
    assert ReviewNote.objects.get(case=case).confidentiality == "special"
