#!/usr/bin/env python
"""Benchmark at national scale (issue 13): the main pages and endpoints at 100,000 cases with
20 concurrent users, against a bare logged-in view in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_scale_bench \\
        .venv/bin/python scripts/benchmark_scale.py [--cases 100000] [--users 20] [--rounds 5]
            [--reuse] [--port 8765] [--no-doc] [--small 200] [--json FILE]

1. The data (``--reuse`` keeps it, and the figures of its making, when the case count
   matches): the database in DATABASE_URL
   (its name must contain "bench") dropped, created and migrated; the five pilot LVVs with
   their partners and demo accounts; ``--cases`` cases in the import's format
   (``scripts/benchlib.case_lines``: a fifth per LVV, histories over 2019 to today, both
   versions of the format) imported through ``cases.importer.run_import`` in files of 10,000
   lines, as ``manage.py import_cases`` does; then through the services: the LSO demo's
   meetings, agenda items, outcomes and MRT escalations in every LVV (``lso.demo``,
   ``mrt.demo``), a draft meeting of 30 suggested cases in every LVV, and two notes on one case
   in 50.
2. The pages, over HTTP: gunicorn with 2 workers on the loopback address (DEBUG off, static
   files collected into a temporary folder), ``--users`` threads, each with its own session of
   a demo account of the page's role (the accounts of the five LVVs in turn), all requesting
   the page ``--rounds`` times at once; p50 and p95 over all requests, each page's p50 and
   p95 as a ratio to the bare logged-in view's (the API token page: the layout, no case data),
   measured the same way at the start and at the end of the run.
   With ``--small`` (200 unless 0), the same pages on that many cases (the demo's size) in a
   second database (DATABASE_URL's name + "_small"), measured the same way by this script
   in a child process: each page's cost at scale against its cost there.
3. In this process: ``monitor.figures`` at several dates, the monitor's report and its
   exports (CSV, XLSX, PDF), and the agenda pack of 30 cases.

Writes docs/benchmark-scale.md unless ``--no-doc``. On a machine that other work keeps busy
the figures are not the application's; the page says what the load was.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

DOC = benchlib.ROOT / "docs" / "benchmark-scale.md"
FILE_LINES = 10_000  # lines per imported file
PACK_ITEMS = 30
BARE = ("bare logged-in view (API tokens)", "casemanager", "/accounts/tokens/")
# The raw figures the targets are checked against (filled as the run goes).
RAW: dict[str, float] = {}
# The pages whose p95 may be at most 3x the bare view's (issue 13).
FAST_PAGES = (
    "case list",
    "case list, name search",
    "case page",
    "work queue (home)",
    "LSO meeting page (30 items)",
    "DT&V review queue",
)
# What the script writes stops here; what follows in the page (the reading of the figures,
# by hand) is kept when the page is written again.
NOTES = "## Reading the figures"


# --- 1. The data ----------------------------------------------------------------------------------------


def build(cases: int, slugs: list[str]) -> dict[str, str]:
    """Import the cases, then meetings, escalations and notes through the services."""
    from cases import importer
    from lvv.access import policy
    from lvv.audit.log import COMMAND

    lines = benchlib.case_lines(cases, slugs)
    figures: dict[str, str] = {}
    started = time.perf_counter()
    for start in range(0, len(lines), FILE_LINES):
        part = lines[start : start + FILE_LINES]
        data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in part).encode("utf-8")
        importer.run_import(data, acting_user=policy.SYSTEM, origin=COMMAND)
        print(f"imported {start + len(part):,} of {len(lines):,}", flush=True)
    seconds = time.perf_counter() - started
    figures["import"] = f"{len(lines):,} cases in {seconds:.0f} s ({len(lines) / seconds:,.0f} cases/s)"
    RAW["import"] = len(lines) / seconds
    # The planner's statistics of the tables the import filled, as autovacuum keeps them in
    # use (it may not have come round yet: without them the suggestions' query below took
    # minutes instead of milliseconds).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    figures.update(_meetings_escalations_notes(cases))
    figures["meetings, escalations, notes"] = f"{time.perf_counter() - started:.0f} s"
    return figures


def _meetings_escalations_notes(cases: int) -> dict[str, str]:
    from django.db import transaction

    from cases import services
    from cases.models import Case, NoteKind
    from lso import selectors
    from lso import services as lso_services
    from lso.demo import seed_lso
    from lvv import demo
    from lvv.audit.log import COMMAND
    from mrt.demo import seed_mrt

    ctx = demo.seed_core(secrets.token_urlsafe(24), 0)
    counts = {**seed_lso(ctx), **seed_mrt(ctx)}
    for slug, location in ctx.locations.items():
        chair = ctx.users[f"lsochair.{slug}"]
        with transaction.atomic():
            meeting = lso_services.create_meeting(
                acting_user=chair,
                origin=COMMAND,
                location=location,
                date=datetime.date.today() + datetime.timedelta(days=10),
                start_time=datetime.time(9, 30),
                place="Stadhuis",
            )
            found = [s.case for s in selectors.suggestions(meeting, chair)[:PACK_ITEMS]]
            if not found:  # a small data set may have nothing to suggest in an LVV
                continue
            lso_services.add_suggested_items(acting_user=chair, origin=COMMAND, meeting=meeting, cases=found)
    notes = 0
    rng = random.Random(benchlib.SEED)
    every_50th = list(Case.objects.order_by("pk").values_list("pk", flat=True))[::50]
    for case in Case.objects.filter(pk__in=every_50th).select_related("location").order_by("pk"):
        author = ctx.users[f"casemanager.{case.location.slug}"]
        on = min(case.closed_on or datetime.date.today(), case.registered_on + datetime.timedelta(days=30))
        with transaction.atomic():
            for kind in rng.sample(list(NoteKind.values), 2):
                services.add_note(
                    acting_user=author, origin=COMMAND, case=case, written_on=on, kind=kind, text="Gesprek gevoerd."
                )
                notes += 1
    return {
        "LSO meetings": str(counts.get("lso meetings", 0) + len(ctx.locations)),
        "MRT escalations": str(_count("mrt", "Escalation")),
        "notes": f"{notes:,}",
    }


def _count(app: str, model: str) -> int:
    from django.apps import apps

    return apps.get_model(app, model).objects.count()


# --- 2. The pages over HTTP -----------------------------------------------------------------------------


class Server:
    """gunicorn with 2 workers on the loopback address, stopped at the end (this process's child)."""

    def __init__(self, port: int, env: dict[str, str]):
        self.port = port
        self.static = tempfile.mkdtemp(prefix="lvv-bench-static-")
        self.env = {**os.environ, **env, "STATIC_ROOT": self.static}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        python = str(Path(sys.executable))
        collect = [python, "manage.py", "collectstatic", "--noinput", "-v0"]
        subprocess.run(collect, cwd=benchlib.ROOT, env=self.env, check=True)  # noqa: S603 -- fixed arguments
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        command = [gunicorn, "lvv.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--timeout", "300", "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=benchlib.ROOT, env=self.env)  # noqa: S603 -- fixed arguments
        import requests

        for _ in range(120):
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise SystemExit("gunicorn did not answer on /healthz")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.static, ignore_errors=True)


def sessions(role: str, count: int, slugs: list[str]) -> list[tuple[str, str]]:
    """``count`` sessions of the role's demo accounts, the LVVs in turn: (LVV, session id).
    Made here with the test client's login (the server shares the database and the key)."""
    from django.conf import settings
    from django.test import Client

    from lvv.accounts.models import User

    made = []
    for n in range(count):
        slug = slugs[n % len(slugs)]
        user = User.objects.get(username="bureau" if role == "bureau" else f"{role}.{slug}")
        client = Client()
        client.force_login(user)
        made.append((slug, client.cookies[settings.SESSION_COOKIE_NAME].value))
    return made


def targets(slugs: list[str]) -> dict[str, dict]:
    """Per LVV what the pages name: some cases and persons, the meeting of 30 items, a name."""
    from cases.models import Case
    from lso.models import Meeting

    rng = random.Random(7)
    found = {}
    for slug in slugs:
        rows = list(
            Case.objects.filter(location__slug=slug).values_list("pk", "person_id", "person__family_name")[:5000]
        )
        picked = rng.sample(rows, min(200, len(rows)))
        meeting = Meeting.objects.filter(location__slug=slug, place="Stadhuis").order_by("-pk").first()
        found[slug] = {"cases": picked, "meeting": meeting.pk if meeting else None}
    return found


def meeting_items(slugs: list[str]) -> list[int]:
    """The number of items on each LVV's meeting that the meeting pages show (``targets``)."""
    from lso.models import AgendaItem, Meeting

    counts = []
    for slug in slugs:
        meeting = Meeting.objects.filter(location__slug=slug, place="Stadhuis").order_by("-pk").first()
        counts.append(AgendaItem.objects.filter(meeting=meeting).count() if meeting else 0)
    return counts


def pages(found: dict[str, dict]) -> list[tuple[str, str, object]]:
    """(name, role, address or a function of (LVV, random) giving one)."""

    def of_a_case(address: str, column: int):
        """The address with a column of one of the LVV's cases, at random: 0 the case, 1 its
        person, 2 the person's family name."""
        return lambda slug, rng: address.format(rng.choice(found[slug]["cases"])[column])

    def of_the_meeting(address: str):
        return lambda slug, rng: address.format(found[slug]["meeting"])

    case = of_a_case("/cases/{}/", 0)
    person = of_a_case("/cases/persons/{}/", 1)
    search = of_a_case("/cases/?mine=false&q={}", 2)
    meeting = of_the_meeting("/lso/{}/")
    suggestions = of_the_meeting("/api/v1/meetings/{}/suggestions/")
    case_api = of_a_case("/api/v1/cases/{}/", 0)
    return [
        ("work queue (home)", "casemanager", "/"),
        ("case list", "casemanager", "/cases/?mine=false"),
        ("case list, filtered (sheltered)", "casemanager", "/cases/?mine=false&state=sheltered"),
        ("case list, name search", "casemanager", search),
        ("case page", "casemanager", case),
        ("person page", "casemanager", person),
        ("inbox (IND)", "ind", "/inbox/"),
        ("LSO meeting page (30 items)", "lsochair", meeting),
        ("DT&V review queue", "dtv", "/lso/review/"),
        ("MRT escalations", "lsochair", "/mrt/"),
        ("planned departures (DT&V)", "dtv", "/procedures/departures/"),
        ("monitor dashboard", "bureau", "/monitor/"),
        ("API: cases", "casemanager", "/api/v1/cases/"),
        ("API: one case", "casemanager", case_api),
        ("API: inbox (IND)", "ind", "/api/v1/inbox/"),
        ("API: LSO suggestions", "lsochair", suggestions),
        ("API: monitor", "bureau", "/api/v1/monitor/"),
    ]


def load_test(port: int, who: list[tuple[str, str]], address, rounds: int) -> dict:
    """Every session requests the page ``rounds`` times, all at once: the seconds of each
    request, and any answer other than 200."""
    import requests
    from django.conf import settings

    seconds: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(who))

    def user(n: int, slug: str, session_id: str) -> None:
        rng = random.Random(n)
        http = requests.Session()
        http.headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session_id}"  # a Secure cookie, over loopback
        start.wait()
        for _ in range(rounds):
            url = address(slug, rng) if callable(address) else address
            began = time.perf_counter()
            response = http.get(f"http://127.0.0.1:{port}{url}", timeout=600, allow_redirects=False)
            spent = time.perf_counter() - began
            with lock:
                seconds.append(spent)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {url}")

    threads = [threading.Thread(target=user, args=(n, slug, sid)) for n, (slug, sid) in enumerate(who)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": seconds, "failures": failures}


def measure_pages(port: int, slugs: list[str], users: int, rounds: int) -> tuple[list[dict], dict]:
    found = targets(slugs)
    by_role: dict[str, list] = {}
    rows = []
    bare = []
    for name, role, address in [BARE, *pages(found), BARE]:
        if role not in by_role:
            by_role[role] = sessions(role, users, slugs)
        load_test(port, by_role[role][:2], address, 1)  # warm: each worker's first request
        result = load_test(port, by_role[role], address, rounds)
        p50, p95 = benchlib.percentile(result["seconds"], 0.5), benchlib.percentile(result["seconds"], 0.95)
        row = {"name": name, "p50": p50, "p95": p95, "requests": len(result["seconds"]), "failures": result["failures"]}
        print(
            f"{name}: p50 {p50 * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms, {len(result['failures'])} failures",
            flush=True,
        )
        if name == BARE[0]:
            bare.append(row)
        else:
            rows.append(row)
    reference = {
        "p50": statistics.median(r["p50"] for r in bare),
        "p95": statistics.median(r["p95"] for r in bare),
        "runs": bare,
    }
    return rows, reference


# --- 3. In this process ---------------------------------------------------------------------------------


def timed(function, runs: int = 3) -> float:
    """The median seconds of ``runs`` calls of ``function``."""
    return statistics.median(benchlib.timed(function, runs))


def measure_in_process() -> dict[str, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lso import pdf
    from lso.models import Meeting
    from lvv.accounts.models import User
    from monitor import exports
    from monitor.figures import figures

    today = datetime.date.today()
    found: dict[str, str] = {}
    figures(today)  # warm
    for day in (datetime.date(2019, 12, 31), datetime.date(2021, 6, 30), datetime.date(2023, 12, 31), today):
        with CaptureQueriesContext(connection) as captured:
            figures(day)
        seconds = timed(lambda d=day: figures(d))
        RAW["figures"] = max(RAW.get("figures", 0.0), seconds)
        found[f"monitor `figures()` on {day.isoformat()}"] = f"{seconds:.2f} s, {len(captured)} queries"
    started = time.perf_counter()
    report = exports.build_report(today)  # the first of the run: the analyses may be kept after it
    found["monitor report (figures, trends, breakdowns, durations), first"] = f"{time.perf_counter() - started:.1f} s"
    found["monitor report, again"] = f"{timed(lambda: exports.build_report(today), 1):.1f} s"
    for fmt in ("csv", "xlsx", "pdf"):
        found[f"monitor export, {fmt.upper()}"] = (
            f"{timed(lambda f=fmt: exports.render(report, f), 1):.1f} s (after the report)"
        )
    meeting = Meeting.objects.filter(place="Stadhuis").order_by("pk").first()
    if meeting is not None:
        chair = User.objects.get(username=f"lsochair.{meeting.location.slug}")
        started = time.perf_counter()
        pdf.pack_pdf(meeting, chair)
        first = time.perf_counter() - started
        seconds = timed(lambda: pdf.pack_pdf(meeting, chair))
        RAW["pack"], RAW["pack items"] = seconds, meeting.items.count()
        found[f"agenda pack ({meeting.items.count()} items)"] = (
            f"{seconds:.1f} s (the first in the process {first:.1f} s)"
        )
    return found


# --- The page -----------------------------------------------------------------------------------------------


def measure_small(args, url: str) -> dict | None:
    """The same pages on ``--small`` cases: this script again, in a child process, on a second
    database; its figures as ``--json`` writes them."""
    base, _, name = url.rpartition("/")
    out = Path(tempfile.mkdtemp(prefix="lvv-bench-small-")) / "small.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--cases", str(args.small), "--users", str(args.users)]
    command += ["--rounds", str(args.rounds), "--port", str(args.port + 1), "--no-doc", "--small", "0"]
    command += ["--json", str(out)]
    if args.reuse:
        command.append("--reuse")
    env = {**os.environ, "DATABASE_URL": f"{base}/{name}_small"}
    print(f"--- the same pages on {args.small:,} cases", flush=True)
    if subprocess.run(command, env=env, check=False).returncode not in (0, 1):  # noqa: S603 -- this script
        return None
    found = json.loads(out.read_text())
    shutil.rmtree(out.parent, ignore_errors=True)
    return found


def target_table(rows: list[dict], reference: dict, small: dict | None) -> list[str]:
    """Issue 13's targets against this run's figures: a table of target, measured, met."""
    by_name = {row["name"]: row for row in rows}
    lines = ["| target | measured | met |", "|---|---|---|"]

    def add(target: str, measured: str, met: bool | None) -> None:
        lines.append(f"| {target} | {measured} | {'–' if met is None else ('yes' if met else '**no**')} |")

    for name in FAST_PAGES:
        row = by_name.get(name)
        if row:
            ratio = row["p95"] / reference["p95"]
            add(f"{name}: p95 at most 3x the bare view's", f"{ratio:.1f}x", ratio <= 3)
    if "figures" in RAW:
        add("monitor `figures()` at most 0.5 s at any date", f"at most {RAW['figures']:.2f} s", RAW["figures"] <= 0.5)
    if "monitor dashboard" in by_name:
        p95 = by_name["monitor dashboard"]["p95"]
        add("monitor dashboard at most 2 s", f"p95 {p95:.2f} s", p95 <= 2)
    if "pack" in RAW:
        add(
            f"agenda pack of 30 cases at most 3 s ({RAW['pack items']:.0f} here)",
            f"{RAW['pack']:.1f} s",
            RAW["pack"] <= 3,
        )
    if "import" in RAW:
        add("import at least 1,000 cases/s", f"{RAW['import']:,.0f} cases/s", RAW["import"] >= 1000)
    if small:
        at_small = {row["name"]: row["p50"] / small["reference"]["p50"] for row in small["rows"]}
        growth = {
            row["name"]: (row["p50"] / reference["p50"]) / at_small[row["name"]]
            for row in rows
            if at_small.get(row["name"])
        }
        worst = max(growth, key=growth.__getitem__)
        add(
            f"every page's cost within 2x of the same page at {small['cases']:,} cases",
            f"at most {growth[worst]:.1f}x ({worst})",
            growth[worst] <= 2,
        )
    return lines


def _items_text(here: list[int], small: dict) -> str:
    """What the meeting pages hold here and in the small database (not the same agenda)."""
    there = small.get("meeting_items")
    if not here or not there or here == there:
        return ""
    text = (
        f"The meetings whose pages are measured hold {_span(here)} items here and {_span(there)} on"
        f" {small['cases']:,} cases (the LVVs have few open cases there): their pages, and the suggestions,"
        " are not the same size in the two databases."
    )
    return "\n" + textwrap.fill(text, width=95)


def _span(counts: list[int]) -> str:
    return f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)} to {max(counts)}"


def write_doc(
    args,
    data: dict[str, str],
    rows: list[dict],
    reference: dict,
    in_process: dict[str, str],
    info,
    small=None,
    items: list[int] | None = None,
) -> None:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f} ms"

    at_small = {row["name"]: row for row in small["rows"]} if small else {}
    extra = f" p50 / bare at {small['cases']:,} | at scale / at {small['cases']:,} |" if small else ""
    table = [
        f"| page or endpoint | p50 | p95 | p50 / bare | p95 / bare |{extra} requests | not 200 |",
        "|---|---:|---:|---:|---:|" + ("---:|---:|" if small else "") + "---:|---:|",
    ]
    for row in rows:
        ratio = row["p50"] / reference["p50"]
        columns = ""
        if small:
            there = at_small.get(row["name"])
            small_ratio = there["p50"] / small["reference"]["p50"] if there else None
            columns = f" {small_ratio:.1f}x | {ratio / small_ratio:.1f}x |" if small_ratio else " – | – |"
        table.append(
            f"| {row['name']} | {ms(row['p50'])} | {ms(row['p95'])} | {ratio:.1f}x "
            f"| {row['p95'] / reference['p95']:.1f}x |{columns} {row['requests']} | {len(row['failures'])} |"
        )
    small_text = (
        f"""

The same pages were measured the same way on {small["cases"]:,} cases (the demo's size), in a
second database, with its own bare view; "at scale / at {small["cases"]:,}" is a page's p50
ratio to the bare view here divided by the same ratio there: how much dearer the page got
with {args.cases:,} cases.{_items_text(items or [], small)}"""
        if small
        else ""
    )
    bare = ", ".join(f"p50 {ms(r['p50'])}, p95 {ms(r['p95'])}" for r in reference["runs"])
    command = f"scripts/benchmark_scale.py --cases {args.cases} --users {args.users} --rounds {args.rounds}"
    if small:
        command += f" --small {small['cases']}"
    kept = ""
    if DOC.exists() and NOTES in DOC.read_text():
        kept = DOC.read_text()[DOC.read_text().index(NOTES) :]
    DOC.write_text(
        f"""# Benchmark at national scale

Generated by `{command}` on {datetime.date.today().isoformat()} (`DATABASE_URL` set to a
database whose name contains "bench"; the script's docstring says what it builds and how it
measures). Every case came in through the import; meetings, agenda items, outcomes, MRT
escalations and notes through the services.

## The data

{benchlib.table(data, ("", ""))}

## Pages and endpoints: {args.users} users at once, gunicorn with 2 workers

Each of {args.users} sessions (the role's demo accounts of the five LVVs in turn) requests the
page {args.rounds} times, all at the same time. The reference is the bare logged-in view
(the API token page: the layout and the navigation, no case data), measured the same way at
the start and at the end of the run ({bare}).{small_text}

{chr(10).join(table)}

## The targets

{chr(10).join(target_table(rows, reference, small))}

## In one process

{benchlib.table(in_process, ("", ""))}

Machine:

{benchlib.table(info)}
"""
        + (f"\n{kept}" if kept else "")
    )


def main() -> int:
    parser = benchlib.arguments(__doc__, "benchmark-scale.md")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="requests per user per page")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse", action="store_true", help="keep the data when the case count matches")
    parser.add_argument(
        "--small",
        type=int,
        default=200,
        help="also measure the same pages on this many cases (the demo's size), in a second database "
        "(DATABASE_URL's name + '_small'), for each page's cost at scale against its cost there; 0: not",
    )
    parser.add_argument("--json", type=Path, help="write the page figures to this file (used for --small)")
    args = parser.parse_args()
    url = benchlib.database_url()
    server_env = {
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LVV_REQUIRE_2FA": "false",
    }
    os.environ.update(server_env)  # this process and the server sign sessions with the same key
    benchlib.bench_database(url, fresh=False)
    benchlib.setup_django(test_client=True)
    from cases.models import Case

    slugs = benchlib.migrate_and_seed_core()
    data: dict[str, str] = {}
    # How the data was built, kept beside it for a run with --reuse (.local/ is not in git).
    built = benchlib.ROOT / ".local" / f"{url.rpartition('/')[2]}-built.json"
    if args.reuse and Case.objects.count() == args.cases and built.exists():
        kept = json.loads(built.read_text())
        data, RAW["import"] = kept["data"], kept["import"]
    else:
        from django.db import connections

        connections.close_all()
        benchlib.bench_database(url, fresh=True)
        slugs = benchlib.migrate_and_seed_core()
        data = build(args.cases, slugs)
        with connections["default"].cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        built.parent.mkdir(exist_ok=True)
        built.write_text(json.dumps({"data": data, "import": RAW["import"]}))
    per_lvv = ", ".join(f"{s}: {Case.objects.filter(location__slug=s).count():,}" for s in slugs)
    data["cases"] = f"{Case.objects.count():,} ({per_lvv})"
    data["timeline events"] = f"{_count('cases', 'TimelineEvent'):,}"
    with Server(args.port, server_env):
        rows, reference = measure_pages(args.port, slugs, args.users, args.rounds)
    items = meeting_items(slugs)
    if args.json:
        figures = {"rows": rows, "reference": reference, "cases": args.cases, "meeting_items": items}
        args.json.write_text(json.dumps(figures))
    small = measure_small(args, url) if args.small and args.small != args.cases else None
    in_process = measure_in_process()
    for key, value in in_process.items():
        print(f"{key}: {value}")
    info = benchlib.machine()
    if not args.no_doc:
        write_doc(args, data, rows, reference, in_process, info, small, items)
        print(f"written: {DOC.relative_to(benchlib.ROOT)}")
    failed = sum(len(row["failures"]) for row in rows)
    if failed:
        print(f"{failed} requests did not answer 200, e.g. {next(r['failures'][0] for r in rows if r['failures'])}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
