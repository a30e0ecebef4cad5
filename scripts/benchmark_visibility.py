#!/usr/bin/env python
"""Benchmark of the case-data read path over 100,000 cases: the visibility rule, the search,
the counts and sorted lists, and the case page (docs/benchmark-visibility.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lvv_visibility_bench \\
        .venv/bin/python scripts/benchmark_visibility.py [--runs N] [--explain N] [--only REGEX] [--reseed]

The database's name must contain "bench". It is created when missing, migrated, and seeded
once with SQL (``INSERT ... SELECT generate_series``; ``--reseed`` drops and seeds it again).

BENCHMARK FIXTURE, NOT A WAY TO CREATE CASES: the rows are written straight into the tables,
bypassing the services. They are deterministic and shaped for the read path: 5 LVVs of
20,000 cases each (95,000 persons, 5,000 with a second stay), 1.6 million timeline events,
two deadlines per case (about half of them running), scenarios, outflows, notes for one case
in ten; per LVV ten case workers (``casemanager1.lvv1`` has 2,000 cases, ``casemanager10.lvv1``
40), an LSO chair, five NGO guides, an IND and a DT&V team (the IND team of LVV 1 also serves
LVV 2); ``ngo5.lvv1`` holds an object grant on three cases of LVV 2; case 5 has a long history
(200 timeline events, 50 notes, 20 documents).

It requests each page through Django's test client (logged in, warm, one process, no network),
``--runs`` times, and prints the median and the 95th percentile of the wall time, the median
CPU time of this process (the Python side: views, templates, the database driver; less
disturbed by other processes on a busy machine than the wall time), the number of queries and
the time spent in them; ``--explain N`` prints the plans of each page's N
slowest queries (EXPLAIN ANALYZE, BUFFERS).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

SEED_SQL = """
BEGIN;
INSERT INTO partners_organisation (id, name, kind, logo)
SELECT g, 'Gemeente ' || g, 'municipality', '' FROM generate_series(1, 5) g
UNION ALL SELECT 10 + g, 'Ngo A ' || g, 'ngo', '' FROM generate_series(1, 5) g
UNION ALL SELECT 20 + g, 'Ngo B ' || g, 'ngo', '' FROM generate_series(1, 5) g
UNION ALL SELECT 30 + g, 'IND ' || g, 'ind', '' FROM generate_series(1, 5) g
UNION ALL SELECT 40 + g, 'DT&V ' || g, 'dtv', '' FROM generate_series(1, 5) g
UNION ALL SELECT 99, 'Programmabureau', 'bureau', '';

INSERT INTO partners_location (id, slug, name, requires_regional_ties, requires_shown_willingness,
  safe_country_max_stay_days, voluntary_participation, municipality_id, cooperation_check_weeks)
SELECT g, 'lvv' || g, 'LVV ' || g, false, false, NULL, false, g, 6 FROM generate_series(1, 5) g;
INSERT INTO partners_locationcapacity (effective_from, places, location_id)
SELECT '2019-01-01', 4000, g FROM generate_series(1, 5) g;
INSERT INTO partners_servicelink (location_id, organisation_id)
SELECT g, o FROM generate_series(1, 5) g, LATERAL (VALUES (10 + g), (20 + g), (30 + g), (40 + g)) v(o)
UNION ALL SELECT 2, 31;

INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
  is_active, date_joined, roles, organisation_id, daily_digest)
SELECT 100 * l + k, '!', false, 'casemanager' || k || '.lvv' || l, 'Case', 'Worker ' || k, '', false, true,
  now(), ARRAY['casemanager']::varchar[], l, false FROM generate_series(1, 5) l, generate_series(1, 10) k
UNION ALL SELECT 100 * l + 20, '!', false, 'lsochair.lvv' || l, 'Lso', 'Chair', '', false, true, now(),
  ARRAY['lso_chair']::varchar[], l, false FROM generate_series(1, 5) l
UNION ALL SELECT 100 * l + 30 + k, '!', false, 'ngo' || k || '.lvv' || l, 'Ngo', 'Guide ' || k, '', false, true,
  now(), ARRAY['ngo']::varchar[], 10 + l, false FROM generate_series(1, 5) l, generate_series(1, 5) k
UNION ALL SELECT 100 * l + 40, '!', false, 'ind.lvv' || l, 'Ind', 'Officer', '', false, true, now(),
  ARRAY['ind']::varchar[], 30 + l, false FROM generate_series(1, 5) l
UNION ALL SELECT 100 * l + 50, '!', false, 'dtv.lvv' || l, 'Dtv', 'Officer', '', false, true, now(),
  ARRAY['dtv']::varchar[], 40 + l, false FROM generate_series(1, 5) l
UNION ALL SELECT 999, '!', false, 'bureau', 'Programma', 'Bureau', '', false, true, now(),
  ARRAY['bureau']::varchar[], 99, false;

INSERT INTO cases_person (id, v_number, family_name, given_names, birth_date, sex, nationality,
  created_at, updated_at, version, created_by_organisation_id)
SELECT g,
  CASE WHEN g % 10 = 0 THEN NULL ELSE lpad((1000000000 + g * 7)::text, 10, '0') END,
  (ARRAY['Tesfay','Haile','Abebe','Mohammed','Ahmadi','Okafor','Diallo','Bangura','Kebede','Yousef',
         'Amini','Mensah','Nwosu','Hussein','Karimi','Osman','Bakr','Sesay','Kamara','Traore',
         'Gebremariam','Alemu','Rahimi','Hosseini','Jalloh','Conteh','Idris','Musa','Farah','Aziz'])
    [1 + abs(hashtext('f' || g)) % 30]
    || CASE WHEN abs(hashtext('s' || g)) % 3 = 0 THEN '' ELSE '-' || (abs(hashtext('n' || g)) % 997)::text END,
  (ARRAY['Yonas','Samuel','Ahmed','Fatima','Amina','Daniel','Mariam','Ibrahim','Aisha','Omar',
         'Yusuf','Hawa','Kofi','Chinedu','Zainab','Ali','Mustafa','Senait','Helen','José'])
    [1 + abs(hashtext('g' || g)) % 20],
  DATE '1960-01-01' + ((g::bigint * 37) % 15000)::int,
  (ARRAY['m','f','x'])[1 + g % 3], (ARRAY['ER','NG','MA','DZ','IQ','AF','GE','SO','GN','SY'])[1 + g % 10],
  TIMESTAMP '2019-01-01' + (g % 2000) * INTERVAL '1 day', now(), 1, 1 + g % 5
FROM generate_series(1, 95000) g;

INSERT INTO cases_case (id, external_id, health_notes, created_at, updated_at, version, assigned_ngo_id,
  created_by_id, location_id, person_id, case_types, closed_on, decided_on, exception_ground, exception_reason,
  prior_departure_procedures, registered_on, registration_source, rejection_reason, shelter_form,
  shelter_started_on, state, waitlisted_on, within_covenant, intake_key, case_manager_id, ngo_guide_id)
SELECT g,
  CASE WHEN g % 4 = 0 THEN '' ELSE 'LVV' || (1 + g % 5) || '-' || lpad(g::text, 6, '0') END,
  '', reg + INTERVAL '10 hours', now(), 1,
  CASE WHEN g % 10 < 7 THEN (CASE WHEN g % 2 = 0 THEN 10 ELSE 20 END) + 1 + g % 5 END,
  100 * (1 + g % 5) + 1 + (g / 5) % 10,
  1 + g % 5,
  CASE WHEN g <= 95000 THEN g ELSE g - 95000 END,
  CASE WHEN g % 7 = 0 THEN ARRAY['family']::varchar[] ELSE ARRAY[]::varchar[] END,
  CASE WHEN st = 'closed' THEN reg + 200 + g % 300 END,
  CASE WHEN st <> 'registered' THEN reg + 5 END,
  '', '', NULL, reg, 'municipality', '',
  CASE WHEN st IN ('sheltered', 'closed') THEN '24h' ELSE '' END,
  CASE WHEN st IN ('sheltered', 'closed') THEN reg + 10 END,
  st,
  CASE WHEN st IN ('admitted', 'waitlisted') THEN reg + 5 END,
  true, NULL,
  100 * (1 + g % 5) + 1 + (g / 5) % 10,
  CASE WHEN g % 10 < 7 THEN 100 * (1 + g % 5) + 31 + (g / 5) % 5 END
FROM (
  SELECT g, DATE '2019-01-01' + (g * 13) % 2500 AS reg,
    CASE WHEN h = 0 THEN 'registered' WHEN h = 1 THEN 'waitlisted' WHEN h = 2 THEN 'admitted'
         WHEN h < 11 THEN 'sheltered' WHEN h = 19 THEN 'rejected' ELSE 'closed' END AS st
  FROM (SELECT g, abs(hashtext('st' || g)) % 20 AS h FROM generate_series(1, 100000) g) hs) s;

INSERT INTO cases_timelineevent (type, occurred_on, recorded_at, summary, data, actor_id, case_id)
SELECT (ARRAY['registered','admission_checked','admitted','shelter_started','dossier_requested','dossier_delivered',
              'scenario_set','cooperation_checked','note','deadline_paused','deadline_resumed','case_types_set',
              'lso_discussed','document_added','owner_changed','note'])[k],
  c.registered_on + k * 7, c.created_at + k * INTERVAL '7 days', '',
  CASE k WHEN 1 THEN '{"source": "municipality"}'::jsonb
         WHEN 7 THEN '{"direction": "departure", "route": "return_to_origin"}'::jsonb
         WHEN 9 THEN '{"kind": "conversation", "confidentiality": "normal"}'::jsonb
         WHEN 16 THEN '{"kind": "phone_call", "confidentiality": "special"}'::jsonb
         ELSE '{}'::jsonb END,
  c.case_manager_id, c.id
FROM cases_case c, generate_series(1, 16) k;

INSERT INTO cases_deadline (kind, base_due_on, paused_days, paused_since, pause_reason, due_on, resolved_on, case_id)
SELECT kind, c.registered_on + d, 0, NULL, '', c.registered_on + d,
  CASE WHEN c.state IN ('closed', 'rejected') OR c.id % 2 = 0 THEN c.registered_on + d - 1 END, c.id
FROM cases_case c, (VALUES ('rest_period_end', 28), ('cooperation_check', 42)) v(kind, d);

INSERT INTO cases_scenario (direction, route, set_on, notes, case_id, set_by_id)
SELECT CASE WHEN c.id % 3 = 0 THEN 'residence' ELSE 'departure' END, '', c.registered_on + 30, '', c.id,
  c.case_manager_id
FROM cases_case c WHERE c.state IN ('sheltered', 'closed');

INSERT INTO cases_outflow (category, outflow_on, country, notes, confirmed_on, case_id, dispute_reason,
  termination_basis)
SELECT 'departure_origin', c.closed_on, 'ER', '', NULL, c.id, '', '' FROM cases_case c WHERE c.state = 'closed';

INSERT INTO cases_note (written_on, kind, text, confidentiality, created_at, author_id, author_organisation_id,
  case_id)
SELECT c.registered_on + k, 'conversation', 'Gesprek over de situatie.',
  CASE WHEN k = 3 THEN 'special' ELSE 'normal' END, c.created_at + k * INTERVAL '1 day', c.case_manager_id,
  c.location_id, c.id
FROM cases_case c, generate_series(1, 3) k WHERE c.id % 10 = 0;

INSERT INTO cases_caseuserobjectpermission (content_object_id, permission_id, user_id)
SELECT c.id, (SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
              WHERE ct.app_label = 'cases' AND ct.model = 'case' AND p.codename = 'view_case'), 135
FROM cases_case c WHERE c.location_id = 2 ORDER BY c.id LIMIT 3;

-- A case worker with a case load of 40.
UPDATE cases_case SET case_manager_id = 109 WHERE case_manager_id = 110
  AND id NOT IN (SELECT id FROM cases_case WHERE case_manager_id = 110 ORDER BY id LIMIT 40);

-- Case 5 (LVV 1): a long history.
DELETE FROM cases_timelineevent WHERE case_id = 5;
INSERT INTO cases_timelineevent (type, occurred_on, recorded_at, summary, data, actor_id, case_id)
SELECT (ARRAY['registered','admission_checked','admitted','shelter_started','dossier_requested','dossier_delivered',
              'scenario_set','cooperation_checked','note','deadline_paused','deadline_resumed','case_types_set',
              'lso_discussed','document_added','owner_changed','outflow_disputed'])[1 + k % 16],
  DATE '2021-01-01' + k * 3, TIMESTAMP '2021-01-01' + k * INTERVAL '3 days', 'Toelichting bij gebeurtenis ' || k,
  CASE 1 + k % 16 WHEN 1 THEN '{"source": "municipality"}'::jsonb
    WHEN 2 THEN '{"unmet": []}'::jsonb
    WHEN 4 THEN '{"form": "24h", "from_waiting_list": true}'::jsonb
    WHEN 6 THEN '{"by": "IND"}'::jsonb
    WHEN 7 THEN '{"direction": "departure", "route": "return_to_origin", "previous": "residence"}'::jsonb
    WHEN 9 THEN '{"kind": "conversation", "confidentiality": "normal"}'::jsonb
    WHEN 10 THEN '{"kind": "rest_period_end", "days": 4}'::jsonb
    WHEN 11 THEN '{"kind": "rest_period_end"}'::jsonb
    WHEN 12 THEN '{"case_types": ["family"], "prior_departure_procedures": 1}'::jsonb
    WHEN 14 THEN '{"kind": "correspondence", "confidentiality": "normal"}'::jsonb
    WHEN 15 THEN '{"role": "case_manager", "from_name": "Case Worker 1", "to_name": "Case Worker 2"}'::jsonb
    WHEN 16 THEN '{"by": "ind"}'::jsonb
    ELSE '{}'::jsonb END,
  101 + k % 3, 5
FROM generate_series(1, 200) k;
DELETE FROM cases_note WHERE case_id = 5;
INSERT INTO cases_note (written_on, kind, text, confidentiality, created_at, author_id, author_organisation_id,
  case_id)
SELECT DATE '2021-01-01' + k * 5,
  (ARRAY['conversation','phone_call','home_visit','partner_contact','other'])[1 + k % 5],
  repeat('Gesprek met de persoon over de stand van zaken. ', 6) || k,
  CASE WHEN k % 10 = 0 THEN 'special' ELSE 'normal' END, TIMESTAMP '2021-01-01' + k * INTERVAL '5 days',
  101 + k % 3, 1, 5
FROM generate_series(1, 50) k;
INSERT INTO cases_document (title, kind, confidentiality, file, original_name, content_type, size, sha256,
  uploaded_at, case_id, dossier_part_id, uploaded_by_id, uploaded_by_organisation_id)
SELECT 'Document ' || k, 'correspondence', 'normal', 'documents/bench/' || k || '.pdf', 'brief-' || k || '.pdf',
  'application/pdf', 10000 + k, repeat('a', 64), TIMESTAMP '2021-01-01' + k * INTERVAL '7 days', 5, NULL, 101, 1
FROM generate_series(1, 20) k;
COMMIT;
SELECT setval(pg_get_serial_sequence(t, 'id'), 1000000)
FROM unnest(ARRAY['cases_case', 'cases_person', 'accounts_user', 'partners_organisation', 'partners_location']) t;
"""

# (name, username, address): the pages and endpoints of the read path, and a bare logged-in page.
SCENARIOS = [
    ("bare view (API tokens page)", "casemanager1.lvv1", "/accounts/tokens/"),
    ("case list, all cases", "casemanager1.lvv1", "/cases/?mine=false"),
    ("case list, page 40", "casemanager1.lvv1", "/cases/?mine=false&page=40"),
    ("case list, my cases (2,000)", "casemanager1.lvv1", "/cases/"),
    ("case list, my cases (40)", "casemanager10.lvv1", "/cases/"),
    ("case list, state filter", "casemanager1.lvv1", "/cases/?mine=false&state=sheltered"),
    ("case list, waiting list", "casemanager1.lvv1", "/cases/?mine=false&state=waiting"),
    ("search, name", "casemanager1.lvv1", "/cases/?mine=false&q=Tesfay"),
    ("search, V-number", "casemanager1.lvv1", "/cases/?mine=false&q={v_number}"),
    ("search, external id", "casemanager1.lvv1", "/cases/?mine=false&q=lvv1-012345"),
    ("case page, long history", "casemanager1.lvv1", "/cases/5/"),
    ("case page, short history", "casemanager1.lvv1", "/cases/10/"),
    ("work queue, case worker", "casemanager1.lvv1", "/"),
    ("work queue, NGO guide", "ngo1.lvv1", "/"),
    ("work queue, IND (2 LVVs)", "ind.lvv1", "/"),
    ("cases API", "casemanager1.lvv1", "/api/v1/cases/"),
    ("cases API, IND (2 LVVs)", "ind.lvv1", "/api/v1/cases/"),
    ("cases API, search", "casemanager1.lvv1", "/api/v1/cases/?q=Tesfay"),
    ("case list, NGO guide", "ngo1.lvv1", "/cases/?mine=false"),
    ("case list, NGO guide with grants", "ngo5.lvv1", "/cases/?mine=false"),
]


def _seed() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        if cursor.fetchone()[0]:
            return
        print("Seeding (about a minute) ...", flush=True)
        cursor.execute(SEED_SQL)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = benchlib.arguments(__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", type=int, default=0, help="print the plans of each page's N slowest queries")
    parser.add_argument("--only", default="", help="only the pages whose name matches this regular expression")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed it again")
    args = parser.parse_args()
    benchlib.open_database(fresh=args.reseed, test_client=True)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lvv.accounts.models import User

    _seed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT v_number FROM cases_person WHERE id = 12345")
        v_number = cursor.fetchone()[0]
    print("| page | median | p95 | Python CPU (median) | queries | in queries (median) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, username, address in SCENARIOS:
        if args.only and not re.search(args.only, name):
            continue
        address = address.format(v_number=v_number)
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _ in range(2):  # warm
            response = client.get(address)
            assert response.status_code == 200, (name, response.status_code)
        seconds, cpu, in_queries = [], [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as captured:
                client.get(address)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            in_queries.append(sum(float(query["time"]) for query in captured.captured_queries))
        p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) > 1 else seconds[0]
        print(
            f"| {name} | {statistics.median(seconds) * 1000:.0f} ms | {p95 * 1000:.0f} ms "
            f"| {statistics.median(cpu) * 1000:.0f} ms | {len(captured.captured_queries)} "
            f"| {statistics.median(in_queries) * 1000:.0f} ms |",
            flush=True,
        )
        if args.explain:
            slowest = sorted(captured.captured_queries, key=lambda query: -float(query["time"]))
            for query in [q for q in slowest if q["sql"].lstrip().upper().startswith("SELECT")][: args.explain]:
                print(f"\n```\n{query['sql']}\n\n{_explain(query['sql'])}\n```\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
