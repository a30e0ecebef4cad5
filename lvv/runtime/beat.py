"""Exactly one Celery beat: a PostgreSQL advisory lock, held for the life of the beat.

When beat starts (``celery beat``, or a worker with ``-B``), the ``beat_init`` receiver
takes a session-level advisory lock on a connection of its own, before the scheduler
exists. A second beat on the same database finds the lock taken and stops with a message
and exit status 1; it never schedules anything. The lock goes with the session: when
the process ends, or its connection is lost, PostgreSQL releases it. A watchdog thread
checks the connection every ``WATCH_SECONDS``; if it was lost it takes the lock again on
a new one, and if it cannot (another beat has it, or the database is gone) it stops this
beat, so that two never schedule at once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from celery.signals import beat_init
from django.db import connections

logger = logging.getLogger(__name__)

# Any fixed number, the same for every process on the database ("LVVB").
LOCK_KEY = 0x4C565642
WATCH_SECONDS = 30
REFUSAL = (
    "Another Celery beat holds the scheduler lock on this database; this one will not start. "
    f"Run exactly one beat (the running one shows in pg_locks: advisory lock {LOCK_KEY})."
)


class BeatAlreadyRunning(RuntimeError):
    pass


class BeatLock:
    """The advisory lock on a connection of its own (not Django's, which Django may close)."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.connection = None

    def _connect(self):
        wrapper = connections.create_connection(self.alias)
        raw = wrapper.get_new_connection(wrapper.get_connection_params())
        raw.autocommit = True
        return raw

    def acquire(self) -> bool:
        raw = self._connect()
        try:
            acquired = raw.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]
        except Exception:
            raw.close()
            raise
        if not acquired:
            raw.close()
            return False
        self.connection = raw
        return True

    def alive(self) -> bool:
        """Whether this session (and with it the lock) still exists."""
        if self.connection is None or self.connection.closed:
            return False
        try:
            self.connection.execute("SELECT 1")
        except Exception:
            return False
        return True

    def keep(self) -> bool:
        """Still ours, or taken again on a new connection; False when that is impossible."""
        if self.alive():
            return True
        self.release()
        try:
            return self.acquire()
        except Exception:
            logger.exception("Could not take the beat lock again.")
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                if not self.connection.closed:
                    self.connection.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
            except Exception:
                logger.debug("The beat lock's connection was already gone.", exc_info=True)
            finally:
                self.connection.close()
                self.connection = None


_held: BeatLock | None = None


def hold_lock() -> BeatLock:
    """Take the lock for this process, or raise ``BeatAlreadyRunning``."""
    global _held
    if _held is not None and _held.alive():
        return _held
    lock = BeatLock()
    if not lock.acquire():
        raise BeatAlreadyRunning(REFUSAL)
    _held = lock
    return lock


def _watch(lock: BeatLock, stop: threading.Event) -> None:
    while not stop.wait(WATCH_SECONDS):
        if not lock.keep():
            logger.critical("The beat lock is lost and another beat may hold it: stopping this beat.")
            os.kill(os.getpid(), signal.SIGTERM)
            return


@beat_init.connect(dispatch_uid="lvv.runtime.beat.single_beat")
def single_beat(sender=None, **kwargs) -> None:
    try:
        lock = hold_lock()
    except BeatAlreadyRunning as exc:
        logger.critical("%s", exc)
        # SystemExit, not an Exception: Celery logs and swallows exceptions from receivers.
        raise SystemExit(f"ERROR: {exc}") from None
    logger.info("Beat lock taken (advisory lock %d); this is the only beat.", LOCK_KEY)
    threading.Thread(target=_watch, args=(lock, threading.Event()), name="beat-lock", daemon=True).start()


def lock_is_held(alias: str = "default") -> bool:
    """Whether some session holds the beat lock on this database (for the health check)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = 0 AND objid = %s AND objsubid = 1)",
            [LOCK_KEY],
        )
        return cursor.fetchone()[0]
