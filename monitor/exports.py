"""The monitor as files: JSON, CSV, XLSX and a PDF report.

A ``Report`` holds the figures at a reference date for a scope and, for the XLSX and the
PDF, the trends, breakdowns and durations beside them. With ``suppress_small`` every part
goes through ``monitor.suppression`` together (counts 1-4 as "<5", companions as "x"), so
that the numbers in one file never give a suppressed cell away.

- JSON: the contract's shape (``figures()``), plus a ``suppression`` key when suppressed.
- CSV, for Dutch spreadsheets: UTF-8 with a byte order mark, ``;`` between the cells,
  Dutch headers (the figures' labels of ``monitor.labels``) and dates as ``15-06-2020``;
  one record per LVV (its name) and one for the total (``Totaal``), the LVV's code in the
  last column (empty for the total). ``parse_csv`` reads it back into the contract's
  shape. The JSON keeps the contract's machine keys.
- XLSX: sheets ``Cijfers`` (as the CSV), ``Trends``, ``Samenstelling``,
  ``Doorlooptijden`` and ``Toelichting``, with Dutch headers; whole numbers are numbers
  formatted ``0``, days ``0.0``, dates ``d-m-yyyy``. ``parse_xlsx`` reads the first three
  back. The records are ``monitor.presenters``' (``figure_records``...).
- PDF: ``templates/pdf/monitor_report.html`` rendered by WeasyPrint, with the dashboard's
  charts as SVG ``data:`` images; the URL fetcher refuses everything but ``data:`` URIs,
  so rendering never touches the network or the file system.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lvv.partners.models import Location
from lvv.pdf import html_to_pdf
from monitor import cache, charts, presenters, suppression
from monitor.figures import resolve_scope, unflatten
from monitor.labels import (
    DIMENSION_LABELS,
    FIGURE_LABELS,
    TREND_LABELS,
)
from monitor.presenters import split_columns

FORMATS = ("json", "csv", "xlsx", "pdf")
# Formats that need the whole report (trends, breakdowns, durations), not only the figures.
FULL_FORMATS = ("xlsx", "pdf")
BINARY_FORMATS = ("xlsx", "pdf")
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
TOTAL = presenters.TOTAL
TREND_COLUMNS = presenters.TREND_KEYS
CSV_DELIMITER = ";"
BOM = "\ufeff"
# What makes a spreadsheet read a text cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]
# The progress (percent) once each part of the report is there.
PART_PROGRESS = {"figures": 20, "trends": 40, "breakdowns": 55, "durations": 65}


def _no_progress(_percent: int) -> None:
    return None


def default_trends_start(reference_date: datetime.date) -> datetime.date:
    """The first day of the month eleven months before D's month: twelve months of trends."""
    month = reference_date.year * 12 + reference_date.month - 1 - 11
    return datetime.date(month // 12, month % 12 + 1, 1)


@dataclass
class Report(cache.Analyses):
    """The analyses of an export or a PDF report (without the data-quality counts), with
    whether small numbers were suppressed."""

    suppressed: bool = False
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def names(self) -> dict[str, str]:
        return {location.slug: location.name for location in self.locations}


def build_report(
    reference_date: datetime.date,
    locations: Iterable[Location] | None = None,
    *,
    full: bool = True,
    suppress_small: bool = False,
    trends_start: datetime.date | None = None,
    progress: Progress = _no_progress,
) -> Report:
    """Compute the report (``full``: with trends, breakdowns and durations); ``progress``
    is called with a percentage (0-80) as the parts are done."""
    scope = resolve_scope(locations)
    start = trends_start or default_trends_start(reference_date)
    found = cache.analyses(
        reference_date,
        scope,
        trends=(start, reference_date) if full else None,
        breakdowns=full,
        durations=full,
        done=lambda part: progress(PART_PROGRESS[part]),
    )
    report = Report(reference_date=reference_date, locations=scope, figures=found.figures)
    if full:
        report.trends, report.breakdowns, report.durations = found.trends, found.breakdowns, found.durations
    if suppress_small:
        protected = suppression.protect_report(report.figures, report.breakdowns, report.trends, report.durations)
        report.figures = protected["figures"]
        report.breakdowns = protected["breakdowns"]
        report.trends = protected["trends"]
        report.durations = protected["durations"]
        report.suppressed = True
    progress(80)
    return report


def render(report: Report, fmt: str) -> bytes:
    """The file's bytes in ``fmt`` (one of ``FORMATS``)."""
    if fmt == "json":
        return to_json(report).encode("utf-8")
    if fmt == "csv":
        return to_csv(report).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"unknown format {fmt!r}")


def filename(report: Report, fmt: str) -> str:
    scope = "-".join(location.slug for location in report.locations) if len(report.locations) <= 2 else "lvv"
    return f"monitor-{report.reference_date.isoformat()}-{scope}.{fmt}"


# --- JSON and CSV --------------------------------------------------------------------------


def to_json(report: Report) -> str:
    return json.dumps(report.figures, ensure_ascii=False, indent=2) + "\n"


def figure_rows(report: Report) -> list[list]:
    """The figures as a table: a Dutch header, then one record per LVV and the total."""
    return presenters.figure_records(report.figures, report.names)


def _csv_value(value) -> str:
    """A cell as Dutch spreadsheets read it: ``15-06-2020``, ``12,5``; text that a
    spreadsheet would take for a formula starts with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def to_csv(report: Report) -> str:
    """The figures for a Dutch spreadsheet: UTF-8 with a byte order mark (``render``
    encodes it), ``;`` between the cells, Dutch headers; one record per LVV and the total."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    for row in figure_rows(report):
        writer.writerow([_csv_value(value) for value in row])
    return BOM + out.getvalue()


def _cell(value):
    """A value read back from a file: an int, a float, a suppression mark or None."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and not isinstance(value, bool) else value
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _iso_date(value) -> str:
    """A date cell (a date, or ``15-06-2020`` from a CSV) as ``2020-06-15``."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return datetime.datetime.strptime(str(value), "%d-%m-%Y").date().isoformat()


def _columns(header: list) -> dict[str, int]:
    return {str(name): number for number, name in enumerate(header)}


def _labelled_columns(at: dict[str, int], labels: dict) -> list[tuple[str, int]]:
    """The columns ``labels`` (key: header) names, as (key, column number)."""
    keys = {str(label): key for key, label in labels.items()}
    return [(keys[name], number) for name, number in at.items() if name in keys]


def _figures_from_rows(rows: list[list]) -> dict:
    header, *body = rows
    at = _columns(header)
    figure_columns = _labelled_columns(at, FIGURE_LABELS)
    code_at, date_at = at[str(presenters.LVV_CODE_HEADER)], at[str(presenters.REFERENCE_DATE_HEADER)]
    data = {"reference_date": "", "locations": {}, "total": {}}
    for row in body:
        if not row or row[date_at] in (None, ""):
            continue
        data["reference_date"] = _iso_date(row[date_at])
        part = unflatten({key: _cell(row[number]) for key, number in figure_columns})
        code = row[code_at]
        if code in (None, ""):
            data["total"] = part
        else:
            data["locations"][str(code)] = part
    return data


def parse_csv(text: str) -> dict:
    """A CSV written by ``to_csv`` back into the contract's shape (in the language it was
    written in)."""
    return _figures_from_rows(list(csv.reader(io.StringIO(text.removeprefix(BOM)), delimiter=CSV_DELIMITER)))


# --- XLSX ------------------------------------------------------------------------------------

SHEET_TITLES = {
    "figures": gettext_lazy("Cijfers"),
    "trends": gettext_lazy("Trends"),
    "breakdowns": gettext_lazy("Samenstelling"),
    "durations": gettext_lazy("Doorlooptijden"),
    "notes": gettext_lazy("Toelichting"),
}
# Number formats: whole numbers as numbers, days with one decimal (the spreadsheet shows
# the decimal comma), dates the Dutch way. The monitor has no percentages.
INTEGER_FORMAT = "0"
DECIMAL_FORMAT = "0.0"
DATE_FORMAT = "d-m-yyyy"
MONTH_FORMAT = "mmmm yyyy"


def _number_format(value, header: str) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime.date):
        return MONTH_FORMAT if header == str(presenters.MONTH_HEADER) else DATE_FORMAT
    if isinstance(value, int):
        return INTEGER_FORMAT
    if isinstance(value, float):
        return DECIMAL_FORMAT
    return None


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    names = report.names
    sheets = {
        "figures": figure_rows(report),
        "trends": presenters.trend_records(report.trends, names),
        "breakdowns": presenters.breakdown_records(report.breakdowns, names),
        "durations": presenters.duration_records(report.durations, names),
        "notes": note_rows(report),
    }
    for number, (name, rows) in enumerate(sheets.items()):
        target = workbook.active if number == 0 else workbook.create_sheet()
        target.title = str(SHEET_TITLES[name])
        headers = [str(value) for value in rows[0]]
        for row in rows:
            target.append(row)
            for column, (cell, value) in enumerate(zip(target[target.max_row], row, strict=False)):
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, never a formula (an LVV's name typed as "=...")
                number_format = _number_format(value, headers[column] if column < len(headers) else "")
                if number_format:
                    cell.number_format = number_format
    for worksheet in workbook.worksheets:
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def note_rows(report: Report) -> list[list]:
    rows = [
        [_("Monitor LVV"), ""],
        [_("Peildatum"), report.reference_date],
        [_("LVV's"), ", ".join(location.name for location in report.locations)],
        [_("Gemaakt op"), timezone.localtime(report.generated_at).strftime("%d-%m-%Y %H:%M")],
        [_("Alleen casussen binnen het convenant tellen mee, behalve in de kolommen 'Buiten het convenant'."), ""],
        [
            _(
                "De kolommen LVV-code, Kenmerkcode, Waardecode en Stapcode bevatten vaste codes, voor wie het bestand "
                "verder verwerkt."
            ),
            "",
        ],
    ]
    if report.trends:
        rows.append([_("Trends vanaf"), datetime.date.fromisoformat(report.trends["start"])])
    if report.suppressed:
        rows += [
            [suppression.PRIMARY, _("een aantal van 1 tot en met 4")],
            [suppression.SECONDARY, _("onderdrukt om een klein aantal elders in de tabel te beschermen")],
        ]
    return [[str(label) if not isinstance(label, str) else label, value] for label, value in rows]


def _trends_from_rows(rows: list[list]) -> dict:
    header, *body = rows
    at = _columns(header)
    trend_columns = _labelled_columns(at, TREND_LABELS)
    month_at, end_at = at[str(presenters.MONTH_HEADER)], at[str(presenters.MONTH_END_HEADER)]
    code_at = at[str(presenters.LVV_CODE_HEADER)]
    trends: dict = {"locations": {}, "total": []}
    for row in body:
        entry = unflatten(
            {
                "month": _iso_date(row[month_at])[:7],
                "date": _iso_date(row[end_at]),
                **{key: _cell(row[number]) for key, number in trend_columns},
            }
        )
        code = row[code_at]
        target = trends["total"] if code in (None, "") else trends["locations"].setdefault(str(code), [])
        target.append(entry)
    return trends


def _breakdowns_from_rows(rows: list[list]) -> dict:
    header, *body = rows
    at = _columns(header)
    code_at, count_at = at[str(presenters.LVV_CODE_HEADER)], at[str(presenters.COUNT_HEADER)]
    dimension_at, value_at = at[str(presenters.DIMENSION_CODE_HEADER)], at[str(presenters.VALUE_CODE_HEADER)]
    breakdowns: dict = {"locations": {}, "total": {}}
    for row in body:
        code = row[code_at]
        part = breakdowns["total"] if code in (None, "") else breakdowns["locations"].setdefault(str(code), {})
        if row[dimension_at] == "population":
            part["population"] = _cell(row[count_at])
        else:
            part.setdefault(str(row[dimension_at]), {})[str(row[value_at])] = _cell(row[count_at])
    return breakdowns


def parse_xlsx(data: bytes) -> dict:
    """An XLSX written by ``to_xlsx`` back into ``{"figures", "trends", "breakdowns"}`` (in
    the language it was written in)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    figures_sheet, trends_sheet, breakdowns_sheet = workbook.worksheets[:3]

    def rows(sheet):
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    result = {
        "figures": _figures_from_rows(rows(figures_sheet)),
        "trends": _trends_from_rows(rows(trends_sheet)),
        "breakdowns": _breakdowns_from_rows(rows(breakdowns_sheet)),
    }
    workbook.close()
    return result


# --- PDF -------------------------------------------------------------------------------------


def _on_paper(chart: presenters.Chart, **extra) -> dict:
    """A chart of the presentation for the PDF: its SVG as a ``data:`` URI and its table
    in parts that fit the page."""
    return {"uri": charts.data_uri(chart.svg), "tables": split_columns(chart.table), "key": chart.key, **extra}


def report_context(report: Report) -> dict:
    """What the PDF template shows: the dashboard's tables (``monitor.presenters``), cut
    into parts that fit the page, and its charts as ``data:`` URIs."""
    shown = presenters.present(report, report.names)
    context = {
        "report": report,
        "reference_date": report.reference_date,
        "location_names": [location.name for location in presenters.by_name_locations(report.locations)],
        "contract_tables": split_columns(shown.contract_table),
        "outside_tables": split_columns(shown.outside_table),
        "occupancy": _on_paper(shown.occupancy),
        "outcomes": _on_paper(shown.outcomes),
        "trends": [_on_paper(chart) for chart in shown.trends],
        "breakdowns": [_on_paper(chart, title=DIMENSION_LABELS[chart.key]) for chart in shown.breakdowns],
        "durations": _on_paper(shown.durations) if shown.durations else None,
        "suppressed": report.suppressed,
        "primary": suppression.PRIMARY,
        "secondary": suppression.SECONDARY,
    }
    if report.trends:
        context["trend_start"] = datetime.date.fromisoformat(report.trends["start"])
    return context


def render_report_html(report: Report) -> str:
    """The PDF's HTML (step two of three: context, HTML, PDF)."""
    return render_to_string("pdf/monitor_report.html", report_context(report))


def to_pdf(report: Report, *, fetcher=None) -> bytes:
    return html_to_pdf(render_report_html(report), fetcher=fetcher)
