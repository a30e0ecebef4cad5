#!/usr/bin/env python
"""Benchmark of the case import (schema lvv-case/1): 1,000 cases of about 8 events each.

    DATABASE_URL=postgres://... .venv/bin/python scripts/benchmark_import.py [--cases N] [--keep] [--profile]

Generates a deterministic file, imports it as the system (what ``manage.py import_cases``
does) into the database in DATABASE_URL, creating the five pilot LVVs with
``lvv.demo.seed_core`` when they are missing, times it, imports it a second time (every
line skipped), and writes the figures into docs/benchmarks.md. Both imports run inside
one outer transaction that is rolled back at the end, so the database is left as it was;
``--keep`` commits instead (a second run then finds every case and skips it).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import os
import platform
import pstats
import random
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20190401
START = datetime.date(2019, 1, 7)
CATEGORIES = (
    ["departure_origin"] * 3
    + ["onward_migration"] * 2
    + ["residence_granted"] * 3
    + ["asylum_centre", "postponement_art64", "unknown_destination", "back_to_bbb", "forced_termination", "other"]
)
COUNTRIES = ["ER", "NG", "MA", "DZ", "IQ", "AF", "GE", "SO", "GN", "SY"]
SECTION = "## Case import (`lvv-case/1`)"
CASE_TYPES = ["medical", "psychological", "repeat_asylum", "no_fault", "identity_unclear", "safe_country"]


def generate(count: int, slugs: list[str]) -> list[dict]:
    """``count`` lines, the same every time: most sheltered with a full history, some
    waitlisted, rejected or outside the covenant, half of them with an outflow."""
    rng = random.Random(SEED)
    lines = []
    for number in range(count):
        day = START + datetime.timedelta(days=rng.randrange(0, 900))

        def step(low: int, high: int) -> datetime.timedelta:
            return datetime.timedelta(days=rng.randrange(low, high))

        events = [{"type": "registered", "date": day.isoformat()}]
        outside = rng.random() < 0.05
        if rng.random() < 0.05:
            outside = False  # "outside the covenant" means admitted as an exception
            day += step(1, 20)
            events.append({"type": "rejected", "date": day.isoformat(), "reason": "Geen regiobinding"})
        else:
            day += step(0, 15)
            admitted = {"type": "admitted", "date": day.isoformat()}
            if outside:
                admitted["exception"] = "humanitarian"
            events.append(admitted)
            if rng.random() < 0.1:
                events.append({"type": "waitlisted", "date": day.isoformat()})
                day += step(5, 40)
            events.append({"type": "shelter_started", "date": day.isoformat()})
            for kind in ("IND", "DTV"):
                day += step(3, 20)
                events.append({"type": "dossier_delivered", "date": day.isoformat(), "by": kind})
            day += step(14, 60)
            events.append(
                {
                    "type": "scenario_set",
                    "date": day.isoformat(),
                    "direction": rng.choice(["departure"] * 3 + ["residence"]),
                }
            )
            for _check in range(rng.randrange(1, 4)):
                day += step(30, 50)
                result = "sufficient" if rng.random() < 0.9 else "insufficient"
                events.append({"type": "cooperation_checked", "date": day.isoformat(), "result": result})
            if rng.random() < 0.1:
                day += step(7, 30)
                events.append({"type": "mrt_discussed", "date": day.isoformat(), "outcome": None})
            if rng.random() < 0.5:
                day += step(7, 90)
                category = rng.choice(CATEGORIES)
                outflow = {"type": "outflow", "date": day.isoformat(), "category": category}
                if category in ("departure_origin", "onward_migration"):
                    outflow["country"] = rng.choice(COUNTRIES)
                if category in ("departure_origin", "onward_migration", "residence_granted"):
                    outflow["verified"] = rng.random() < 0.6
                events.append(outflow)
        nationality = rng.choice(COUNTRIES)
        person = {
            "v_number": f"9{number:09d}" if rng.random() < 0.9 else None,
            "family_name": f"Familienaam{number:04d}",
            "given_names": rng.choice(["Abel", "Amaka", "Youssef", "Nino", "Ahmad", "Hodan", "Omar"]),
            "birth_date": (datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 40))).isoformat(),
            "sex": rng.choice(["m", "m", "f", "x", None]),
            "nationality": nationality,
        }
        lines.append(
            {
                "schema": "lvv-case/1",
                "external_id": f"BENCH-{number:05d}",
                "lvv": slugs[number % len(slugs)],
                "within_covenant": not outside,
                "person": person,
                "case_types": rng.sample(CASE_TYPES, rng.randrange(0, 3)),
                "prior_departure_procedures": rng.randrange(0, 8),
                "events": events,
            }
        )
    return lines


def machine() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    cpu_model = ""
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu_model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    return {
        "CPUs": str(os.cpu_count()),
        "CPU": cpu_model or platform.processor() or "-",
        "PostgreSQL": pg_version,
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "OS": f"{platform.system()} {platform.release()}",
        "load average (1 min) at the end": f"{os.getloadavg()[0]:.1f}",
    }


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_import(data: bytes, *, profile: bool):
    from django.db import connection

    from cases import importer
    from lvv.access import policy
    from lvv.audit.log import COMMAND

    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    with connection.execute_wrapper(counter):
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        summary = importer.run_import(data, acting_user=policy.SYSTEM, origin=COMMAND)
        if profiler:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(40)
    return summary, seconds, cpu, counter.count


def write_doc(path: Path, rows: dict[str, str], info: dict[str, str]) -> None:
    table = "\n".join(f"| {key} | {value} |" for key, value in rows.items())
    specs = "\n".join(f"| {key} | {value} |" for key, value in info.items())
    section = f"""{SECTION}

Generated by `scripts/benchmark_import.py` (deterministic input; run it with `DATABASE_URL`
set to reproduce). The import runs as the system, as `manage.py import_cases` does, in one
transaction through the services; the script rolls it back afterwards unless `--keep`.

| measure | value |
|---|---|
{table}

Machine:

| | |
|---|---|
{specs}

Where the time goes: the work is in the services, one call per event. For the contract's
example line (9 events) the import sends 154 statements to PostgreSQL:

| part | statements |
|---|---|
| the importer: a savepoint for the line, its import row in the access log | 3 per line, 5 per file |
| `register_person_and_case`: person and case (`full_clean`), timeline, access log | 24 |
| each step service: savepoint, lock and re-read of the case, the record, the case, timeline, access log | 6-11 |
| `deadlines.recompute` after each step: programme, dossier, scenarios, checks, location, deadlines | 2-7, 51 in all |

Nearly a quarter of the statements are SAVEPOINT/RELEASE pairs (the services' nested
transactions and Django's constraint checks in `full_clean`) and a third are the deadline
recomputation. The importer reads the LVVs, the existing cases, their import records and the
persons without V-number once per file; a second import of the same file (everything skipped)
needs a fixed number of queries.
"""
    replace_section(path, section)


def replace_section(path: Path, section: str) -> None:
    """Write this benchmark's section into the file, leaving other sections as they are."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="commit the imported cases")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first import")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL (postgres://...) to the database to benchmark.", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lvv.settings")
    # DEBUG off (its query log would slow every query down); this process signs nothing.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.db import transaction

    from lvv import demo
    from lvv.partners.models import Location

    slugs = [pilot.slug for pilot in demo.PILOTS]
    if Location.objects.filter(slug__in=slugs).count() < len(slugs):
        # The pilot LVVs and their partners; the demo accounts get a password nobody knows.
        demo.seed_core(secrets.token_urlsafe(24), 0)

    lines = generate(args.cases, slugs)
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode("utf-8") + b"\n"
    events = sum(len(line["events"]) for line in lines)

    from cases.importer import ImportInvalid

    try:
        with transaction.atomic():
            first, seconds, cpu, queries = timed_import(data, profile=args.profile)
            second, seconds_again, _cpu, queries_again = timed_import(data, profile=False)
            if not args.keep:
                transaction.set_rollback(True)
    except ImportInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 1

    rows = {
        "date": datetime.date.today().isoformat(),
        "cases (lines)": f"{first.lines:,}",
        "events": f"{events:,} ({events / len(lines):.1f} per case)",
        "first import": f"{seconds:.1f} s ({first.created:,} created, {first.skipped:,} skipped)",
        "of which Python (this process)": f"{cpu:.1f} s CPU; the rest is waiting for PostgreSQL",
        "throughput": f"{len(lines) / seconds:,.0f} cases/s, {events / seconds:,.0f} events/s",
        "queries": f"{queries:,} ({queries / len(lines):.0f} per case, {queries / events:.1f} per event)",
        "second import (same file)": f"{seconds_again:.2f} s ({second.skipped:,} skipped, {queries_again} queries)",
    }
    for key, value in rows.items():
        print(f"{key}: {value}")
    info = machine()
    for key, value in info.items():
        print(f"{key}: {value}")
    if not args.no_doc:
        write_doc(ROOT / "docs" / "benchmarks.md", rows, info)
        print("written: docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
