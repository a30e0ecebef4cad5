"""The demo's LSO and MRT part: past and upcoming meetings with minutes, open actions,
escalations with and without advice, DT&V reviews; twice is the same as once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from cases import tasks
from cases.models import TimelineEvent
from lso import selectors
from lso.models import Action, AgendaItem, ItemOutcome, Meeting, MeetingStatus, ReviewNote
from lvv.accounts.models import User
from mrt.models import Advice, Escalation, MrtSession

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        sorted(Meeting.objects.values_list("location__slug", "date", "start_time", "status")),
        sorted(AgendaItem.objects.values_list("meeting__date", "case__external_id", "reason", "order")),
        sorted(ItemOutcome.objects.values_list("item__case__external_id", "decision", "advice_followed")),
        sorted(Action.objects.values_list("case__external_id", "description", "due_on", "done_on")),
        sorted(Escalation.objects.values_list("case__external_id", "reason", "status", "escalated_on")),
        sorted(Advice.objects.values_list("escalation__case__external_id", "direction", "given_on")),
        sorted(MrtSession.objects.values_list("location__slug", "date")),
        sorted(ReviewNote.objects.values_list("case__external_id", "flagged", "reviewed_on")),
        sorted(TimelineEvent.objects.values_list("case__external_id", "type", "occurred_on")),
    )


@override_settings(DEBUG=True)
def test_demo_meetings_minutes_escalations_and_reviews():
    call_command("seed_demo", "--cases", "6", "--password", "pw-demo")
    today = timezone.localdate()
    statuses = set(Meeting.objects.values_list("status", flat=True))
    assert statuses == {MeetingStatus.MINUTES_FINAL, MeetingStatus.HELD, MeetingStatus.PUBLISHED, MeetingStatus.DRAFT}
    assert Meeting.objects.filter(date__lt=today).exists() and Meeting.objects.filter(date__gt=today).exists()
    assert ItemOutcome.objects.filter(decision="scenario").exists()
    assert Action.objects.filter(done_on__isnull=True, due_on__lt=today).exists()  # open and overdue
    assert Action.objects.filter(done_on__isnull=False).exists()
    assert Escalation.objects.filter(advice__isnull=False).exists()
    assert Escalation.objects.filter(advice__isnull=True).exists()
    assert Advice.objects.filter(no_durable_solution_possible=True).exists()
    assert ReviewNote.objects.filter(flagged=True).exists()
    assert not TimelineEvent.objects.filter(occurred_on__gt=today).exists()
    assert tasks.recompute_cases() == 0
    # The work queues have something to show.
    assert selectors.open_actions_for(User.objects.get(username="dtv.amsterdam")).exists()
    upcoming = Meeting.objects.filter(location__slug="amsterdam", status=MeetingStatus.PUBLISHED).get()
    assert upcoming.items.exists() and upcoming.items.filter(notes__isnull=False).exists()

    first = snapshot()
    call_command("seed_demo", "--cases", "6", "--password", "pw-demo")
    assert snapshot() == first
