"""The monitor's tables as people read them: Dutch labels, formatted numbers, one row per
figure or month, one column per LVV and the total.

A ``Table`` is what ``templates/monitor/includes/table.html`` (the pages) and
``templates/pdf/monitor_table.html`` (the PDF report) show. ``split_columns`` cuts a wide
table into parts of a few columns each, every part with the row labels, so that a table
of many LVVs still fits the paper.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext_lazy as _

from monitor.figures import FIGURE_KEYS, flatten
from monitor.labels import (
    DIMENSION_LABELS,
    FIGURE_LABELS,
    MEASURE_LABELS,
    POPULATION_LABEL,
    TOTAL_LABEL,
    TREND_LABELS,
    value_label,
)

TOTAL = "total"
FIGURE_HEADER = _("Cijfer")
DIFFERENCE_HEADER = _("Verschil")

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


# --- records for the files (CSV, XLSX) -------------------------------------------------------
#
# One record per LVV (and one for the total), or per LVV and month, value or step: Dutch
# headers and labels, the values as they are (numbers stay numbers; dates are dates), and
# the machine codes (LVV, key, value) in the last columns, so that a file reads back.

TREND_KEYS = ["present", "inflow", "outflow.durable", "outflow.semi_durable", "outflow.none", "scenarios_set"]

REFERENCE_DATE_HEADER = _("Peildatum")
LVV_HEADER = _("LVV")
LVV_CODE_HEADER = _("LVV-code")
MONTH_HEADER = _("Maand")
MONTH_END_HEADER = _("Tot en met")
DIMENSION_HEADER = _("Kenmerk")
DIMENSION_CODE_HEADER = _("Kenmerkcode")
VALUE_HEADER = _("Waarde")
VALUE_CODE_HEADER = _("Waardecode")
COUNT_HEADER = _("Aantal")
MEASURE_HEADER = _("Stap")
MEASURE_CODE_HEADER = _("Stapcode")
CASES_HEADER = _("Aantal casussen")
MEDIAN_HEADER = _("Mediaan (dagen)")
P25_HEADER = _("25e percentiel (dagen)")
P75_HEADER = _("75e percentiel (dagen)")


def _parts(data: dict, names: dict[str, str]):
    """``(name, code, part)`` per LVV, then the total (its code empty)."""
    for slug, part in data["locations"].items():
        yield names.get(slug, slug), slug, part
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
