"""A real Celery worker on Redis for the tests that need one (marked ``worker``).

The ``celery_worker`` fixture starts ``celery -A lvv worker`` as a subprocess on this
test's database (pytest-django's ``test_<name>``; tests using it need
``django_db(transaction=True)`` so that the worker sees committed rows), on a queue of its
own (other worker tests on the same Redis never take its tasks), with e-mail written to a
folder and files to a MEDIA_ROOT of its own. ``celery_workers`` gives the same set-up with
a way to start more workers and to kill one (``Workers``). It needs a Redis server at
TEST_REDIS_URL (default redis://127.0.0.1:6379/15; `make test` starts one when
redis-server is installed); where none answers the tests say so and skip.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
    if worker.proc.poll() is None:
        worker.proc.terminate()
        try:
            worker.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
    return worker.log.read_text(errors="replace")[-3000:]


def wait_until(condition, *, what: str, timeout: float = 60, workers: Workers | None = None):
    """Poll ``condition()`` until it returns something true (returned); on time-out fail
    with ``what`` and the output of the workers."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            output = "".join(f"\n--- {w.name}\n{worker_output(w)}" for w in (workers.started if workers else []))
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{output}")
        time.sleep(0.2)
    return value


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a prefork worker's pool processes)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


class Workers:
    """Real workers for one test, all on the test's own queue, database and MEDIA_ROOT.

    ``start()`` starts one more (``pool="prefork"`` for a worker with a pool process,
    ``env`` for settings read by the worker, e.g. ``LVV_TEST_JOB_STEP_DELAY`` to slow a
    job down between its steps); ``kill(worker)`` ends a worker as a whole with SIGKILL
    (nothing is acknowledged or cleaned up, as when the machine or container dies);
    ``kill_pool_process(worker)`` kills only the process running the task in a prefork
    worker, which the worker then reports as lost.
    """

    def __init__(self, redis_url: str, tmp_path: Path):
        self.redis_url = redis_url
        self.tmp_path = tmp_path
        self.mail_dir, self.media = tmp_path / "mail", tmp_path / "media"
        self.mail_dir.mkdir(exist_ok=True)
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.started: list[SimpleNamespace] = []

    def start(self, *, pool: str = "solo", env: dict[str, str] | None = None) -> SimpleNamespace:
        name = f"test-{uuid.uuid4().hex[:8]}"
        environment = {
            **os.environ,
            "LVV_TEST_WORKER_BROKER": self.redis_url,
            "LVV_TEST_EMAIL_DIR": str(self.mail_dir),
            "DJANGO_SETTINGS_MODULE": "lvv.settings_test",
            "DATABASE_URL": worker_database_url(),
            "DB_CONN_MAX_AGE": "0",
            "MEDIA_ROOT": str(self.media),
            **(env or {}),
        }
        command = [sys.executable, "-m", "celery", "-A", "lvv", "worker", "--pool", pool, "--concurrency", "1",
                   "--queues", self.queue, "--hostname", f"{name}@%h", "--loglevel", "warning",
                   "--without-heartbeat", "--without-mingle", "--without-gossip"]  # fmt: skip
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = SimpleNamespace(proc=proc, log=log, mail_dir=self.mail_dir, media=self.media, name=name)
        self.started.append(worker)
        return worker

    def kill(self, worker: SimpleNamespace) -> None:
        """SIGKILL the worker and every process it started."""
        try:
            os.killpg(worker.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.proc.wait(timeout=20)

    def kill_pool_process(self, worker: SimpleNamespace, timeout: float = 20) -> int:
        """SIGKILL the pool process of a prefork worker; returns its pid."""
        deadline = time.monotonic() + timeout
        while not (children := child_pids(worker.proc.pid)):
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker has no pool process\n{worker_output(worker)}")
            time.sleep(0.1)
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def stop_all(self) -> None:
        for worker in self.started:
            if worker.proc.poll() is None:
                worker.proc.terminate()
                try:
                    worker.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill(worker)
            try:  # pool processes a killed worker left behind
                os.killpg(worker.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def redis_url():
    url = settings.TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"needs a Redis server at {url} for a real Celery worker; none answers and none could be started")
    return url


@pytest.fixture
def celery_workers(redis_url, tmp_path):
    """``Workers`` for this test; this process publishes to their queue and reads their files."""
    workers = Workers(redis_url, tmp_path)
    changed = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    previous = {key: celery_app.conf.get(key) for key in changed}
    same_media = override_settings(MEDIA_ROOT=workers.media)  # the workers write files there
    celery_app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=workers.queue
    )
    reset_connections()
    same_media.enable()
    try:
        yield workers
    finally:
        same_media.disable()
        workers.stop_all()
        celery_app.conf.update(previous)
        reset_connections()
        forget_queue(redis_url, workers.queue)


def forget_queue(redis_url: str, queue: str) -> None:
    """Remove what killed workers left of this queue in Redis: its waiting messages and
    the unacknowledged ones that a later worker would otherwise put back."""
    client = redis.Redis.from_url(redis_url)
    client.delete(queue)
    for tag, raw in client.hgetall("unacked").items():
        try:
            routing_key = json.loads(raw)[2]
        except (ValueError, IndexError):
            continue
        if routing_key == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def celery_worker(celery_workers):
    """One real worker (solo pool) on this test's queue."""
    return celery_workers.start()
