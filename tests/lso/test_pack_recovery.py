"""Agenda packs that survive a dying worker: the claim, the sweep of stopped packs, the
check when the meeting page reads a pack, and the retry button (see lvv/jobs.py)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from lso import pdf, services, tasks
from lso.models import AgendaPack
from lvv import jobs
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.jobs import stopped
from tests.lso.helpers import chair, published, sheltered_case, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

Status = AgendaPack.Status


@pytest.fixture
def meeting(world):
    return published(world.ams, [sheltered_case(world.ams)])


def new_pack(meeting, reader, **fields) -> AgendaPack:
    return AgendaPack.objects.create(meeting=meeting, requested_by=reader, **fields)


def pack_files(media, pack) -> list[str]:
    folder = media / "lso" / "packs"
    prefix = f"agendapakket-{pack.meeting_id}-{pack.pk}"
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix)) if folder.exists() else []


def pack_records(pack) -> int:
    return AccessLogEntry.objects.filter(action="export", channel="task", detail__pack=pack.pk).count()


def meeting_url(meeting):
    return reverse("lso:meeting-detail", args=[meeting.pk])


def retry_url(pack):
    return reverse("lso:pack-retry", args=[pack.meeting_id, pack.pk])


# --- the claim ---------------------------------------------------------------------------------


def test_a_second_run_of_a_finished_pack_does_nothing(world, meeting, media):
    pack = new_pack(meeting, chair(world.ams))
    assert pdf.build_pack(pack.pk, task_id="first")
    pack.refresh_from_db()
    before = (pack.file.name, pack.finished_at)
    assert not pdf.build_pack(pack.pk, task_id="first")
    assert not pdf.build_pack(pack.pk, task_id="second")
    pack.refresh_from_db()
    assert (pack.file.name, pack.finished_at) == before and pack.attempts == 1
    assert pack_files(media, pack) == [f"agendapakket-{meeting.pk}-{pack.pk}.pdf"]
    assert pack_records(pack) == 1


def test_a_rerun_after_a_crash_replaces_the_partial_file(world, meeting, media):
    pack = stopped(new_pack(meeting, chair(world.ams)))
    name = f"lso/packs/agendapakket-{meeting.pk}-{pack.pk}.pdf"
    default_storage.save(name, ContentFile(b"%PDF-1.7 half"))  # what the crashed run left

    assert pdf.build_pack(pack.pk, task_id="retry-task")

    pack.refresh_from_db()
    assert pack.status == Status.DONE and pack.attempts == 2 and pack.file.name == name
    assert pack_files(media, pack) == [f"agendapakket-{meeting.pk}-{pack.pk}.pdf"]
    data = pack.file.read()
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
    assert pack_records(pack) == 1


def test_a_pack_whose_meeting_is_no_longer_visible_fails_with_a_message(world, meeting):
    pack = new_pack(meeting, world.rot.users[Role.LSO_CHAIR])
    assert not pdf.build_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == Status.FAILED and pack.error == pdf.PACK_NOT_VISIBLE


def test_a_broken_pack_fails_with_a_message_not_the_exception(world, meeting, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    pack = new_pack(meeting, chair(world.ams))
    assert not pdf.build_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == Status.FAILED and pack.error == pdf.PACK_FAILED and not pack.file


# --- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_retries_a_stopped_pack_once_then_fails_it(world, meeting, media, django_capture_on_commit_callbacks):
    reader = chair(world.ams)
    once = stopped(new_pack(meeting, reader), attempts=1)
    twice = stopped(new_pack(meeting, reader), attempts=2)
    beating = stopped(new_pack(meeting, reader), ago=datetime.timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = tasks.sweep_stale_packs.delay().get()
    assert outcome == {"requeued": [once.pk], "resent": [], "failed": [twice.pk]}
    once.refresh_from_db()
    twice.refresh_from_db()
    beating.refresh_from_db()
    assert once.status == Status.DONE and once.attempts == 2 and len(pack_files(media, once)) == 1
    assert twice.status == Status.FAILED and twice.error == jobs.JOB_LOST
    assert beating.status == Status.RUNNING


# --- the pages ---------------------------------------------------------------------------------


def test_the_meeting_page_fails_a_pack_that_stopped_twice_and_offers_a_retry(client, world, meeting):
    reader = chair(world.ams)
    pack = stopped(new_pack(meeting, reader), attempts=2)
    client.force_login(reader)
    html = client.get(meeting_url(meeting)).content.decode()
    pack.refresh_from_db()
    assert pack.status == Status.FAILED
    assert "twee keer afgebroken" in html and 'data-testid="pack-retry"' in html and retry_url(pack) in html
    english = client.get(meeting_url(meeting), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "interrupted twice" in english and "Try again" in english


def test_the_status_part_queues_a_stopped_pack_again(client, world, meeting, django_capture_on_commit_callbacks):
    reader = chair(world.ams)
    pack = stopped(new_pack(meeting, reader), attempts=1)
    client.force_login(reader)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        part = client.get(reverse("lso:pack-status", args=[meeting.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in part and len(callbacks) == 1
    pack.refresh_from_db()
    assert pack.status == Status.DONE and pack.attempts == 2


def test_the_retry_button_makes_a_new_pack(client, world, meeting, django_capture_on_commit_callbacks):
    reader = chair(world.ams)
    failed = new_pack(meeting, reader, status=Status.FAILED, error=jobs.JOB_LOST, attempts=2)
    client.force_login(reader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url(failed))
    assert response.status_code == 302 and response["Location"] == f"{meeting_url(meeting)}#pack"
    retry = AgendaPack.objects.exclude(pk=failed.pk).get()
    assert retry.status == Status.DONE and retry.requested_by == reader and retry.attempts == 1
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
    entry = AccessLogEntry.objects.get(action="export", channel="web", detail__pack=retry.pk)
    assert entry.detail["retry_of"] == failed.pk
    assert 'data-testid="pack-download"' in client.get(meeting_url(meeting)).content.decode()


def test_only_the_reader_may_retry_others_get_404(client, world, meeting):
    reader = chair(world.ams)
    failed = new_pack(meeting, reader, status=Status.FAILED, error=jobs.JOB_LOST)
    for other in (
        world.rot.users[Role.LSO_CHAIR],  # another LVV
        world.rot.users[Role.CASEMANAGER],
        world.ams.users[Role.CASEMANAGER],  # sees the meeting, but the pack is not theirs
        world.bureau,
    ):
        client.force_login(other)
        assert client.post(retry_url(failed)).status_code == 404
    client.force_login(reader)
    other_meeting = published(world.ams, [sheltered_case(world.ams)], date=today() + datetime.timedelta(days=7))
    assert client.post(reverse("lso:pack-retry", args=[other_meeting.pk, failed.pk])).status_code == 404
    assert client.get(retry_url(failed)).status_code == 405
    assert AgendaPack.objects.count() == 1


def test_only_a_failed_pack_is_retried(client, world, meeting):
    reader = chair(world.ams)
    running = stopped(new_pack(meeting, reader), ago=datetime.timedelta(seconds=1))
    client.force_login(reader)
    response = client.post(retry_url(running), follow=True)
    assert "Alleen een mislukte taak kan opnieuw worden gestart." in response.content.decode()
    assert AgendaPack.objects.count() == 1


def test_the_retry_service_refuses_another_reader(world, meeting):
    failed = new_pack(meeting, chair(world.ams), status=Status.FAILED)
    with pytest.raises(services.NotVisibleError):
        services.retry_agenda_pack(acting_user=world.ams.users[Role.CASEMANAGER], origin=COMMAND, pack=failed)
