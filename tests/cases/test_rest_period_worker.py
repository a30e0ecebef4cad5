"""The rest period repaired by the deadline job on a real Celery worker on Redis.

Like tests/core/test_worker.py: a worker subprocess with LVV_TEST_WORKER_BROKER, and
Celery's pooled connections reset around it. The worker works on this test's database
(pytest-django's ``test_<name>``), so the data is committed (``transaction=True``).
Needs a Redis server (TEST_REDIS_URL, default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import redis
from celery import _state
from django.conf import settings
from django.db import connection

from cases.models import Deadline, DeadlineKind
from cases.tasks import recompute_deadlines
from lvv.celery import app as celery_app
from tests.factories import CaseFactory, LocationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    url = settings.TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs a Redis server at {url} for a real Celery worker; none answers and none could be started")
    return url


def reset_connections() -> None:
    """Drop pooled connections so that the next publish uses the broker now configured, and
    the cached result backend (an eager task before may have cached "none"), so that
    ``.get()`` reads the results from the backend now configured."""
    celery_app.close()
    _state._register_app(celery_app)  # close() deregisters it: shared tasks imported later would be lost
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


def worker_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's ``test_<name>``)."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    host = db["HOST"] or ""
    if host.startswith("/"):  # a Unix socket (the embedded PostgreSQL)
        return f"postgresql://{credentials}/{db['NAME']}?host={host}"
    return f"postgresql://{credentials}{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(redis_url, tmp_path):
    env = {
        **os.environ,
        "LVV_TEST_WORKER_BROKER": redis_url,
        "LVV_TEST_EMAIL_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "lvv.settings_test",
        "DATABASE_URL": worker_database_url(),
        "DB_CONN_MAX_AGE": "0",
    }
    redis.Redis.from_url(redis_url).flushdb()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "lvv",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--loglevel",
            "warning",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    previous = dict(celery_app.conf)
    celery_app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    reset_connections()
    try:
        yield SimpleNamespace(mail_dir=tmp_path, proc=proc)
    finally:
        celery_app.conf.update(
            broker_url=previous.get("broker_url"),
            result_backend=previous.get("result_backend"),
            task_always_eager=previous.get("task_always_eager"),
        )
        reset_connections()
        proc.terminate()
        proc.wait(timeout=20)


def worker_output(worker) -> str:
    worker.proc.terminate()
    return worker.proc.communicate(timeout=20)[0].decode(errors="replace")[-3000:]


def run_on_worker(worker) -> int:
    try:
        return recompute_deadlines.delay().get(timeout=30)
    except Exception as exc:  # show what the worker said
        raise AssertionError(f"the worker did not run the job: {exc!r}\n{worker_output(worker)}") from exc


def test_worker_repairs_a_corrupted_rest_period(worker):
    case = CaseFactory(location=LocationFactory(slug="worker-lvv"), dossier_complete=True)
    delivered = max(case.dossier_parts.values_list("delivered_on", flat=True))
    rest = Deadline.objects.get(case=case, kind=DeadlineKind.REST_PERIOD_END)
    assert rest.due_on == delivered + datetime.timedelta(days=14)
    wrong = datetime.date(2031, 5, 1)
    Deadline.objects.filter(pk=rest.pk).update(base_due_on=wrong, due_on=wrong)  # corrupted in the database

    assert run_on_worker(worker) == 1
    rest.refresh_from_db()
    assert rest.base_due_on == rest.due_on == delivered + datetime.timedelta(days=14)
    assert run_on_worker(worker) == 0  # twice is once
