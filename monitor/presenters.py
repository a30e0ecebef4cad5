"""The monitor's tables as people read them: Dutch labels, formatted numbers, one row per
figure or month, one column per LVV and the total.

A ``Table`` is what ``templates/monitor/includes/table.html`` (the pages) and
``templates/pdf/monitor_table.html`` (the PDF report) show. ``split_columns`` cuts a wide
table into parts of a few columns each, every part with the row labels, so that a table
of many LVVs still fits the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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
