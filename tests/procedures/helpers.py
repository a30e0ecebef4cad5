"""Shared by the procedures tests: cases at the right stage and the steps done through the
services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases.models import Case
from lvv.audit.log import COMMAND
from procedures import services
from tests.factories import advance_case
from tests.users import with_special

DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def sheltered(case: Case) -> Case:
    """The case admitted and in shelter (its registration date, 2020-01-06)."""
    advance_case(case, "sheltered")
    case.refresh_from_db()
    return case


def submit(user, case, kind="regular", on=None, **kwargs):
    return services.submit_application(
        acting_user=user, origin=COMMAND, case=case, kind=kind, submitted_on=on or today() - 30 * DAY, **kwargs
    )


def decide(user, application, outcome="granted", on=None, **kwargs):
    return services.decide_application(
        acting_user=user, origin=COMMAND, application=application, outcome=outcome, decided_on=on or today(), **kwargs
    )


def step(user, case, kind="identity_established", on=None, **kwargs):
    return services.record_departure_step(
        acting_user=user, origin=COMMAND, case=case, kind=kind, on=on or today() - 10 * DAY, **kwargs
    )


def plan(user, case, planned_on=None, made_on=None, support="iom", **kwargs):
    return services.plan_departure(
        acting_user=user,
        origin=COMMAND,
        case=case,
        made_on=made_on or today() - 5 * DAY,
        planned_on=planned_on or today() + 14 * DAY,
        support=support,
        **kwargs,
    )


def special_everywhere(lvv) -> None:
    """Every user of the LVV may see special-category data (for tests of the other rules)."""
    for role, user in list(lvv.users.items()):
        lvv.users[role] = with_special(user)
