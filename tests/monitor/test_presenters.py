"""One presentation of the monitor: the dashboard, the PDF report and the files show the
same tables, built once by ``monitor.presenters``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from monitor import exports, presenters
from monitor.presenters import Row, Table, fmt, split_columns
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db


def test_numbers_are_written_the_dutch_way():
    assert fmt(1234567) == "1.234.567"
    assert fmt(12.5) == "12,5"
    assert fmt(1234.25) == "1.234,2"
    assert fmt(12.0) == "12"
    assert fmt(None) == "—"
    assert fmt("<5") == "<5"
    assert fmt(0) == "0"


def test_a_wide_table_is_split_with_the_total_in_the_last_part():
    table = Table(
        id="t",
        caption="Kerncijfers",
        columns=[f"LVV {n}" for n in range(9)] + ["Totaal"],
        rows=[Row("In de opvang", [str(n) for n in range(10)])],
        total_column=True,
    )
    parts = split_columns(table, 7)
    assert [part.columns for part in parts] == [
        ["LVV 0", "LVV 1", "LVV 2", "LVV 3", "LVV 4"],
        ["LVV 5", "LVV 6", "LVV 7", "LVV 8", "Totaal"],
    ]
    assert [part.rows[0].cells for part in parts] == [["0", "1", "2", "3", "4"], ["5", "6", "7", "8", "9"]]
    assert [(part.part, part.parts, part.total_column) for part in parts] == [(1, 2, False), (2, 2, True)]
    assert {part.rows[0].label for part in parts} == {"In de opvang"}
    assert split_columns(Table(id="s", caption="", columns=["a", "Totaal"]), 7)[0].id == "s"


def test_the_dashboard_and_the_pdf_show_the_same_tables(client, world):
    ams, rot = world.ams.location, world.rot.location
    build(ams, sheltered=D - 40 * DAY, outflow=(D - 5 * DAY, "departure_origin"), case_types=["family"])
    build(rot, sheltered=D - 30 * DAY, scenarios=[(D - 10 * DAY, "residence")], dossier=(D - 20 * DAY, D - 15 * DAY))
    build(rot, waitlisted=D - 3 * DAY)
    client.force_login(world.bureau)
    page = client.get(reverse("monitor:dashboard"), {"date": D.isoformat()}).context

    report = exports.build_report(D, [ams, rot], trends_start=page["trends_start"])
    context = exports.report_context(report)
    shown = presenters.present(report, report.names)

    assert page["contract_table"] == shown.contract_table == context["contract_tables"][0]
    assert page["outside_table"] == shown.outside_table == context["outside_tables"][0]
    assert page["occupancy_table"] == shown.occupancy.table == context["occupancy"]["tables"][0]
    assert page["outcomes_table"] == shown.outcomes.table == context["outcomes"]["tables"][0]
    assert [table for _chart, table in page["trends"]] == [chart.table for chart in shown.trends]
    assert [chart["tables"][0] for chart in context["trends"]] == [chart.table for chart in shown.trends]
    assert [table for _key, _chart, table in page["breakdowns"]] == [chart.table for chart in shown.breakdowns]
    assert [chart["tables"][0] for chart in context["breakdowns"]] == [chart.table for chart in shown.breakdowns]
    assert page["durations_table"] == shown.durations.table == context["durations"]["tables"][0]
    # The charts too: the same markup inline on the page and as an image in the PDF.
    assert str(page["occupancy_chart"]) == shown.occupancy.svg
    assert context["occupancy"]["uri"] == exports.charts.data_uri(shown.occupancy.svg)

    html = exports.render_report_html(report)
    for table in [shown.contract_table, shown.occupancy.table, *(chart.table for chart in shown.breakdowns)]:
        assert f'id="{table.id}"' in html
    assert "LVV Amsterdam" in html and page["contract_table"].rows[1].label in html


def test_every_table_lists_the_lvvs_by_name(world):
    from tests.factories import LocationFactory

    zwolle = LocationFactory(slug="a-zwolle", name="LVV Zwolle")
    build(zwolle, sheltered=D - 3 * DAY)
    scope = [world.ams.location, world.rot.location, zwolle]
    report = exports.build_report(D, scope, trends_start=D - 60 * DAY)
    shown = presenters.present(report, report.names)
    expected = ["LVV Amsterdam", "LVV Rotterdam", "LVV Zwolle", "Totaal"]
    assert shown.contract_table.columns == expected
    assert [row.label for row in shown.occupancy.table.rows] == expected
    assert all(chart.table.columns == expected for chart in shown.breakdowns)
    assert [row[1] for row in exports.figure_rows(report)[1:]] == expected
