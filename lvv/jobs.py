"""Background jobs with a row: claimed once, alive while they beat, swept when they stop.

A job row (``monitor.models.ExportJob``, ``lso.models.AgendaPack``) has ``status``
(pending, running, done, failed), ``progress``, ``error``, ``attempts``, ``task_id``,
``heartbeat_at``, ``created_at``, ``started_at`` and ``finished_at``. Its Celery task is
acknowledged late and rejected (put back) when its worker dies, so a lost run comes back;
this module makes that rerun safe and every loss visible (docs/adr/0010):

- ``claim`` takes the job under a row lock and counts the attempt. A finished job is
  left alone; a job another run holds with a fresh heartbeat is left to that run; a job
  whose run stopped is taken over, once: after ``MAX_ATTEMPTS`` it is failed.
- The claim's attempt number fences the run: its heartbeats, progress and result are
  written only while the row is still running under that number, so a run that was
  given up (and then woke up) writes nothing.
- ``Run.finishing`` locks the row for the result: the file is written under a name fixed
  per job (``replace_file`` replaces what a crashed run left) and the row marked done
  in one transaction, so the effect exists exactly once.
- ``sweep`` (a periodic task per app) and ``check`` (a page reading one job) find
  running jobs whose heartbeat is older than ``LVV_JOB_STALE_SECONDS``: queued again
  when they have an attempt left, else failed with ``JOB_LOST``. A job still waiting in
  the queue after ``LVV_JOB_QUEUE_SECONDS`` is sent again (the message was lost).

Error messages are stored as their Dutch source text and translated when shown
(``{% translate job.error %}``), since the sweep runs without a user's language.
"""

from __future__ import annotations

import logging
import posixpath
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Generic, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, OperationalError, connections, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)


class JobRun(models.Model):
    """The fields of a job row that ``claim``, ``Run`` and ``sweep`` keep: when the current
    run started and finished, how many runs took it, the task that holds it and its last sign
    of life. (``status``, ``progress``, ``error`` and ``created_at`` are each job's own: their
    choices and sizes differ.)"""

    started_at = models.DateTimeField(_("gestart op"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("pogingen"), default=0)
    task_id = models.CharField(_("taak"), max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(_("laatste teken van leven"), null=True, blank=True)

    class Meta:
        abstract = True


PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
FINISHED = (DONE, FAILED)
# The first run and one retry after a lost run.
MAX_ATTEMPTS = 2
# Per job task: a soft limit fails the job with its own message, the hard limit ends the
# run (prefork pool). The broker's visibility timeout must exceed the hard limit plus the
# longest retry countdown (lvv/settings.py, CELERY_BROKER_TRANSPORT_OPTIONS).
SOFT_TIME_LIMIT = 540
TIME_LIMIT = 600
# How many stale jobs one sweep handles (the next sweep takes the rest).
SWEEP_BATCH = 100

# --- Options every app's Celery tasks share -------------------------------------------------
# Transient: the database or the mail server is briefly unreachable. Not DatabaseError in
# general (an integrity error will not go away by retrying).
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
# Retries with a growing, jittered delay; the longest countdown (600 s) counts in the
# broker's visibility timeout (lvv/settings.py).
RETRY = {"retry_backoff": 30, "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}
# A job task: redelivered when its worker is lost; the soft limit fails the job with a message.
JOB_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": SOFT_TIME_LIMIT,
    "time_limit": TIME_LIMIT,
}

JOB_LOST = gettext_noop(
    "Het maken is twee keer afgebroken doordat de verwerking op de achtergrond stopte. "
    "Probeer het opnieuw; lukt het dan weer niet, neem contact op met de beheerder."
)
NOT_FAILED = gettext_noop("Alleen een mislukte taak kan opnieuw worden gestart.")

#: The fields ``claim`` and the sweep write.
CLAIM_FIELDS = ["status", "attempts", "task_id", "heartbeat_at", "started_at", "finished_at", "progress", "error"]


class Superseded(Exception):
    """This run no longer holds its job: it was given up (stale) and queued again, taken
    over by another run, or finished elsewhere. The run stops and writes nothing."""


def heartbeat_seconds() -> float:
    return float(getattr(settings, "LVV_JOB_HEARTBEAT_SECONDS", 15))


def stale_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "LVV_JOB_STALE_SECONDS", 120)))


def queue_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "LVV_JOB_QUEUE_SECONDS", 1800)))


def last_sign_of_life(job):
    """When the job last showed it was alive: its heartbeat, else when it was asked for."""
    return job.heartbeat_at or job.created_at


def is_stale(job, now=None) -> bool:
    """A running job whose heartbeat stopped, or a job waiting too long in the queue."""
    now = now or timezone.now()
    if job.status == RUNNING:
        return last_sign_of_life(job) < now - stale_after()
    if job.status == PENDING:
        return last_sign_of_life(job) < now - queue_after()
    return False


def _step_delay() -> None:
    """Tests slow a job down between its steps (``LVV_JOB_STEP_DELAY`` in the test
    settings) to stop a worker in the middle; zero everywhere else."""
    delay = float(getattr(settings, "LVV_JOB_STEP_DELAY", 0) or 0)
    if delay > 0:
        time.sleep(delay)


# The model of a job (an export, an agenda pack...).
_Job = TypeVar("_Job", bound=models.Model)


@dataclass(frozen=True)
class Run(Generic[_Job]):
    """One run's hold on a job: the row while it is running under ``attempt``."""

    model: type[_Job]
    pk: int
    attempt: int

    def _held(self):
        return self.model.objects.filter(pk=self.pk, status=RUNNING, attempts=self.attempt)

    def beat(self, progress: int | None = None) -> None:
        """Record that the run is alive (and its progress, 0-99); raises ``Superseded``
        when the run no longer holds the job."""
        fields = {"heartbeat_at": timezone.now()}
        if progress is not None:
            fields["progress"] = min(max(int(progress), 0), 99)
        if not self._held().update(**fields):
            raise Superseded(f"{self.model._meta.label} {self.pk} attempt {self.attempt}")
        if progress is not None:
            _step_delay()

    @contextmanager
    def finishing(self) -> Iterator[_Job]:
        """The locked row, inside a transaction, while this run still holds it: write the
        result and mark it done here, so that the effect is written once."""
        with transaction.atomic():
            job = self._held().select_for_update().first()
            if job is None:
                raise Superseded(f"{self.model._meta.label} {self.pk} attempt {self.attempt}")
            yield job

    def fail(self, message: str) -> bool:
        """Mark the job failed with ``message`` (a Dutch source text); False when the run
        no longer holds it."""
        now = timezone.now()
        return bool(self._held().update(status=FAILED, error=str(message), finished_at=now, heartbeat_at=now))


def claim(model: type[_Job], pk: int, *, task_id: str | None = None) -> Run[_Job] | None:
    """Take job ``pk`` for this run (``task_id``: the Celery task's id), or None when
    there is nothing to do.

    Under a row lock: a finished job, or one that another task runs with a fresh
    heartbeat, is left alone. A pending job, a running one whose heartbeat stopped, or a
    running one held by this same task id (the broker gave the message back because its
    worker was lost) is taken, and the attempt counted; when its attempts are used up it
    is failed with ``JOB_LOST`` instead.
    """
    task_id = task_id or ""
    now = timezone.now()
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=pk).first()
        if job is None or job.status in FINISHED:
            return None
        if job.status == RUNNING and job.task_id != task_id and not is_stale(job, now):
            return None
        if job.attempts >= MAX_ATTEMPTS:
            job.status, job.error, job.finished_at, job.heartbeat_at = FAILED, JOB_LOST, now, now
            job.save(update_fields=["status", "error", "finished_at", "heartbeat_at"])
            logger.warning("%s %s failed: its run stopped %s times", model._meta.label, pk, job.attempts)
            return None
        job.status, job.attempts, job.task_id = RUNNING, job.attempts + 1, task_id
        job.heartbeat_at = job.started_at = now
        job.finished_at, job.progress, job.error = None, 0, ""
        job.save(update_fields=CLAIM_FIELDS)
        if job.attempts > 1:
            logger.warning("%s %s taken up again (attempt %s)", model._meta.label, pk, job.attempts)
    return Run(model, pk, job.attempts)


@contextmanager
def heartbeat(run: Run, *, enabled: bool = True, interval: float | None = None) -> Iterator[None]:
    """Beat from a thread every ``interval`` seconds (``LVV_JOB_HEARTBEAT_SECONDS``) while
    the block runs, so that a long step without progress still shows the run is alive,
    and the beats stop the moment its process dies. Off for in-process (eager) runs."""
    interval = heartbeat_seconds() if interval is None else interval
    if not enabled or interval <= 0:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    run.beat()
                except Superseded:
                    return
                except DatabaseError:
                    logger.warning("heartbeat of %s %s failed", run.model._meta.label, run.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections

    thread = threading.Thread(target=beat, name=f"heartbeat-{run.model._meta.label_lower}-{run.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=max(interval, 1) * 2)


_Result = TypeVar("_Result")


def run_claimed(
    model: type[_Job],
    pk: int,
    build: Callable[[Run[_Job], _Job], _Result],
    *,
    name: str,
    task_id: str = "",
    heartbeat_thread: bool = False,
) -> _Result | None:
    """A job task's body: ``claim`` job ``pk``, then ``build`` it (with the run and the row,
    its requester loaded), beating while it runs (``heartbeat_thread``: also from a thread,
    in a worker). None when there is nothing to do, or when the run was superseded
    (``name``, such as ``"monitor export"``, says which in the log)."""
    run = claim(model, pk, task_id=task_id)
    if run is None:
        return None
    job = model.objects.select_related("requested_by").get(pk=pk)
    try:
        with heartbeat(run, enabled=heartbeat_thread):
            return build(run, job)
    except Superseded:
        logger.info("%s %s: this run was superseded and stopped", name, pk)
        return None


def replace_file(field_file, name: str, content: bytes, *, clear_folder: bool = False) -> None:
    """Store ``content`` as the file of ``field_file`` (not saving the row) under the name
    its field gives ``name``, replacing what a crashed run left there instead of adding a
    second file. ``clear_folder``: first remove every file in the target's folder (a
    folder of this job's own, whose file name may differ between runs)."""
    target = field_file.field.generate_filename(field_file.instance, name)
    storage = field_file.storage
    if clear_folder:
        folder = posixpath.dirname(target)
        try:
            _, files = storage.listdir(folder)
        except FileNotFoundError:
            files = []
        for existing in files:
            storage.delete(posixpath.join(folder, existing))
    elif storage.exists(target):
        storage.delete(target)
    field_file.save(name, ContentFile(content), save=False)
    if field_file.name != target:  # the storage chose another name: a second file
        storage.delete(field_file.name)
        raise RuntimeError(f"{target} could not be replaced")


def sweep(
    model: type[models.Model], *, send: Callable[[int], None], pks=None, now=None, limit: int = SWEEP_BATCH
) -> dict[str, list[int]]:
    """Handle the jobs of ``model`` that stopped: a running job whose heartbeat is older
    than ``LVV_JOB_STALE_SECONDS`` is queued again (``send(pk)`` after the commit) when it
    has an attempt left, else failed with ``JOB_LOST``; a job pending longer than
    ``LVV_JOB_QUEUE_SECONDS`` is sent again. ``pks``: only these jobs. Returns the ids
    per outcome. Rows another transaction holds are skipped (a run finishing them)."""
    now = now or timezone.now()
    stale = (
        model.objects.annotate(last_sign=Coalesce("heartbeat_at", "created_at"))
        .filter(
            Q(status=RUNNING, last_sign__lt=now - stale_after()) | Q(status=PENDING, last_sign__lt=now - queue_after())
        )
        .order_by("pk")
    )
    if pks is not None:
        stale = stale.filter(pk__in=list(pks))
    outcome: dict[str, list[int]] = {"requeued": [], "resent": [], "failed": []}
    with transaction.atomic():
        for job in stale.select_for_update(skip_locked=True)[:limit]:
            if job.status == RUNNING and job.attempts >= MAX_ATTEMPTS:
                job.status, job.error, job.finished_at = FAILED, JOB_LOST, now
                outcome["failed"].append(job.pk)
            else:
                outcome["resent" if job.status == PENDING else "requeued"].append(job.pk)
                job.status, job.progress = PENDING, 0
                transaction.on_commit(partial(send, job.pk))
            job.heartbeat_at = now
            job.save(update_fields=["status", "progress", "error", "finished_at", "heartbeat_at"])
    for kind, ids in outcome.items():
        if ids:
            logger.warning("%s stopped jobs %s: %s", model._meta.label, kind, ids)
    return outcome


def check(model: type[models.Model], job, *, send: Callable[[int], None]):
    """The sweep for one job a page is about to show; returns the job as it is now."""
    if job is None or not is_stale(job):
        return job
    sweep(model, send=send, pks=[job.pk])
    job.refresh_from_db()
    return job
