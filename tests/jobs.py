"""Shared by the recovery tests of the background jobs (``lvv.jobs``): agenda packs and exports."""

from __future__ import annotations

import datetime

from django.utils import timezone

from lvv import jobs

LONG_AGO = datetime.timedelta(hours=2)


def stopped(job, *, attempts=1, ago=LONG_AGO, task_id="lost-task"):
    """Make ``job`` look like a run that stopped ``ago`` ago in the middle."""
    type(job).objects.filter(pk=job.pk).update(
        status=jobs.RUNNING,
        attempts=attempts,
        task_id=task_id,
        progress=40,
        started_at=timezone.now() - ago,
        heartbeat_at=timezone.now() - ago,
    )
    job.refresh_from_db()
    return job
