"""The processing log in the shape of the Dutch standard Logboek Dataverwerkingen.

One JSON object per access-log row (JSON Lines): ``trace_id`` and ``operation_id`` name the
row (there is no distributed trace: each row is its own operation), ``name`` is what was done
to which kind of object, ``data_subject_id`` is the person's pseudonym (never a V-number or a
name), found from the case or person the row is about, set-based per chunk.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone

from lvv.audit.models import AccessLogEntry, Result
from lvv.audit.pseudonym import person_pseudonym

TRACE_NAMESPACE = uuid.UUID("6f0e7c1e-5a0b-4c51-9a53-4c56565f4c4f")
CHUNK = 2000


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return first, after


def _case_id(row: dict) -> int | None:
    return row["about_case"]


def _subjects(rows: list[dict]) -> dict[int, int]:
    """case id -> person id for the cases these rows are about (one query)."""
    from cases.models import Case

    ids = {case for row in rows if (case := _case_id(row)) is not None}
    return dict(Case.objects.filter(pk__in=ids).values_list("pk", "person_id")) if ids else {}


def _person_id(row: dict, cases: dict[int, int]) -> int | None:
    if row["object_type"] == "cases.person" and row["object_id"].isdigit():
        return int(row["object_id"])
    case = _case_id(row)
    return cases.get(case) if case is not None else None


def records(start: datetime.date, end: datetime.date) -> Iterator[dict]:
    """The log's rows from ``start`` to ``end`` (inclusive, local dates), oldest first."""
    first, after = _bounds(start, end)
    queryset = (
        AccessLogEntry.objects.filter(Q(timestamp__gte=first) & Q(timestamp__lt=after))
        .order_by("timestamp", "id")
        .values(
            "id",
            "timestamp",
            "actor_username",
            "actor_organisation__name",
            "action",
            "object_type",
            "object_id",
            "result",
            "channel",
            "processing_activity",
            "about_case",
            "chain_seq",
            "chain_hash",
        )
    )
    chunk: list[dict] = []
    for row in queryset.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from _shape(chunk)
            chunk = []
    yield from _shape(chunk)


def _shape(rows: list[dict]) -> Iterator[dict]:
    cases = _subjects(rows)
    for row in rows:
        moment = row["timestamp"].isoformat()
        yield {
            "trace_id": uuid.uuid5(TRACE_NAMESPACE, f"row:{row['id']}").hex,
            "operation_id": f"{row['id']:016x}",
            "name": f"{row['object_type'] or 'lvv'}.{row['action']}",
            "status_code": "STATUS_CODE_OK" if row["result"] == Result.ALLOWED else "STATUS_CODE_ERROR",
            "start_time": moment,
            "end_time": moment,
            "processing_activity_id": row["processing_activity"],
            "data_subject_id": person_pseudonym(_person_id(row, cases)),
            "actor": {"user": row["actor_username"] or None, "organisation": row["actor_organisation__name"]},
            "channel": row["channel"],
            "result": row["result"],
            "chain": {"seq": row["chain_seq"], "hash": row["chain_hash"] or None},
        }


def write_jsonl(start: datetime.date, end: datetime.date, out) -> int:
    count = 0
    for item in records(start, end):
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
