#!/usr/bin/env python
"""Benchmark of the LSO: the meeting page with its agenda suggestions, the suggestions API
and the agenda pack of 30 cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_lso_bench \\
        .venv/bin/python scripts/benchmark_lso.py [--cases N] [--others M] [--runs R]
            [--reseed] [--json FILE] [--baseline FILE] [--no-doc] [--explain]
    .venv/bin/python scripts/benchmark_lso.py --report BEFORE.json AFTER.json [...]

The database in DATABASE_URL is created when missing and migrated; its name must contain
"bench" (the script empties the case tables before seeding).

BENCHMARK FIXTURE, NOT A WAY TO CREATE CASES: the persons, cases, deadlines, scenarios,
cooperation checks, timeline events, the meeting's agenda items, preparation notes and
actions are written with ``INSERT ... SELECT generate_series`` straight into the tables,
bypassing the services (which would take far longer and write the access log). The data is
deterministic: ``--cases`` cases in the measured LVV (LVV Amsterdam) and ``--others`` spread
over the other LVVs; about one in five open cases of an LVV needs its next LSO (every reason
occurs, some cases have several: 3,572 suggestions with ``--cases 20000``, where the
measurement at national scale found 3,165). The meeting is a draft a week from today with 30 items,
each with three partners' preparation notes and two open actions.

It times, warm, as the LSO chair of the LVV (Django's test client, in this process): the
meeting page (its HTML size and number of queries), the next part of the suggestions
("meer tonen"), the suggestions API's first and last page, and the agenda pack of the 30
items in its three steps (context, HTML, PDF). ``--json`` stores the figures, ``--baseline``
reads an earlier run's to set beside them (before and after a change), and the result is
written to docs/benchmark-lso.md unless ``--no-doc``; ``--report`` writes the page from
stored runs, a table per pair (e.g. 5,000 and 100,000 cases) without measuring.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

ROOT = benchlib.ROOT
MARK = "LSOB-"
ITEMS = 30
SLUG = "amsterdam"


def seed(cases: int, others: int) -> dict[str, int]:
    """Write the cases and everything the suggestions and the pack read, in SQL."""
    from django.db import connection, transaction
    from django.utils import timezone

    from lso.models import Meeting
    from lvv.accounts.models import Role, User
    from lvv.partners.models import Location, ServiceLink

    today = timezone.localdate()
    meeting_day = today + datetime.timedelta(days=7)
    location = Location.objects.get(slug=SLUG)
    others_ids = list(Location.objects.exclude(pk=location.pk).order_by("slug").values_list("pk", flat=True))
    ngos = list(
        ServiceLink.objects.filter(location=location, organisation__kind="ngo").values_list("organisation", flat=True)
    )
    chair = User.objects.get(username=f"{Role.LSO_CHAIR}.{SLUG}")
    partners = list(
        ServiceLink.objects.filter(location=location)
        .order_by("organisation__name")
        .values_list("organisation", flat=True)
    )[:3]
    total = cases + others
    params = {
        "total": total,
        "cases": cases,
        "loc": location.pk,
        "others": others_ids or [location.pk],
        "ngos": ngos or [None],
        "today": today,
        "day": meeting_day,
        "mark": MARK,
    }
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE lso_agendapack, lso_partnerposition, lso_itemoutcome, lso_action, lso_preparationnote, "
            "lso_agendaitem, lso_meetingnotice, lso_meeting, lso_reviewnote, "
            "cases_timelineevent, cases_outflow, cases_scenario, cases_dossierpart, cases_deadline, "
            "cases_cooperationcheck, cases_admissioncheck, cases_notification, "
            "cases_caseuserobjectpermission, cases_casegroupobjectpermission, cases_case, cases_person "
            "RESTART IDENTITY CASCADE"
        )

        def run(label: str, sql: str) -> None:
            cursor.execute(sql.replace(" % ", " %% "), params)  # the modulo operator, not a placeholder
            counts[label] = cursor.rowcount

        run(
            "persons",
            "INSERT INTO cases_person (family_name, given_names, birth_date, sex, nationality, created_at, "
            "updated_at, version) SELECT 'Lsobench' || g, 'Persoon ' || (g % 97), "
            "date '1960-01-01' + (g * 37) % 18000, 'm', 'ER', now(), now(), 1 FROM generate_series(1, %(total)s) g",
        )
        # Case g: the first ``cases`` in the measured LVV; one in ten closed, a few admitted or
        # waiting, the rest in shelter; seven in ten carry an external id (the rest: LVV-<id>).
        run(
            "cases",
            "INSERT INTO cases_case (external_id, health_notes, created_at, updated_at, version, assigned_ngo_id, "
            "location_id, person_id, case_types, closed_on, decided_on, exception_ground, exception_reason, "
            "prior_departure_procedures, registered_on, registration_source, rejection_reason, shelter_form, "
            "shelter_started_on, state, waitlisted_on, within_covenant) "
            "SELECT CASE WHEN g % 10 < 7 THEN %(mark)s || lpad((g * 7919 % 1000003)::text, 7, '0') ELSE '' END, "
            "'', now(), now(), 1, (%(ngos)s::bigint[])[1 + g % cardinality(%(ngos)s::bigint[])], "
            "CASE WHEN g <= %(cases)s THEN %(loc)s "
            "ELSE (%(others)s::bigint[])[1 + g % cardinality(%(others)s::bigint[])] END, g, "
            "CASE WHEN g % 9 = 0 THEN ARRAY['safe_country']::varchar[] ELSE ARRAY[]::varchar[] END, "
            "CASE WHEN g % 10 = 0 THEN %(today)s::date - 30 END, reg + 5, '', '', 1, reg, 'municipality', '', "
            "'24h', CASE WHEN g % 10 NOT IN (0, 1, 2) THEN reg + 10 END, "
            "CASE g % 10 WHEN 0 THEN 'closed' WHEN 1 THEN 'admitted' WHEN 2 THEN 'waitlisted' ELSE 'sheltered' END, "
            "CASE WHEN g % 10 = 2 THEN reg + 5 END, true "
            "FROM (SELECT g, %(today)s::date - 120 - (g * 7) % 700 AS reg FROM generate_series(1, %(total)s) g) s",
        )
        # Scenarios: every case in shelter except one in 25, 40 days after the shelter started.
        run(
            "scenarios",
            "INSERT INTO cases_scenario (direction, route, set_on, notes, case_id) "
            "SELECT CASE WHEN id % 4 = 0 THEN 'residence' ELSE 'departure' END, '', shelter_started_on + 40, '', id "
            "FROM cases_case WHERE shelter_started_on IS NOT NULL AND id % 25 <> 4",
        )
        # Deadlines: the rest period (resolved once a scenario is set), the scenario's review
        # (one in ten due by the meeting), the maximum stay of safe-country cases; a few paused.
        run(
            "deadlines",
            "INSERT INTO cases_deadline (kind, base_due_on, paused_days, paused_since, pause_reason, due_on, "
            "resolved_on, case_id) "
            "SELECT 'rest_period_end', c.shelter_started_on + 28, 0, "
            "CASE WHEN c.id % 50 = 5 THEN c.shelter_started_on + 20 END, '', c.shelter_started_on + 28, "
            "s.set_on, c.id FROM cases_case c LEFT JOIN cases_scenario s ON s.case_id = c.id "
            "WHERE c.shelter_started_on IS NOT NULL "
            "UNION ALL SELECT 'scenario_review', d, 0, NULL, '', d, NULL, case_id FROM ("
            "  SELECT case_id, %(day)s::date - 40 + ((case_id * 13) % 400)::int AS d FROM cases_scenario) r "
            "UNION ALL SELECT 'max_stay', d, 0, NULL, '', d, NULL, id FROM ("
            "  SELECT id, %(day)s::date - 10 + ((id * 11) % 300)::int AS d FROM cases_case "
            "  WHERE id % 9 = 0 AND shelter_started_on IS NOT NULL) m",
        )
        # Cooperation checks: one in 20 insufficient; half of those sufficient later.
        run(
            "cooperation checks",
            "INSERT INTO cases_cooperationcheck (checked_on, result, notes, case_id) "
            "SELECT %(today)s::date - 40, 'insufficient', '', id FROM cases_case WHERE id % 20 = 7 "
            "UNION ALL SELECT %(today)s::date - 20, 'sufficient', '', id FROM cases_case WHERE id % 40 = 7",
        )
        # The timeline: each case's history (about 16 events), a DT&V review of every case in
        # shelter (one in 60 flagged), an LSO discussion of one in three, and after it an MRT
        # advice (one in 70) and a partner's request (one in 45).
        run(
            "timeline events",
            "INSERT INTO cases_timelineevent (type, occurred_on, recorded_at, summary, data, case_id) "
            "SELECT 'registered', registered_on, now(), '', '{}'::jsonb, id FROM cases_case "
            "UNION ALL SELECT 'admitted', decided_on, now(), '', '{}'::jsonb, id FROM cases_case "
            "UNION ALL SELECT 'shelter_started', shelter_started_on, now(), '', '{}'::jsonb, id "
            "  FROM cases_case WHERE shelter_started_on IS NOT NULL "
            "UNION ALL SELECT 'scenario_set', set_on, now(), '', jsonb_build_object('direction', direction), case_id "
            "  FROM cases_scenario "
            "UNION ALL SELECT 'note', registered_on + n * 9, now(), 'Notitie', '{}'::jsonb, id "
            "  FROM cases_case, generate_series(1, 11) n "
            "UNION ALL SELECT 'dtv_review', %(today)s::date - 50, now(), 'Voortgang besproken met de DT&V.', "
            "  jsonb_build_object('flagged', id % 60 = 3), id FROM cases_case WHERE shelter_started_on IS NOT NULL "
            "UNION ALL SELECT 'lso_discussed', %(today)s::date - 60, now(), '', '{}'::jsonb, id "
            "  FROM cases_case WHERE id % 3 = 0 "
            "UNION ALL SELECT 'mrt_advice', %(today)s::date - 20, now(), 'Vertrek na medische stabilisatie.', "
            "  jsonb_build_object('direction', 'departure', 'route', 'return_to_origin', "
            "  'no_durable_solution_possible', false), id FROM cases_case WHERE id % 70 = 13 "
            "UNION ALL SELECT 'lso_requested', %(today)s::date - 10, now(), 'Medische situatie verslechterd.', "
            "  jsonb_build_object('organisation', 'Ngo A'), id FROM cases_case WHERE id % 45 = 4",
        )
    meeting = Meeting.objects.create(
        location=location, date=meeting_day, start_time=datetime.time(9, 30), place="Stadhuis", created_by=chair
    )
    params.update({"meeting": meeting.pk, "chair": chair.pk, "partners": partners, "items": ITEMS})
    with transaction.atomic(), connection.cursor() as cursor:
        # The agenda: 30 open cases of the LVV that are no suggestion (discussed recently).
        cursor.execute(
            'INSERT INTO lso_agendaitem (reason, reason_detail, reason_parts, "order", minutes_allotted, source, '
            "created_at, added_by_id, case_id, meeting_id) "
            "SELECT 'manual', 'Voortgang bespreken.', '[]', row_number() OVER (ORDER BY id), 10, 'manual', now(), "
            "%(chair)s, id, %(meeting)s FROM cases_case WHERE location_id = %(loc)s AND state = 'sheltered' "
            "ORDER BY id LIMIT %(items)s",
            params,
        )
        counts["agenda items"] = cursor.rowcount
        cursor.execute(
            "INSERT INTO lso_preparationnote (text, created_at, updated_at, author_id, item_id, organisation_id, "
            "confidentiality) SELECT 'Voorbereiding: de stand van zaken en wat wij voorstellen. ' "
            "|| repeat('Tekst. ', 20), now(), now(), %(chair)s, i.id, o, 'normal' "
            "FROM lso_agendaitem i, unnest(%(partners)s::bigint[]) o WHERE i.meeting_id = %(meeting)s",
            params,
        )
        counts["preparation notes"] = cursor.rowcount
        cursor.execute(
            "INSERT INTO lso_action (description, due_on, created_at, case_id, created_by_id, owner_organisation_id, "
            "item_id) SELECT 'Actie ' || n || ': gesprek over terugkeer plannen.', %(day)s::date + 14 * n, now(), "
            "i.case_id, %(chair)s, (%(partners)s::bigint[])[n], i.id "
            "FROM lso_agendaitem i, generate_series(1, 2) n WHERE i.meeting_id = %(meeting)s",
            params,
        )
        counts["actions"] = cursor.rowcount
        cursor.execute("ANALYZE")
    return counts


class Seconds(list):
    """Wall-clock seconds of each run, with the CPU seconds of this process beside them."""

    cpu: list[float]


def timed(function, runs: int) -> Seconds:
    seconds = Seconds()
    seconds.cpu = []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        function()
        seconds.append(time.perf_counter() - started)
        seconds.cpu.append(time.process_time() - cpu)
    return seconds


def ms(seconds: list[float]) -> str:
    """The median wall-clock time, and the median CPU time of this process (Python: the
    page or the PDF; the database's work is the difference, with the waiting for a core)."""
    text = f"{statistics.median(seconds) * 1000:,.0f} ms"
    if getattr(seconds, "cpu", None):
        text += f" (CPU {statistics.median(seconds.cpu) * 1000:,.0f} ms)"
    return text


def measure(runs: int, explain: bool) -> dict[str, str]:  # noqa: C901 -- one measurement after another
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from lso import pdf, selectors
    from lso.models import Meeting
    from lvv.accounts.models import Role, User
    from lvv.pdf import data_only_fetcher

    chair = User.objects.get(username=f"{Role.LSO_CHAIR}.{SLUG}")
    meeting = Meeting.objects.get(location__slug=SLUG, place="Stadhuis")
    client = Client()
    client.force_login(chair)
    page_url = reverse("lso:meeting-detail", args=[meeting.pk])
    api_url = f"/api/v1/meetings/{meeting.pk}/suggestions/"
    results: dict[str, str] = {}

    def get(url, **headers):
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code)
        return response

    first = get(page_url)
    html = first.content
    results["meeting page"] = ms(timed(lambda: get(page_url), runs))
    results["meeting page: HTML"] = f"{len(html) / 1024:,.0f} KB"
    rows = html.count(b'data-testid="suggestion"')
    results["meeting page: suggestion rows"] = f"{rows:,}"
    results["meeting page: queries"] = str(benchlib.query_count(lambda: get(page_url)))
    if b"suggestions=2" in html:
        more = f"{reverse('lso:meeting-suggestions', args=[meeting.pk])}?suggestions=2"
        results["next suggestions (htmx part)"] = ms(timed(lambda: get(more, HTTP_HX_REQUEST="true"), runs))
        results["next suggestions: queries"] = str(benchlib.query_count(lambda: get(more, HTTP_HX_REQUEST="true")))
    found = get(api_url).json()
    total = found["count"]
    results["suggestions"] = f"{total:,}"
    results["suggestions API, page 1"] = ms(timed(lambda: get(api_url), runs))
    results["suggestions API, page 1: queries"] = str(benchlib.query_count(lambda: get(api_url)))
    last = max(1, -(-total // 25))
    results["suggestions API, last page"] = ms(timed(lambda: get(f"{api_url}?page={last}"), runs))
    results["selectors.suggestions (the whole list)"] = ms(
        timed(lambda: selectors.suggestions(meeting, chair), max(1, runs // 2))
    )

    # The agenda pack: the first one in this process (WeasyPrint and the fonts loaded), then
    # warm, in its steps; the PDF step split into WeasyPrint's layout and its drawing and writing.
    started = time.perf_counter()
    data, _ids = pdf.pack_pdf(meeting, chair)
    results["agenda pack (30 items), first in the process"] = f"{(time.perf_counter() - started) * 1000:,.0f} ms"
    pack = timed(lambda: pdf.pack_pdf(meeting, chair), runs)
    results["agenda pack (30 items)"] = ms(pack)
    context = timed(lambda: pdf.pack_context(meeting, chair), runs)
    results["pack step 1: context"] = (
        ms(context) + f", {benchlib.query_count(lambda: pdf.pack_context(meeting, chair))} queries"
    )
    html_pack = pdf.render_pack_html(meeting, chair)
    results["pack step 2: HTML"] = ms(timed(lambda: pdf.render_pack_html(meeting, chair), runs))
    results["pack step 3: PDF (WeasyPrint)"] = ms(timed(lambda: pdf.html_to_pdf(html_pack), runs))
    from weasyprint import HTML

    document = HTML(string=html_pack, url_fetcher=data_only_fetcher()).render()
    layout = timed(lambda: HTML(string=html_pack, url_fetcher=data_only_fetcher()).render(), runs)
    results["pack step 3a: layout"] = ms(layout)
    results["pack step 3b: drawing and writing"] = ms(timed(document.write_pdf, runs))
    results["agenda pack: pages, PDF size"] = f"{len(document.pages)}, {len(data) / 1024:,.0f} KB"
    if explain:
        with connection.cursor() as cursor:
            for sql in _suggestion_sql(meeting, chair):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql[0], sql[1])
                print("\n".join(row[0] for row in cursor.fetchall()), "\n")
    return results


def _suggestion_sql(meeting, chair) -> list:
    from lso import selectors

    found = getattr(selectors, "suggestions_sql", None)
    if found is None:
        return []
    sql, params = found(meeting, chair)
    return [(f"SELECT c.id, s.urgency, COUNT(*) OVER () {sql} ORDER BY 2, c.id LIMIT 20", params)]


def machine() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "CPU count": str(os.cpu_count()),
        "Python": platform.python_version(),
        "PostgreSQL": version,
        "load average (1 min) at the end": f"{load:.1f} (other processes shared the machine)",
    }


def write_doc(path: Path, runs: list[tuple[dict | None, dict]]) -> None:
    """docs/benchmark-lso.md: a table per scale, each run beside the one before the change."""
    sections = []
    for before, after in runs:
        rows = after["results"]
        if before:
            table = "| | before | after |\n|---|---|---|\n" + "\n".join(
                f"| {key} | {before['results'].get(key, '–')} | {value} |" for key, value in rows.items()
            )
        else:
            table = "| | |\n|---|---|\n" + "\n".join(f"| {key} | {value} |" for key, value in rows.items())
        info = "\n".join(f"| {key} | {value} |" for key, value in {**after["data"], **after["machine"]}.items())
        sections.append(f"## Cases: {after['data']['cases']}\n\n{table}\n\n| data | |\n|---|---|\n{info}\n")
    path.write_text(HEADER + "\n".join(sections) + NOTES, encoding="utf-8")


HEADER = """# Benchmark: the LSO meeting page, its suggestions and the agenda pack

Written by `scripts/benchmark_lso.py`; each table from two runs on the same data, before
and after the change (the same script, the earlier code checked out elsewhere):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_lso_bench \\
        .venv/bin/python scripts/benchmark_lso.py --cases 5000 --json after-5k.json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_lso_bench \\
        .venv/bin/python scripts/benchmark_lso.py --cases 20000 --others 80000 --json after-100k.json
    .venv/bin/python scripts/benchmark_lso.py --report before-5k.json after-5k.json \\
        before-100k.json after-100k.json

Timed warm in one process with Django's test client, as the LSO chair of LVV Amsterdam on a
draft meeting a week ahead with 30 agenda items: medians of wall-clock time (with the round
trips to PostgreSQL on the same machine) and, in brackets, of this process's CPU time (the
Python side: the difference is the database and waiting for a core; other work shared the
machine's two cores, so the CPU times compare best).

"""

NOTES = """
## What changed

**Suggestions in SQL, a part at a time.** Before, `lso.selectors.suggestions` ran one query
per reason over all the open cases of the LVV, built every suggestion with its texts in
Python, and the meeting page rendered all of them (3,572 rows and 3.5 MB of HTML at 100,000
cases); the API built the whole list before its paginator took a page. Now each reason is a
set of rows (`reason_rows`: the case, the reason's urgency, the date and the event its text
names), and one query takes the union of the seven sets for the meeting's LVV, groups it per
case (its most urgent reason), joins the cases the user may see (the access policy, through
`suggestion_candidates`), orders by urgency, reference (in byte order, as Python compares
strings) and id, slices with LIMIT/OFFSET and counts the whole in the same pass
(`COUNT(*) OVER ()`). The reasons and their texts are then read for the cases of that part
only: one query for the cases with their persons, one for the seven reasons' rows with what
the texts quote. Three queries a part, whatever the number of suggestions; the set and the
order of the suggestions and their reasons are those of before (`tests/lso/` pins them).

The meeting page shows the 20 most urgent and their number ("Suggestie 1 tot en met 20 van
3.572"); "Meer tonen" appends the next 20 in place (htmx; the focus moves to the first new
row) or, without JavaScript, opens the page with that part (`?suggestions=2`). The API pages
the same list in SQL; its paginator asks for the page first, so a page is one ordering query.

A first version put each reason in a `CASE WHEN id IN (...)` per case: hashed sub-selects,
but PostgreSQL computed each twice (in the filter and in the sort key), 500 ms at 100,000
cases. Grouping the union computes each set once. Two partial indexes on the timeline (lso
migrations 0006 and 0007) serve it: the flagged DT&V reviews (`lso_timeline_flagged_review`:
1,700 rows instead of reading 70,000 reviews) and the LSO discussions by case and date
(`lso_timeline_discussed`: "not discussed since" becomes an index-only probe). On a quiet
machine the ordering query takes 55-90 ms at 100,000 cases (3,572 suggestions; the lower
figure without PostgreSQL's parallel workers, which cost more than they save on two cores)
and 10-25 ms at 5,000. The runs before the change at 100,000 cases had these indexes too.

**Where the meeting page's time goes now.** The ordering query, the 30 agenda items with
their forms (most of the page's CPU time, unchanged) and the navigation's inbox counts.
Its queries are fixed: 22, whatever the number of items and suggestions. No page or endpoint
reads the whole list with every text any more (`selectors.suggestions`, kept for the demo data
and the tests); the service that puts suggestions on the agenda reads those of the cases it
adds.

**The agenda pack.** Its context is 8 queries whatever the number of items and its HTML
some 50 ms; over 90 % of its time is WeasyPrint laying out (about 80 %) and drawing (about
15 %) 33 pages of text, some 35 ms of CPU a page, not the database and not the fonts
(loading them costs once per process, under 0.1 s; the first pack of a process also imports
WeasyPrint). The template now lays out the agenda table with fixed column widths (no
measuring of every cell) and puts each label above its value instead of floating it: about
10 % less WeasyPrint time (in isolated runs of the same pack: 1.22 to 1.10 s of CPU; above,
1.40 to 1.26 s at 5,000 cases and 1.49 to 1.27 s at 100,000). The pack
is made by the worker (`lso.tasks`), off the request path, with its progress on the page;
under load its wall-clock time is mostly waiting for a core.
"""


def main() -> int:
    parser = benchlib.arguments(__doc__, "benchmark-lso.md")
    parser.add_argument("--cases", type=int, default=5_000, help="cases in the measured LVV")
    parser.add_argument("--others", type=int, default=0, help="cases in the other LVVs")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reseed", action="store_true", help="seed again even when the data is there")
    parser.add_argument("--json", help="store the figures in this file")
    parser.add_argument("--baseline", help="an earlier run's --json file, shown as 'before'")
    parser.add_argument("--explain", action="store_true", help="print the plan of the suggestions' query")
    parser.add_argument(
        "--report", nargs="+", metavar="JSON", help="write the doc from stored runs (pairs: before after ...)"
    )
    args = parser.parse_args()
    if args.report:
        files = [json.loads(Path(name).read_text(encoding="utf-8")) for name in args.report]
        if len(files) % 2:
            print("--report takes pairs of files: before after ...", file=sys.stderr)
            return 2
        write_doc(ROOT / "docs" / "benchmark-lso.md", list(zip(files[::2], files[1::2], strict=True)))
        print("written: docs/benchmark-lso.md")
        return 0
    benchlib.open_database(test_client=True)
    benchlib.migrate_and_seed_core()

    from cases.models import Case, TimelineEvent

    total = args.cases + args.others
    if args.reseed or Case.objects.count() != total or not Case.objects.filter(external_id__startswith=MARK).exists():
        started = time.perf_counter()
        counts = seed(args.cases, args.others)
        print(f"seeded in {time.perf_counter() - started:.1f} s: {counts}")
    results = measure(args.runs, args.explain)
    data = {
        "date": datetime.date.today().isoformat(),
        "cases": f"{args.cases:,} in LVV Amsterdam, {args.others:,} in the other LVVs",
        "timeline events": f"{TimelineEvent.objects.count():,}",
    }
    output = {"results": results, "data": data, "machine": machine()}
    for key, value in {**results, **data, **output["machine"]}.items():
        print(f"{key}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(output, indent=2), encoding="utf-8")
    if not args.no_doc:
        baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8")) if args.baseline else None
        write_doc(ROOT / "docs" / "benchmark-lso.md", [(baseline, output)])
        print("written: docs/benchmark-lso.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
