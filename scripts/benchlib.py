"""What the benchmark scripts share: their command line, a benchmark database, Django set up
for a measuring process, the machine's facts, timing, counting queries, percentiles, and case histories in the
import's format (``contracts/case-import.md``, ``lvv-case/1`` and ``/2``).

Imported by ``scripts/benchmark_*.py`` (which put the project root on ``sys.path``); nothing
here runs on import.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# --- The database and Django -------------------------------------------------------------------------


def database_url() -> str:
    """The benchmark database's URL from ``DATABASE_URL``; without one the script stops
    (status 2) and says so."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("Set DATABASE_URL (postgres://...) to a benchmark database, e.g. .../lvv_bench.", file=sys.stderr)
        raise SystemExit(2)
    return url


def bench_database(url: str, *, fresh: bool = False) -> str:
    """Create the database in ``url`` when missing (``fresh``: drop it first). Its name must
    contain "bench": a benchmark empties and fills tables, never the application's database."""
    import psycopg
    from psycopg import sql

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from lvv.database import ensure_database

    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname", "")
    if "bench" not in name:
        raise SystemExit(f"Refusing to use {name!r}: give a database whose name contains 'bench'.")
    if fresh:
        admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    ensure_database(url)
    return name


def setup_django(*, test_client: bool = False) -> None:
    """Django for a measuring process: DEBUG off (its query log slows every query), a
    throwaway secret key; with ``test_client``, the test client's host, login without a
    second step and static files without a collected manifest."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lvv.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("LVV_REQUIRE_2FA", "false")
    import django

    django.setup()
    if test_client:
        from django.conf import settings
        from django.test.utils import override_settings

        override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver", "127.0.0.1", "localhost"],
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ).enable()


def open_database(*, fresh: bool = False, test_client: bool = False) -> str:
    """The benchmark database of ``DATABASE_URL`` (see ``bench_database``) and Django set up to
    measure in it (see ``setup_django``). Returns the URL."""
    url = database_url()
    bench_database(url, fresh=fresh)
    setup_django(test_client=test_client)
    return url


def migrate_and_seed_core() -> list[str]:
    """Migrate, and create the five pilot LVVs with their partners and demo accounts when
    missing (the accounts' password is a random one nobody knows). Returns the LVVs' slugs."""
    from django.core.management import call_command

    from lvv import demo
    from lvv.partners.models import Location

    call_command("migrate", verbosity=0)
    slugs = [pilot.slug for pilot in demo.PILOTS]
    if Location.objects.filter(slug__in=slugs).count() < len(slugs):
        demo.seed_core(secrets.token_urlsafe(24), 0)
    return slugs


def arguments(doc: str, page: str | None = None) -> argparse.ArgumentParser:
    """A benchmark's command line, described by the first line of its ``doc``; with ``page``,
    the option ``--no-doc`` not to write that page of docs/."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if page:
        parser.add_argument("--no-doc", action="store_true", help=f"do not write docs/{page}")
    return parser


def machine() -> dict[str, str]:
    """The facts a reader needs to compare a figure: processor, cores, versions, load."""
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    cpu = ""
    try:
        cpu = next(
            (
                row.split(":", 1)[1].strip()
                for row in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in row
            ),
            "",
        )
    except OSError:
        pass
    return {
        "CPUs": str(os.cpu_count()),
        "CPU": cpu or platform.processor() or platform.machine(),
        "PostgreSQL": server,
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "load average (1 min) at the end": f"{os.getloadavg()[0]:.1f}",
    }


class BackendCPU:
    """CPU seconds of this process and of its PostgreSQL backend (read from ``/proc``: the
    server runs on this machine), so that a figure can be judged on a busy machine too."""

    def __init__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pid = cursor.fetchone()[0]
        self.start = self._now()

    def _backend(self) -> float | None:
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None  # the server is elsewhere
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _now(self) -> tuple[float, float | None]:
        return time.process_time(), self._backend()

    def spent(self) -> tuple[float, float | None]:
        """(this process, the backend) since the start; the backend None when not readable."""
        python, backend = self._now()
        return python - self.start[0], (backend - self.start[1]) if backend is not None else None


class QueryCounter:
    """``connection.execute_wrapper(counter)``: counts the statements sent."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(function, runs: int) -> list[float]:
    """The seconds each of ``runs`` calls of ``function`` took."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return seconds


def query_count(function) -> int:
    """The queries one call of ``function`` sends."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured.captured_queries)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0.5: the median, 0.95: p95) by linear interpolation."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def table(rows: dict[str, str], head: tuple[str, str] = ("", "")) -> str:
    lines = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in rows.items()]
    return "\n".join(lines)


# --- Case histories in the import's format ----------------------------------------------------------------

SEED = 20190401
FIRST_DAY = datetime.date(2019, 1, 7)
DURABLE = ["departure_origin"] * 3 + ["onward_migration"] * 2 + ["residence_granted"] * 3
NOT_DURABLE = [
    "asylum_centre",
    "postponement_art64",
    "unknown_destination",
    "unknown_destination",
    "back_to_bbb",
    "forced_termination",
    "detention",
    "deceased",
    "other",
]
COUNTRIES = ["ER", "NG", "MA", "DZ", "IQ", "AF", "GE", "SO", "GN", "SY", "TN", "LY"]
CASE_TYPES = ["medical", "psychological", "repeat_asylum", "no_fault", "identity_unclear", "family", "safe_country"]
GIVEN_NAMES = ["Abel", "Amaka", "Youssef", "Nino", "Ahmad", "Hodan", "Omar", "Senait", "Karim", "Fatima"]
# Family names made of three parts (4,992 of them, about 20 persons a name at 100,000 cases):
# names that differ as real ones do, so that a name search finds a few persons and the similar
# names a typo-tolerant search should, not every person of the data set.
_NAME_START = ["Ab", "Bar", "Da", "El", "Fa", "Gha", "Ha", "Ib", "Ja", "Ka", "La", "Ma"]
_NAME_START += ["Na", "O", "Ra", "Sa", "Ta", "U", "Wa", "Ya", "Za", "Te", "Mo", "Ke"]
_NAME_MIDDLE = ["b", "dd", "h", "k", "l", "m", "n", "r", "s", "sh", "t", "w", "z", "y", "ff", "g"]
_NAME_END = ["ani", "ari", "ebe", "ema", "ensa", "ewi", "ido", "ila", "ouri", "ula", "ye", "ah", "oun"]


def family_name(number: int) -> str:
    """The family name of person ``number``, the same every time."""
    mixed = (number * 2654435761) % 2**32
    start = _NAME_START[mixed % len(_NAME_START)]
    middle = _NAME_MIDDLE[(mixed // 24) % len(_NAME_MIDDLE)]
    end = _NAME_END[(mixed // 384) % len(_NAME_END)]
    return f"{start}{middle}{end}"


APPLICATIONS = ["asylum_repeat"] * 4 + ["no_fault"] * 3 + ["regular", "medical_art64", "appeal", "appeal", "other"]


class _Dates:
    """Event dates in order; none after ``today`` (a history that reaches today stops)."""

    def __init__(self, rng: random.Random, day: datetime.date, today: datetime.date):
        self.rng, self.day, self.today = rng, day, today
        self.stopped = False

    def next(self, low: int, high: int) -> datetime.date | None:
        day = self.day + datetime.timedelta(days=self.rng.randrange(low, high))
        if self.stopped or day > self.today:
            self.stopped = True
            return None
        self.day = day
        return day


def _event(events: list, type_: str, day: datetime.date | None, **values) -> bool:
    if day is None:
        return False
    events.append({"type": type_, "date": day.isoformat(), **values})
    return True


def _admission(rng: random.Random, dates: _Dates, events: list) -> tuple[bool, bool]:
    """Admitted (as an exception 1 in 20), perhaps waitlisted, then shelter; returns
    (within the covenant, sheltered)."""
    exception = rng.random() < 0.05
    values = {"exception": rng.choice(["humanitarian", "public_order"])} if exception else {}
    _event(events, "admitted", dates.next(0, 15), **values)
    waits = rng.random() < 0.12
    if waits:
        _event(events, "waitlisted", dates.next(0, 1))
    sheltered = rng.random() < 0.93 and _event(
        events, "shelter_started", dates.next(5, 40) if waits else dates.next(0, 3)
    )
    return not exception, sheltered


def _guidance(rng: random.Random, dates: _Dates, events: list, end: datetime.date) -> str | None:
    """Dossier parts, scenarios, cooperation checks about every six weeks, MRT discussions,
    applications and departure plans, up to ``end``; returns the last direction."""
    for kind in rng.sample(["IND", "DTV"], 2):
        if rng.random() < 0.9:
            _event(events, "dossier_delivered", dates.next(3, 30), by=kind)
    direction = None
    if rng.random() < 0.88:
        direction = rng.choice(["departure"] * 3 + ["residence"])
        _event(events, "scenario_set", dates.next(14, 60), direction=direction)
    pending: list[str] = []
    while dates.day + datetime.timedelta(days=50) < end and not dates.stopped:
        if not _event(events, "cooperation_checked", dates.next(35, 50), result=_result(rng)):
            break
        roll = rng.random()
        if roll < 0.08:
            direction = "residence" if direction == "departure" else "departure"
            _event(events, "scenario_set", dates.next(0, 10), direction=direction)
        elif roll < 0.14:
            outcome = "no_durable_solution_possible" if rng.random() < 0.3 else None
            _event(events, "mrt_discussed", dates.next(0, 10), outcome=outcome)
        elif roll < 0.22 and len(pending) < 2:
            kind = rng.choice(APPLICATIONS)
            if _event(events, "application_submitted", dates.next(0, 10), kind=kind):
                pending.append(kind)
        elif roll < 0.32 and pending:
            outcome = rng.choice(["granted", "rejected", "rejected", "rejected", "withdrawn"])
            _event(events, "application_decided", dates.next(0, 10), kind=pending.pop(0), outcome=outcome)
        elif roll < 0.37 and direction == "departure":
            made = dates.next(0, 10)
            if made is not None:
                planned = made + datetime.timedelta(days=rng.randrange(7, 60))
                _event(events, "departure_planned", made, planned_on=planned.isoformat(), support=_support(rng))
    return direction


def _result(rng: random.Random) -> str:
    return "sufficient" if rng.random() < 0.88 else "insufficient"


def _support(rng: random.Random) -> str:
    return rng.choice(["iom", "iom", "dtv", "independent"])


def _outflow(rng: random.Random, events: list, day: datetime.date, direction: str | None) -> None:
    durable = rng.random() < (0.55 if direction else 0.25)
    category = rng.choice(DURABLE if durable else NOT_DURABLE)
    values: dict = {"category": category}
    if category in ("departure_origin", "onward_migration"):
        values["country"] = rng.choice(COUNTRIES)
    if durable:
        values["verified"] = rng.random() < 0.7
    _event(events, "outflow", day, **values)


def history(rng: random.Random, start: datetime.date, today: datetime.date) -> tuple[list[dict], bool, bool]:
    """One case's events from ``start``: (events, within the covenant, ended by an outflow)."""
    dates = _Dates(rng, start, today)
    events = [{"type": "registered", "date": start.isoformat()}]
    if rng.random() < 0.05:
        _event(events, "rejected", dates.next(1, 20), reason="Geen aantoonbare regiobinding")
        return events, True, False
    within, sheltered = _admission(rng, dates, events)
    stay = datetime.timedelta(days=int(rng.lognormvariate(5.6, 0.6)))  # median about nine months
    end = dates.day + stay
    direction = _guidance(rng, dates, events, end) if sheltered else None
    closed = False
    if end <= today and not dates.stopped and (sheltered or rng.random() < 0.5):
        _outflow(rng, events, max(end, dates.day), direction)
        closed = True
    return events, within, closed


def person(rng: random.Random, number: int) -> dict:
    """A person of its own (a V-number for nine in ten; the others by name and birth date)."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 42))
    return {
        "v_number": f"9{number:09d}" if rng.random() < 0.9 else None,
        "family_name": family_name(number),
        "given_names": rng.choice(GIVEN_NAMES),
        "birth_date": birth.isoformat(),
        "sex": rng.choice(["m", "m", "f", "x", None]),
        "nationality": rng.choice([*COUNTRIES, None]),
    }


def case_lines(count: int, slugs: list[str], *, seed: int = SEED, today: datetime.date | None = None) -> list[dict]:
    """``count`` lines, the same every time for the same arguments: registrations spread over
    2019 to ``today``, most admitted and sheltered with a dossier, scenarios, cooperation checks
    and now and then an MRT discussion, an application or a departure plan (``lvv-case/2``);
    most older cases ended by an outflow, some persons moving on to a second stay in another
    LVV the day after. About 12 events a case."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    span = (today - FIRST_DAY).days - 30
    lines: list[dict] = []
    moves: list[tuple[dict, datetime.date, str]] = []
    number = 0
    while len(lines) < count:
        if moves and rng.random() < 0.5:
            who, day, left = moves.pop(0)
            slug = rng.choice([s for s in slugs if s != left] or slugs)
        else:
            who, day, slug = person(rng, number), FIRST_DAY + datetime.timedelta(days=rng.randrange(span)), None
            slug = slugs[number % len(slugs)]
        events, within, closed = history(rng, day, today)
        number += 1
        v2 = any(e["type"] in ("application_submitted", "application_decided", "departure_planned") for e in events)
        lines.append(
            {
                "schema": "lvv-case/2" if v2 else "lvv-case/1",
                "external_id": f"BENCH-{len(lines):06d}",
                "lvv": slug,
                "within_covenant": within,
                "person": who,
                "case_types": rng.sample(CASE_TYPES, rng.choice([0, 0, 1, 1, 2])),
                "prior_departure_procedures": rng.randrange(0, 6),
                "events": events,
            }
        )
        last = datetime.date.fromisoformat(events[-1]["date"])
        if closed and rng.random() < 0.06 and last + datetime.timedelta(days=1) <= today and who["v_number"]:
            moves.append((who, last + datetime.timedelta(days=1), slug))
    return lines
