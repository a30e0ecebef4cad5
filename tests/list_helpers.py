"""Helpers for the list tests (``lvv.lists``): read an export, find its access-log row."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from lvv.audit.models import AccessAction, AccessLogEntry

BOM = b"\xef\xbb\xbf"


def content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV export, after checking its bytes: BOM, UTF-8, ``;`` separated."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    data = content(response)
    assert data.startswith(BOM), data[:10]
    text = data[len(BOM) :].decode("utf-8")
    assert ";" in text.splitlines()[0]
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def xlsx_sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(content(response)))
    assert len(workbook.sheetnames) == 1
    return workbook[workbook.sheetnames[0]]


def export_rows(user=None):
    rows = AccessLogEntry.objects.filter(action=AccessAction.EXPORT).order_by("pk")
    if user is not None:
        rows = rows.filter(actor=user)
    return list(rows)
