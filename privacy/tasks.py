"""The nightly retention run (``CELERY_BEAT_SCHEDULE`` in settings)."""

from __future__ import annotations

from celery import shared_task

from lvv.audit.log import TASK
from privacy.retention import apply_retention


@shared_task(name="privacy.apply_retention")
def nightly_retention() -> int:
    return apply_retention(origin=TASK).total
