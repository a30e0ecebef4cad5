"""One round trip through a real Celery worker on Redis: the password reset e-mail
(see tests/celery_worker.py for the worker)."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from tests.celery_worker import worker_output
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_password_reset_mail_is_sent_by_a_real_worker(client, celery_worker):
    UserFactory(username="via.worker", email="worker@lvv.example", roles=[])
    response = client.post(reverse("accounts:password_reset"), {"email": "worker@lvv.example"})
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(celery_worker.mail_dir.iterdir()):
        time.sleep(0.2)
    files = list(celery_worker.mail_dir.iterdir())
    assert files, f"the worker did not send the e-mail within 30 seconds: {worker_output(celery_worker)}"
    content = files[0].read_text()
    assert "worker@lvv.example" in content
    assert "/accounts/reset/" in content
