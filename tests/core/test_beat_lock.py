"""Exactly one Celery beat: the first takes a PostgreSQL advisory lock, a second refuses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from lvv.runtime import beat

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def locks():
    held: list[beat.BeatLock] = []

    def make() -> beat.BeatLock:
        lock = beat.BeatLock()
        held.append(lock)
        return lock

    yield make
    for lock in held:
        lock.release()


def wait_until_released(seconds: float = 10) -> None:
    """A closed connection's session ends on the server a moment later, and its lock with it."""
    deadline = time.monotonic() + seconds
    while beat.lock_is_held():
        assert time.monotonic() < deadline, "the lock was not released"
        time.sleep(0.05)


def test_only_one_holder_at_a_time(locks):
    first, second = locks(), locks()
    assert first.acquire()
    assert not second.acquire()
    assert beat.lock_is_held()
    first.release()
    assert not beat.lock_is_held()
    assert second.acquire()


def test_a_lost_connection_is_replaced_only_while_no_other_beat_has_the_lock(locks):
    first = locks()
    assert first.acquire() and first.keep()
    first.connection.close()  # the session is gone, and the lock with it
    wait_until_released()
    assert first.keep() and beat.lock_is_held()  # taken again on a new connection

    first.connection.close()
    wait_until_released()
    other = locks()
    assert other.acquire()
    assert not first.keep()  # the watchdog stops this beat then


def test_the_health_command(locks):
    with pytest.raises(CommandError):
        call_command("beat_health")
    assert locks().acquire()
    call_command("beat_health")


def test_the_beat_init_receiver_refuses_a_second_beat(locks, monkeypatch):
    monkeypatch.setattr(beat, "_held", None)
    assert locks().acquire()
    with pytest.raises(SystemExit, match="Another Celery beat"):
        beat.single_beat()


def test_a_second_celery_beat_process_refuses_to_start(locks):
    assert locks().acquire()  # the first beat
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(DJANGO_SETTINGS_MODULE="lvv.settings_test", LVV_ENV_FILE=os.devnull, DATABASE_URL=url)
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "lvv", "beat", "-l", "info", "--pidfile="],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Another Celery beat holds the scheduler lock" in output
    assert "Scheduler: Sending due task" not in output
