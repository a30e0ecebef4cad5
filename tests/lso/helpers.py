"""Helpers for the LSO and MRT tests: meetings and cases brought to a stage by the services."""

from __future__ import annotations

import datetime

from django.utils import timezone

from lso import services
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory

TIME = datetime.time(9, 30)


def today() -> datetime.date:
    return timezone.localdate()


def chair(lvv):
    return lvv.users[Role.LSO_CHAIR]


def meeting_for(lvv, *, date=None, place="Stadhuis, kamer 2", **kwargs):
    return services.create_meeting(
        acting_user=chair(lvv),
        origin=COMMAND,
        location=lvv.location,
        date=date or today(),
        start_time=TIME,
        place=place,
        **kwargs,
    )


def published(lvv, cases, *, date=None):
    """A published meeting of ``lvv`` with ``cases`` on its agenda (manual items)."""
    meeting = meeting_for(lvv, date=date)
    for case in cases:
        services.add_item(acting_user=chair(lvv), origin=COMMAND, meeting=meeting, case=case)
    meeting.refresh_from_db()
    return services.publish_meeting(acting_user=chair(lvv), origin=COMMAND, meeting=meeting, notify=False)


def discussed(lvv, case, decision, *, date=None, **outcome):
    """A published meeting of ``lvv`` that discussed ``case`` with the chair's ``decision``."""
    meeting = published(lvv, [case], date=date)
    chair_records(lvv, meeting.items.get(), decision, **outcome)
    return meeting


def chair_records(lvv, item, decision, **outcome):
    """The chair's minutes of ``item``: ``decision``, with the rest of ``outcome``."""
    return services.record_outcome(acting_user=chair(lvv), origin=COMMAND, item=item, decision=decision, **outcome)


def sheltered_case(lvv, **kwargs):
    return CaseFactory(location=lvv.location, assigned_ngo=lvv.ngo_a, sheltered=True, **kwargs)


def scenario_case(lvv, **kwargs):
    return CaseFactory(location=lvv.location, assigned_ngo=lvv.ngo_a, with_scenario=True, **kwargs)
