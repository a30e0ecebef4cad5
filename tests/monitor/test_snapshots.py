"""Snapshots: frozen figures, listed per user, compared; a published one never changes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from monitor import services
from monitor.figures import figures
from monitor.models import PublishedSnapshotError, Snapshot, SnapshotKind
from monitor.tasks import monthly_snapshot, take_snapshot
from tests.append_only import assert_model_refuses_changes
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db


def snap(user, **kwargs):
    return services.take_snapshot(acting_user=user, origin=COMMAND, **kwargs)


def test_a_snapshot_freezes_the_figures(world):
    build(world.ams.location, sheltered=D - 10 * DAY)
    snapshot = snap(world.bureau, reference_date=D)
    assert snapshot.data == figures(D)
    assert snapshot.scope == ["amsterdam", "rotterdam"] and snapshot.all_locations
    assert not snapshot.is_published and snapshot.created_by == world.bureau
    build(world.ams.location, sheltered=D - 5 * DAY)  # a late registration changes the records...
    snapshot.refresh_from_db()
    assert snapshot.data["total"]["present"] == 1  # ...not the snapshot
    assert figures(D)["total"]["present"] == 2


def test_municipality_snapshots_its_own_lvv_and_lists_only_those(world):
    casemanager = world.ams.users[Role.CASEMANAGER]
    own = snap(casemanager, reference_date=D)
    assert own.scope == ["amsterdam"] and not own.all_locations
    national = snap(world.bureau, reference_date=D)
    rotterdam = snap(world.rot.users[Role.CASEMANAGER], reference_date=D)
    assert list(services.snapshots_for(casemanager)) == [own]
    assert set(services.snapshots_for(world.bureau)) == {own, national, rotterdam}
    assert list(services.snapshots_for(world.ams.users[Role.NGO])) == []
    with pytest.raises(ValidationError) as error:
        snap(casemanager, reference_date=D, locations=["rotterdam"])
    assert "lvv" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        snap(world.ams.users[Role.NGO], reference_date=D)


def test_only_the_bureau_publishes(world):
    draft = snap(world.ams.users[Role.CASEMANAGER], reference_date=D)
    with pytest.raises(PermissionDenied):
        services.publish_snapshot(acting_user=world.ams.users[Role.CASEMANAGER], origin=COMMAND, snapshot=draft)
    with pytest.raises(PermissionDenied):
        snap(world.ams.users[Role.CASEMANAGER], reference_date=D, publish=True)
    published = services.publish_snapshot(acting_user=world.bureau, origin=COMMAND, snapshot=draft)
    assert published.is_published and published.published_by == world.bureau
    with pytest.raises(ValidationError):
        services.publish_snapshot(acting_user=world.bureau, origin=COMMAND, snapshot=published)


def test_a_published_snapshot_never_changes(world):
    snapshot = snap(world.bureau, reference_date=D, publish=True, note="Kamerbrief")
    rows = Snapshot.objects.filter(pk=snapshot.pk)
    assert_model_refuses_changes(snapshot, PublishedSnapshotError, rows, note="gewijzigd")
    with pytest.raises(ValidationError):
        services.discard_snapshot(acting_user=world.bureau, origin=COMMAND, snapshot=snapshot)
    # Not even past the model: the database refuses too.
    for statement in (
        "UPDATE monitor_snapshot SET data = '{}'::jsonb WHERE id = %s",
        "DELETE FROM monitor_snapshot WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="never changes"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [snapshot.pk])
    snapshot.refresh_from_db()
    assert snapshot.note == "Kamerbrief" and snapshot.data == figures(D)


def test_a_draft_can_be_discarded(world):
    draft = snap(world.bureau, reference_date=D)
    services.discard_snapshot(acting_user=world.bureau, origin=COMMAND, snapshot=draft)
    assert not Snapshot.objects.exists()


def test_compare_two_snapshots(world):
    ams = world.ams.location
    build(ams, sheltered=D - 30 * DAY, outflow=(D + 2 * DAY, "departure_origin"))
    build(ams, sheltered=D + DAY)
    old = snap(world.bureau, reference_date=D)
    new = snap(world.bureau, reference_date=D + 5 * DAY)
    diff = services.compare(old, new)
    assert diff["old_date"] == D.isoformat() and diff["new_date"] == (D + 5 * DAY).isoformat()
    assert diff["locations"]["amsterdam"]["present"] == {"old": 1, "new": 1, "delta": 0}
    assert diff["locations"]["amsterdam"]["ever_sheltered"] == {"old": 1, "new": 2, "delta": 1}
    assert diff["total"]["durable_solutions.departure_origin"] == {"old": 0, "new": 1, "delta": 1}
    changed = services.compare(old, new, changed_only=True)
    assert set(changed["total"]) == {
        "ever_sheltered",
        "durable_solutions.departure",
        "durable_solutions.departure_origin",
        "durable_solutions.total",
        "outflow.departure_origin",
        "outcome_classes.durable",
    }
    only_ams = snap(world.ams.users[Role.CASEMANAGER], reference_date=D)
    partial = services.compare(only_ams, new)
    assert partial["locations"]["rotterdam"]["present"] == {"old": None, "new": 0, "delta": None}


def test_the_snapshot_task_and_the_monthly_one(world):
    snapshot_id = take_snapshot.delay(D.isoformat(), ["rotterdam"], world.bureau.pk).get()
    assert Snapshot.objects.get(pk=snapshot_id).scope == ["rotterdam"]
    first = monthly_snapshot.delay().get()
    monthly = Snapshot.objects.get(pk=first)
    assert monthly.kind == SnapshotKind.MONTHLY and monthly.is_published and monthly.created_by is None
    from django.utils import timezone

    assert monthly.reference_date == timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    assert monthly_snapshot.delay().get() is None  # safe to run twice
    assert Snapshot.objects.filter(kind=SnapshotKind.MONTHLY).count() == 1


def test_previous_month_end():
    assert services.previous_month_end(datetime.date(2020, 3, 1)) == datetime.date(2020, 2, 29)
    assert services.previous_month_end(datetime.date(2021, 1, 1)) == datetime.date(2020, 12, 31)


def test_monthly_snapshot_is_scheduled():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["monitor-monthly-snapshot"]
    assert entry["task"] == "monitor.tasks.monthly_snapshot"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {3} and schedule.minute == {0}


def test_system_snapshot_of_everything(world):
    snapshot = services.take_snapshot(acting_user=SYSTEM, origin=COMMAND, reference_date=D)
    assert snapshot.all_locations and snapshot.created_by is None
