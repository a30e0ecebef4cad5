"""One round trip through a real Celery worker on Redis: the password reset e-mail.

Needs a Redis server (TEST_REDIS_URL, default redis://127.0.0.1:6379/15). `make test`
starts one when redis-server is installed; where none can be had, this test says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from celery import _state

from lvv.celery import app as celery_app
from tests.factories import UserFactory

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
    """Drop pooled connections so that the next publish uses the broker now configured."""
    celery_app.close()
    celery_app.amqp._producer_pool = None
    _state._register_app(celery_app)  # close() unregisters the app; tasks imported later must find it


@pytest.fixture
def worker(redis_url, tmp_path):
    env = {
        **os.environ,
        "LVV_TEST_WORKER_BROKER": redis_url,
        "LVV_TEST_EMAIL_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "lvv.settings_test",
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


def test_password_reset_mail_is_sent_by_a_real_worker(client, worker):
    UserFactory(username="via.worker", email="worker@lvv.example", roles=[])
    response = client.post(reverse("accounts:password_reset"), {"email": "worker@lvv.example"})
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(worker.mail_dir.iterdir()):
        time.sleep(0.2)
    files = list(worker.mail_dir.iterdir())
    assert files, f"the worker did not send the e-mail within 30 seconds: {worker_output(worker)}"
    content = files[0].read_text()
    assert "worker@lvv.example" in content
    assert "/accounts/reset/" in content
