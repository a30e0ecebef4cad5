"""The monitor in a real browser (Debian Chromium via Playwright).

The programme bureau logs in, opens the monitor, picks a reference date, reads the table
and the charts, requests a CSV export (Celery runs eagerly in the tests, so the job is
done by the time the progress page loads), sees it ready and downloads it; then takes a
snapshot and opens the data-quality panel. axe (WCAG 2.1 A/AA) runs on every page.
Screenshots go to /tmp/e2e-monitor-<name>.png.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from monitor.models import ExportJob, ExportStatus, Snapshot
from tests.e2e.browser import assert_accessible, log_in
from tests.monitor.builders import DAY, D, build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=f"/tmp/e2e-monitor-{name}.png", full_page=True)  # noqa: S108 -- the agreed place


def test_the_bureau_reads_the_monitor_and_downloads_a_csv(world, live_server, page: Page):
    base = live_server.url
    build(world.ams.location, sheltered=D - 40 * DAY, case_types=["family"])
    build(world.ams.location, sheltered=D - 30 * DAY, outflow=(D - 3 * DAY, "departure_origin"))
    for n in range(6):
        build(world.rot.location, sheltered=D - (20 + n) * DAY, scenarios=[(D - 2 * DAY, "departure")])

    log_in(page, base, world.bureau.username)

    # The monitor from the main navigation; today's figures first.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Monitor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitor")
    assert_accessible(page, "dashboard today")

    # Pick a reference date.
    page.get_by_label("Peildatum", exact=True).fill(D.isoformat())
    page.get_by_role("button", name="Cijfers tonen").click()
    expect(page.get_by_test_id("reference-date")).to_contain_text("15 juni 2020")
    table = page.get_by_role("table", name=re.compile("De monitor op 15 juni 2020"))
    expect(table).to_be_visible()
    present = table.get_by_role("row", name=re.compile("^In de opvang"))
    expect(present.get_by_role("cell")).to_have_text(["1", "6", "7"])
    expect(page.get_by_role("img", name=re.compile("In de opvang op 15 juni 2020"))).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("In de opvang en capaciteit"))).to_be_visible()
    assert page.locator("svg[role=img]").count() >= 11
    assert_accessible(page, "dashboard at 15 June 2020")
    shot(page, "dashboard")

    # Export: suppress small numbers, CSV; the progress page shows it ready.
    page.get_by_label(re.compile("Kleine aantallen afschermen")).check()
    page.get_by_role("button", name="CSV downloaden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Export")
    expect(page.get_by_test_id("export-status")).to_contain_text("is klaar")
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.parameters["suppress_small"] is True
    assert_accessible(page, "export progress")
    shot(page, "export")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-download").click()
    download = download_info.value
    assert download.suggested_filename == "monitor-2020-06-15-amsterdam-rotterdam.csv"
    # For Dutch spreadsheets: a byte order mark, ";" between the cells, Dutch headers.
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read()), delimiter=";"))
    by_location = {row["LVV"]: row for row in rows}
    assert set(by_location) == {"LVV Amsterdam", "LVV Rotterdam", "Totaal"}
    assert by_location["LVV Amsterdam"]["In de opvang"] == "<5"  # suppressed: 1 person

    # Snapshots: take one of the same date.
    page.get_by_role("navigation", name="Monitor").get_by_role("link", name="Momentopnamen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Momentopnamen")
    assert_accessible(page, "snapshots")
    form = page.get_by_role("form", name="Momentopname maken")
    form.get_by_label(re.compile(r"^Peildatum( \*)?$")).fill(D.isoformat())
    form.get_by_role("button", name="Momentopname maken").click()
    expect(page.get_by_role("status")).to_contain_text("15 juni 2020")
    assert Snapshot.objects.get().reference_date == D
    page.get_by_role("link", name="15 juni 2020").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Momentopname van 15 juni 2020")
    assert_accessible(page, "snapshot")

    # The data-quality panel: counts only, no case.
    page.get_by_role("navigation", name="Monitor").get_by_role("link", name="Datakwaliteit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datakwaliteit")
    expect(page.get_by_test_id("quality-counts-only")).to_be_visible()
    assert page.locator("a[href^='/cases/']").count() == 0
    assert_accessible(page, "data-quality panel")
