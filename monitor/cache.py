"""The monitor's analyses, computed once per reference date and LVV scope and kept in
Django's cache until the records they come from change.

A cached figure is never stale: its key holds the *data version*, which changes with
every committed transaction that writes one of the tables the figures read
(``WATCHED_MODELS``). A statement-level trigger on each of them (migration
``monitor.0002_release_2``) adds a row to ``monitor_datachange`` once per writing
transaction, whatever writes it: a service, the admin, an import, retention, raw SQL. The
version is the sum of those rows' weights (it grows with every commit and, the trigger
folding old rows into one, stays cheap to read) and the newest row's id (ids come from a
sequence and are never given out twice, so a rolled-back write cannot make a version
that meant other records before). The version is read before the analyses are computed:
a change committed in between gives figures newer than their key, never older. A
transaction that has written those records itself computes without the cache (its
version counts it once, however much more it writes before it commits).

A table that the figures come to read must get the trigger too (a new migration);
``tests/monitor/test_cache.py`` checks that every table the analyses' queries name has
it. After restoring the database from a backup, clear the cache: the versions start
again from the backup's. Entries also expire after ``CACHE_SECONDS``.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from lvv.partners.models import Location
from monitor import analysis, quality
from monitor.figures import figures, resolve_scope
from monitor.models import DataChange

CACHE_SECONDS = 6 * 60 * 60
KEY_PREFIX = "monitor:analyses:1"
# The models whose tables the figures, the analyses and the data-quality counts read; each
# has the trigger (migration monitor.0002_release_2).
WATCHED_MODELS = [
    "cases.Case",
    "cases.Person",
    "cases.Outflow",
    "cases.Scenario",
    "cases.DossierPart",
    "cases.CooperationCheck",
    "cases.Deadline",
    "cases.TimelineEvent",
    "mrt.Escalation",
    "mrt.Advice",
    "procedures.Application",
    "procedures.DeparturePlan",
    "partners.Location",
    "partners.LocationCapacity",
    "partners.ProgrammeSettings",
]


def _version() -> tuple[str, bool]:
    """The version of the records the monitor reads, and whether this transaction has
    written any of them itself (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(weight), 0), COALESCE(MAX(id), 0), "  # noqa: S608 -- a table name
            "COALESCE(current_setting('lvv.monitor_data_changed', true), '') "
            f"= COALESCE(txid_current_if_assigned()::text, '-') FROM {DataChange._meta.db_table}"
        )
        total, newest, wrote = cursor.fetchone()
    return f"{total}.{newest}", wrote


def data_version() -> str:
    """The version of the records the monitor reads (one query)."""
    return _version()[0]


@dataclass
class Analyses:
    """What the dashboard and the reports show, for one date and scope (``None``: not asked)."""

    reference_date: datetime.date
    locations: list[Location]
    figures: dict
    trends: dict | None = None
    breakdowns: dict | None = None
    durations: dict | None = None
    quality: dict | None = None


def _key(kind: str, params: str, slugs: list[str], version: str) -> str:
    scope = hashlib.sha256(",".join(slugs).encode()).hexdigest()[:24]
    return f"{KEY_PREFIX}:{kind}:{params}:{scope}:{version}"


def analyses(
    reference_date: datetime.date,
    locations: Iterable[Location] | None = None,
    *,
    trends: tuple[datetime.date, datetime.date] | None = None,
    breakdowns: bool = False,
    durations: bool = False,
    quality_on: datetime.date | None = None,
    done: Callable[[str], None] | None = None,
) -> Analyses:
    """The figures at ``reference_date`` for ``locations`` (all LVVs when None) and, when
    asked, the trends from ``trends[0]`` to ``trends[1]``, the breakdowns, the durations
    and the data-quality counts on ``quality_on``: each from the cache when the records
    have not changed since it was computed, else computed and kept. One query for the
    version, plus the queries of whatever was not in the cache. ``done`` is called with
    each part's name ("figures", "trends"...) once it is there (for a job's progress)."""
    scope = resolve_scope(locations)
    slugs = [location.slug for location in scope]
    d = reference_date.isoformat()
    parts: dict[str, tuple[str, Callable[[], dict]]] = {
        "figures": (f"figures:{d}", lambda: figures(reference_date, scope)),
    }
    if trends:
        start, end = trends
        parts["trends"] = (f"trends:{start}:{end}", lambda: analysis.trends(start, end, scope))
    if breakdowns:
        parts["breakdowns"] = (f"breakdowns:{d}", lambda: analysis.breakdowns(reference_date, scope))
    if durations:
        parts["durations"] = (f"durations:{d}", lambda: analysis.durations(reference_date, scope))
    if quality_on:
        parts["quality"] = (f"quality:{quality_on}", lambda: quality.counts(scope, quality_on))

    values = _cached(parts, slugs, done)
    return Analyses(reference_date=reference_date, locations=scope, **values)


def quality_counts(locations: Iterable[Location], today: datetime.date) -> dict:
    """``monitor.quality.counts``, from the cache while the records stay the same."""
    scope = resolve_scope(locations)
    parts = {"quality": (f"quality:{today}", lambda: quality.counts(scope, today))}
    return _cached(parts, [location.slug for location in scope])["quality"]


def _cached(parts: dict[str, tuple[str, Callable[[], dict]]], slugs: list[str], done=None) -> dict:
    """Each part's value from the cache, or computed (after reading the version) and kept.
    In a transaction that has written the records itself nothing is read from or kept in
    the cache: its version stays the same until it commits, whatever it writes next."""
    version, wrote = _version()
    keys = {name: _key(*kind.split(":", 1), slugs, version) for name, (kind, _compute) in parts.items()}
    found = {} if wrote else cache.get_many(list(keys.values()))
    values, computed = {}, {}
    for name, (_kind, compute) in parts.items():
        if keys[name] in found:
            values[name] = found[keys[name]]
        else:
            values[name] = computed[keys[name]] = compute()
        if done:
            done(name)
    if computed and not wrote:
        cache.set_many(computed, timeout=CACHE_SECONDS)
    return values
