"""The monitor's analyses from the cache: computed once per date and scope, and never
stale, whatever writes the records (a service, a queryset update, raw SQL, a delete), for a
past date and for today."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Outflow
from monitor import analysis, cache, quality
from monitor.figures import figures
from monitor.models import DataChange
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db


def _as_if_committed() -> None:
    """A test runs in one transaction; from here on, as if what it wrote was committed and
    a new transaction began (the trigger adds one row per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lvv.monitor_data_changed', '', true)")


def _triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'monitor_data_changed_%'"
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_the_analyses_read_has_the_trigger(world):
    ams, rot = world.ams.location, world.rot.location
    build(
        ams, sheltered=D - 40 * DAY, outflow=(D - 5 * DAY, "forced_termination"), dossier=(D - 30 * DAY, D - 20 * DAY)
    )
    build(rot, sheltered=D - 30 * DAY, scenarios=[(D - 10 * DAY, "residence")], mrt=[D - 3 * DAY])
    scope = [ams, rot]
    with CaptureQueriesContext(connection) as queries:
        figures(D, scope)
        analysis.trends(D - 90 * DAY, D, scope)
        analysis.breakdowns(D, scope)
        analysis.durations(D, scope)
        quality.counts(scope, timezone.localdate())
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    tables = {model._meta.db_table for model in apps.get_models()}
    read = {table for table in tables if re.search(rf"(?<![\w]){re.escape(table)}(?![\w])", sql)}
    read.discard(DataChange._meta.db_table)
    assert {"cases_case", "cases_outflow", "mrt_advice", "partners_locationcapacity"} <= read
    assert read <= _triggered_tables(), read - _triggered_tables()
    assert {apps.get_model(label)._meta.db_table for label in cache.WATCHED_MODELS} == _triggered_tables()


def test_every_kind_of_write_changes_the_version(world):
    case = build(world.ams.location, sheltered=D - 10 * DAY)
    _as_if_committed()
    seen = {cache.data_version()}

    def changed() -> bool:
        version = cache.data_version()
        new = version not in seen
        seen.add(version)
        _as_if_committed()
        return new

    Case.objects.filter(pk=case.pk).update(case_types=["family"])
    assert changed()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_person SET sex = 'f' WHERE id = %s", [case.person_id])
    assert changed()
    build(world.rot.location, waitlisted=D)
    assert changed()
    Outflow.objects.filter(case=case).delete()
    assert changed()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET case_types = '{}' WHERE false")  # a statement that changes nothing
    assert changed()  # counted all the same: never too few
    # A write that is rolled back leaves the version as it was; the next one changes it.
    before = cache.data_version()
    sid = transaction.savepoint()
    Case.objects.filter(pk=case.pk).update(case_types=["medical"])
    transaction.savepoint_rollback(sid)
    assert cache.data_version() == before
    Case.objects.filter(pk=case.pk).update(case_types=["medical"])
    assert cache.data_version() != before
    _as_if_committed()
    # Reading changes nothing.
    after = cache.data_version()
    list(Case.objects.all())
    figures(D, [world.ams.location])
    assert cache.data_version() == after


def test_old_rows_fold_into_one_and_the_version_keeps_growing(world):
    case = build(world.ams.location, sheltered=D - 10 * DAY)
    totals, counts = [], []
    for _n in range(300):
        _as_if_committed()
        Case.objects.filter(pk=case.pk).update(case_types=["family"])
        totals.append(int(cache.data_version().split(".")[0]))
        counts.append(DataChange.objects.count())
    assert all(b == a + 1 for a, b in zip(totals, totals[1:], strict=False))
    # Folded at least once (the row count fell), and never more than 256 rows plus the folded one.
    assert any(b < a for a, b in zip(counts, counts[1:], strict=False))
    assert max(counts) <= 257


def _dashboard(client, d, **params):
    return client.get(reverse("monitor:dashboard"), {"date": d.isoformat(), **params})


def test_the_dashboard_computes_once_and_is_never_stale(client, world, django_assert_max_num_queries):
    ams = world.ams.location
    case = build(ams, sheltered=D - 10 * DAY, outflow=(D - DAY, "departure_origin"))
    build(ams, sheltered=D - 10 * DAY)
    client.force_login(world.bureau)
    _as_if_committed()
    with CaptureQueriesContext(connection) as first:
        response = _dashboard(client, D)
    assert response.context["figures"]["locations"]["amsterdam"]["present"] == 1
    computed = len(first.captured_queries)  # (the next request empties the connection's log)
    # Again, nothing changed: the analyses come from the cache.
    with CaptureQueriesContext(connection) as again:
        response = _dashboard(client, D)
    assert response.context["figures"]["locations"]["amsterdam"]["present"] == 1
    assert len(again.captured_queries) <= computed - 10
    # A change that reaches the past date, written around the services: seen at once, in
    # the writing transaction (which neither reads nor fills the cache) and after it.
    Outflow.objects.filter(case=case).update(outflow_on=D + DAY)
    assert _dashboard(client, D).context["figures"]["locations"]["amsterdam"]["present"] == 2
    Outflow.objects.filter(case=case).update(outflow_on=D - DAY)
    assert _dashboard(client, D).context["figures"]["locations"]["amsterdam"]["present"] == 1
    _as_if_committed()
    with django_assert_max_num_queries(computed):
        assert _dashboard(client, D).context["figures"]["locations"]["amsterdam"]["present"] == 1
    assert _dashboard(client, D).context["figures"]["locations"]["amsterdam"]["present"] == 1

    # Today's figures and today's data-quality counts alike.
    today = timezone.localdate()
    response = _dashboard(client, today)
    present = response.context["figures"]["total"]["present"]
    quality_total = response.context["quality_total"]
    newcomer = build(ams, sheltered=today - DAY)
    _as_if_committed()
    response = _dashboard(client, today)
    assert response.context["figures"]["total"]["present"] == present + 1
    assert response.context["quality_total"] == quality_total + 1  # sheltered without a case type
    Case.objects.filter(pk=newcomer.pk).update(case_types=["family"])
    _as_if_committed()
    assert _dashboard(client, today).context["quality_total"] == quality_total


def test_other_dates_and_scopes_are_cached_apart(client, world):
    build(world.ams.location, sheltered=D - 10 * DAY)
    build(world.rot.location, sheltered=D - 3 * DAY)
    client.force_login(world.bureau)
    assert _dashboard(client, D).context["figures"]["total"]["present"] == 2
    assert _dashboard(client, D - 5 * DAY).context["figures"]["total"]["present"] == 1
    assert _dashboard(client, D, lvv="rotterdam").context["figures"]["total"]["present"] == 1
    found = cache.analyses(D, [world.ams.location], breakdowns=True)
    assert found.figures == figures(D, [world.ams.location]) and found.trends is None


def test_the_api_answers_the_same_figures_from_the_cache(api_client, world):
    build(world.ams.location, sheltered=D - 10 * DAY)
    _as_if_committed()
    api_client.force_authenticate(world.bureau)
    first = api_client.get("/api/v1/monitor/", {"date": D.isoformat()})
    again = api_client.get("/api/v1/monitor/", {"date": D.isoformat()})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == figures(D, [world.ams.location, world.rot.location])
