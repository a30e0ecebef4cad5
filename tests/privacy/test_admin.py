"""The retention records in the admin: readable, never added, changed or deleted there."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from privacy.models import RetentionOutcome, RetentionRecord
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_retention_record_is_read_only_in_the_admin(client):
    case = CaseFactory()
    day = datetime.date(2026, 1, 5)
    record = RetentionRecord.objects.create(case=case, outcome=RetentionOutcome.values[0], ended_on=day, applied_on=day)
    client.force_login(UserFactory(username="beheer", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:privacy_retentionrecord_changelist")).status_code == 200
    change = client.get(reverse("admin:privacy_retentionrecord_change", args=[record.pk]))
    assert change.status_code == 200
    assert 'name="ended_on"' not in change.content.decode()  # shown, not editable
    assert client.get(reverse("admin:privacy_retentionrecord_add")).status_code == 403
    assert client.get(reverse("admin:privacy_retentionrecord_delete", args=[record.pk])).status_code == 403
    assert client.post(reverse("admin:privacy_retentionrecord_change", args=[record.pk]), {}).status_code == 403
    assert RetentionRecord.objects.get(pk=record.pk).ended_on == day
