"""The export of a list's current selection: CSV for Dutch spreadsheets and XLSX.

- The selection is the page's: the same queryset (the access policy, the page's filters and
  its 404s come first, in the view), the same sort, every page. The columns are the page's
  columns, so nothing the page withholds (special-category data) is in the file.
- CSV: UTF-8 with a byte order mark and ``;`` between fields, so that a Dutch spreadsheet
  opens it in columns; the headers are the Dutch column labels; dates as ``2020-11-01``
  (ISO 8601, read as dates by Dutch spreadsheets); text that a spreadsheet would run as a
  formula (``=``, ``+``, ``-``, ``@``) starts with an apostrophe.
- XLSX (openpyxl, write-only): one sheet with the list's Dutch name, a bold header row that
  stays in view, an autofilter, dates as dates (``dd-mm-jjjj``), numbers as numbers, text
  always as text (never a formula).
- Rows are read with ``iterator(chunk_size=...)`` and written as they come: the CSV streams,
  the XLSX is written to a temporary file and then streamed. No list is held in memory
  but the ids of the selection.
- One access-log row per export, before any row leaves (action ``export``): the list, the
  format, the filters, the sort, the number of rows and the ids they are about (the cases,
  or the meetings). Only those rows are written, even if a row joined the selection in
  between.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.listing import Listing

CHUNK_SIZE = 500
CSV_DELIMITER = ";"
BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE_FORMAT = "dd-mm-yyyy"
XLSX_DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
CSV_ROWS_PER_CHUNK = 200


def cell_text(value) -> str:
    """A value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def sheet_name(title) -> str:
    """A sheet name a spreadsheet accepts: at most 31 characters, none of ``[]:*?/\\``."""
    name = SHEET_NAME_FORBIDDEN.sub(" ", str(title)).strip(" '")
    return " ".join(name.split())[:SHEET_NAME_MAX] or "Lijst"


def filename(listing: Listing, fmt: str) -> str:
    return f"{slugify(str(listing.definition.title)) or 'lijst'}-{timezone.localdate().isoformat()}.{fmt}"


def _selection(listing: Listing, queryset) -> tuple[set, list]:
    """The ids of the rows in the selection and the ids each row is about (one query)."""
    field = listing.definition.logged_field
    pairs = list(queryset.order_by().values_list("pk", field))
    return {pk for pk, _ref in pairs}, sorted({ref for _pk, ref in pairs if ref is not None})


def _rows(listing: Listing, queryset, row_ids: set) -> Iterator[list]:
    values = [column.value for column in listing.definition.export_columns if column.value is not None]
    for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
        if obj.pk in row_ids:
            yield [value(obj) for value in values]


def export_response(request, listing: Listing, queryset):
    """The export of ``queryset`` (the page's selection, in any order) in
    ``listing.export_format``: ordered as the page, logged, streamed."""
    fmt = listing.export_format
    ordered = listing.order(queryset)
    row_ids, about = _selection(listing, ordered)
    definition = listing.definition
    record(
        actor=request.user,
        action=AccessAction.EXPORT,
        origin=Origin.from_request(request),
        object_type=definition.object_type,
        detail={
            "list": definition.name,
            "format": fmt,
            "filters": listing.filters(),
            "sort": listing.sort,
            "count": len(row_ids),
            definition.logged_as: about,
        },
    )
    header = [str(column.label) for column in definition.export_columns]
    rows = _rows(listing, ordered, row_ids)
    if fmt == "xlsx":
        return _xlsx_response(listing, header, rows, len(row_ids))
    response = StreamingHttpResponse(_csv_stream(header, rows), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(listing, "csv")}"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    """A file-like object that hands back what the CSV writer writes."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")
    yield BOM + writer.writerow([cell_text(label) for label in header])
    lines = []
    for row in rows:
        lines.append(writer.writerow([cell_text(value) for value in row]))
        if len(lines) >= CSV_ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    if value is not None and not isinstance(value, (bool, int, float, Decimal, datetime.date)):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: never a formula
    elif isinstance(value, datetime.datetime):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.number_format = XLSX_DATE_FORMAT
    return cell


def _xlsx_response(listing: Listing, header: list[str], rows: Iterable[list], count: int) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name(listing.definition.title))
    sheet.freeze_panes = "A2"
    for number, label in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = max(12, min(40, len(label) + 4))
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    bold = Font(bold=True)
    header_cells = []
    for label in header:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        cell.data_type = "s"
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    response = FileResponse(output, as_attachment=True, filename=filename(listing, "xlsx"), content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response
