"""The IND's inbox "Aanvragen wachtend op een besluit" (procedures.inboxes): a case enters
when an application of an IND kind is recorded, leaves when the IND records the decision;
the IND of the case's LVV is told once; appeals and other procedures never come in."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from cases import inboxes
from cases.models import Notification
from lvv.accounts.models import Role
from tests.procedures.helpers import decide, sheltered, submit, today

pytestmark = pytest.mark.django_db


def items(user) -> list[int]:
    return list(inboxes.get_for_user(user, "ind_decision").items(user).values_list("pk", flat=True))


def test_the_inbox_fills_with_ind_kinds_and_empties_with_the_decision(world, django_capture_on_commit_callbacks):
    case = sheltered(world.ams.assigned)
    worker, ind = world.ams.users[Role.CASEMANAGER], world.ams.users[Role.IND]
    assert inboxes.get_for_user(ind, "ind_decision").title
    with django_capture_on_commit_callbacks(execute=True):
        submit(worker, case, "appeal")
    assert items(ind) == [] and not Notification.objects.filter(inbox="ind_decision").exists()
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(worker, case, "no_fault", on=today() - datetime.timedelta(days=10))
    assert items(ind) == [case.pk]
    assert inboxes.counts(ind)["ind_decision"] == 1
    row = inboxes.get_for_user(ind, "ind_decision").items(ind).get()
    assert row.inbox_since == application.submitted_on
    assert row.inbox_due == application.submitted_on + datetime.timedelta(days=180)
    box = inboxes.get("ind_decision")
    assert box.what(row) == "buitenschuldvergunning"
    assert box.link(row) == reverse("procedures:application", args=[case.pk, application.pk]) + "#decision"
    # The IND officer of this LVV is told once; not the case worker who acted, not another LVV.
    told = Notification.objects.filter(inbox="ind_decision")
    assert list(told.values_list("user", flat=True)) == [ind.pk]
    # Other users have no such inbox; the IND of another LVV does not see the case.
    with pytest.raises(inboxes.InboxNotFound):
        inboxes.get_for_user(worker, "ind_decision")
    assert items(world.rot.users[Role.IND]) == []

    decide(ind, application, "rejected")
    assert items(ind) == []


@override_settings(LVV_DECISION_DUE_DAYS=30)
def test_the_due_date_follows_the_setting(world):
    case = sheltered(world.ams.assigned)
    application = submit(world.ams.users[Role.CASEMANAGER], case, "regular")
    ind = world.ams.users[Role.IND]
    row = inboxes.get_for_user(ind, "ind_decision").items(ind).get()
    assert row.inbox_due == application.submitted_on + datetime.timedelta(days=30)
