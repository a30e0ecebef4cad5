"""A real Celery worker on Redis for the tests that need one (marked ``worker``).

The ``celery_worker`` fixture starts ``celery -A lvv worker`` as a subprocess on this
test's database (pytest-django's ``test_<name>``; tests using it need
``django_db(transaction=True)`` so that the worker sees committed rows), on a queue of its
own (other worker tests on the same Redis never take its tasks), with e-mail written to a
folder and files to a MEDIA_ROOT of its own. It needs a Redis server at TEST_REDIS_URL
(default redis://127.0.0.1:6379/15; `make test` starts one when redis-server is installed);
where none answers the tests say so and skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import redis
from celery import _state
from django.conf import settings
from django.db import connection
from django.test import override_settings

from lvv.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]


def reset_connections() -> None:
    """Drop pooled connections and the cached result backend, so that the next publish and
    ``.get()`` use the broker and backend now configured."""
    celery_app.close()
    _state._register_app(celery_app)  # close() deregisters the app; tasks imported later must find it
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


def worker_database_url() -> str:
    """The URL of the database this test runs on."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    host = db["HOST"] or ""
    if host.startswith("/"):  # a Unix socket (the embedded PostgreSQL)
        return f"postgresql://{credentials}/{db['NAME']}?host={host}"
    return f"postgresql://{credentials}{host}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_output(worker) -> str:
    """Stop the worker and return the end of what it printed (for failure messages)."""
    worker.proc.terminate()
    return worker.proc.communicate(timeout=20)[0].decode(errors="replace")[-3000:]


@pytest.fixture
def redis_url():
    url = settings.TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs a Redis server at {url} for a real Celery worker; none answers and none could be started")
    return url


@pytest.fixture
def celery_worker(redis_url, tmp_path):
    mail_dir, media = tmp_path / "mail", tmp_path / "media"
    mail_dir.mkdir()
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "LVV_TEST_WORKER_BROKER": redis_url,
        "LVV_TEST_EMAIL_DIR": str(mail_dir),
        "DJANGO_SETTINGS_MODULE": "lvv.settings_test",
        "DATABASE_URL": worker_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(media),
    }
    command = [sys.executable, "-m", "celery", "-A", "lvv", "worker", "--pool", "solo", "--concurrency", "1",
               "--queues", queue, "--loglevel", "warning", "--without-heartbeat", "--without-mingle",
               "--without-gossip"]  # fmt: skip
    previous = dict(celery_app.conf)
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    same_media = override_settings(MEDIA_ROOT=media)  # the worker writes files there
    celery_app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue
    )
    reset_connections()
    same_media.enable()
    try:
        yield SimpleNamespace(proc=proc, mail_dir=mail_dir, media=media)
    finally:
        same_media.disable()
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
        celery_app.conf.update(
            broker_url=previous.get("broker_url"),
            result_backend=previous.get("result_backend"),
            task_always_eager=previous.get("task_always_eager"),
            task_default_queue=previous.get("task_default_queue"),
        )
        reset_connections()
