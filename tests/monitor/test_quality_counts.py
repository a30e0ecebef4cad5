"""The data-quality counts, set-based (``quality.counts``), equal the per-case conditions
(``quality.conditions``, which the panel's list of cases uses) on a history with every
finding and its near misses, and on generated histories; in one query."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.db.models import Count
from hypothesis import given
from hypothesis import strategies as st

from cases import services
from cases.models import Case, CooperationCheck, Deadline, DeadlineKind, EventType, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND
from monitor import quality
from mrt.models import Advice, Escalation
from tests.factories import CaseFactory, PersonFactory
from tests.monitor.builders import DAY, build
from tests.monitor.test_properties import PROPERTY_SETTINGS, build_all, case_spec

pytestmark = pytest.mark.django_db

KW = {"acting_user": SYSTEM, "origin": COMMAND}
TODAY = datetime.date(2021, 3, 15)


def per_case_counts(locations, today) -> dict:
    """The counts as the panel counted them before: a condition per case, with subqueries
    that refer to the case, in one aggregate per LVV."""
    slug_of = {location.pk: location.slug for location in locations}
    result = {"locations": {slug: dict.fromkeys(quality.CHECKS, 0) for slug in slug_of.values()}}
    result["total"] = dict.fromkeys(quality.CHECKS, 0)
    found = quality.conditions(today)
    rows = (
        Case.objects.filter(location__in=list(slug_of))
        .values("location")
        .annotate(**{check: Count("pk", filter=condition) for check, condition in found.items()})
        .order_by()
    )
    for row in rows:
        for check in quality.CHECKS:
            result["locations"][slug_of[row["location"]]][check] = row[check]
            result["total"][check] += row[check]
    return result


def _deadline(case, *, due, paused=False, resolved=False):
    Deadline.objects.create(
        case=case,
        kind=DeadlineKind.MAX_STAY,
        base_due_on=due,
        due_on=due,
        paused_since=due - DAY if paused else None,
        resolved_on=due if resolved else None,
    )


def _history(ams, rot):
    """Every finding at TODAY, and beside each one a case that just misses it."""
    t = TODAY
    # Shelter without an admission decision (imported), and with one.
    no_admission = build(ams, sheltered=t - 20 * DAY, case_types=["family"])
    Case.objects.filter(pk=no_admission.pk).update(decided_on=None)
    build(rot, sheltered=t - 20 * DAY, case_types=["family"])
    # Durable outflow: unconfirmed after 30 days, unconfirmed but recent, confirmed, not durable.
    build(ams, sheltered=t - 90 * DAY, case_types=["family"], outflow=(t - 30 * DAY, "residence_granted"))
    build(ams, sheltered=t - 90 * DAY, case_types=["family"], outflow=(t - 29 * DAY, "departure_origin"))
    build(rot, sheltered=t - 90 * DAY, case_types=["family"], outflow=(t - 60 * DAY, "onward_migration"), confirmed=t)
    build(rot, sheltered=t - 90 * DAY, case_types=["family"], outflow=(t - 60 * DAY, "back_to_bbb"))
    # Maximum stay: passed; paused; resolved; due today (not yet passed).
    for due, kwargs in [(t - DAY, {}), (t - DAY, {"paused": True}), (t - DAY, {"resolved": True}), (t, {})]:
        _deadline(build(ams, sheltered=t - 200 * DAY, case_types=["safe_country"]), due=due, **kwargs)
    # Scenarios and the dossier: after both parts; on the day of the last; before the DT&V
    # part; a later scenario after an early one; then one without any dossier.
    for location, scenarios in [
        (ams, [(t - 30 * DAY, "departure")]),
        (ams, [(t - 40 * DAY, "departure")]),
        (rot, [(t - 45 * DAY, "residence")]),
        (ams, [(t - 55 * DAY, "residence"), (t - 20 * DAY, "departure")]),
    ]:
        build(
            location,
            sheltered=t - 60 * DAY,
            case_types=["family"],
            dossier=(t - 50 * DAY, t - 40 * DAY),
            scenarios=scenarios,
        )
    build(rot, sheltered=t - 60 * DAY, case_types=["family"], scenarios=[(t - 45 * DAY, "residence")])
    # No case type: sheltered (a finding), waiting (none).
    build(ams, sheltered=t - 3 * DAY)
    build(rot, waitlisted=t - 3 * DAY, case_types=[])
    # The waiting list: a place before someone who waited longer, with and without a reason;
    # someone waitlisted the same day (not longer); someone who left the list before.
    first = services.admit(
        **KW, case=CaseFactory(location=rot, registered_on=t - 90 * DAY), on=t - 60 * DAY, require_check=False
    )
    later = services.admit(
        **KW, case=CaseFactory(location=rot, registered_on=t - 90 * DAY), on=t - 50 * DAY, require_check=False
    )
    services.start_shelter(**KW, case=later, on=t - 40 * DAY, enforce_capacity=False)
    reason = services.admit(
        **KW, case=CaseFactory(location=rot, registered_on=t - 90 * DAY), on=t - 45 * DAY, require_check=False
    )
    services.start_shelter(**KW, case=reason, on=t - 40 * DAY, skip_reason="Acuut medisch")
    same_day = services.admit(
        **KW, case=CaseFactory(location=rot, registered_on=t - 90 * DAY), on=t - 60 * DAY, require_check=False
    )
    services.start_shelter(**KW, case=same_day, on=t - 41 * DAY, enforce_capacity=False)
    gone = services.admit(
        **KW, case=CaseFactory(location=ams, registered_on=t - 90 * DAY), on=t - 70 * DAY, require_check=False
    )
    services.record_outflow(**KW, case=gone, category="unknown_destination", on=t - 65 * DAY, enforce_procedure=False)
    after_gone = services.admit(
        **KW, case=CaseFactory(location=ams, registered_on=t - 90 * DAY), on=t - 64 * DAY, require_check=False
    )
    services.start_shelter(**KW, case=after_gone, on=t - 60 * DAY, enforce_capacity=False)
    assert first.waitlisted_on and later.waitlisted_on
    waiting = {"passed": later, "with_reason": reason, "same_day": same_day, "after_gone": after_gone}
    # Forced termination: without a check; with an insufficient check before; with a check
    # only after; with an LSO decision.
    for setup in ("none", "check_before", "check_after", "lso"):
        case = build(ams, sheltered=t - 100 * DAY, case_types=["family"])
        if setup in ("check_before", "check_after"):
            on = t - 30 * DAY if setup == "check_before" else t - 5 * DAY
            CooperationCheck.objects.create(case=case, checked_on=on, result="insufficient")
        if setup == "lso":
            TimelineEvent.objects.create(
                case=case, type=EventType.LSO_DISCUSSED, occurred_on=t - 20 * DAY, data={"decision": "terminate"}
            )
        services.record_outflow(
            **KW, case=case, category="forced_termination", on=t - 10 * DAY, enforce_procedure=False
        )
    # Admitted and waiting: longer than the signal period, and not yet.
    services.admit(
        **KW, case=CaseFactory(location=ams, registered_on=t - 90 * DAY), on=t - 31 * DAY, require_check=False
    )
    services.admit(
        **KW, case=CaseFactory(location=ams, registered_on=t - 90 * DAY), on=t - 30 * DAY, require_check=False
    )
    # Two places at once (imported), and two stays one after the other.
    person = PersonFactory()
    build(rot, person=person, sheltered=t - 80 * DAY, case_types=["family"])
    double = CaseFactory(location=ams, person=person, registered_on=t - 70 * DAY)
    Case.objects.filter(pk=double.pk).update(
        state="sheltered", decided_on=t - 60 * DAY, shelter_started_on=t - 60 * DAY
    )
    other = PersonFactory()
    build(rot, person=other, sheltered=t - 80 * DAY, case_types=["family"], outflow=(t - 50 * DAY, "back_to_bbb"))
    build(ams, person=other, sheltered=t - 49 * DAY, case_types=["family"])
    # An MRT discussion: bare; imported; bare with an advice behind it.
    for setup in ("bare", "imported", "advice"):
        case = build(rot, sheltered=t - 40 * DAY, case_types=["family"])
        services.record_mrt_discussion(**KW, case=case, on=t - 5 * DAY, imported=setup == "imported")
        if setup == "advice":
            escalation = Escalation.objects.create(
                case=case, reason="other", question="?", escalated_on=t - 9 * DAY, advice_due_on=t
            )
            Advice.objects.create(
                escalation=escalation, reasoning="-", no_durable_solution_possible=True, given_on=t - 5 * DAY, due_on=t
            )
    return waiting


def test_the_counts_equal_the_per_case_conditions_on_a_history_with_every_finding(world, django_assert_num_queries):
    ams, rot = world.ams.location, world.rot.location
    waiting = _history(ams, rot)
    locations = [ams, rot]
    with django_assert_num_queries(1):
        counts = quality.counts(locations, TODAY)
    assert counts == per_case_counts(locations, TODAY)
    total = counts["total"]
    assert all(total[check] >= 1 for check in quality.CHECKS), total
    assert total["sheltered_without_admission"] == 1
    assert total["outflow_unconfirmed"] == 1
    assert total["over_max_stay"] == 1
    assert total["scenario_without_dossier"] == 3
    assert total["forced_without_check"] == 2
    assert total["two_places"] == 2
    assert total["mrt_without_record"] == 1
    breaches = set(quality.finding_sets(TODAY, [ams.pk, rot.pk])["waiting_order_breach"].values_list("pk", flat=True))
    assert waiting["passed"].pk in breaches
    assert not breaches & {waiting[key].pk for key in ("with_reason", "same_day", "after_gone")}
    # On other days: the same whatever "today" is.
    for today in (TODAY - 45 * DAY, TODAY + 400 * DAY):
        assert quality.counts(locations, today) == per_case_counts(locations, today)


@PROPERTY_SETTINGS
@given(specs=st.lists(case_spec, min_size=2, max_size=6), offset=st.integers(0, 200))
def test_the_counts_equal_the_per_case_conditions_on_generated_histories(locations, specs, offset):
    today = datetime.date(2020, 1, 6) + datetime.timedelta(days=offset)
    with transaction.atomic():
        build_all(specs, locations)
        assert quality.counts(locations, today) == per_case_counts(locations, today)
        transaction.set_rollback(True)
