"""Exports: CSV and XLSX read back to the same numbers, the PDF is a real PDF rendered
without any fetch, and ``manage.py monitor`` per the contract."""

from __future__ import annotations

import datetime
import io
import json
import re
import shutil
import subprocess
import zlib

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from lvv.audit.models import AccessLogEntry
from lvv.pdf import data_only_fetcher
from monitor import charts, exports
from monitor.figures import figures
from monitor.suppression import PRIMARY, SECONDARY, is_suppressed
from tests.factories import LocationFactory, PersonFactory
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    ams = LocationFactory(slug="amsterdam", name="LVV Amsterdam", places=360)
    rot = LocationFactory(slug="rotterdam", name="LVV Rotterdam", places=117)
    for number in range(7):
        build(
            ams,
            person=PersonFactory(nationality=["ER", "NG", "MA"][number % 3], sex="mf"[number % 2]),
            sheltered=D - (100 + number) * DAY,
            scenarios=[(D - 50 * DAY, "departure" if number % 3 else "residence")],
            outflow=(D - 20 * DAY, "departure_origin", "ER") if number < 3 else None,
            case_types=["medical"] if number % 2 else [],
        )
    build(rot, sheltered=D - 40 * DAY, outflow=(D - 10 * DAY, "asylum_centre"))
    build(rot, sheltered=D - 40 * DAY, mrt=[D - 5 * DAY])
    build(rot, waitlisted=D - 3 * DAY)
    return [ams, rot]


def test_csv_reads_back_to_the_figures(scene):
    report = exports.build_report(D, scene, full=False)
    text = exports.to_csv(report)
    header = text.removeprefix("\ufeff").splitlines()[0].split(";")
    assert header[:4] == ["Peildatum", "LVV", "Capaciteit (plaatsen)", "In de opvang"]
    assert header[-1] == "LVV-code"
    assert "Bestendige oplossingen: bevestigd door IND of DT&V" in header
    assert "Buiten het convenant: ooit in de opvang" in header
    records = [line.split(";") for line in text.splitlines()[1:]]
    assert [(record[1], record[-1]) for record in records] == [
        ("LVV Amsterdam", "amsterdam"),
        ("LVV Rotterdam", "rotterdam"),
        ("Totaal", ""),
    ]
    assert {record[0] for record in records} == {"15-06-2020"}
    assert exports.parse_csv(text) == figures(D, scene)


def test_the_csv_file_opens_in_a_dutch_spreadsheet(scene):
    """The bytes: a UTF-8 byte order mark, ``;`` between the cells, Dutch headers, CRLF."""
    body = exports.render(exports.build_report(D, scene, full=False), "csv")
    assert body.startswith(b"\xef\xbb\xbfPeildatum;LVV;Capaciteit (plaatsen);In de opvang;Ooit in de opvang;")
    first, *records = body.decode("utf-8-sig").split("\r\n")
    assert "," not in first and "reference_date" not in first and "present" not in first.split(";")
    assert records[0].startswith("15-06-2020;LVV Amsterdam;360;4;7;")
    assert records[2].startswith("15-06-2020;Totaal;477;")
    assert "Uitstroom: vertrek naar land van herkomst" in first  # a Dutch label with its accents intact
    assert "beëindigd" in body.decode("utf-8")


def test_csv_cells_are_written_the_dutch_way():
    assert exports._csv_value(12.5) == "12,5"
    assert exports._csv_value(datetime.date(2020, 6, 15)) == "15-06-2020"
    assert exports._csv_value(-3) == "-3"
    assert exports._csv_value(None) == ""
    assert exports._csv_value("<5") == "<5"
    for formula in ("=1+1", "+31 6", "-x", "@SUM(A1)"):
        assert exports._csv_value(formula) == "'" + formula  # text, never a formula


def test_csv_with_suppression_reads_back_to_the_suppressed_figures(scene):
    report = exports.build_report(D, scene, full=False, suppress_small=True)
    back = exports.parse_csv(exports.to_csv(report))
    expected = {key: value for key, value in report.figures.items() if key != "suppression"}
    assert back == expected
    rot = back["locations"]["rotterdam"]
    assert rot["present"] == PRIMARY and rot["capacity"] == 117
    assert back["total"]["outflow"]["detention"] == PRIMARY  # a zero is hidden like a small number


def test_xlsx_reads_back_to_the_same_numbers(scene):
    report = exports.build_report(D, scene, trends_start=D - 150 * DAY)
    data = exports.to_xlsx(report)
    assert data[:2] == b"PK"
    back = exports.parse_xlsx(data)
    assert back["figures"] == report.figures
    assert back["trends"]["locations"] == report.trends["locations"]
    assert back["trends"]["total"] == report.trends["total"]
    for slug in ("amsterdam", "rotterdam"):
        expected = report.breakdowns["locations"][slug]
        assert back["breakdowns"]["locations"][slug] == expected
    assert back["breakdowns"]["total"] == report.breakdowns["total"]
    names = load_workbook(io.BytesIO(data), read_only=True).sheetnames
    assert names == ["Cijfers", "Trends", "Samenstelling", "Doorlooptijden", "Toelichting"]


def test_xlsx_has_dutch_headers_and_number_formats(scene):
    report = exports.build_report(D, scene, trends_start=D - 150 * DAY)
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    figures_sheet = workbook["Cijfers"]
    header = [cell.value for cell in figures_sheet[1]]
    assert header[:3] == ["Peildatum", "LVV", "Capaciteit (plaatsen)"] and header[-1] == "LVV-code"
    ams = figures_sheet[2]
    assert ams[0].value == datetime.datetime(2020, 6, 15) and ams[0].number_format == "d-m-yyyy"
    assert ams[1].value == "LVV Amsterdam"
    assert ams[2].value == 360 and ams[2].number_format == "0"
    assert ams[3].value == 4 and ams[3].number_format == "0"
    assert [row[1].value for row in figures_sheet.iter_rows(min_row=2)] == ["LVV Amsterdam", "LVV Rotterdam", "Totaal"]

    trends = workbook["Trends"]
    assert [cell.value for cell in trends[1]][:4] == ["LVV", "Maand", "Tot en met", "In de opvang (einde maand)"]
    assert trends["B2"].value == datetime.datetime(2020, 1, 1) and trends["B2"].number_format == "mmmm yyyy"
    assert trends["C2"].number_format == "d-m-yyyy" and trends["D2"].number_format == "0"

    breakdowns = workbook["Samenstelling"]
    assert [cell.value for cell in breakdowns[1]][:4] == ["LVV", "Kenmerk", "Waarde", "Aantal"]
    labels = {
        (row[1].value, row[2].value): row[3]
        for row in breakdowns.iter_rows(min_row=2)
        if row[0].value == "LVV Amsterdam"
    }
    assert labels[("Nationaliteit", "Eritrea")].value == 3 and labels[("Nationaliteit", "Eritrea")].number_format == "0"

    durations = workbook["Doorlooptijden"]
    assert [cell.value for cell in durations[1]][:4] == ["LVV", "Stap", "Aantal casussen", "Mediaan (dagen)"]
    medians = [row[3] for row in durations.iter_rows(min_row=2) if isinstance(row[3].value, float)]
    assert medians and all(cell.number_format == "0.0" for cell in medians)


def test_xlsx_with_suppression(scene):
    report = exports.build_report(D, scene, suppress_small=True, trends_start=D - 150 * DAY)
    back = exports.parse_xlsx(exports.to_xlsx(report))
    assert back["figures"] == {k: v for k, v in report.figures.items() if k != "suppression"}
    assert back["breakdowns"]["total"] == report.breakdowns["total"]
    flat_values = json.dumps(back)
    assert f'"{PRIMARY}"' in flat_values
    # Nothing between 1 and 4 is left in any part of the file.
    for value in _numbers(back):
        assert value >= 5


def _numbers(data):
    if isinstance(data, dict):
        for key, value in data.items():
            if key not in ("capacity", "reference_date", "month", "date"):
                yield from _numbers(value)
    elif isinstance(data, list):
        for value in data:
            yield from _numbers(value)
    elif isinstance(data, int) and not isinstance(data, bool):
        yield data


def test_suppressed_durations_hide_the_percentiles(scene):
    report = exports.build_report(D, scene, suppress_small=True)
    rot = report.durations["locations"]["rotterdam"]["shelter_to_outflow"]
    assert rot == {"count": PRIMARY, "median": SECONDARY, "p25": SECONDARY, "p75": SECONDARY}


def test_the_pdf_is_a_real_pdf_rendered_without_fetching(scene):
    report = exports.build_report(D, scene, trends_start=D - 150 * DAY)
    html = exports.render_report_html(report)
    assert "Monitor Landelijke Vreemdelingenvoorzieningen" in html
    assert "15 juni 2020" in html
    assert "LVV Amsterdam" in html
    assert html.count('src="data:image/svg+xml;base64,') >= 8
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    fetcher = data_only_fetcher()
    pdf = exports.to_pdf(report, fetcher=fetcher)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert fetcher.refused == []
    assert _page_count(pdf) >= 3
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Kerncijfers" in text


def _page_count(pdf: bytes) -> int:
    """Pages in a PDF, also when the page objects sit in compressed object streams."""
    count = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            count += len(re.findall(rb"/Type\s*/Page[^s]", zlib.decompress(stream)))
        except zlib.error:
            continue
    return count


def test_the_fetcher_refuses_everything_but_data_uris():
    fetcher = data_only_fetcher()
    for url in ("http://example.org/logo.png", "file:///etc/passwd", "https://example.org/x.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 3
    assert fetcher.fetch(charts.data_uri("<svg xmlns='http://www.w3.org/2000/svg'/>")).read().startswith(b"<svg")


def test_the_pdf_with_suppression(scene):
    report = exports.build_report(D, scene, suppress_small=True)
    html = exports.render_report_html(report)
    assert "Kleine aantallen zijn onderdrukt." in html
    assert exports.to_pdf(report).startswith(b"%PDF")


def test_charts_are_accessible_svg_without_styles_or_scripts(scene):
    report = exports.build_report(D, scene)
    svgs = [
        charts.occupancy_chart(report.figures),
        charts.outcomes_chart(report.figures),
        charts.present_chart(report.trends),
        charts.flow_chart(report.trends),
        charts.outflow_chart(report.trends, "amsterdam"),
        charts.breakdown_chart(report.breakdowns, "nationality"),
        charts.durations_chart(report.durations),
    ]
    for svg in svgs:
        assert svg.startswith("<svg") and 'role="img"' in svg and "aria-labelledby=" in svg
        assert "<title" in svg and "<desc" in svg
        assert "style" not in svg and "<script" not in svg and "href" not in svg


def test_charts_never_draw_a_suppressed_value_to_scale():
    svg = charts.bar_chart([("Eritrea", 12), ("Marokko", PRIMARY)], title="Nationaliteit")
    assert svg.count("<rect") == 1 and "&lt;5" in svg


# --- the command ---------------------------------------------------------------------------


def test_command_json_to_stdout_is_the_contracts_json(scene, capsys):
    call_command("monitor", "--date", D.isoformat())
    assert json.loads(capsys.readouterr().out) == figures(D, scene)
    assert AccessLogEntry.objects.filter(action="export", object_type="monitor.figures", channel="command").exists()


def test_command_csv_for_one_lvv(scene, capsys):
    call_command("monitor", "--date", D.isoformat(), "--format", "csv", "--lvv", "rotterdam")
    assert exports.parse_csv(capsys.readouterr().out) == figures(D, [scene[1]])


def test_command_xlsx_and_pdf_to_a_file(scene, tmp_path):
    for fmt in ("xlsx", "pdf"):
        target = tmp_path / f"monitor.{fmt}"
        call_command("monitor", "--date", D.isoformat(), "--format", fmt, "--output", str(target), "--suppress-small")
        data = target.read_bytes()
        assert data.startswith(b"PK" if fmt == "xlsx" else b"%PDF")
    back = exports.parse_xlsx((tmp_path / "monitor.xlsx").read_bytes())
    assert is_suppressed(back["figures"]["locations"]["rotterdam"]["present"])


def test_command_defaults_to_today(scene, capsys):
    call_command("monitor")
    from django.utils import timezone

    assert json.loads(capsys.readouterr().out)["reference_date"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "pdf"], "--output"),
        (["--format", "xlsx"], "--output"),
        (["--date", "2020-02-30"], "geldige datum"),
        (["--date", "2999-01-01"], "toekomst"),
        (["--lvv", "atlantis"], "atlantis"),
    ],
)
def test_command_refuses_bad_input(scene, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("monitor", *arguments)


def test_xlsx_never_writes_a_formula(scene):
    scene[0].name = '=HYPERLINK("http://example.org","klik")'
    report = exports.build_report(D, scene)
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(report)))
    cells = [cell for row in workbook["Toelichting"].iter_rows() for cell in row if cell.value]
    named = [cell for cell in cells if "HYPERLINK" in str(cell.value)]
    assert named and all(cell.data_type == "s" for cell in named)
