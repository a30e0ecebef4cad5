"""The hash chain over the access log: proof that no row was removed or altered.

Rows are written by many processes at once, so they are chained after they commit: ``seal``
takes the rows without a place in the chain, in the order of their ids, and gives each the
next ``chain_seq`` and ``chain_hash = sha256(previous hash + the row's canonical content)``.
One sealer runs at a time (a PostgreSQL advisory lock); the beat job seals every minute, and
the export and verify commands seal first. ``verify`` recomputes the whole chain.

A row that is altered afterwards no longer matches its hash; a removed row leaves a gap in
``chain_seq`` and breaks the next row's link. The database refuses both anyway (triggers,
and in production the application role's rights); the chain lets anyone prove it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db import connection, transaction

from lvv.audit.models import AccessLogEntry

GENESIS = "0" * 64
SEAL_LOCK = 0x4C56565F4C4F47  # "LVV_LOG": one sealer at a time
BATCH = 2000
FIELDS = (
    "id",
    "timestamp",
    "actor_id",
    "actor_username",
    "actor_organisation_id",
    "action",
    "object_type",
    "object_id",
    "result",
    "channel",
    "ip_address",
    "detail",
    "processing_activity",
    "about_case",
)


def canonical(row: dict, seq: int) -> bytes:
    """The row's content as the chain hashes it: its fields and its place, as sorted JSON."""
    content = {name: row[name] for name in FIELDS}
    content["timestamp"] = row["timestamp"].isoformat()
    content["seq"] = seq
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link(previous: str, row: dict, seq: int) -> str:
    return hashlib.sha256(previous.encode() + canonical(row, seq)).hexdigest()


def _head() -> tuple[int, str]:
    last = (
        AccessLogEntry.objects.filter(chain_seq__isnull=False)
        .order_by("-chain_seq")
        .values_list("chain_seq", "chain_hash")
        .first()
    )
    return last if last else (0, GENESIS)


def seal(*, batch: int = BATCH) -> int:
    """Chain every row that has no place yet; returns how many were sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])
            seq, previous = _head()
            rows = list(AccessLogEntry.objects.filter(chain_seq__isnull=True).order_by("id").values(*FIELDS)[:batch])
            if not rows:
                return sealed
            updates = []
            for row in rows:
                seq += 1
                previous = link(previous, row, seq)
                updates.append((row["id"], seq, previous))
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE audit_accesslogentry SET chain_seq = %s, chain_hash = %s WHERE id = %s",
                    [(s, h, pk) for pk, s, h in updates],
                )
            sealed += len(rows)
            if len(rows) < batch:
                return sealed


@dataclass
class Verification:
    checked: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(*, max_problems: int = 20) -> Verification:
    """Recompute the chain from the first row: every place taken once, in order, and
    every hash the hash of its row and the one before."""
    result = Verification()
    expected_seq, previous = 1, GENESIS
    rows = (
        AccessLogEntry.objects.filter(chain_seq__isnull=False)
        .order_by("chain_seq")
        .values(*FIELDS, "chain_seq", "chain_hash")
        .iterator(chunk_size=BATCH)
    )
    for row in rows:
        seq = row["chain_seq"]
        if seq != expected_seq:
            result.problems.append(f"rows {expected_seq} to {seq - 1} of the chain are missing")
            previous = None  # the link across a gap cannot be checked
        if previous is not None and link(previous, row, seq) != row["chain_hash"]:
            result.problems.append(f"row {seq} (id {row['id']}) does not match its hash")
        previous = row["chain_hash"]
        expected_seq = seq + 1
        result.checked += 1
        if len(result.problems) >= max_problems:
            break
    result.unsealed = AccessLogEntry.objects.filter(chain_seq__isnull=True).count()
    return result
