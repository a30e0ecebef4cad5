"""A snapshot frozen and an export built by a real Celery worker on Redis
(see tests/celery_worker.py for the worker)."""

from __future__ import annotations

import time

import pytest

from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from monitor import services
from monitor.figures import figures
from monitor.models import ExportJob, ExportStatus, Snapshot
from monitor.tasks import take_snapshot
from tests.celery_worker import worker_output
from tests.factories import LocationFactory, OrganisationFactory, UserFactory
from tests.monitor.builders import DAY, D, build

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_freezes_a_snapshot_and_builds_an_export(celery_worker):
    ams = LocationFactory(slug="amsterdam", places=360)
    build(ams, sheltered=D - 30 * DAY, scenarios=[(D - 10 * DAY, "departure")])
    build(ams, sheltered=D - 30 * DAY, outflow=(D - DAY, "residence_granted"), confirmed=D)
    bureau = UserFactory(
        username="bureau.worker",
        organisation=OrganisationFactory(name="Programmabureau", kind="bureau"),
        roles=[Role.BUREAU],
    )
    try:
        snapshot_id = take_snapshot.delay(D.isoformat(), None, bureau.pk, True, "Via de worker").get(timeout=60)
    except Exception as exc:
        raise AssertionError(f"the worker did not take the snapshot: {exc!r}\n{worker_output(celery_worker)}") from exc
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    assert snapshot.data == figures(D)
    assert snapshot.is_published and snapshot.created_by == bureau and snapshot.note == "Via de worker"

    job = services.request_export(acting_user=bureau, origin=COMMAND, fmt="csv", reference_date=D)  # on commit: queued
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ExportStatus.DONE, ExportStatus.FAILED):
            break
        time.sleep(0.2)
    assert job.status == ExportStatus.DONE, f"{job.status} {job.error}\n{worker_output(celery_worker)}"
    assert job.progress == 100
    assert ExportJob.objects.get(pk=job.pk).file.read().startswith("\ufeffPeildatum;LVV;".encode())
