"""The processing log (Logboek Dataverwerkingen): activities on every row, the hash chain that
proves no row was removed or altered, TRUNCATE refused, the export, the database role that
cannot change the log, and the register of processing activities."""

from __future__ import annotations

import datetime
import io
import json
import os

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from lvv.audit import chain
from lvv.audit.log import COMMAND, Origin, record
from lvv.audit.models import AccessLogEntry, Channel
from lvv.audit.pseudonym import person_pseudonym

pytestmark = pytest.mark.django_db


def _log(world, n=3):
    case = world.ams.assigned
    user = world.ams.users["casemanager"]
    web = Origin(channel=Channel.WEB, ip_address="10.0.0.1")
    return [record(actor=user, action="view", origin=web, obj=case, detail={"n": i}) for i in range(n)]


def test_every_row_names_its_activity_and_the_actors_organisation(world):
    user = world.ams.users["lsochair"]
    rows = [
        record(actor=user, action="view", origin=COMMAND, obj=world.ams.assigned),
        record(actor=user, action="view", origin=COMMAND, object_type="lso.meeting", object_id=1),
        record(actor=user, action="export", origin=COMMAND, object_type="monitor.figures"),
        record(actor=user, action="login", origin=COMMAND, object_type="accounts.user", object_id=user.pk),
        record(actor=None, action="view", origin=COMMAND, object_type="mrt.escalation", object_id=2),
    ]
    stored = AccessLogEntry.objects.filter(pk__in=[row.pk for row in rows]).order_by("id")
    assert [row.processing_activity for row in stored] == [
        "lvv.casusregie",
        "lvv.lso",
        "lvv.monitor",
        "lvv.toegang",
        "lvv.mrt",
    ]
    assert [row.actor_organisation_id for row in stored] == [world.ams.location.municipality_id] * 4 + [None]


def test_seal_chains_every_row_once_and_verify_holds(world):
    _log(world, 5)
    sealed = chain.seal(batch=2)  # more rows than one batch
    assert sealed == AccessLogEntry.objects.count()
    seqs = list(AccessLogEntry.objects.order_by("chain_seq").values_list("chain_seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert chain.seal() == 0  # nothing new: nothing changes
    _log(world, 2)
    assert chain.seal() == 2
    result = chain.verify()
    assert result.ok and result.checked == len(seqs) + 2 and result.unsealed == 0


def _without_triggers(sql, params=()):
    """What only someone who bypasses the database's rules could do (a superuser)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_verify_finds_an_altered_row(world):
    rows = _log(world, 4)
    chain.seal()
    _without_triggers("UPDATE audit_accesslogentry SET actor_username = 'someone' WHERE id = %s", [rows[1].pk])
    result = chain.verify()
    assert not result.ok
    assert any("does not match its hash" in problem for problem in result.problems)
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_processing_log", stdout=io.StringIO(), stderr=io.StringIO())


def test_verify_finds_a_removed_row(world):
    rows = _log(world, 4)
    chain.seal()
    _without_triggers("DELETE FROM audit_accesslogentry WHERE id = %s", [rows[1].pk])
    result = chain.verify()
    assert any("missing" in problem for problem in result.problems)


def test_verify_command_seals_then_reports(world):
    _log(world, 3)
    out = io.StringIO()
    call_command("verify_processing_log", stdout=out)
    assert "chain holds: 3 rows, 0 not yet sealed" in out.getvalue()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_accesslogentry SET chain_seq = 99, chain_hash = 'x', result = 'denied'",  # more than sealing
        "UPDATE audit_accesslogentry SET chain_seq = 99, chain_hash = 'x'",  # sealed already: never again
    ],
)
def test_database_allows_only_the_seal_itself(world, sql):
    _log(world, 1)
    chain.seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def test_database_refuses_truncate(world):
    _log(world, 1)
    with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows' deferred checks run first
            cursor.execute("SET LOCAL lvv.allow_log_truncate = off")
            cursor.execute("TRUNCATE audit_accesslogentry")
    assert AccessLogEntry.objects.exists()


def test_export_is_the_logboek_shape_with_pseudonyms_only(world, tmp_path):
    case = world.ams.assigned
    _log(world, 2)
    record(actor=None, action="view", origin=COMMAND, object_type="cases.note", object_id=5, detail={"case": case.pk})
    output = tmp_path / "log.jsonl"
    today = timezone.localdate()
    call_command(
        "export_processing_log",
        "--from",
        today.isoformat(),
        "--to",
        today.isoformat(),
        "--output",
        str(output),
        stderr=io.StringIO(),
    )
    text = output.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3
    expected_keys = {
        "trace_id",
        "operation_id",
        "name",
        "status_code",
        "start_time",
        "end_time",
        "processing_activity_id",
        "data_subject_id",
        "actor",
        "channel",
        "result",
    }
    assert all(expected_keys <= set(line) for line in lines)
    assert {line["data_subject_id"] for line in lines} == {person_pseudonym(case.person_id)}
    assert lines[0]["name"] == "cases.case.view" and lines[0]["processing_activity_id"] == "lvv.casusregie"
    assert lines[0]["actor"] == {"user": "casemanager.amsterdam", "organisation": world.ams.location.municipality.name}
    assert all(line["chain"]["seq"] for line in lines)  # sealed before the export
    for secret in (case.person.family_name, case.person.v_number):
        assert secret and secret not in text
    assert AccessLogEntry.objects.filter(object_type="audit.processing_log", action="export").count() == 1
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    empty = tmp_path / "empty.jsonl"
    call_command(
        "export_processing_log", "--from", yesterday, "--to", yesterday, "--output", str(empty), stderr=io.StringIO()
    )
    assert empty.read_text() == ""


def test_export_refuses_bad_dates():
    with pytest.raises(CommandError, match="Not a date"):
        call_command("export_processing_log", "--from", "1-2-2026", "--to", "2026-02-01")
    with pytest.raises(CommandError, match="before"):
        call_command("export_processing_log", "--from", "2026-02-02", "--to", "2026-02-01")


def test_the_seal_job_is_scheduled():
    assert settings.CELERY_BEAT_SCHEDULE["audit-seal-processing-log"]["task"] == "audit.seal_processing_log"
    from lvv.audit.tasks import seal_processing_log

    assert seal_processing_log.name == "audit.seal_processing_log"


def test_processing_activities_page_lists_each_lvv_with_controller_and_basis(client, world):
    client.force_login(world.ngo if hasattr(world, "ngo") else world.ams.users["ngo"])
    page = client.get(reverse("privacy:processing-activities"))
    assert page.status_code == 200
    html = page.content.decode()
    assert world.ams.location.municipality.name in html and world.rot.location.municipality.name in html
    assert "Staatssecretaris van Justitie en Veiligheid".lower() in html.lower()
    assert "mandaat" in html and "lvv.casusregie" in html and "lvv.monitor" in html


def test_processing_activities_page_needs_login(client):
    assert client.get(reverse("privacy:processing-activities")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_application_role_can_add_to_the_log_but_never_change_it(world):
    role = f"lvv_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        call_command("grant_app_role", role, stdout=io.StringIO())
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("options", None)  # the test flush's permission to empty the log is not the role's
        params["user"] = role
        params.pop("password", None)
        with psycopg.connect(**params) as app:
            with app.transaction(force_rollback=True):
                app.execute("SELECT count(*) FROM cases_case").fetchone()
                app.execute(
                    "INSERT INTO audit_accesslogentry (timestamp, actor_username, action, object_type, object_id,"
                    " result, channel, detail, processing_activity, chain_hash)"
                    " VALUES (now(), '', 'view', '', '', 'allowed', 'task', '{}', '', '')"
                )
                app.execute("UPDATE cases_case SET external_id = external_id")
            for sql in (
                "UPDATE audit_accesslogentry SET result = 'denied'",
                "DELETE FROM audit_accesslogentry",
                "TRUNCATE audit_accesslogentry",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), app.transaction():
                    app.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
    with pytest.raises(CommandError, match="no database role"):
        call_command("grant_app_role", "no_such_role_here")
