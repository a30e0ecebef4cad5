"""The monitor as files: JSON, CSV, XLSX and a PDF report.

A ``Report`` holds the figures at a reference date for a scope and, for the XLSX and the
PDF, the trends, breakdowns and durations beside them. With ``suppress_small`` every part
goes through ``monitor.suppression`` together (counts 1-4 as "<5", companions as "x"), so
that the numbers in one file never give a suppressed cell away.

- JSON: the contract's shape (``figures()``), plus a ``suppression`` key when suppressed.
- CSV: one row per LVV and a ``total`` row; the columns are ``reference_date``,
  ``location`` and the flattened keys (``durable_solutions.verified``...).
  ``parse_csv`` reads it back into the contract's shape.
- XLSX: sheets ``figures`` (as the CSV), ``trends``, ``breakdowns``, ``durations`` and
  ``toelichting`` (notes). ``parse_xlsx`` reads the first three back.
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

from lvv.partners.models import Location
from monitor import analysis, charts, suppression
from monitor.figures import FIGURE_KEYS, figures, flatten, resolve_scope, unflatten
from monitor.labels import (
    DIMENSION_LABELS,
    FIGURE_LABELS,
    MEASURE_LABELS,
    POPULATION_LABEL,
    TOTAL_LABEL,
    TREND_LABELS,
    value_label,
)
from monitor.presenters import Row, Table, fmt, split_columns

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
TOTAL = "total"
TREND_COLUMNS = ["present", "inflow", "outflow.durable", "outflow.semi_durable", "outflow.none", "scenarios_set"]

Progress = Callable[[int], None]


def _no_progress(_percent: int) -> None:
    return None


def default_trends_start(reference_date: datetime.date) -> datetime.date:
    """The first day of the month eleven months before D's month: twelve months of trends."""
    month = reference_date.year * 12 + reference_date.month - 1 - 11
    return datetime.date(month // 12, month % 12 + 1, 1)


@dataclass
class Report:
    reference_date: datetime.date
    locations: list[Location]
    figures: dict
    trends: dict | None = None
    breakdowns: dict | None = None
    durations: dict | None = None
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
    report = Report(reference_date=reference_date, locations=scope, figures=figures(reference_date, scope))
    progress(20)
    if full:
        start = trends_start or default_trends_start(reference_date)
        report.trends = analysis.trends(start, reference_date, scope)
        progress(40)
        report.breakdowns = analysis.breakdowns(reference_date, scope)
        progress(55)
        report.durations = analysis.durations(reference_date, scope)
        progress(65)
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


def figure_rows(data: dict) -> list[list]:
    """The figures as a table: a header and one row per LVV plus ``total``."""
    header = ["reference_date", "location", *FIGURE_KEYS]
    rows = [header]
    for slug, part in [*data["locations"].items(), (TOTAL, data["total"])]:
        flat = flatten(part)
        rows.append([data["reference_date"], slug, *(flat[key] for key in FIGURE_KEYS)])
    return rows


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(figure_rows(report.figures))
    return out.getvalue()


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
        return float(text)
    except ValueError:
        return text


def _figures_from_rows(rows: list[list]) -> dict:
    header, *body = rows
    keys = [str(key) for key in header[2:]]
    data = {"reference_date": "", "locations": {}, "total": {}}
    for row in body:
        if not row or row[1] in (None, ""):
            continue
        data["reference_date"] = str(row[0])
        part = unflatten({key: _cell(value) for key, value in zip(keys, row[2:], strict=True)})
        if row[1] == TOTAL:
            data["total"] = part
        else:
            data["locations"][str(row[1])] = part
    return data


def parse_csv(text: str) -> dict:
    """A CSV written by ``to_csv`` back into the contract's shape."""
    return _figures_from_rows(list(csv.reader(io.StringIO(text))))


# --- XLSX ------------------------------------------------------------------------------------


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.active.title = "figures"
    sheets = {
        "figures": figure_rows(report.figures),
        "trends": trend_rows(report),
        "breakdowns": breakdown_rows(report),
        "durations": duration_rows(report),
        "toelichting": note_rows(report),
    }
    for title, rows in sheets.items():
        target = workbook[title] if title in workbook.sheetnames else workbook.create_sheet(title)
        for row in rows:
            target.append(row)
            for cell in target[target.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, never a formula (an LVV's name typed as "=...")
    for worksheet in workbook.worksheets:
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def trend_rows(report: Report) -> list[list]:
    rows = [["location", "month", "date", *TREND_COLUMNS]]
    if not report.trends:
        return rows
    for slug, months in [*report.trends["locations"].items(), (TOTAL, report.trends["total"])]:
        for month in months:
            flat = flatten(month)
            rows.append([slug, month["month"], month["date"], *(flat[key] for key in TREND_COLUMNS)])
    return rows


def breakdown_rows(report: Report) -> list[list]:
    rows = [["location", "dimension", "value", "label", "count"]]
    if not report.breakdowns:
        return rows
    data = report.breakdowns
    for slug, part in [*data["locations"].items(), (TOTAL, data["total"])]:
        rows.append([slug, "population", "", str(POPULATION_LABEL), part["population"]])
        for dimension in data["dimensions"]:
            for value, count in part[dimension].items():
                rows.append([slug, dimension, value, value_label(dimension, value), count])
    return rows


def duration_rows(report: Report) -> list[list]:
    rows = [["location", "measure", "count", "median", "p25", "p75"]]
    if not report.durations:
        return rows
    data = report.durations
    for slug, part in [*data["locations"].items(), (TOTAL, data["total"])]:
        for measure in data["measures"]:
            m = part[measure]
            rows.append([slug, measure, m["count"], m["median"], m["p25"], m["p75"]])
    return rows


def note_rows(report: Report) -> list[list]:
    rows = [
        [_("Monitor LVV"), ""],
        [_("Peildatum"), report.reference_date.isoformat()],
        [_("LVV's"), ", ".join(location.name for location in report.locations)],
        [_("Gemaakt op"), timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")],
        [_("Alleen casussen binnen het convenant tellen mee, behalve onder 'outside_covenant'."), ""],
    ]
    if report.trends:
        rows.append([_("Trends vanaf"), report.trends["start"]])
    if report.suppressed:
        rows += [
            [suppression.PRIMARY, _("een aantal van 1 tot en met 4")],
            [suppression.SECONDARY, _("onderdrukt om een klein aantal elders in de tabel te beschermen")],
        ]
    return rows


def parse_xlsx(data: bytes) -> dict:
    """An XLSX written by ``to_xlsx`` back into ``{"figures", "trends", "breakdowns"}``."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)

    def rows(title):
        return [list(row) for row in workbook[title].iter_rows(values_only=True)]

    result = {"figures": _figures_from_rows(rows("figures")), "trends": {"locations": {}, "total": []}}
    header, *body = rows("trends")
    for row in body:
        slug, month, date, *values = row
        entry = unflatten({"month": month, "date": date, **dict(zip(header[3:], map(_cell, values), strict=True))})
        target = result["trends"]["total"] if slug == TOTAL else result["trends"]["locations"].setdefault(slug, [])
        target.append(entry)
    breakdowns: dict = {"locations": {}, "total": {}}
    _header, *body = rows("breakdowns")
    for slug, dimension, value, _label, count in body:
        part = breakdowns["total"] if slug == TOTAL else breakdowns["locations"].setdefault(slug, {})
        if dimension == "population":
            part["population"] = _cell(count)
        else:
            part.setdefault(dimension, {})[str(value)] = _cell(count)
    result["breakdowns"] = breakdowns
    workbook.close()
    return result


# --- PDF -------------------------------------------------------------------------------------


def _data_only_fetcher():
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses everything else."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"refused to fetch {url!r}: only data: URIs are allowed")
            return super().fetch(url, headers)

    return DataOnlyFetcher()


def _pdf_table(id: str, row_header, columns: list[str], rows: list[tuple[str, list]]) -> list[Table]:
    """A table of the PDF with one column per LVV and the total, in parts that fit the page."""
    table = Table(
        id=id,
        caption="",
        columns=columns,
        row_header=str(row_header),
        rows=[Row(str(label), [fmt(value) for value in values]) for label, values in rows],
        total_column=True,
    )
    return split_columns(table)


def report_context(report: Report) -> dict:
    """What the PDF template shows: tables with Dutch labels and the charts as data URIs."""
    names = report.names
    columns = [(slug, names.get(slug, slug)) for slug in report.figures["locations"]] + [(TOTAL, str(TOTAL_LABEL))]
    headers = [name for _slug, name in columns]
    parts = {**report.figures["locations"], TOTAL: report.figures["total"]}
    flats = {slug: flatten(part) for slug, part in parts.items()}
    figure_rows = [(FIGURE_LABELS[key], [flats[slug][key] for slug, _name in columns]) for key in FIGURE_KEYS]
    context = {
        "report": report,
        "reference_date": report.reference_date,
        "location_names": [location.name for location in report.locations],
        "figure_tables": _pdf_table("pdf-figures", _("Cijfer"), headers, figure_rows),
        "suppressed": report.suppressed,
        "primary": suppression.PRIMARY,
        "secondary": suppression.SECONDARY,
        "charts": {
            "occupancy": charts.data_uri(charts.occupancy_chart(report.figures, names)),
            "outcomes": charts.data_uri(charts.outcomes_chart(report.figures, names)),
        },
        "trend_table": [],
        "breakdown_tables": [],
        "duration_table": [],
    }
    if report.trends:
        context["charts"]["present"] = charts.data_uri(charts.present_chart(report.trends))
        context["charts"]["flow"] = charts.data_uri(charts.flow_chart(report.trends))
        context["charts"]["outflow"] = charts.data_uri(charts.outflow_chart(report.trends))
        context["trend_start"] = datetime.date.fromisoformat(report.trends["start"])
        context["trend_columns"] = [TREND_LABELS[key] for key in TREND_COLUMNS]
        context["trend_table"] = [
            (month["month"], [flatten(month)[key] for key in TREND_COLUMNS]) for month in report.trends["total"]
        ]
    if report.breakdowns:
        data = report.breakdowns
        bparts = {**data["locations"], TOTAL: data["total"]}
        context["population_tables"] = _pdf_table(
            "pdf-population",
            "",
            headers,
            [(POPULATION_LABEL, [bparts[slug]["population"] for slug, _name in columns])],
        )
        for dimension in data["dimensions"]:
            context["breakdown_tables"].append(
                {
                    "title": DIMENSION_LABELS[dimension],
                    "chart": charts.data_uri(charts.breakdown_chart(data, dimension)),
                    "tables": _pdf_table(
                        f"pdf-breakdown-{dimension}",
                        DIMENSION_LABELS[dimension],
                        headers,
                        [
                            (value_label(dimension, value), [bparts[slug][dimension][value] for slug, _name in columns])
                            for value in data["values"][dimension]
                        ],
                    ),
                }
            )
    if report.durations:
        data = report.durations
        context["charts"]["durations"] = charts.data_uri(charts.durations_chart(data))
        dparts = {**data["locations"], TOTAL: data["total"]}
        for measure in data["measures"]:
            for slug, name in columns:
                m = dparts[slug][measure]
                context["duration_table"].append((MEASURE_LABELS[measure], name, m))
    return context


def render_report_html(report: Report) -> str:
    """The PDF's HTML (step two of three: context, HTML, PDF)."""
    return render_to_string("pdf/monitor_report.html", report_context(report))


def to_pdf(report: Report, *, fetcher=None) -> bytes:
    from weasyprint import HTML

    fetcher = fetcher or _data_only_fetcher()
    return HTML(string=render_report_html(report), url_fetcher=fetcher, base_url=None).write_pdf()
