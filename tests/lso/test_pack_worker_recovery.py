"""Agenda packs when a real Celery worker on Redis dies in the middle (SIGKILL): the pack
ends done, never stuck "running", and its file and access-log row exist once. See
tests/celery_worker.py for the workers; the pack is slowed down between its steps
(``LVV_TEST_JOB_STEP_DELAY``) so that a worker can be killed halfway."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lso import services
from lso.models import AgendaPack
from lvv import jobs
from lvv.audit.models import AccessLogEntry
from tests.celery_worker import wait_until
from tests.lso.helpers import chair, published

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SLOW = {"LVV_TEST_JOB_STEP_DELAY": "1.5", "LVV_JOB_HEARTBEAT_SECONDS": "1"}
FAST = {"LVV_JOB_HEARTBEAT_SECONDS": "1"}


@pytest.fixture(autouse=True)
def stale_soon(settings):
    """The checks in this process take a pack as lost after a few silent seconds."""
    settings.LVV_JOB_STALE_SECONDS = 3


def pack_of(pk) -> AgendaPack:
    return AgendaPack.objects.get(pk=pk)


def halfway(pk, workers) -> AgendaPack:
    return wait_until(
        lambda: (pack := pack_of(pk)).status == AgendaPack.Status.RUNNING and pack.progress >= 40 and pack,
        what=f"pack {pk} halfway",
        workers=workers,
    )


def finished(pk, workers) -> AgendaPack:
    return wait_until(
        lambda: (pack := pack_of(pk)).status in jobs.FINISHED and pack,
        what=f"pack {pk} done or failed",
        workers=workers,
        timeout=90,
    )


def assert_made_once(pack: AgendaPack, workers) -> None:
    folder = workers.media / "lso" / "packs"
    assert [path.name for path in folder.iterdir()] == [f"agendapakket-{pack.meeting_id}-{pack.pk}.pdf"]
    data = pack.file.read()
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
    assert AccessLogEntry.objects.filter(action="export", channel="task", detail__pack=pack.pk).count() == 1


def request_pack(client, world, workers) -> AgendaPack:
    meeting = published(world.ams, [world.ams.assigned, world.ams.unassigned])
    client.force_login(chair(world.ams))
    assert client.post(reverse("lso:pack-request", args=[meeting.pk])).status_code == 302
    return AgendaPack.objects.get(meeting=meeting)


def test_a_worker_killed_mid_pack_the_sweep_queues_it_again_and_it_is_made_once(client, world, celery_workers):
    first = celery_workers.start(env=SLOW)
    pack = request_pack(client, world, celery_workers)
    halfway(pack.pk, celery_workers)

    celery_workers.kill(first)
    assert pack_of(pack.pk).status == AgendaPack.Status.RUNNING  # as it was left
    celery_workers.start(env=FAST)
    wait_until(
        lambda: pack.pk in services.sweep_stale_packs()["requeued"],
        what="the sweep to queue the pack again",
        workers=celery_workers,
    )

    pack = finished(pack.pk, celery_workers)
    assert pack.status == AgendaPack.Status.DONE, pack.error
    assert pack.attempts == 2 and pack.progress == 100
    assert sorted(pack.case_ids) == sorted([world.ams.assigned.pk, world.ams.unassigned.pk])
    assert_made_once(pack, celery_workers)


def test_the_meeting_page_finds_a_pack_whose_worker_died(client, world, celery_workers):
    first = celery_workers.start(env=SLOW)
    pack = request_pack(client, world, celery_workers)
    halfway(pack.pk, celery_workers)

    celery_workers.kill(first)
    celery_workers.start(env=FAST)
    status_url = reverse("lso:pack-status", args=[pack.meeting_id])
    # The page polls its status part; once the heartbeat is old, reading it queues the pack again.
    wait_until(
        lambda: client.get(status_url) and pack_of(pack.pk).attempts == 2,
        what="the status page to queue the pack again",
        workers=celery_workers,
    )

    pack = finished(pack.pk, celery_workers)
    assert pack.status == AgendaPack.Status.DONE, pack.error
    assert_made_once(pack, celery_workers)
    assert 'data-testid="pack-download"' in client.get(status_url).content.decode()
