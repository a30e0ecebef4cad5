#!/usr/bin/env python
"""Benchmark of the national monitor: ``monitor.figures`` over 100,000 cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_bench \\
        .venv/bin/python scripts/benchmark_monitor.py [--cases N] [--runs R] [--reseed] [--no-doc]

The database in DATABASE_URL is created when missing and migrated. Its name must contain
"bench" (the script empties the case tables before seeding); it is never the
application's database.

BENCHMARK FIXTURE, NOT A WAY TO CREATE CASES: the persons, cases, scenarios, dossier parts,
outflows and timeline events are written with ``bulk_create`` straight into the tables,
bypassing ``cases.services`` (which would take hours for this volume and would also write
the access log and the deadlines). The data is deterministic (a fixed random seed) and
shaped like the pilots' trajectories: most cases sheltered with a dossier and a scenario,
some waitlisted, rejected or outside the covenant, about half with an outflow, some
persons with a second stay (also in another LVV), a few MRT discussions. A second run
reuses the seeded data when the count matches (``--reseed`` forces a fresh seed).

It then times ``figures()`` for all LVVs at the reference date several times, and the
dashboard functions three times each, and writes docs/benchmark-monitor.md with the result and
the machine (CPU count, PostgreSQL version).
"""

from __future__ import annotations

import datetime
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

ROOT = benchlib.ROOT
SEED = 20201101
START = datetime.date(2019, 4, 1)
REFERENCE_DATE = datetime.date(2020, 11, 1)  # the letter's reference date; no record is later
MARK = "BENCH-"
CATEGORIES = (
    ["departure_origin"] * 3
    + ["onward_migration"] * 2
    + ["residence_granted"] * 2
    + ["asylum_centre", "postponement_art64", "unknown_destination", "unknown_destination"]
    + ["back_to_bbb", "forced_termination", "detention", "deceased", "other"]
)
DEPARTURE = {"departure_origin", "onward_migration"}
DURABLE = {"departure_origin", "onward_migration", "residence_granted"}
NATIONALITIES = ["ER", "NG", "MA", "DZ", "IQ", "AF", "GE", "SO", "GN", "SY", "SD", "LY", "IR", "ET", "TN"]
ONWARD = ["DE", "BE", "FR", "IT", "ES", "SE"]
CASE_TYPES = [
    "medical",
    "psychological",
    "repeat_asylum",
    "conversion_or_lgbti",
    "pending_procedure",
    "identity_unclear",
    "no_fault",
    "family",
    "safe_country",
]


def days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randrange(low, high))


def seed(count: int) -> dict[str, int]:
    """Write ``count`` cases (and their persons and records) with bulk_create."""
    from django.db import connection, transaction

    from cases.models import Case, DossierPart, EventType, Outflow, Person, Scenario, TimelineEvent
    from lvv.partners.models import Location

    rng = random.Random(SEED)
    locations = list(Location.objects.order_by("slug"))
    weights = [location.capacity_on(REFERENCE_DATE) or 1 for location in locations]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE cases_timelineevent, cases_outflow, cases_scenario, cases_dossierpart, "
            "cases_deadline, cases_cooperationcheck, cases_admissioncheck, cases_notification, "
            "cases_caseuserobjectpermission, cases_casegroupobjectpermission, cases_case, cases_person "
            "RESTART IDENTITY CASCADE"
        )
    persons: list[Person] = []
    plans: list[dict] = []
    for number in range(count):
        if persons and rng.random() < 0.05:
            person_index = rng.randrange(len(persons))  # a second stay, perhaps in another LVV
        else:
            persons.append(
                Person(
                    family_name=f"Bench{number}",
                    given_names="Persoon",
                    birth_date=datetime.date(1950, 1, 1) + days(rng, 0, 365 * 55) if rng.random() < 0.95 else None,
                    sex=rng.choice("mmmmfx") if rng.random() < 0.97 else "",
                    nationality=rng.choice(NATIONALITIES) if rng.random() < 0.95 else "",
                )
            )
            person_index = len(persons) - 1
        plans.append(plan_case(rng, number, person_index, rng.choices(locations, weights)[0]))
    with transaction.atomic():
        Person.objects.bulk_create(persons, batch_size=5000)
        cases = [plan["case"] for plan in plans]
        for plan in plans:
            plan["case"].person = persons[plan["person"]]
        Case.objects.bulk_create(cases, batch_size=5000)
        scenarios, parts, outflows, events = [], [], [], []
        for plan in plans:
            case = plan["case"]
            for direction, on in plan["scenarios"]:
                scenarios.append(Scenario(case=case, direction=direction, set_on=on))
                events.append(TimelineEvent(case=case, type=EventType.SCENARIO_SET, occurred_on=on))
            for kind, on in plan["dossier"]:
                parts.append(DossierPart(case=case, kind=kind, requested_on=case.shelter_started_on, delivered_on=on))
            if plan["outflow"]:
                outflows.append(Outflow(case=case, **plan["outflow"]))
                events.append(TimelineEvent(case=case, type=EventType.OUTFLOW, occurred_on=case.closed_on))
            events.append(TimelineEvent(case=case, type=EventType.REGISTERED, occurred_on=case.registered_on))
            if case.decided_on:
                events.append(TimelineEvent(case=case, type=EventType.ADMITTED, occurred_on=case.decided_on))
            if case.shelter_started_on:
                events.append(
                    TimelineEvent(case=case, type=EventType.SHELTER_STARTED, occurred_on=case.shelter_started_on)
                )
            for on in plan["mrt"]:
                events.append(TimelineEvent(case=case, type=EventType.MRT_DISCUSSED, occurred_on=on))
        Scenario.objects.bulk_create(scenarios, batch_size=5000)
        DossierPart.objects.bulk_create(parts, batch_size=5000)
        Outflow.objects.bulk_create(outflows, batch_size=5000)
        TimelineEvent.objects.bulk_create(events, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "persons": len(persons),
        "cases": len(plans),
        "scenarios": len(scenarios),
        "dossier parts": len(parts),
        "outflows": len(outflows),
        "timeline events": len(events),
    }


def plan_case(rng: random.Random, number: int, person_index: int, location) -> dict:
    """One case's rows, drawn in a fixed order (the same data every run)."""
    from cases.models import Case

    registered = START + days(rng, 0, (REFERENCE_DATE - START).days - 30)
    case = Case(
        location=location,
        external_id=f"{MARK}{number:06d}",
        registered_on=registered,
        case_types=sorted(rng.sample(CASE_TYPES, rng.choice([0, 1, 1, 1, 2, 2, 3]))),
        prior_departure_procedures=rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 8, None]),
        state="registered",
    )
    plan = {"case": case, "person": person_index, "scenarios": [], "dossier": [], "outflow": None, "mrt": []}
    roll = rng.random()
    if roll < 0.03:
        return plan  # registered, not decided yet
    case.decided_on = registered + days(rng, 0, 15)
    if roll < 0.08:
        case.state, case.closed_on, case.rejection_reason = "rejected", case.decided_on, "Geen regiobinding."
        return plan
    start = _admit(rng, case)
    if start > REFERENCE_DATE:
        return plan
    case.state, case.shelter_started_on, case.shelter_form = "sheltered", start, "24h"
    _plan_stay(rng, plan, start)
    _plan_outflow(rng, plan, start)
    return plan


def _admit(rng: random.Random, case) -> datetime.date:
    """Admit the case (a few outside the covenant, some via the waiting list); the day its
    shelter starts."""
    if rng.random() < 0.05:
        case.within_covenant, case.exception_ground, case.exception_reason = False, "humanitarian", "Benchmark."
    case.state = "admitted"
    start = case.decided_on
    if rng.random() < 0.12:
        case.state, case.waitlisted_on = "waitlisted", case.decided_on
        start += days(rng, 5, 60)
    return start


def _plan_stay(rng: random.Random, plan: dict, start: datetime.date) -> None:
    """The dossier parts, one or two scenarios and now and then an MRT discussion."""
    day = start
    for kind in ("IND", "DTV"):
        day += days(rng, 3, 25)
        if day <= REFERENCE_DATE:
            plan["dossier"].append((kind, day))
    if rng.random() < 0.8:
        day += days(rng, 14, 70)
        for _change in range(1 if rng.random() < 0.8 else 2):
            if day <= REFERENCE_DATE:
                plan["scenarios"].append((rng.choice(["departure", "departure", "departure", "residence"]), day))
            day += days(rng, 30, 120)
    if rng.random() < 0.02:
        on = start + days(rng, 60, 300)
        if on <= REFERENCE_DATE:
            plan["mrt"].append(on)


def _plan_outflow(rng: random.Random, plan: dict, start: datetime.date) -> None:
    """For about half the cases, the outflow (a durable one often confirmed) that closes it."""
    if rng.random() >= 0.55:
        return
    on = start + days(rng, 20, 500)
    if on > REFERENCE_DATE:
        return
    category = rng.choice(CATEGORIES)
    country = ""
    if category == "departure_origin":
        country = rng.choice(NATIONALITIES)
    elif category == "onward_migration":
        country = rng.choice(ONWARD)
    confirmed = on + days(rng, 0, 60) if category in DURABLE and rng.random() < 0.7 else None
    if confirmed and confirmed > REFERENCE_DATE:
        confirmed = None
    plan["outflow"] = {"category": category, "outflow_on": on, "country": country, "confirmed_on": confirmed}
    plan["case"].state, plan["case"].closed_on = "closed", on


def machine() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "CPU count": str(os.cpu_count()),
        "processor": platform.processor() or platform.machine(),
        "Python": platform.python_version(),
        "PostgreSQL": server,
    }


def timed(function, runs: int) -> list[float]:
    from django.db import connection, reset_queries

    seconds = []
    for _run in range(runs):
        reset_queries()
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    connection.close()
    return seconds


def write_doc(path: Path, rows: dict[str, str], info: dict[str, str]) -> None:
    table = "\n".join(f"| {key} | {value} |" for key, value in {**rows, **info}.items())
    path.write_text(
        f"""# Benchmark: the monitor's figures

Written by `scripts/benchmark_monitor.py` (run it again to refresh this page):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_bench .venv/bin/python scripts/benchmark_monitor.py

The script seeds a separate database with deterministic benchmark data written with
`bulk_create` (not through the services: it is a fixture, not a way to create cases),
then times `monitor.figures.figures(reference_date)` over all LVVs, warm, several runs,
and the dashboard functions three times each (median). Times are wall-clock in this process,
including the round trips to PostgreSQL on the same machine (which other processes shared).

| | |
|---|---|
{table}

`figures()` runs five queries whatever the number of cases (see `monitor/figures.py`):

1. one pass over the cases of the scope with a left join on the outflow and conditional
   aggregates grouped by LVV (present, ever sheltered, waiting list, outflow per category,
   verified, outside the covenant), skipping cases that cannot count (registered only,
   rejected);
2. the latest scenario on the date of each case present on it (an anti-join: no later
   scenario on or before the date), counted per LVV and direction;
3. the MRT discussions from the timeline through the index `timeline_type_date`;
4. the distinct persons ever sheltered over the whole scope (the total counts a person
   in two LVVs once);
5. the capacities on the date.

No new index was needed: the pass over the cases reads (nearly) every row, which a
sequential scan does best, and the lookups use the existing indexes on
`cases_scenario(case_id)` and `cases_timelineevent(type, occurred_on)`. The cost is
mostly the distinct-person counts (PostgreSQL sorts for each `COUNT(DISTINCT ...)`);
with the default `work_mem` of 4 MB that sort spills to disk at this volume, so a larger
`work_mem` on the server makes it faster still.

The dashboard's functions (trends, breakdowns, durations) and the small-number
suppression are not held to the one-second target; their times are listed for scale.
""",
        encoding="utf-8",
    )


def main() -> int:
    parser = benchlib.arguments(__doc__, "benchmark-monitor.md")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reseed", action="store_true", help="seed again even when the data is there")
    args = parser.parse_args()
    benchlib.open_database()
    benchlib.migrate_and_seed_core()

    from cases.models import Case
    from lvv.partners.models import Location
    from monitor import analysis, exports
    from monitor import figures as monitor
    from monitor.suppression import protect_report

    def seeded_counts() -> str:
        from cases.models import Outflow, Person, Scenario, TimelineEvent

        return (
            f"{Person.objects.count():,} persons, {Scenario.objects.count():,} scenarios, "
            f"{Outflow.objects.count():,} outflows, {TimelineEvent.objects.count():,} timeline events"
        )

    seeded = Case.objects.filter(external_id__startswith=MARK).count()
    if args.reseed or seeded != args.cases or Case.objects.count() != seeded:
        started = time.perf_counter()
        counts = seed(args.cases)
        print(f"seeded in {time.perf_counter() - started:.1f} s: {counts}")
    d = REFERENCE_DATE
    monitor.figures(d)  # warm up: connection, plan cache
    runs = timed(lambda: monitor.figures(d), args.runs)
    scope = list(Location.objects.order_by("slug"))
    one = scope[0]
    runs_one = timed(lambda: monitor.figures(d, [one]), args.runs)
    dashboard = {
        "trends() from 2019-04 (20 months)": lambda: analysis.trends(START, d),
        "breakdowns()": lambda: analysis.breakdowns(d),
        "durations()": lambda: analysis.durations(d),
    }
    report = exports.build_report(d, trends_start=START)
    dashboard["small-number suppression of the full report"] = lambda: protect_report(
        report.figures, report.breakdowns, report.trends, report.durations
    )
    queries = benchlib.query_count(lambda: monitor.figures(d, scope))
    rows = {
        "date": datetime.date.today().isoformat(),
        "cases": f"{Case.objects.count():,} in {Location.objects.count()} LVVs ({seeded_counts()})",
        "reference date": d.isoformat(),
        "figures(), all LVVs": f"median {statistics.median(runs):.3f} s, best {min(runs):.3f} s ({len(runs)} runs)",
        "figures(), one LVV": f"median {statistics.median(runs_one):.3f} s, best {min(runs_one):.3f} s",
        "queries per figures()": f"{queries} (+1 to list the LVVs if no scope)",
    }
    for label, function in dashboard.items():
        seconds = timed(function, 3)
        rows[label] = f"median {statistics.median(seconds):.3f} s"
    info = machine()
    for key, value in {**rows, **info}.items():
        print(f"{key}: {value}")
    if not args.no_doc:
        write_doc(ROOT / "docs" / "benchmark-monitor.md", rows, info)
        print("written: docs/benchmark-monitor.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
