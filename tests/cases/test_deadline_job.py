"""The nightly deadline job (eager): the rest period, pauses, closed cases, cooperation
checks, idempotence and a fixed number of queries per batch."""

from __future__ import annotations

import datetime

import pytest
from celery import current_app
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services, tasks
from cases.models import Deadline, DeadlineKind, Notification
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND, TASK
from lvv.audit.models import AccessLogEntry
from lvv.partners.models import ProgrammeSettings
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

REGISTERED = datetime.date(2020, 1, 6)  # CaseFactory's registration and shelter date
DAY = datetime.timedelta(days=1)
PER_BATCH = 7


def step(name, case, **kwargs):
    return getattr(services, name)(acting_user=SYSTEM, origin=COMMAND, case=case, **kwargs)


def run_job() -> int:
    return tasks.recompute_deadlines.delay().get(timeout=10)


def deadline(case, kind) -> Deadline | None:
    return Deadline.objects.filter(case=case, kind=kind).first()


def all_rows():
    return list(
        Deadline.objects.order_by("pk").values_list(
            "pk", "case_id", "kind", "base_due_on", "paused_days", "paused_since", "due_on", "resolved_on"
        )
    )


def test_rest_period_starts_on_the_complete_dossier_only(world):
    case = CaseFactory(location=world.ams.location, sheltered=True)
    case = step("request_dossier", case, on=REGISTERED)
    case = step("deliver_dossier_part", case, kind="IND", on=datetime.date(2020, 1, 13))
    run_job()
    assert deadline(case, DeadlineKind.REST_PERIOD_END) is None  # one part: no rest period yet

    case = step("deliver_dossier_part", case, kind="DTV", on=datetime.date(2020, 1, 20))
    assert run_job() == 0  # the service already computed it
    rest = deadline(case, DeadlineKind.REST_PERIOD_END)
    programme = ProgrammeSettings.current()
    assert programme.rest_period_days == 14
    assert rest.due_on == datetime.date(2020, 1, 20) + datetime.timedelta(days=14)  # the later delivery

    programme.rest_period_days = 21
    programme.save()
    assert run_job() == 1  # the programme agreement changed: the job moves the deadline
    rest.refresh_from_db()
    assert rest.due_on == rest.base_due_on == datetime.date(2020, 2, 10)
    assert run_job() == 0


def test_pause_and_resume_add_the_paused_days(world):
    case = CaseFactory(location=world.ams.location, dossier_complete=True)
    rest = deadline(case, DeadlineKind.REST_PERIOD_END)
    base = rest.base_due_on
    case = step(
        "pause_deadline",
        case,
        kind=DeadlineKind.REST_PERIOD_END,
        reason="Opname in ziekenhuis",
        on=datetime.date(2020, 1, 25),
    )
    assert run_job() == 0
    rest.refresh_from_db()
    assert rest.paused_since == datetime.date(2020, 1, 25)  # the job keeps a pause
    step("resume_deadline", case, kind=DeadlineKind.REST_PERIOD_END, on=datetime.date(2020, 1, 30))
    rest.refresh_from_db()
    assert (rest.paused_days, rest.paused_since) == (5, None)
    assert rest.due_on == base + 5 * DAY
    assert run_job() == 0
    rest.refresh_from_db()
    assert rest.due_on == base + 5 * DAY

    # A corrupted row is repaired with the pause kept.
    Deadline.objects.filter(pk=rest.pk).update(due_on=base)
    assert run_job() == 1
    rest.refresh_from_db()
    assert rest.due_on == base + 5 * DAY


def test_running_the_job_twice_gives_the_same_deadlines(world):
    location = world.ams.location
    cases = [
        CaseFactory(location=location, sheltered=True),
        CaseFactory(location=location, dossier_complete=True),
        CaseFactory(location=location, with_scenario=True),
        CaseFactory(location=location, with_outflow="back_to_bbb"),
    ]
    step("request_dossier", cases[0], on=REGISTERED)
    # Damage some rows directly in the database: a wrong date, a deleted row, a reopened one.
    Deadline.objects.filter(case=cases[1], kind=DeadlineKind.REST_PERIOD_END).update(due_on=datetime.date(2030, 1, 1))
    Deadline.objects.filter(case=cases[2], kind=DeadlineKind.SCENARIO_REVIEW).delete()
    Deadline.objects.filter(case=cases[3]).update(resolved_on=None)
    assert run_job() > 0
    first = all_rows()
    assert run_job() == 0
    assert all_rows() == first


def test_a_closed_case_has_its_deadlines_resolved(world):
    case = CaseFactory(location=world.ams.location, dossier_complete=True)
    assert Deadline.objects.filter(case=case, resolved_on__isnull=True).exists()
    step("record_outflow", case, category="unknown_destination", on=datetime.date(2020, 3, 2))
    assert not Deadline.objects.filter(case=case, resolved_on__isnull=True).exists()

    # Rows left open on a closed case (an older version, a hand edit) are resolved by the job.
    Deadline.objects.filter(case=case).update(resolved_on=None)
    changed = run_job()
    assert changed == Deadline.objects.filter(case=case).count()
    assert set(Deadline.objects.filter(case=case).values_list("resolved_on", flat=True)) == {timezone.localdate()}
    assert AccessLogEntry.objects.filter(object_id=str(case.pk), channel=TASK.channel).exists()
    assert run_job() == 0


def test_cooperation_check_follows_the_last_check_and_the_lvv_interval(world):
    location = world.ams.location
    assert location.cooperation_check_weeks == 6
    case = CaseFactory(location=location, sheltered=True)
    check = deadline(case, DeadlineKind.COOPERATION_CHECK)
    assert check.due_on == REGISTERED + datetime.timedelta(weeks=6)  # from the start of the shelter

    checked_on = datetime.date(2020, 2, 3)
    step("record_cooperation_check", case, result="sufficient", on=checked_on)
    check.refresh_from_db()
    assert check.due_on == checked_on + datetime.timedelta(weeks=6)

    location.cooperation_check_weeks = 4
    location.save()
    assert run_job() == 1
    check.refresh_from_db()
    assert check.due_on == checked_on + datetime.timedelta(weeks=4)
    assert run_job() == 0


def test_the_job_takes_case_ids(world):
    one = CaseFactory(location=world.ams.location, dossier_complete=True)
    other = CaseFactory(location=world.ams.location, dossier_complete=True)
    wrong = datetime.date(2030, 1, 1)
    Deadline.objects.filter(case__in=[one, other], resolved_on__isnull=True).update(due_on=wrong)
    open_rows = Deadline.objects.filter(case=one, resolved_on__isnull=True).count()
    assert tasks.recompute_deadlines.delay(case_ids=[one.pk]).get() == open_rows
    assert not Deadline.objects.filter(case=one, due_on=wrong).exists()
    assert Deadline.objects.filter(case=other, due_on=wrong).count() == open_rows


def count_queries(**kwargs) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        changed = tasks.recompute_cases(**kwargs)
    return changed, len(ctx.captured_queries)


def test_fixed_number_of_queries_per_batch(world):
    CaseFactory.create_batch(5, location=world.ams.location, with_scenario=True)
    tasks.recompute_cases()
    changed, small = count_queries(batch_size=100)
    assert changed == 0
    CaseFactory.create_batch(45, location=world.ams.location, with_scenario=True)
    tasks.recompute_cases()
    changed, large = count_queries(batch_size=100)
    assert changed == 0
    assert small == large  # one batch either way
    # Per batch: the locked cases with their LVV, four prefetches (and a savepoint pair here).
    changed, batched = count_queries(batch_size=10)
    batches = -(-(50 + 2) // 10)  # and the two registered cases of the world
    assert batched == large + (batches - 1) * PER_BATCH


def test_nightly_schedule_at_two_in_amsterdam():
    entry = settings.CELERY_BEAT_SCHEDULE["recompute-deadlines"]
    assert entry["task"] == tasks.recompute_deadlines.name
    assert entry["kwargs"] == {"then_notify": True}
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute) == ({2}, {0})
    assert str(schedule.tz) == "Europe/Amsterdam"
    digest = settings.CELERY_BEAT_SCHEDULE["send-daily-digests"]
    assert digest["task"] == tasks.send_daily_digests.name
    assert current_app.tasks[entry["task"]] and current_app.tasks[digest["task"]]


def test_the_nightly_run_notifies_after_recomputing(world, django_capture_on_commit_callbacks):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, sheltered=True)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recompute_deadlines.delay(then_notify=True).get()
    assert Notification.objects.filter(case=case, deadline__kind=DeadlineKind.COOPERATION_CHECK).count() == 2
