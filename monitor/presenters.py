"""The monitor as people read it, built once for every output: the dashboard, the PDF
report and the files (CSV, XLSX).

- ``present(analyses, names)``: the dashboard's tables and charts (``Presentation``): the
  figures of the contract and those outside the covenant, occupancy and outcomes per LVV,
  the trends, the breakdowns, the durations and (on the dashboard) the data-quality
  counts. The page shows them as they are; the PDF shows the same tables, cut by
  ``split_columns`` into parts that fit the paper (every part with the row labels, the
  total in the last), and the same charts as images.
- ``figures_table``, ``comparison_tables``, ``quality_table``: the snapshot pages and the
  data-quality panel.
- ``figure_records``, ``trend_records``, ``breakdown_records``, ``duration_records``: the
  files' rows, with Dutch headers and labels, values as they are, codes in the last
  columns.

Every table lists the LVVs by name, then the total (``Totaal``), and the figures in the
monitor's order; numbers are written the Dutch way (``fmt``). A ``Table`` is what
``templates/monitor/includes/table.html`` and ``templates/pdf/monitor_table.html`` show.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from monitor import charts, quality
from monitor.figures import FIGURE_KEYS, flatten
from monitor.labels import (
    DIMENSION_LABELS,
    FIGURE_LABELS,
    MEASURE_LABELS,
    OUTCOME_LABELS,
    POPULATION_LABEL,
    TOTAL_LABEL,
    TREND_LABELS,
    value_label,
)

TOTAL = "total"
FIGURE_HEADER = gettext_lazy("Cijfer")
DIFFERENCE_HEADER = gettext_lazy("Verschil")
FINDING_HEADER = gettext_lazy("Bevinding")
REFERENCE_DATE_HEADER = gettext_lazy("Peildatum")
LVV_HEADER = gettext_lazy("LVV")
LVV_CODE_HEADER = gettext_lazy("LVV-code")
MONTH_HEADER = gettext_lazy("Maand")
MONTH_END_HEADER = gettext_lazy("Tot en met")
DIMENSION_HEADER = gettext_lazy("Kenmerk")
DIMENSION_CODE_HEADER = gettext_lazy("Kenmerkcode")
VALUE_HEADER = gettext_lazy("Waarde")
VALUE_CODE_HEADER = gettext_lazy("Waardecode")
COUNT_HEADER = gettext_lazy("Aantal")
MEASURE_HEADER = gettext_lazy("Stap")
MEASURE_CODE_HEADER = gettext_lazy("Stapcode")
CASES_HEADER = gettext_lazy("Aantal casussen")
MEDIAN_HEADER = gettext_lazy("Mediaan (dagen)")
P25_HEADER = gettext_lazy("25e percentiel (dagen)")
P75_HEADER = gettext_lazy("75e percentiel (dagen)")

# The most value columns (LVVs and the total) in one table of the PDF report (A4 landscape).
PDF_MAX_COLUMNS = 7


@dataclass
class Row:
    label: str
    cells: list
    changed: bool = False


@dataclass
class Table:
    """A data table: ``columns`` are the headers of the value columns (the first column,
    headed ``row_header``, holds each row's label)."""

    id: str
    caption: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    row_header: str = ""
    # Whether the last column is the total (shown in bold).
    total_column: bool = False
    # Set by ``split_columns``: this part's number and the number of parts.
    part: int = 1
    parts: int = 1


def fmt(value) -> str:
    """A number as Dutch readers write it: ``1.234``, ``12,5``; "—" for nothing; the
    suppression marks and other text as they are."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)


def split_columns(table: Table, max_columns: int = PDF_MAX_COLUMNS) -> list[Table]:
    """``table`` as parts of at most ``max_columns`` value columns each, as even as they
    come, every part with all the row labels; the total stays in the last part."""
    count = len(table.columns)
    if count <= max_columns:
        return [table]
    number = -(-count // max_columns)
    size, extra = divmod(count, number)
    parts, start = [], 0
    for index in range(number):
        end = start + size + (1 if index < extra else 0)
        parts.append(
            replace(
                table,
                id=f"{table.id}-{index + 1}",
                columns=table.columns[start:end],
                rows=[replace(row, cells=row.cells[start:end]) for row in table.rows],
                total_column=table.total_column and end == count,
                part=index + 1,
                parts=number,
            )
        )
        start = end
    return parts


# The figures in the order the monitor shows them: the contract's, then those outside the
# covenant (counted apart).
CONTRACT_KEYS = [key for key in FIGURE_KEYS if not key.startswith("outside_covenant.")]
OUTSIDE_KEYS = [key for key in FIGURE_KEYS if key.startswith("outside_covenant.")]
SHOWN_ORDER = {key: number for number, key in enumerate(CONTRACT_KEYS + OUTSIDE_KEYS)}


def by_name(slugs, names: dict[str, str]) -> list[str]:
    """The LVVs' codes in the order of their names (then codes): the order of every table."""
    return sorted(slugs, key=lambda slug: (names.get(slug, slug).casefold(), slug))


def by_name_locations(locations) -> list:
    """``Location`` objects in the order of their names (then codes)."""
    return sorted(locations, key=lambda location: (location.name.casefold(), location.slug))


def shown_order(keys) -> list[str]:
    """Flattened figure keys in the monitor's order; keys it does not know last, by name."""
    return sorted(keys, key=lambda key: (SHOWN_ORDER.get(key, len(SHOWN_ORDER)), key))


def figures_table(data: dict, names: dict[str, str], *, id: str, caption: str, keys=CONTRACT_KEYS) -> Table:
    """One row per figure, one column per LVV (by name) and the total."""
    slugs = by_name(data["locations"], names)
    flat = {slug: flatten(data["locations"][slug]) for slug in slugs}
    total = flatten(data["total"])
    table = Table(
        id=id,
        caption=caption,
        columns=[names.get(slug, slug) for slug in slugs] + [str(TOTAL_LABEL)],
        row_header=str(FIGURE_HEADER),
        total_column=True,
    )
    for key in keys:
        cells = [flat[slug].get(key) for slug in slugs] + [total.get(key)]
        table.rows.append(Row(str(FIGURE_LABELS.get(key, key)), [fmt(value) for value in cells]))
    return table


def comparison_tables(diff: dict, names: dict[str, str], *, old_heading: str, new_heading: str) -> list[Table]:
    """``monitor.services.compare`` as one table per LVV (by name), then the total: a row
    per figure in the monitor's order, with the earlier and later value and the difference."""
    tables = []
    parts = [(slug, diff["locations"][slug]) for slug in by_name(diff["locations"], names)]
    for slug, keys in [*parts, (TOTAL, diff["total"])]:
        table = Table(
            id=f"table-compare-{slug}",
            caption=str(TOTAL_LABEL) if slug == TOTAL else names.get(slug, slug),
            columns=[old_heading, new_heading, str(DIFFERENCE_HEADER)],
            row_header=str(FIGURE_HEADER),
        )
        for key in shown_order(keys):
            values = keys[key]
            delta = values["delta"]
            shown_delta = "—" if delta is None else (f"+{fmt(delta)}" if delta > 0 else fmt(delta))
            table.rows.append(
                Row(
                    str(FIGURE_LABELS.get(key, key)),
                    [fmt(values["old"]), fmt(values["new"]), shown_delta],
                    changed=values["old"] != values["new"],
                )
            )
        tables.append(table)
    return tables


# --- the monitor as the dashboard and the PDF show it ------------------------------------------

OUTCOME_KEYS = ("durable", "semi_durable", "none")
TREND_TABLES = (
    (
        "table-trend-present",
        gettext_lazy("In de opvang aan het einde van de maand, %(start)s tot en met %(end)s"),
        ["present"],
    ),
    (
        "table-trend-flow",
        gettext_lazy("Instroom en scenario's per maand, %(start)s tot en met %(end)s"),
        ["inflow", "scenarios_set"],
    ),
    (
        "table-trend-outflow",
        gettext_lazy("Uitstroom per maand naar uitkomst, %(start)s tot en met %(end)s"),
        ["outflow.durable", "outflow.semi_durable", "outflow.none"],
    ),
)


@dataclass
class Chart:
    """A chart (SVG markup from ``monitor.charts``) and the table with its numbers."""

    svg: str
    table: Table
    key: str = ""


@dataclass
class Presentation:
    """Everything the dashboard and the PDF report show, built once from the analyses."""

    contract_table: Table
    outside_table: Table
    occupancy: Chart
    outcomes: Chart
    trends: list[Chart] = field(default_factory=list)
    trend_period: dict = field(default_factory=dict)
    breakdowns: list[Chart] = field(default_factory=list)
    durations: Chart | None = None
    quality_table: Table | None = None
    quality_total: int = 0


def _ordered(data: dict, slugs: list[str]) -> dict:
    """``data`` with its LVVs in the order of ``slugs`` (a new dict; the parts are shared)."""
    return {**data, "locations": {slug: data["locations"][slug] for slug in slugs}}


def _per_lvv_table(id, caption, columns, slugs, names, part_of, total, cells) -> Table:
    """One row per LVV and one for the total; ``cells(part)`` gives a row's values."""
    rows = [Row(names.get(slug, slug), [fmt(value) for value in cells(part_of(slug))]) for slug in slugs]
    rows.append(Row(str(TOTAL_LABEL), [fmt(value) for value in cells(total)]))
    return Table(id=id, caption=caption, columns=[str(c) for c in columns], row_header=str(LVV_HEADER), rows=rows)


def month_label(month: str) -> str:
    """``2020-06`` as "juni 2020"."""
    year, number = month.split("-")
    return date_format(datetime.date(int(year), int(number), 1), "YEAR_MONTH_FORMAT")


def _trend_charts(trends: dict) -> tuple[list[Chart], dict]:
    months = [month_label(month) for month in trends["months"]]
    period = {"start": months[0], "end": months[-1]} if months else {"start": "", "end": ""}
    svgs = (charts.present_chart(trends), charts.flow_chart(trends), charts.outflow_chart(trends))
    out = []
    for svg, (id, caption, keys) in zip(svgs, TREND_TABLES, strict=True):
        table = Table(
            id=id,
            caption=str(caption) % period,
            columns=[str(TREND_LABELS[key]) for key in keys],
            row_header=str(MONTH_HEADER),
            rows=[
                Row(months[number], [fmt(flatten(month)[key]) for key in keys])
                for number, month in enumerate(trends["total"])
            ],
        )
        out.append(Chart(svg, table, id))
    return out, period


def _breakdown_charts(breakdowns: dict, slugs: list[str], names: dict[str, str], shown_date: str) -> list[Chart]:
    columns = [names.get(slug, slug) for slug in slugs] + [str(TOTAL_LABEL)]
    parts = [breakdowns["locations"][slug] for slug in slugs] + [breakdowns["total"]]
    out = []
    for dimension in breakdowns["dimensions"]:
        table = Table(
            id=f"table-breakdown-{dimension}",
            caption=_("%(dimension)s van de personen ooit in de opvang tot en met %(date)s")
            % {"dimension": DIMENSION_LABELS[dimension], "date": shown_date},
            columns=columns,
            row_header=str(DIMENSION_LABELS[dimension]),
            total_column=True,
        )
        for value in breakdowns["values"][dimension]:
            table.rows.append(Row(value_label(dimension, value), [fmt(part[dimension][value]) for part in parts]))
        table.rows.append(Row(str(POPULATION_LABEL), [fmt(part["population"]) for part in parts]))
        out.append(Chart(charts.breakdown_chart(breakdowns, dimension), table, dimension))
    return out


def _durations_chart(durations: dict, slugs: list[str], names: dict[str, str], shown_date: str) -> Chart:
    table = Table(
        id="table-durations",
        caption=_("Doorlooptijden in dagen tot en met %(date)s") % {"date": shown_date},
        columns=[str(CASES_HEADER), _("Mediaan"), _("25e percentiel"), _("75e percentiel")],
        row_header=str(MEASURE_HEADER),
    )
    parts = [(names.get(slug, slug), durations["locations"][slug]) for slug in slugs]
    for part_name, part in [*parts, (str(TOTAL_LABEL), durations["total"])]:
        for measure in durations["measures"]:
            m = part[measure]
            table.rows.append(
                Row(
                    f"{part_name}: {MEASURE_LABELS[measure]}",
                    [fmt(m["count"]), fmt(m["median"]), fmt(m["p25"]), fmt(m["p75"])],
                )
            )
    return Chart(charts.durations_chart(durations), table, "durations")


def quality_table(counts: dict, names: dict[str, str], *, caption: str) -> Table:
    """The data-quality findings: a row per finding, a column per LVV (by name) and the total."""
    slugs = by_name(counts["locations"], names)
    return Table(
        id="table-quality",
        caption=caption,
        columns=[names.get(slug, slug) for slug in slugs] + [str(TOTAL_LABEL)],
        row_header=str(FINDING_HEADER),
        total_column=True,
        rows=[
            Row(
                str(quality.CHECK_LABELS[check]),
                [fmt(counts["locations"][slug][check]) for slug in slugs] + [fmt(counts["total"][check])],
            )
            for check in quality.CHECKS
        ],
    )


def present(analyses, names: dict[str, str], *, quality_counts: dict | None = None) -> Presentation:
    """The tables and charts of the monitor from ``analyses`` (anything with
    ``reference_date``, ``figures`` and, when computed, ``trends``, ``breakdowns`` and
    ``durations``: ``monitor.exports.Report``, ``monitor.selectors.Analyses``), every LVV
    by name, then the total. The dashboard and the PDF report both show these."""
    shown_date = date_format(analyses.reference_date)
    data = analyses.figures
    slugs = by_name(data["locations"], names)
    ordered = _ordered(data, slugs)
    presentation = Presentation(
        contract_table=figures_table(
            data,
            names,
            id="table-figures",
            caption=_("De monitor op %(date)s, per LVV en in totaal (binnen het convenant)") % {"date": shown_date},
        ),
        outside_table=figures_table(
            data,
            names,
            id="table-outside",
            caption=_("Buiten het convenant op %(date)s (apart geteld)") % {"date": shown_date},
            keys=OUTSIDE_KEYS,
        ),
        occupancy=Chart(
            charts.occupancy_chart(ordered, names),
            _per_lvv_table(
                "table-occupancy",
                _("In de opvang en capaciteit op %(date)s") % {"date": shown_date},
                [FIGURE_LABELS["present"], FIGURE_LABELS["capacity"]],
                slugs,
                names,
                data["locations"].get,
                data["total"],
                lambda part: (part["present"], part["capacity"]),
            ),
            "occupancy",
        ),
        outcomes=Chart(
            charts.outcomes_chart(ordered, names),
            _per_lvv_table(
                "table-outcomes",
                _("Uitstroom tot en met %(date)s naar uitkomst") % {"date": shown_date},
                [str(OUTCOME_LABELS[key]).capitalize() for key in OUTCOME_KEYS],
                slugs,
                names,
                data["locations"].get,
                data["total"],
                lambda part: [part["outcome_classes"][key] for key in OUTCOME_KEYS],
            ),
            "outcomes",
        ),
    )
    if analyses.trends:
        presentation.trends, presentation.trend_period = _trend_charts(analyses.trends)
    if analyses.breakdowns:
        presentation.breakdowns = _breakdown_charts(analyses.breakdowns, slugs, names, shown_date)
    if analyses.durations:
        presentation.durations = _durations_chart(analyses.durations, slugs, names, shown_date)
    if quality_counts is not None:
        presentation.quality_table = quality_table(
            quality_counts, names, caption=_("Casussen met onvolledige of tegenstrijdige gegevens, vandaag")
        )
        presentation.quality_total = sum(quality_counts["total"].values())
    return presentation


# --- records for the files (CSV, XLSX) -------------------------------------------------------
#
# One record per LVV (and one for the total), or per LVV and month, value or step: Dutch
# headers and labels, the values as they are (numbers stay numbers; dates are dates), and
# the machine codes (LVV, key, value) in the last columns, so that a file reads back.

TREND_KEYS = ["present", "inflow", "outflow.durable", "outflow.semi_durable", "outflow.none", "scenarios_set"]


def _parts(data: dict, names: dict[str, str]):
    """``(name, code, part)`` per LVV (by name), then the total (its code empty)."""
    for slug in by_name(data["locations"], names):
        yield names.get(slug, slug), slug, data["locations"][slug]
    yield str(TOTAL_LABEL), "", data["total"]


def figure_records(data: dict, names: dict[str, str]) -> list[list]:
    """The figures of the contract: a header, then one record per LVV and the total."""
    header = [str(REFERENCE_DATE_HEADER), str(LVV_HEADER), *(str(FIGURE_LABELS[key]) for key in FIGURE_KEYS)]
    rows = [[*header, str(LVV_CODE_HEADER)]]
    d = datetime.date.fromisoformat(str(data["reference_date"]))
    for name, code, part in _parts(data, names):
        flat = flatten(part)
        rows.append([d, name, *(flat[key] for key in FIGURE_KEYS), code])
    return rows


def trend_records(trends: dict | None, names: dict[str, str]) -> list[list]:
    rows = [
        [
            str(LVV_HEADER),
            str(MONTH_HEADER),
            str(MONTH_END_HEADER),
            *(str(TREND_LABELS[key]) for key in TREND_KEYS),
            str(LVV_CODE_HEADER),
        ]
    ]
    if not trends:
        return rows
    for name, code, months in _parts(trends, names):
        for month in months:
            flat = flatten(month)
            first = datetime.date.fromisoformat(f"{month['month']}-01")
            end = datetime.date.fromisoformat(month["date"])
            rows.append([name, first, end, *(flat[key] for key in TREND_KEYS), code])
    return rows


def breakdown_records(breakdowns: dict | None, names: dict[str, str]) -> list[list]:
    header = [LVV_HEADER, DIMENSION_HEADER, VALUE_HEADER, COUNT_HEADER, LVV_CODE_HEADER]
    rows = [[*map(str, header), str(DIMENSION_CODE_HEADER), str(VALUE_CODE_HEADER)]]
    if not breakdowns:
        return rows
    for name, code, part in _parts(breakdowns, names):
        rows.append([name, str(POPULATION_LABEL), "", part["population"], code, "population", ""])
        for dimension in breakdowns["dimensions"]:
            for value, count in part[dimension].items():
                label = str(DIMENSION_LABELS[dimension])
                rows.append([name, label, value_label(dimension, value), count, code, dimension, value])
    return rows


def duration_records(durations: dict | None, names: dict[str, str]) -> list[list]:
    header = [LVV_HEADER, MEASURE_HEADER, CASES_HEADER, MEDIAN_HEADER, P25_HEADER, P75_HEADER, LVV_CODE_HEADER]
    rows = [[*map(str, header), str(MEASURE_CODE_HEADER)]]
    if not durations:
        return rows
    for name, code, part in _parts(durations, names):
        for measure in durations["measures"]:
            m = part[measure]
            rows.append(
                [name, str(MEASURE_LABELS[measure]), m["count"], m["median"], m["p25"], m["p75"], code, measure]
            )
    return rows
