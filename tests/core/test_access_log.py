"""The access log is append-only: not through the model, not through the admin, not in SQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from lvv.audit.log import COMMAND, record
from lvv.audit.models import AccessLogEntry, AppendOnlyError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    return record(actor=world.bureau, action="view", origin=COMMAND, object_type="cases.case", object_id=1)


def test_model_refuses_change_and_delete(entry):
    entry.result = "denied"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_accesslogentry SET result = 'denied'", "DELETE FROM audit_accesslogentry"]
)
def test_database_refuses_update_and_delete(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AccessLogEntry.objects.filter(pk=entry.pk, result="allowed").exists()


def test_admin_lists_and_filters_but_cannot_change(client, entry):
    admin = UserFactory(username="beheer", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:audit_accesslogentry_changelist"), {"action__exact": "view"})
    assert listing.status_code == 200 and "bureau" in listing.content.decode()
    assert client.get(reverse("admin:audit_accesslogentry_add")).status_code == 403
    assert (
        client.post(reverse("admin:audit_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    client.post(reverse("admin:audit_accesslogentry_change", args=[entry.pk]), {"result": "denied"})
    assert AccessLogEntry.objects.get(pk=entry.pk).result == "allowed"


def test_api_reads_and_writes_are_logged_with_channel(api_client, world):
    user = world.ams.users["casemanager"]
    api_client.force_authenticate(user)
    api_client.get(f"/api/v1/cases/{world.ams.assigned.pk}/")
    api_client.patch(f"/api/v1/cases/{world.ams.assigned.pk}/", {"external_id": "Z", "version": 1}, format="json")
    rows = list(AccessLogEntry.objects.filter(actor=user).order_by("id").values_list("action", "channel", "result"))
    assert rows == [("view", "api", "allowed"), ("update", "api", "allowed")]
