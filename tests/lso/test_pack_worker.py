"""The agenda pack made by a real Celery worker on Redis (see tests/celery_worker.py)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from lso.models import AgendaPack
from tests.celery_worker import worker_output
from tests.lso.helpers import chair, published

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_makes_the_pack(world, client, celery_worker):
    ams = world.ams
    meeting = published(ams, [ams.assigned, ams.unassigned])
    client.force_login(chair(ams))
    response = client.post(reverse("lso:pack-request", args=[meeting.pk]))
    assert response.status_code == 302
    pack = AgendaPack.objects.get(meeting=meeting)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        pack.refresh_from_db()
        if pack.status in (AgendaPack.Status.DONE, AgendaPack.Status.FAILED):
            break
        time.sleep(0.3)
    assert pack.status == AgendaPack.Status.DONE, f"{pack.status} {pack.error}\n{worker_output(celery_worker)}"
    assert pack.progress == 100
    data = pack.file.read()
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
    assert sorted(pack.case_ids) == sorted([ams.assigned.pk, ams.unassigned.pk])
