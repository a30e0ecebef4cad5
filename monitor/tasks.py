"""Background jobs of the monitor: thin Celery wrappers around ``monitor.services``.

Each task takes ids and ISO dates, is safe to run twice, and retries when the database is
briefly unreachable. Schedule (``CELERY_BEAT_SCHEDULE`` in settings): ``monthly_snapshot``
on the first of every month at 03:00 Europe/Amsterdam, for the previous month's end.
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError

from lvv.access import policy
from lvv.audit.log import TASK
from monitor import services

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)
RETRY = {"retry_backoff": 30, "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}

__all__ = ["take_snapshot", "monthly_snapshot", "build_export"]


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def take_snapshot(
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
    snapshot = services.take_snapshot(
        acting_user=actor, origin=TASK, reference_date=reference_date, locations=locations, publish=publish, note=note
    )
    return snapshot.pk


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def monthly_snapshot() -> int | None:
    """The published snapshot of all LVVs at the previous month's end (None: it exists)."""
    snapshot = services.take_monthly_snapshot()
    return snapshot.pk if snapshot else None


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def build_export(job_id: int) -> str | None:
    """Build the file of export job ``job_id``; returns its status (None: nothing to do)."""
    job = services.run_export(job_id)
    return job.status if job else None
