#!/usr/bin/env python
"""Benchmark of the partner inboxes (``cases.inboxes``) over 100,000 cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_bench \\
        .venv/bin/python scripts/benchmark_inboxes.py [--cases N] [--runs R] [--explain] [--no-doc]

Uses the monitor benchmark's database and data (``scripts/benchmark_monitor.py``: it seeds
when the count does not match; the database's name must contain "bench"), then shapes it for
the inboxes with ``bulk_create`` and plain ``UPDATE`` statements (a fixture, not a way to
create records: the services would take hours): some dossier parts requested and not
delivered, the direction on the scenario events, a DT&V review of every trajectory with a
scenario (85 % after its last scenario, so 15 % wait for one), partners' requests for the
LSO, and MRT escalations with advice, a fifth of it discussed.
The unconfirmed durable outflows come from the monitor's data (30 % of them).

It times, warm, for the demo accounts of the largest LVV and for a DT&V team that serves
every LVV: the counts of all of a user's inboxes (the navigation: one query), the home
page's inbox sections (the counts and the first ten items per inbox) and the first page of
each inbox, and writes docs/benchmark-inboxes.md. ``--explain`` prints the plan of each
count query.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

ROOT = benchlib.ROOT
SEED = 20250101
MARK = "inbox-bench"


def _monitor_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_monitor", ROOT / "scripts" / "benchmark_monitor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shape(rng: random.Random) -> dict[str, int]:
    """Add what the inboxes read to the monitor's benchmark data (once: marked by MARK)."""
    from django.db import connection, transaction
    from django.db.models import Max

    from cases.models import Case, EventType, TimelineEvent
    from lso.models import AgendaItem, ItemOutcome, Meeting
    from mrt.models import Advice, Escalation

    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # 6 % of the sheltered cases' DT&V parts and 3 % of their IND parts are not delivered yet.
        cursor.execute(
            "UPDATE cases_dossierpart p SET delivered_on = NULL FROM cases_case c "
            "WHERE p.case_id = c.id AND c.state = 'sheltered' AND "
            "((p.kind = 'DTV' AND c.id % 17 = 0) OR (p.kind = 'IND' AND c.id % 31 = 0))"
        )
        counts["dossier parts requested, not delivered"] = cursor.rowcount
        # The scenario events carry their direction, as the services write them.
        cursor.execute(
            "UPDATE cases_timelineevent e SET data = jsonb_build_object('direction', s.direction) "
            "FROM cases_scenario s WHERE e.type = 'scenario_set' AND s.case_id = e.case_id AND s.set_on = e.occurred_on"
        )
        counts["scenario events"] = cursor.rowcount
    open_cases = list(
        Case.objects.filter(state__in=("admitted", "waitlisted", "sheltered"), scenarios__isnull=False)
        .annotate(last_scenario=Max("scenarios__set_on"))
        .order_by("pk")
        .values_list("pk", "location_id", "last_scenario")
    )
    events: list[TimelineEvent] = []
    for pk, _location, last_scenario in open_cases:
        # The DT&V reviewed most trajectories after their last scenario; 15 % wait for it.
        reviewed = rng.random() < 0.85
        day = last_scenario + datetime.timedelta(days=rng.randrange(1, 30) * (1 if reviewed else -1))
        events.append(
            TimelineEvent(case_id=pk, type=EventType.DTV_REVIEW, occurred_on=day, data={"flagged": rng.random() < 0.05})
        )
        if rng.random() < 0.02:
            events.append(TimelineEvent(case_id=pk, type=EventType.LSO_REQUESTED, occurred_on=day, summary=MARK))
    TimelineEvent.objects.bulk_create(events, batch_size=5000)
    counts["reviews and requests"] = len(events)
    # MRT: 1.5 % of the open trajectories escalated and advised; a fifth of the advice discussed.
    chosen = [row for row in open_cases if rng.random() < 0.015]
    meetings: dict[int, Meeting] = {}
    for _pk, location, _start in chosen:
        if location not in meetings:
            meetings[location] = Meeting.objects.create(
                location_id=location, date=datetime.date(2020, 6, 1), start_time=datetime.time(10), place=MARK
            )
    items = AgendaItem.objects.bulk_create(
        [AgendaItem(meeting=meetings[location], case_id=pk, reason="manual") for pk, location, _s in chosen]
    )
    escalations = Escalation.objects.bulk_create(
        [
            Escalation(
                case_id=item.case_id,
                agenda_item=item,
                reason="complexity",
                question=MARK,
                status="advised",
                escalated_on=datetime.date(2020, 6, 1),
                advice_due_on=datetime.date(2020, 7, 13),
            )
            for item in items
        ]
    )
    advice_events = TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(case_id=e.case_id, type=EventType.MRT_ADVICE, occurred_on=datetime.date(2020, 7, 1))
            for e in escalations
        ]
    )
    Advice.objects.bulk_create(
        [
            Advice(
                escalation=escalation,
                direction="departure",
                route="return_to_origin",
                reasoning=MARK,
                given_on=datetime.date(2020, 7, 1),
                due_on=datetime.date(2020, 7, 29),
                event=event,
            )
            for escalation, event in zip(escalations, advice_events, strict=True)
        ]
    )
    discussed = [event for event in advice_events if rng.random() < 0.2]
    later_items = AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=Meeting.objects.create(
                    location_id=Case.objects.get(pk=event.case_id).location_id,
                    date=datetime.date(2020, 7, 20),
                    start_time=datetime.time(10, n % 50),
                    place=MARK,
                ),
                case_id=event.case_id,
                reason="mrt_advice_received",
            )
            for n, event in enumerate(discussed)
        ]
    )
    ItemOutcome.objects.bulk_create(
        [
            ItemOutcome(item=item, decision="actions", advice_event=event, advice_followed=True)
            for item, event in zip(later_items, discussed, strict=True)
        ]
    )
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(case_id=e.case_id, type=EventType.LSO_DISCUSSED, occurred_on=datetime.date(2020, 7, 20))
            for e in discussed
        ]
    )
    counts["mrt advice"] = len(escalations)
    counts["advice discussed"] = len(discussed)
    return counts


NOTES = [
    "Where the time goes: each query of a partner's inboxes passes once over the cases the user",
    "may see (the access policy's filter: a sequential scan at this volume), and computes each",
    "inbox's condition once (a hashed sub-select). The largest condition is the DT&V's review:",
    "the scenario and advice events with no later review, an anti-join over some 80,000 and",
    "45,000 events. The dossier parts requested and not delivered come from a partial index",
    "(`dossierpart_open_request`: 17 ms to 0.1 ms); the unconfirmed outflows from a small table.",
    "The lists sort on one or two index probes per item, so a list costs the pass and its own",
    "size, not the number of cases. The counts are computed only for users with an inbox (the",
    "IND, the DT&V, the LSO chair), once per request (the navigation and the page share them).",
    "",
    "PostgreSQL's JIT compilation (on by default) made the first page of a long inbox take up to",
    "2 s instead of 0.2 s: the planner's cost of the per-row sub-selects passes the JIT thresholds,",
    "and compiling costs more than the query. The application's connections turn it off",
    "(`lvv/settings.py`); on the same data the monitor's `figures()` went from 0.84-0.88 s to",
    "0.54-0.64 s without it.",
    "",
]


def main() -> int:  # noqa: C901 -- a script: set up, shape, time, write
    parser = benchlib.arguments(__doc__, "benchmark-inboxes.md")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the plan of each count query")
    parser.add_argument("--reseed", action="store_true", help="seed and shape the data again")
    args = parser.parse_args()
    benchlib.open_database()
    from django.db import connection
    from django.db.models import Count
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    benchlib.migrate_and_seed_core()

    from cases import inboxes
    from cases.models import Case, TimelineEvent
    from lvv.accounts.models import Role, User
    from lvv.partners.models import Location, Organisation, OrganisationKind, ServiceLink

    monitor_bench = _monitor_benchmark()
    seeded = Case.objects.filter(external_id__startswith=monitor_bench.MARK).count()
    if args.reseed or seeded != args.cases or Case.objects.count() != seeded:
        started = time.perf_counter()
        print("seeding the monitor's benchmark data ...", flush=True)
        monitor_bench.seed(args.cases)
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    if not TimelineEvent.objects.filter(summary=MARK).exists():
        started = time.perf_counter()
        shaped = shape(random.Random(SEED))
        print(f"shaped in {time.perf_counter() - started:.1f} s: {shaped}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # A DT&V team that serves every LVV: the widest scope a partner has.
    national, _ = Organisation.objects.get_or_create(name="DT&V – landelijk (benchmark)", kind=OrganisationKind.DTV)
    for location in Location.objects.all():
        ServiceLink.objects.get_or_create(organisation=national, location=location)
    wide, _ = User.objects.get_or_create(username="dtv.landelijk", defaults={"organisation": national})
    wide.organisation, wide.roles = national, [Role.DTV]
    wide.save()
    largest = Location.objects.annotate(n=Count("cases")).order_by("-n", "slug").first()
    users = [User.objects.get(username=f"{role}.{largest.slug}") for role in ("ind", "dtv", "lsochair")] + [wide]

    factory = RequestFactory()
    rows: dict[str, str] = {
        "date": datetime.date.today().isoformat(),
        "cases": f"{Case.objects.count():,} in {Location.objects.count()} LVVs; largest: {largest.name}",
    }
    for user in users:
        boxes = inboxes.for_user(user)
        counts = inboxes.counts(user, boxes)  # warm
        with CaptureQueriesContext(connection) as ctx:
            inboxes.counts(user, boxes)
        count_runs = benchlib.timed(lambda u=user, b=boxes: inboxes.counts(u, b), args.runs)

        def home(u=user):
            request = factory.get("/")
            request.user = u
            for section in inboxes.sections(request):
                list(section.rows)

        with CaptureQueriesContext(connection) as home_ctx:
            home()
        home_runs = benchlib.timed(home, args.runs)
        page_times = []
        for box in boxes:
            page_times.append(
                statistics.median(benchlib.timed(lambda b=box, u=user: list(b.items(u)[:25]) and b.items(u).count(), 3))
            )
        label = f"{user.username} ({', '.join(f'{k} {v:,}' for k, v in counts.items())})"
        rows[label] = (
            f"counts: median {statistics.median(count_runs) * 1000:.0f} ms ({len(ctx.captured_queries)} query); "
            f"home sections: median {statistics.median(home_runs) * 1000:.0f} ms "
            f"({len(home_ctx.captured_queries)} queries); "
            f"slowest inbox page: {max(page_times) * 1000:.0f} ms"
        )
        print(f"{label}: {rows[label]}", flush=True)
        if args.explain:
            for box in boxes:
                sql, params = box.pending(user).order_by().values("pk").query.sql_with_params()
                with connection.cursor() as cursor:
                    # The query is Django's own SQL for the inbox, with its parameters apart.
                    cursor.execute(f"EXPLAIN ANALYZE SELECT COUNT(*) FROM ({sql}) _q", params)  # noqa: S608
                    print(f"--- {box.key}\n" + "\n".join(r[0] for r in cursor.fetchall()), flush=True)
    info = monitor_bench.machine()
    info["load average (1 min) at the end"] = f"{os.getloadavg()[0]:.1f} (other processes shared the machine)"
    if not args.no_doc:
        lines = [
            "# Benchmark: the partner inboxes",
            "",
            "Written by `scripts/benchmark_inboxes.py` (run it again to refresh this page):",
            "",
            "    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_bench \\",
            "        .venv/bin/python scripts/benchmark_inboxes.py",
            "",
            "The monitor benchmark's 100,000 cases, shaped for the inboxes (see the script), timed warm",
            "in this process (wall-clock, with the round trips to PostgreSQL on the same machine):",
            "the counts of all of a user's inboxes (the navigation and the home page: one query), the",
            "home page's inbox sections (the counts and the first ten items of each inbox) and the",
            "slowest first page of an inbox (25 rows and its count).",
            "",
            "| | |",
            "|---|---|",
            *[f"| {key} | {value} |" for key, value in {**rows, **info}.items()],
            "",
            *NOTES,
        ]
        (ROOT / "docs" / "benchmark-inboxes.md").write_text("\n".join(lines), encoding="utf-8")
        print("written: docs/benchmark-inboxes.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
