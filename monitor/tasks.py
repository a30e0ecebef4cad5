"""Background jobs of the monitor: thin Celery wrappers around ``monitor.services``.

Each task takes ids and ISO dates, is safe to run twice, and retries when the database is
briefly unreachable. Schedule (``CELERY_BEAT_SCHEDULE`` in settings): ``monthly_snapshot``
on the first of every month at 03:00 Europe/Amsterdam, for the previous month's end;
``sweep_stale_exports`` every minute.

``build_export`` is a job task (``lvv.jobs``, docs/adr/0010): acknowledged late and put
back on the queue when its worker dies, with time limits below the broker's visibility
timeout; the job row's claim makes the rerun safe. ``take_snapshot`` is not put back
(nothing would count its runs), but a second run of the same task finds its snapshot.
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from lvv.access import policy
from lvv.audit.log import TASK
from lvv.jobs import JOB_TASK, RETRY, TRANSIENT_DB_ERRORS
from monitor import services
from monitor.models import Snapshot

__all__ = ["take_snapshot", "monthly_snapshot", "build_export", "sweep_stale_exports"]


@shared_task(bind=True, autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def take_snapshot(
    self,
    reference_date: str,
    locations: list[str] | None = None,
    user_id: int | None = None,
    publish: bool = False,
    note: str = "",
) -> int:
    """Freeze the figures at ``reference_date`` (ISO) for the LVVs ``locations`` (slugs;
    the user's LVVs when None), as the user ``user_id`` (the system when None). Returns the
    snapshot's id."""
    actor = policy.SYSTEM if user_id is None else get_user_model().objects.get(pk=user_id)
    task_id = self.request.id or ""
    try:
        snapshot = services.take_snapshot(
            acting_user=actor,
            origin=TASK,
            reference_date=reference_date,
            locations=locations,
            publish=publish,
            note=note,
            task_id=task_id,
        )
    except IntegrityError:  # another run of this task took it at the same moment
        snapshot = Snapshot.objects.filter(task_id=task_id).first() if task_id else None
        if snapshot is None:
            raise
    return snapshot.pk


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def monthly_snapshot() -> int | None:
    """The published snapshot of all LVVs at the previous month's end (None: it exists)."""
    snapshot = services.take_monthly_snapshot()
    return snapshot.pk if snapshot else None


@shared_task(bind=True, autoretry_for=TRANSIENT_DB_ERRORS, **RETRY, **JOB_TASK)
def build_export(self, job_id: int) -> str | None:
    """Build the file of export job ``job_id``; returns its status (None: nothing to do)."""
    job = services.run_export(job_id, task_id=self.request.id or "", heartbeat=not self.request.is_eager)
    return job.status if job else None


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def sweep_stale_exports() -> dict[str, list[int]]:
    """Export jobs whose worker stopped: queued again once, then failed."""
    return services.sweep_stale_exports()
