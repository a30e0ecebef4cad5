"""The snapshot comparison in a real browser at 1280 px: every LVV's table shows its
later value and its difference without scrolling sideways, LVVs by name, the total last.
Screenshot: /tmp/e2e-monitor-compare.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from monitor.figures import figures
from monitor.models import Snapshot
from tests.conftest import PASSWORD
from tests.factories import LocationFactory
from tests.monitor.builders import DAY, D, build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_comparison_fits_1280_pixels(world, live_server, page: Page):
    lvvs = [world.ams.location, world.rot.location] + [
        LocationFactory(slug=slug, name=f"LVV {slug.title()}") for slug in ("utrecht", "eindhoven", "groningen")
    ]
    for number, lvv in enumerate(lvvs):
        build(lvv, sheltered=D - (10 + number) * DAY)
    scope = sorted(lvv.slug for lvv in lvvs)
    old = Snapshot.objects.create(reference_date=D - 30 * DAY, scope=scope, data=figures(D - 30 * DAY, lvvs))
    new = Snapshot.objects.create(reference_date=D, scope=scope, data=figures(D, lvvs))

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(world.bureau.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.goto(f"{live_server.url}/monitor/snapshots/compare/?old={old.pk}&new={new.pk}")
    expect(page.get_by_test_id("compare-summary")).to_be_visible()
    page.screenshot(path="/tmp/e2e-monitor-compare.png", full_page=True)  # noqa: S108 -- the agreed place

    captions = page.locator(".monitor-compare caption").all_inner_texts()
    assert [caption.strip() for caption in captions] == [
        "LVV Amsterdam",
        "LVV Eindhoven",
        "LVV Groningen",
        "LVV Rotterdam",
        "LVV Utrecht",
        "Totaal",
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for region in page.locator(".monitor-compare [role=region]").all():
        overflow = region.evaluate("element => element.scrollWidth - element.clientWidth")
        assert overflow <= 0, f"{region.get_attribute('aria-labelledby')} scrolls sideways by {overflow}px"
        box = region.bounding_box()
        for header in region.locator("thead th").all()[-2:]:  # the later value and the difference
            cell = header.bounding_box()
            assert cell["x"] + cell["width"] <= box["x"] + box["width"] + 0.5
            assert cell["x"] + cell["width"] <= 1280
