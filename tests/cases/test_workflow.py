"""The transition table through the services: every allowed step from every source state,
and every forbidden step from every state (a clear Dutch message, nothing changes)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases import services, workflow
from cases.models import Case, TimelineEvent
from cases.workflow import STEPS, State
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory, LocationFactory

pytestmark = pytest.mark.django_db

D0 = datetime.date(2024, 3, 4)


def kw(case, **extra):
    return {"acting_user": SYSTEM, "origin": COMMAND, "case": case, **extra}


def case_in(state: str) -> Case:
    """A case brought to ``state`` through the services."""
    case = CaseFactory(location=LocationFactory(slug=f"wf-{state}"), registered_on=D0)
    if state == State.REGISTERED:
        return case
    if state == State.REJECTED:
        return services.reject(**kw(case), reason="Dublinclaimant", on=D0)
    if state == State.WAITLISTED:
        return services.waitlist(**kw(case), on=D0, enforce_capacity=False)
    case = services.admit(**kw(case), on=D0, require_check=False, waitlist_when_full=False)
    if state == State.ADMITTED:
        return case
    case = services.start_shelter(**kw(case), on=D0)
    if state == State.SHELTERED:
        return case
    return services.record_outflow(**kw(case), category="residence_granted", on=D0 + datetime.timedelta(days=30))


def prepare(step: str, case: Case) -> Case:
    """Preconditions a step needs besides the state (an open or paused deadline)."""
    if step in ("pause_deadline", "resume_deadline"):
        case = services.set_scenario(**kw(case), direction="departure", on=D0)
    if step == "resume_deadline":
        case = services.pause_deadline(**kw(case), kind="scenario_review", reason="ziekenhuisopname", on=D0)
    return case


def take(step: str, case: Case) -> Case:
    day = D0 + datetime.timedelta(days=35)
    calls = {
        "record_admission_check": lambda: services.record_admission_check(**kw(case), on=D0, regional_ties=True),
        "admit": lambda: services.admit(**kw(case), on=D0, require_check=False),
        "reject": lambda: services.reject(**kw(case), reason="EU-burger", on=D0),
        "waitlist": lambda: services.waitlist(**kw(case), on=D0, enforce_capacity=False),
        "start_shelter": lambda: services.start_shelter(**kw(case), on=D0 + datetime.timedelta(days=1)),
        "request_dossier": lambda: services.request_dossier(**kw(case), on=D0),
        "deliver_dossier_ind": lambda: services.deliver_dossier_part(**kw(case), kind="IND", on=D0),
        "deliver_dossier_dtv": lambda: services.deliver_dossier_part(**kw(case), kind="DTV", on=D0),
        "set_scenario": lambda: services.set_scenario(**kw(case), direction="residence", route="medical", on=D0),
        "record_cooperation_check": lambda: services.record_cooperation_check(**kw(case), result="sufficient", on=day),
        "record_mrt_discussion": lambda: services.record_mrt_discussion(**kw(case), on=D0),
        "set_case_types": lambda: services.set_case_types(
            **kw(case), case_types=["medical"], prior_departure_procedures=2
        ),
        "pause_deadline": lambda: services.pause_deadline(
            **kw(case), kind="scenario_review", reason="ziekenhuisopname", on=D0
        ),
        "resume_deadline": lambda: services.resume_deadline(**kw(case), kind="scenario_review", on=day),
        "record_outflow": lambda: services.record_outflow(
            **kw(case), category="departure_origin", country="ER", on=day
        ),
        "confirm_outflow": lambda: services.confirm_outflow(**kw(case), on=day + datetime.timedelta(days=1)),
        "dispute_outflow": lambda: services.dispute_outflow(**kw(case), reason="Niet vertrokken.", on=day),
        "correct_outflow": lambda: services.correct_outflow(
            **kw(case), reason="Tikfout", category="departure_origin", country="ER"
        ),
    }
    assert set(calls) == set(STEPS), "every step in the table has a test call"
    return calls[step]()


ALLOWED = [(step.name, source) for step in STEPS.values() for source in step.sources]
FORBIDDEN = [(step.name, state) for step in STEPS.values() for state in State.values if state not in step.sources]


@pytest.mark.parametrize(("step", "source"), ALLOWED)
def test_allowed_step(step, source):
    case = prepare(step, case_in(source))
    version, events = case.version, case.timeline.count()
    case = take(step, case)
    expected = STEPS[step].target or source
    if step == "admit":
        expected = State.ADMITTED  # capacity is free here
    assert case.state == expected
    assert case.version == version + 1
    assert case.timeline.count() > events


@pytest.mark.parametrize(("step", "state"), FORBIDDEN)
def test_forbidden_step_changes_nothing(step, state):
    case = case_in(state)
    before = (case.version, case.state, TimelineEvent.objects.filter(case=case).count())
    with pytest.raises(workflow.StepNotAllowed) as exc:
        take(step, case)
    assert str(STEPS[step].label) in str(exc.value)
    assert str(State(state).label) in str(exc.value)
    case.refresh_from_db()
    assert (case.version, case.state, TimelineEvent.objects.filter(case=case).count()) == before


def test_the_table_reaches_every_state():
    reachable = {State.REGISTERED} | {s.target for s in STEPS.values() if s.target}
    assert reachable == set(State.values)


def test_terminal_states_allow_only_record_keeping():
    for state in (State.REJECTED, State.CLOSED):
        names = {s.name for s in STEPS.values() if state in s.sources}
        assert names <= {"set_case_types", "confirm_outflow", "dispute_outflow", "correct_outflow"}


# --- who may take a step -------------------------------------------------------------------


def as_user(user, case, **extra):
    return {"acting_user": user, "origin": COMMAND, "case": case, **extra}


@pytest.mark.parametrize("role", [Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR])
def test_only_case_workers_admit(world, role):
    with pytest.raises(PermissionDenied):
        services.admit(**as_user(world.ams.users[role], world.ams.assigned), require_check=False)


def test_dossier_parts_are_delivered_by_their_own_partner(world):
    case = services.admit(**as_user(world.ams.users[Role.CASEMANAGER], world.ams.assigned), require_check=False)
    ind, dtv = world.ams.users[Role.IND], world.ams.users[Role.DTV]
    with pytest.raises(PermissionDenied):
        services.deliver_dossier_part(**as_user(ind, case), kind="DTV")
    with pytest.raises(PermissionDenied):
        services.deliver_dossier_part(**as_user(dtv, case), kind="IND")
    case = services.deliver_dossier_part(**as_user(ind, case), kind="IND")
    case = services.deliver_dossier_part(**as_user(dtv, case), kind="DTV")
    assert case.dossier_parts.filter(delivered_on__isnull=False).count() == 2


@pytest.mark.parametrize("who", ["rot.casemanager", "ams.ngo_b", "bureau"])
def test_hidden_cases_are_not_found(world, who):
    user = world.bureau if who == "bureau" else getattr(world, who.split(".")[0]).users[who.split(".")[1]]
    with pytest.raises(services.NotVisibleError):
        services.admit(**as_user(user, world.ams.assigned), require_check=False)


def test_outflow_is_confirmed_by_the_right_chain_partner(world):
    cm = world.ams.users[Role.CASEMANAGER]
    case = services.admit(**as_user(cm, world.ams.assigned), require_check=False)
    case = services.record_outflow(**as_user(cm, case), category="departure_origin", country="ER")
    with pytest.raises(PermissionDenied):
        services.confirm_outflow(**as_user(world.ams.users[Role.IND], case))
    case = services.confirm_outflow(**as_user(world.ams.users[Role.DTV], case))
    assert case.outflow.confirmed_by == world.ams.users[Role.DTV]


def test_admission_needs_the_check_or_an_exception_with_reason(world):
    cm = world.ams.users[Role.CASEMANAGER]
    case = world.ams.assigned
    with pytest.raises(ValidationError) as exc:
        services.admit(**as_user(cm, case))
    assert str(services.ADMISSION_CHECK_MISSING) in str(exc.value)
    case = services.record_admission_check(**as_user(cm, case), dublin_claimant=True, regional_ties=True)
    with pytest.raises(ValidationError) as exc:
        services.admit(**as_user(cm, case))
    assert "Dublinclaimant" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.admit(**as_user(cm, case), exception="humanitarian")
    assert str(services.EXCEPTION_REASON_REQUIRED) in str(exc.value)
    case = services.admit(**as_user(cm, case), exception="humanitarian", exception_reason="ernstig ziek")
    assert (case.state, case.within_covenant, case.exception_ground) == (State.ADMITTED, False, "humanitarian")


def test_local_rules_of_the_lvv_count(world):
    cm = world.ams.users[Role.CASEMANAGER]
    location = world.ams.location
    location.requires_shown_willingness = True
    location.save()
    case = services.record_admission_check(**as_user(cm, world.ams.assigned), regional_ties=True)
    with pytest.raises(ValidationError) as exc:
        services.admit(**as_user(cm, case))
    assert "bereidheid" in str(exc.value)
    case = services.record_admission_check(
        **as_user(cm, case), regional_ties=True, shown_willingness=True, expected_version=case.version
    )
    assert services.admit(**as_user(cm, case)).state == State.ADMITTED


def test_scenario_history_is_kept(world):
    cm = world.ams.users[Role.CASEMANAGER]
    case = services.admit(**as_user(cm, world.ams.assigned), require_check=False, on=D0)
    case = services.set_scenario(**as_user(cm, case), direction="departure", route="return_to_origin", on=D0)
    case = services.set_scenario(
        **as_user(cm, case), direction="residence", route="no_fault_permit", on=D0 + datetime.timedelta(days=20)
    )
    assert list(case.scenarios.values_list("direction", flat=True)) == ["residence", "departure"]
    assert case.current_scenario.route == "no_fault_permit"
    with pytest.raises(ValidationError):
        services.set_scenario(**as_user(cm, case), direction="residence", route="return_to_origin")


def test_dates_in_the_future_or_before_the_previous_step_are_refused(world):
    cm = world.ams.users[Role.CASEMANAGER]
    with pytest.raises(ValidationError) as exc:
        services.admit(
            **as_user(cm, world.ams.assigned),
            require_check=False,
            on=datetime.date.today() + datetime.timedelta(days=1),
        )
    assert str(services.DATE_IN_FUTURE) in str(exc.value)
    with pytest.raises(ValidationError):
        services.admit(**as_user(cm, world.ams.assigned), require_check=False, on=datetime.date(2000, 1, 1))


def test_stale_version_is_refused_before_anything_changes(world):
    cm = world.ams.users[Role.CASEMANAGER]
    case = services.admit(**as_user(cm, world.ams.assigned), require_check=False)
    with pytest.raises(services.StaleVersionError):
        services.start_shelter(**as_user(cm, case), expected_version=case.version - 1)
    case.refresh_from_db()
    assert case.state == State.ADMITTED


def test_deferred_deadlines_give_the_same_result_as_step_by_step():
    def history(case):
        case = services.admit(**kw(case), on=D0, require_check=False)
        case = services.start_shelter(**kw(case), on=D0)
        case = services.request_dossier(**kw(case), on=D0)
        case = services.deliver_dossier_part(**kw(case), kind="IND", on=D0 + datetime.timedelta(days=3))
        case = services.deliver_dossier_part(**kw(case), kind="DTV", on=D0 + datetime.timedelta(days=9))
        return services.record_cooperation_check(**kw(case), result="insufficient", on=D0 + datetime.timedelta(days=20))

    location = LocationFactory(slug="deferred")
    by_step = history(CaseFactory(location=location, registered_on=D0))
    with services.history_batch():
        batched = history(CaseFactory(location=location, registered_on=D0))
        assert not batched.deadlines.exists()  # nothing yet inside the batch

    def rows(case):
        # Open deadlines are the same; a batch never creates the rows that by-step work
        # creates and resolves again on the way (dossier delivery, here).
        return sorted(case.deadlines.filter(resolved_on__isnull=True).values_list("kind", "base_due_on", "due_on"))

    assert rows(batched) == rows(by_step)
    assert rows(by_step)
