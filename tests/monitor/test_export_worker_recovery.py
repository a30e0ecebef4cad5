"""Export jobs when a real Celery worker on Redis dies in the middle (SIGKILL): the job
ends done or failed, never stuck "running", and its file and access-log row exist once.
See tests/celery_worker.py for the workers; the jobs are slowed down between their steps
(``LVV_TEST_JOB_STEP_DELAY``) so that a worker can be killed halfway."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from lvv import jobs
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from monitor import services
from monitor.models import ExportJob, ExportStatus
from tests.celery_worker import wait_until
from tests.monitor.builders import DAY, D, build

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# A job takes a few seconds, beating every second.
SLOW = {"LVV_TEST_JOB_STEP_DELAY": "1.5", "LVV_JOB_HEARTBEAT_SECONDS": "1"}
FAST = {"LVV_JOB_HEARTBEAT_SECONDS": "1"}
STALE_SECONDS = 3


@pytest.fixture
def stale_soon(settings):
    """The sweep in this process takes a job as lost after a few silent seconds."""
    settings.LVV_JOB_STALE_SECONDS = STALE_SECONDS


def job_of(pk) -> ExportJob:
    return ExportJob.objects.get(pk=pk)


def halfway(pk, workers) -> ExportJob:
    """Wait until the job's run is past its first step."""
    return wait_until(
        lambda: (job := job_of(pk)).status == ExportStatus.RUNNING and job.progress >= 20 and job,
        what=f"export {pk} halfway",
        workers=workers,
    )


def finished(pk, workers, timeout=90) -> ExportJob:
    return wait_until(
        lambda: (job := job_of(pk)).status in jobs.FINISHED and job,
        what=f"export {pk} done or failed",
        workers=workers,
        timeout=timeout,
    )


def swept(pk, kind, workers) -> None:
    """Run the periodic sweep (as beat would) until it handles the job as ``kind``."""
    wait_until(lambda: pk in services.sweep_stale_exports()[kind], what=f"the sweep: {kind} {pk}", workers=workers)


def assert_made_once(job: ExportJob, workers) -> None:
    folder = workers.media / "monitor" / "exports" / job.storage_key
    assert [path.name for path in folder.iterdir()] == [job.filename]
    assert job.file.read().startswith("\ufeffPeildatum;LVV;".encode())
    assert (
        AccessLogEntry.objects.filter(
            action="export", channel="task", object_type="monitor.exportjob", object_id=str(job.pk)
        ).count()
        == 1
    )


@pytest.fixture
def bureau(world):
    build(world.ams.location, sheltered=D - 30 * DAY)
    return world.bureau


def test_a_killed_pool_process_is_put_back_and_the_export_made_once(bureau, celery_workers):
    worker = celery_workers.start(pool="prefork", env=SLOW)
    job = services.request_export(acting_user=bureau, origin=COMMAND, fmt="csv", reference_date=D)
    halfway(job.pk, celery_workers)

    celery_workers.kill_pool_process(worker)  # the worker reports it lost and puts the message back

    job = finished(job.pk, celery_workers)
    assert job.status == ExportStatus.DONE, job.error
    assert job.attempts == 2 and job.progress == 100
    assert_made_once(job, celery_workers)


def test_a_worker_killed_as_a_whole_the_broker_gives_the_message_back(bureau, celery_workers):
    first = celery_workers.start(env=SLOW)
    job = services.request_export(acting_user=bureau, origin=COMMAND, fmt="csv", reference_date=D)
    task_id = halfway(job.pk, celery_workers).task_id

    celery_workers.kill(first)  # nothing acknowledged: the message stays with Redis
    assert job_of(job.pk).status == ExportStatus.RUNNING
    # A worker takes back the messages held longer than its visibility timeout (here one
    # second, so at its start) and runs the job again.
    time.sleep(1.5)
    celery_workers.start(env={**FAST, "CELERY_VISIBILITY_TIMEOUT": "1"})

    job = finished(job.pk, celery_workers)
    assert job.status == ExportStatus.DONE, job.error
    assert job.attempts == 2 and job.task_id == task_id  # the same message, run again
    assert_made_once(job, celery_workers)


def test_an_export_whose_worker_dies_twice_fails_and_the_retry_button_makes_it(
    client, world, celery_workers, stale_soon
):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    first = celery_workers.start(env=SLOW)
    client.post(reverse("monitor:exports"), {"format": "csv", "date": D.isoformat()})
    job = ExportJob.objects.get()
    halfway(job.pk, celery_workers)
    celery_workers.kill(first)

    second = celery_workers.start(env=SLOW)
    swept(job.pk, "requeued", celery_workers)  # lost once: queued again
    wait_until(lambda: job_of(job.pk).attempts == 2, what="the second attempt", workers=celery_workers)
    halfway(job.pk, celery_workers)
    celery_workers.kill(second)

    swept(job.pk, "failed", celery_workers)  # lost twice: failed, with a message
    job = job_of(job.pk)
    assert job.status == ExportStatus.FAILED and job.error == jobs.JOB_LOST and not job.file
    page = client.get(reverse("monitor:export", kwargs={"pk": job.pk})).content.decode()
    assert "twee keer afgebroken" in page and 'data-testid="export-retry"' in page

    celery_workers.start(env=FAST)
    response = client.post(reverse("monitor:export-retry", kwargs={"pk": job.pk}))
    retry = ExportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("monitor:export", kwargs={"pk": retry.pk})
    retry = finished(retry.pk, celery_workers)
    assert retry.status == ExportStatus.DONE and retry.attempts == 1
    assert_made_once(retry, celery_workers)
    assert job_of(job.pk).status == ExportStatus.FAILED
