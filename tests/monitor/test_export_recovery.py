"""Export jobs that survive a dying worker: the claim, the heartbeat, the sweep of stopped
jobs, the check when the page reads a job, and the retry button (see lvv/jobs.py)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from lvv import jobs
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from monitor import services, tasks
from monitor.models import ExportJob, ExportStatus, Snapshot
from tests.jobs import LONG_AGO, stopped
from tests.monitor.builders import D

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def url(name, **kwargs):
    return reverse(f"monitor:{name}", kwargs=kwargs)


def new_job(user, **fields) -> ExportJob:
    """A queued CSV export for ``user`` (its task not sent)."""
    return ExportJob.objects.create(
        requested_by=user,
        format="csv",
        parameters={"reference_date": D.isoformat(), "locations": ["amsterdam"], "suppress_small": False},
        **fields,
    )


def files_of(media, job) -> list[str]:
    folder = media / "monitor" / "exports" / job.storage_key
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def export_records(job) -> int:
    """The access-log rows of the file being made (one per effect)."""
    return AccessLogEntry.objects.filter(
        action="export", object_type="monitor.exportjob", object_id=str(job.pk), channel="task"
    ).count()


# --- the claim ---------------------------------------------------------------------------------


def test_a_second_run_of_a_finished_job_does_nothing(world, media):
    user = world.ams.users[Role.CASEMANAGER]
    job = new_job(user)
    assert services.run_export(job.pk, task_id="first").status == ExportStatus.DONE
    job.refresh_from_db()
    before = (job.file.name, job.finished_at)
    assert services.run_export(job.pk, task_id="first") is None  # the same message again
    assert services.run_export(job.pk, task_id="second") is None  # another message for the job
    job.refresh_from_db()
    assert (job.file.name, job.finished_at) == before and job.attempts == 1
    assert len(files_of(media, job)) == 1 and export_records(job) == 1


def test_a_rerun_after_a_crash_replaces_the_partial_file(world, media):
    job = stopped(new_job(world.ams.users[Role.CASEMANAGER]))
    folder = f"monitor/exports/{job.storage_key}"
    default_storage.save(f"{folder}/monitor-{D.isoformat()}-amsterdam.csv", ContentFile(b"reference_date,loc"))
    default_storage.save(f"{folder}/half-written.tmp", ContentFile(b"\x00"))

    done = services.run_export(job.pk, task_id="retry-task")

    assert done.status == ExportStatus.DONE and done.attempts == 2 and done.task_id == "retry-task"
    assert files_of(media, done) == [f"monitor-{D.isoformat()}-amsterdam.csv"]
    assert done.file.name == f"{folder}/monitor-{D.isoformat()}-amsterdam.csv"
    assert done.file.read().startswith("\ufeffPeildatum;LVV;".encode())
    assert export_records(done) == 1


def test_the_same_task_given_back_by_the_broker_takes_over_at_once(world):
    job = stopped(new_job(world.ams.users[Role.CASEMANAGER]), ago=datetime.timedelta(seconds=1), task_id="t-1")
    # Another message for the job while that run still beats: left to that run.
    assert services.run_export(job.pk, task_id="t-2") is None
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and job.attempts == 1
    # The same message again: its worker was lost (reject on worker lost), so it takes over.
    assert services.run_export(job.pk, task_id="t-1").status == ExportStatus.DONE
    job.refresh_from_db()
    assert job.attempts == 2


def test_a_run_that_was_given_up_writes_nothing(world, media):
    job = new_job(world.ams.users[Role.CASEMANAGER])
    first = jobs.claim(ExportJob, job.pk, task_id="a")
    stopped(job, attempts=first.attempt, task_id="a")  # its heartbeat stopped
    second = jobs.claim(ExportJob, job.pk, task_id="b")
    assert (first.attempt, second.attempt) == (1, 2)
    with pytest.raises(jobs.Superseded):
        first.beat(50)
    with pytest.raises(jobs.Superseded), first.finishing():
        pass
    assert first.fail("x") is False
    second.beat(60)
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and job.progress == 60 and job.error == ""


def test_a_lost_job_without_attempts_left_fails_when_its_message_comes_back(world):
    job = stopped(new_job(world.ams.users[Role.CASEMANAGER]), attempts=jobs.MAX_ATTEMPTS, task_id="t-1")
    assert services.run_export(job.pk, task_id="t-1") is None
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == jobs.JOB_LOST and job.finished_at
    assert not job.file


# --- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_retries_a_stopped_job_once_then_fails_it(world, media, django_capture_on_commit_callbacks):
    user = world.ams.users[Role.CASEMANAGER]
    first_stop = stopped(new_job(user), attempts=1)
    second_stop = stopped(new_job(user), attempts=2)
    beating = stopped(new_job(user), ago=datetime.timedelta(seconds=5))
    lost_message = new_job(user)
    ExportJob.objects.filter(pk=lost_message.pk).update(created_at=timezone.now() - LONG_AGO)
    queued = new_job(user)
    finished = new_job(user, status=ExportStatus.DONE, created_at=timezone.now() - LONG_AGO)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = tasks.sweep_stale_exports.delay().get()  # the periodic task (in-process here)

    assert outcome == {"requeued": [first_stop.pk], "resent": [lost_message.pk], "failed": [second_stop.pk]}
    assert len(callbacks) == 2  # one message per job queued again
    states = {job.pk: (job.status, job.attempts) for job in ExportJob.objects.all()}
    assert states[first_stop.pk] == (ExportStatus.DONE, 2)  # retried, and made this time
    assert states[lost_message.pk] == (ExportStatus.DONE, 1)
    assert states[second_stop.pk] == (ExportStatus.FAILED, 2)
    assert ExportJob.objects.get(pk=second_stop.pk).error == jobs.JOB_LOST
    assert states[beating.pk] == (ExportStatus.RUNNING, 1)
    assert states[queued.pk] == (ExportStatus.PENDING, 0)
    assert states[finished.pk] == (ExportStatus.DONE, 0)
    assert len(files_of(media, ExportJob.objects.get(pk=first_stop.pk))) == 1


def test_the_sweep_uses_the_configured_threshold(world, settings):
    job = stopped(new_job(world.ams.users[Role.CASEMANAGER]), ago=datetime.timedelta(seconds=30))
    settings.LVV_JOB_STALE_SECONDS = 60
    assert services.sweep_stale_exports()["requeued"] == []
    settings.LVV_JOB_STALE_SECONDS = 20
    sent = []
    assert jobs.sweep(ExportJob, send=sent.append)["requeued"] == [job.pk]
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING and job.progress == 0 and job.attempts == 1


def test_both_sweeps_are_scheduled_every_minute(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["monitor.tasks.sweep_stale_exports"] == 60.0
    assert schedule["lso.tasks.sweep_stale_packs"] == 60.0


# --- the page ----------------------------------------------------------------------------------


def test_the_page_fails_a_job_that_stopped_twice_and_offers_a_retry(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    job = stopped(new_job(user), attempts=2)
    client.force_login(user)
    html = client.get(url("export", pk=job.pk)).content.decode()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == jobs.JOB_LOST
    assert "hx-trigger" not in html
    assert "twee keer afgebroken" in html and 'data-testid="export-retry"' in html
    assert url("export-retry", pk=job.pk) in html
    english = client.get(url("export", pk=job.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "interrupted twice" in english and "Try again" in english


def test_the_page_queues_a_stopped_job_again(client, world, django_capture_on_commit_callbacks):
    user = world.ams.users[Role.CASEMANAGER]
    job = stopped(new_job(user), attempts=1)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        html = client.get(url("export", pk=job.pk), headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="pending"' in html and "hx-trigger" in html
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.attempts == 2


def test_a_running_job_with_a_heartbeat_is_left_alone_by_the_page(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    job = stopped(new_job(user), ago=datetime.timedelta(seconds=3))
    client.force_login(user)
    assert 'data-status="running"' in client.get(url("export", pk=job.pk)).content.decode()
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and job.attempts == 1


# --- the retry ---------------------------------------------------------------------------------


def test_the_retry_button_makes_a_new_export_with_the_same_choices(client, world, django_capture_on_commit_callbacks):
    user = world.ams.users[Role.CASEMANAGER]
    failed = new_job(user, status=ExportStatus.FAILED, error=jobs.JOB_LOST, attempts=2)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("export-retry", pk=failed.pk))
    retry = ExportJob.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302 and response["Location"] == url("export", pk=retry.pk)
    assert retry.status == ExportStatus.DONE and retry.attempts == 1 and retry.format == "csv"
    assert {k: retry.parameters[k] for k in ("reference_date", "locations", "suppress_small")} == {
        k: failed.parameters[k] for k in ("reference_date", "locations", "suppress_small")
    }
    failed.refresh_from_db()
    assert failed.status == ExportStatus.FAILED  # the failed one stays as it was
    entry = AccessLogEntry.objects.get(action="create", object_type="monitor.exportjob", object_id=str(retry.pk))
    assert entry.detail["retry_of"] == failed.pk and entry.channel == "web"


def test_only_the_requester_may_retry_others_get_404(client, world):
    owner = world.ams.users[Role.CASEMANAGER]
    failed = new_job(owner, status=ExportStatus.FAILED, error=jobs.JOB_LOST)
    for other in (world.rot.users[Role.CASEMANAGER], world.bureau, world.ams.users[Role.LSO_CHAIR]):
        client.force_login(other)
        assert client.post(url("export-retry", pk=failed.pk)).status_code == 404
        assert client.get(url("export", pk=failed.pk)).status_code == 404
    client.force_login(world.ams.users[Role.NGO])  # reads no figures at all
    assert client.post(url("export-retry", pk=failed.pk)).status_code == 404
    client.force_login(owner)
    assert client.post(url("export-retry", pk=failed.pk + 1000)).status_code == 404
    assert client.get(url("export-retry", pk=failed.pk)).status_code == 405
    assert ExportJob.objects.count() == 1
    assert AccessLogEntry.objects.filter(object_type="monitor.exportjob", result="denied").count() >= 5


def test_only_a_failed_export_is_retried(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    running = stopped(new_job(user), ago=datetime.timedelta(seconds=1))
    client.force_login(user)
    response = client.post(url("export-retry", pk=running.pk), follow=True)
    assert "Alleen een mislukte taak kan opnieuw worden gestart." in response.content.decode()
    assert ExportJob.objects.count() == 1


def test_a_requester_who_lost_the_figures_cannot_retry(world):
    user = world.ams.users[Role.CASEMANAGER]
    failed = new_job(user, status=ExportStatus.FAILED, error=jobs.JOB_LOST)
    user.roles = [Role.NGO]
    user.save()
    with pytest.raises(PermissionDenied):
        services.retry_export(acting_user=user, origin=COMMAND, job=failed)
    assert ExportJob.objects.count() == 1


# --- snapshots -----------------------------------------------------------------------------------


def test_a_snapshot_task_run_twice_takes_one_snapshot(world):
    args = (D.isoformat(), None, world.bureau.pk, False, "twice")
    first = tasks.take_snapshot.apply(args=args, task_id="snapshot-task").get()
    again = tasks.take_snapshot.apply(args=args, task_id="snapshot-task").get()
    assert first == again and Snapshot.objects.count() == 1
    assert Snapshot.objects.get().task_id == "snapshot-task"
    other = tasks.take_snapshot.apply(args=args, task_id="another-task").get()
    assert other != first and Snapshot.objects.count() == 2
