"""Background jobs with a row (lvv/jobs.py): the delivery settings of their tasks and the
heartbeat thread."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.utils import timezone

from lso import tasks as lso_tasks
from lvv import jobs
from lvv.celery import app as celery_app
from monitor import tasks as monitor_tasks
from monitor.models import ExportJob, ExportStatus
from tests.factories import UserFactory


@pytest.mark.parametrize("task", [monitor_tasks.build_export, lso_tasks.make_agenda_pack])
def test_job_tasks_are_acknowledged_late_and_put_back_when_their_worker_is_lost(task):
    assert task.acks_late is True and task.reject_on_worker_lost is True
    assert task.soft_time_limit == jobs.SOFT_TIME_LIMIT < task.time_limit == jobs.TIME_LIMIT


def test_tasks_without_a_job_row_are_not_put_back():
    # Nothing would count their runs: a task that kills its worker must not come back forever.
    assert not monitor_tasks.take_snapshot.reject_on_worker_lost
    assert settings.CELERY_TASK_ACKS_LATE is True


def test_the_visibility_timeout_outlasts_the_longest_hold_of_a_message():
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    longest_countdown = max(monitor_tasks.RETRY["retry_backoff_max"], lso_tasks.RETRY["retry_backoff_max"])
    assert timeout > jobs.TIME_LIMIT + longest_countdown
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == timeout


def test_a_run_is_stale_only_after_the_threshold(settings):
    settings.LVV_JOB_STALE_SECONDS = 60
    job = ExportJob(status=jobs.RUNNING)
    now = timezone.now()
    job.created_at = now
    job.heartbeat_at = now - jobs.stale_after() / 2
    assert not jobs.is_stale(job, now)
    job.heartbeat_at = now - jobs.stale_after() * 2
    assert jobs.is_stale(job, now)
    job.status = jobs.DONE
    assert not jobs.is_stale(job, now)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_run_works_and_stops_after():
    job = ExportJob.objects.create(requested_by=UserFactory(), format="csv", parameters={})
    run = jobs.claim(ExportJob, job.pk, task_id="t")
    first = ExportJob.objects.get(pk=job.pk).heartbeat_at
    with jobs.heartbeat(run, interval=0.05):
        time.sleep(0.4)
        during = ExportJob.objects.get(pk=job.pk).heartbeat_at
    assert during > first
    time.sleep(0.2)
    after = ExportJob.objects.get(pk=job.pk).heartbeat_at
    time.sleep(0.3)
    assert ExportJob.objects.get(pk=job.pk).heartbeat_at == after


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_stops_when_the_run_is_superseded():
    job = ExportJob.objects.create(requested_by=UserFactory(), format="csv", parameters={})
    run = jobs.claim(ExportJob, job.pk, task_id="t")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED)
    with jobs.heartbeat(run, interval=0.05):
        time.sleep(0.3)
        assert not [t for t in threading.enumerate() if t.name.startswith("heartbeat-")]  # it gave up
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.FAILED
