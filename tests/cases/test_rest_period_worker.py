"""The rest period repaired by the deadline job on a real Celery worker on Redis
(see tests/celery_worker.py for the worker)."""

from __future__ import annotations

import datetime

import pytest

from cases.models import Deadline, DeadlineKind
from cases.tasks import recompute_deadlines
from tests.celery_worker import worker_output
from tests.factories import CaseFactory, LocationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def run_on_worker(worker) -> int:
    try:
        return recompute_deadlines.delay().get(timeout=30)
    except Exception as exc:  # show what the worker said
        raise AssertionError(f"the worker did not run the job: {exc!r}\n{worker_output(worker)}") from exc


def test_worker_repairs_a_corrupted_rest_period(celery_worker):
    case = CaseFactory(location=LocationFactory(slug="worker-lvv"), dossier_complete=True)
    delivered = max(case.dossier_parts.values_list("delivered_on", flat=True))
    rest = Deadline.objects.get(case=case, kind=DeadlineKind.REST_PERIOD_END)
    assert rest.due_on == delivered + datetime.timedelta(days=14)
    wrong = datetime.date(2031, 5, 1)
    Deadline.objects.filter(pk=rest.pk).update(base_due_on=wrong, due_on=wrong)  # corrupted in the database

    assert run_on_worker(celery_worker) == 1
    rest.refresh_from_db()
    assert rest.base_due_on == rest.due_on == delivered + datetime.timedelta(days=14)
    assert run_on_worker(celery_worker) == 0  # twice is once
