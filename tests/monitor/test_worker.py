"""A snapshot frozen and an export built by a real Celery worker on Redis.

Like tests/core/test_worker.py: a worker subprocess with LVV_TEST_WORKER_BROKER, and
Celery's pooled connections reset around it. The worker works on this test's database
(pytest-django's ``test_<name>``, passed as DATABASE_URL), so the data is committed
(``transaction=True``). Needs a Redis server (TEST_REDIS_URL, default
redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.celery import app as celery_app
from monitor import services
from monitor.figures import figures
from monitor.models import ExportJob, ExportStatus, Snapshot
from monitor.tasks import take_snapshot
from tests.factories import LocationFactory, OrganisationFactory, UserFactory
from tests.monitor.builders import DAY, D, build

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
    """Drop pooled connections and the cached result backend, so that the next publish and
    the next ``.get()`` use the broker and backend now configured (an eager task in an
    earlier test leaves a disabled backend behind)."""
    celery_app.close()
    celery_app.amqp._producer_pool = None
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
    media = tmp_path / "media"
    # A queue of our own: other worker tests on the same Redis never take these tasks.
    queue = f"monitor-test-{os.getpid()}"
    env = {
        **os.environ,
        "LVV_TEST_WORKER_BROKER": redis_url,
        "LVV_TEST_EMAIL_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "lvv.settings_test",
        "DATABASE_URL": worker_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(media),
    }
    previous = dict(celery_app.conf)
    proc, enabled = None, False
    same_media = override_settings(MEDIA_ROOT=media)  # the worker writes the files there
    try:
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
                "--queues",
                queue,
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
        celery_app.conf.update(
            broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue
        )
        reset_connections()
        same_media.enable()
        enabled = True
        yield SimpleNamespace(proc=proc)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
        celery_app.conf.update(
            broker_url=previous.get("broker_url"),
            result_backend=previous.get("result_backend"),
            task_always_eager=previous.get("task_always_eager"),
            task_default_queue=previous.get("task_default_queue"),
        )
        reset_connections()
        if enabled:
            same_media.disable()


def worker_output(worker) -> str:
    worker.proc.terminate()
    return worker.proc.communicate(timeout=20)[0].decode(errors="replace")[-3000:]


def test_a_real_worker_freezes_a_snapshot_and_builds_an_export(worker):
    ams = LocationFactory(slug="amsterdam", places=360)
    build(ams, sheltered=D - 30 * DAY, scenarios=[(D - 10 * DAY, "departure")])
    build(ams, sheltered=D - 30 * DAY, outflow=(D - DAY, "residence_granted"), confirmed=D)
    bureau = UserFactory(
        username="bureau.worker",
        organisation=OrganisationFactory(name="Programmabureau", kind="bureau"),
        roles=[Role.BUREAU],
    )
    try:
        snapshot_id = take_snapshot.delay(D.isoformat(), None, bureau.pk, True, "Via de worker").get(timeout=60)
    except Exception as exc:
        raise AssertionError(f"the worker did not take the snapshot: {exc!r}\n{worker_output(worker)}") from exc
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    assert snapshot.data == figures(D)
    assert snapshot.is_published and snapshot.created_by == bureau and snapshot.note == "Via de worker"

    job = services.request_export(acting_user=bureau, origin=COMMAND, fmt="csv", reference_date=D)  # on commit: queued
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ExportStatus.DONE, ExportStatus.FAILED):
            break
        time.sleep(0.2)
    assert job.status == ExportStatus.DONE, f"{job.status} {job.error}\n{worker_output(worker)}"
    assert job.progress == 100
    assert ExportJob.objects.get(pk=job.pk).file.read().decode().startswith("reference_date,location,")
