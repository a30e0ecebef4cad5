"""Procedures and departure preparation through the services: each application kind and
outcome, recorded by the partner whose work it is; refusals that write nothing; the
timeline events and the access-log rows; re-planning that keeps the history."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases import extensions
from cases import services as case_services
from cases.models import EventType, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from procedures import services
from procedures.models import IND_KINDS, Application, ApplicationKind, DeparturePlan, DepartureStep
from tests.factories import CaseFactory
from tests.procedures.helpers import (
    DAY,
    decide,
    plan,
    special_everywhere,
    step,
    submit,
    today,
)
from tests.users import OUTSIDERS, outsiders

pytestmark = pytest.mark.django_db

KINDS = [kind.value for kind in ApplicationKind]
OUTCOMES = ["granted", "rejected", "withdrawn"]


def nothing_written() -> bool:
    return not (
        Application.objects.exists()
        or DepartureStep.objects.exists()
        or DeparturePlan.objects.exists()
        or TimelineEvent.objects.filter(
            type__in=[
                EventType.APPLICATION_SUBMITTED,
                EventType.APPLICATION_DECIDED,
                EventType.DEPARTURE_STEP,
                EventType.DEPARTURE_PLANNED,
            ]
        ).exists()
    )


def decider(world, kind):
    """The partner whose work the decision is: the IND its kinds, the case worker the rest."""
    return world.ams.users[Role.IND if kind in IND_KINDS else Role.CASEMANAGER]


# --- Applications ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_kind_and_outcome_recorded_by_whose_work_it_is(world, case, kind, outcome):
    special_everywhere(world.ams)
    worker = world.ams.users[Role.CASEMANAGER]
    application = submit(worker, case, kind, on=today() - 20 * DAY, submitted_by="lawyer", notes="Via de advocaat.")
    assert application.is_pending and application.version == 1
    assert (application.recorded_by, application.recorded_by_organisation) == (worker, worker.organisation)
    who = decider(world, kind)
    decided = decide(who, application, outcome, on=today() - DAY, expected_version=1)
    decided.refresh_from_db()
    assert (decided.decided_on, decided.outcome, decided.decided_by, decided.version) == (
        today() - DAY,
        outcome,
        who,
        2,
    )
    events = list(TimelineEvent.objects.filter(case=case, type__startswith="application_").order_by("id"))
    assert [(e.type, e.occurred_on, e.actor) for e in events] == [
        (EventType.APPLICATION_SUBMITTED, today() - 20 * DAY, worker),
        (EventType.APPLICATION_DECIDED, today() - DAY, who),
    ]
    mark = {"confidentiality": "special"} if kind == "medical_art64" else {}  # health: special-category data
    assert events[0].data == {"application": application.pk, "kind": kind, "submitted_by": "lawyer", **mark}
    assert events[1].data == {"application": application.pk, "kind": kind, "outcome": outcome, **mark}
    assert "Via de advocaat." not in str([e.summary for e in events])  # the notes stay in the record
    rows = AccessLogEntry.objects.filter(object_type="procedures.application").order_by("id")
    assert [(r.action, r.actor, r.about_case) for r in rows] == [("create", worker, case.pk), ("update", who, case.pk)]
    # The words of the timeline (cases.extensions).
    assert extensions.event_details(events[1]) == f"{ApplicationKind(kind).label}; {decided.get_outcome_display()}"


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.NGO, Role.IND])
def test_the_case_worker_the_assigned_ngo_and_the_ind_record_an_application(world, case, role):
    submit(world.ams.users[role], case, "regular")
    assert Application.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("role", [Role.LSO_CHAIR, Role.DTV])
def test_others_who_see_the_case_may_not_record_an_application(world, case, role):
    with pytest.raises(PermissionDenied) as refused:
        submit(world.ams.users[role], case, "regular")
    assert str(refused.value) == str(services.NOT_ALLOWED_SUBMIT)
    assert nothing_written()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_user_who_may_not_see_the_case_writes_nothing(world, case, who):
    user = outsiders(world)[who]
    with pytest.raises(services.NotVisibleError):
        submit(user, case)
    with pytest.raises(services.NotVisibleError):
        step(user, case)
    with pytest.raises(services.NotVisibleError):
        plan(user, case)
    assert nothing_written()
    application = submit(world.ams.users[Role.CASEMANAGER], case, "appeal")
    with pytest.raises(services.NotVisibleError):
        decide(user, application)
    application.refresh_from_db()
    assert application.is_pending


@pytest.mark.parametrize("kind", KINDS)
def test_only_the_partner_whose_work_it_is_decides(world, case, kind):
    special_everywhere(world.ams)
    application = submit(world.ams.users[Role.CASEMANAGER], case, kind)
    roles = (Role.CASEMANAGER, Role.IND, Role.DTV, Role.NGO, Role.LSO_CHAIR)
    others = [r for r in roles if world.ams.users[r] != decider(world, kind)]
    for role in others:
        with pytest.raises(PermissionDenied) as refused:
            decide(world.ams.users[role], application)
        expected = services.NOT_ALLOWED_DECIDE_IND if kind in IND_KINDS else services.NOT_ALLOWED_DECIDE_CASEWORKER
        assert str(refused.value) == str(expected)
    application.refresh_from_db()
    assert application.is_pending and not TimelineEvent.objects.filter(type=EventType.APPLICATION_DECIDED).exists()


def test_a_case_worker_of_another_municipality_decides_nothing_here(world, case):
    application = submit(world.ams.users[Role.CASEMANAGER], case, "appeal")
    with pytest.raises(services.NotVisibleError):
        decide(world.rot.users[Role.CASEMANAGER], application)


def test_an_application_is_decided_once_and_a_stale_version_is_refused(world, case):
    ind = world.ams.users[Role.IND]
    application = submit(world.ams.users[Role.CASEMANAGER], case, "no_fault")
    with pytest.raises(services.StaleVersionError):
        decide(ind, application, expected_version=2)
    decide(ind, application, "rejected", expected_version=1)
    with pytest.raises(services.StaleVersionError):
        decide(ind, application, "granted", expected_version=1)
    with pytest.raises(ValidationError) as again:
        decide(ind, application, "granted")
    assert again.value.messages == [str(services.ALREADY_DECIDED)]
    application.refresh_from_db()
    assert application.outcome == "rejected"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "asylum"}, "kind", services.INVALID_CHOICE),
        ({"kind": ""}, "kind", services.REQUIRED),
        ({"submitted_by": "neighbour"}, "submitted_by", services.INVALID_CHOICE),
        ({"submitted_on": "tomorrow"}, "submitted_on", services.NOT_A_DATE),
        ({"notes": "x" * 5001}, "notes", None),
        ({"notes": "a\x00b"}, "notes", None),
    ],
)
def test_submission_field_errors_write_nothing(world, case, fields, field, message):
    arguments = {"kind": "regular", "submitted_on": today(), **fields}
    with pytest.raises(ValidationError) as invalid:
        services.submit_application(
            acting_user=world.ams.users[Role.CASEMANAGER], origin=COMMAND, case=case, **arguments
        )
    assert field in invalid.value.message_dict
    if message is not None:
        assert invalid.value.message_dict[field] == [str(message)]
    assert nothing_written()


def test_dates_in_the_future_or_before_the_admission_are_refused(world, case):
    worker = world.ams.users[Role.CASEMANAGER]
    with pytest.raises(ValidationError) as future:
        submit(worker, case, on=today() + DAY)
    assert future.value.message_dict == {"submitted_on": [str(services.DATE_IN_FUTURE)]}
    with pytest.raises(ValidationError) as early:
        submit(worker, case, on=case.decided_on - DAY)
    assert list(early.value.message_dict) == ["submitted_on"]
    application = submit(worker, case, "regular", on=today() - 5 * DAY)
    with pytest.raises(ValidationError) as before:
        decide(world.ams.users[Role.IND], application, on=today() - 6 * DAY)
    assert list(before.value.message_dict) == ["decided_on"]
    with pytest.raises(ValidationError) as invalid:
        decide(world.ams.users[Role.IND], application, outcome="partly")
    assert invalid.value.message_dict == {"outcome": [str(services.INVALID_CHOICE)]}
    assert Application.objects.get().is_pending


def test_an_application_needs_an_admitted_open_case_and_is_decided_after_the_outflow_too(world):
    worker, ind = world.ams.users[Role.CASEMANAGER], world.ams.users[Role.IND]
    registered = world.ams.unassigned
    with pytest.raises(ValidationError) as refused:
        submit(worker, registered)
    assert refused.value.messages == [str(services.CASE_NOT_ADMITTED)]
    case = CaseFactory(location=world.ams.location, sheltered=True)
    application = submit(worker, case, "asylum_repeat", on=today() - 5 * DAY)
    case_services.record_outflow(
        acting_user=SYSTEM, origin=COMMAND, case=case, category="asylum_centre", on=today() - 2 * DAY
    )
    with pytest.raises(ValidationError):
        submit(worker, case)
    # The IND's decision comes when it comes: also after the person left for an asylum centre.
    decide(ind, application, "granted")
    assert Application.objects.get(pk=application.pk).outcome == "granted"


# --- Departure preparation --------------------------------------------------------------------


def test_the_dtv_records_departure_steps_also_for_the_iom(world, case):
    dtv = world.ams.users[Role.DTV]
    first = step(dtv, case, "identity_established", details="Met een paspoort.")
    second = step(dtv, case, "travel_document_requested", partner="iom")
    assert (first.partner, first.recorded_by, first.organisation) == ("dtv", dtv, dtv.organisation)
    assert second.partner == "iom" and second.recorded_by == dtv
    events = TimelineEvent.objects.filter(case=case, type=EventType.DEPARTURE_STEP).order_by("id")
    assert [e.data for e in events] == [
        {"step": first.pk, "kind": "identity_established", "partner": "dtv"},
        {"step": second.pk, "kind": "travel_document_requested", "partner": "iom"},
    ]
    assert extensions.event_details(events[1]) == "reisdocument aangevraagd; met de IOM"
    assert AccessLogEntry.objects.filter(object_type="procedures.departurestep", action="create").count() == 2


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.IND, Role.NGO, Role.LSO_CHAIR])
def test_departure_steps_and_plans_only_by_the_dtv(world, case, role):
    user = world.ams.users[role]
    with pytest.raises(PermissionDenied) as refused:
        step(user, case)
    assert str(refused.value) == str(services.NOT_ALLOWED_DEPARTURE)
    with pytest.raises(PermissionDenied):
        plan(user, case)
    assert nothing_written()


def test_the_dtv_of_another_lvv_records_nothing(world, case):
    with pytest.raises(services.NotVisibleError):
        step(world.rot.users[Role.DTV], case)
    assert nothing_written()


def test_re_planning_adds_a_row_and_keeps_the_history(world, case):
    dtv = world.ams.users[Role.DTV]
    first = plan(dtv, case, planned_on=today() + 7 * DAY, made_on=today() - 3 * DAY)
    assert services.current_plan(case) == first
    second = plan(dtv, case, planned_on=today() + 21 * DAY, made_on=today(), support="dtv", replaces=first.pk)
    assert list(DeparturePlan.objects.filter(case=case).order_by("id")) == [first, second]
    assert services.current_plan(case) == second
    assert services.current_plan(case, today() - DAY) == first
    events = TimelineEvent.objects.filter(case=case, type=EventType.DEPARTURE_PLANNED).order_by("id")
    assert [e.data["previous"] for e in events] == [None, (today() + 7 * DAY).isoformat()]
    # A re-planning based on a plan that is no longer the current one is stale.
    with pytest.raises(services.StaleVersionError):
        plan(dtv, case, replaces=first.pk)
    assert DeparturePlan.objects.count() == 2


def test_a_departure_date_before_the_planning_is_refused(world, case):
    with pytest.raises(ValidationError) as refused:
        plan(world.ams.users[Role.DTV], case, made_on=today(), planned_on=today() - DAY)
    assert list(refused.value.message_dict) == ["planned_on"]
    with pytest.raises(ValidationError) as late:
        plan(world.ams.users[Role.DTV], case, planned_on=datetime.date(2100, 1, 1))
    assert list(late.value.message_dict) == ["planned_on"]
    assert nothing_written()


def test_the_decision_is_due_after_the_configured_days(world, case, settings):
    application = submit(world.ams.users[Role.CASEMANAGER], case, "regular", on=today() - 10 * DAY)
    assert services.decision_due_on(application) == application.submitted_on + 180 * DAY
    settings.LVV_DECISION_DUE_DAYS = 7
    assert services.decision_due_on(application) == application.submitted_on + 7 * DAY
    decide(world.ams.users[Role.IND], application)
    application.refresh_from_db()
    assert services.decision_due_on(application) is None
