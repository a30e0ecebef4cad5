"""The conditions of the transition table (``workflow.STEPS``: roles, edit rights, guards)
through the services and the case page's list of steps (``selectors.available_steps``):
every guard allowed and refused with its own reason, and the table consistent with itself
and with the services (every state reachable, every state a service sets listed as its
step's target, a step offered exactly when its service takes it)."""

from __future__ import annotations

import ast
import datetime
import inspect
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm

from cases import selectors, services, workflow
from cases.models import Case, DeadlineKind
from cases.workflow import STEPS, State
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory, LocationFactory

pytestmark = pytest.mark.django_db

D0 = datetime.date(2024, 3, 4)
LATER = D0 + datetime.timedelta(days=40)


def system(case: Case, **extra) -> dict:
    return {"acting_user": SYSTEM, "origin": COMMAND, "case": case, **extra}


# --- Situations: a case brought to a stage through the services ----------------------------


def _admitted(case: Case) -> Case:
    return services.admit(**system(case), on=D0, require_check=False, waitlist_when_full=False)


def _sheltered(case: Case) -> Case:
    case = services.start_shelter(**system(_admitted(case)), on=D0, enforce_capacity=False)
    return services.request_dossier(**system(case), on=D0)


def _delivered_and_paused(case: Case) -> Case:
    case = services.deliver_dossier_part(**system(_sheltered(case)), kind="IND", on=D0)
    case = services.set_scenario(**system(case), direction="departure", route="return_to_origin", on=D0)
    return services.pause_deadline(**system(case), kind=DeadlineKind.SCENARIO_REVIEW, reason="Opname", on=D0)


def _closed(category: str) -> Callable[[Case], Case]:
    def close(case: Case) -> Case:
        country = "ER" if category == "departure_origin" else ""
        return services.record_outflow(**system(_sheltered(case)), category=category, country=country, on=D0)

    return close


def _dossier_delivered(case: Case) -> Case:
    case = services.deliver_dossier_part(**system(_sheltered(case)), kind="IND", on=D0)
    case = services.deliver_dossier_part(**system(case), kind="DTV", on=D0)
    return services.set_scenario(**system(case), direction="departure", route="return_to_origin", on=D0)


def _confirmed(case: Case) -> Case:
    return services.confirm_outflow(**system(_closed("departure_origin")(case)), on=D0)


def _disputed(case: Case) -> Case:
    return services.dispute_outflow(**system(_closed("departure_origin")(case)), reason="Niet vertrokken.", on=D0)


def _closed_without_outflow(case: Case) -> Case:
    """A closed case without its outflow record (no service makes one; written directly)."""
    case = _admitted(case)
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED)
    case.refresh_from_db()
    return case


SITUATIONS: dict[str, Callable[[Case], Case]] = {
    "registered": lambda case: case,
    "rejected": lambda case: services.reject(**system(case), reason="EU-burger", on=D0),
    "waitlisted": lambda case: services.waitlist(**system(case), on=D0, enforce_capacity=False),
    "admitted": _admitted,
    "sheltered, dossier requested": _sheltered,
    "sheltered, IND part delivered, a deadline paused": _delivered_and_paused,
    "sheltered, dossier delivered, a scenario set": _dossier_delivered,
    "closed: a departure to confirm": _closed("departure_origin"),
    "closed: a grant to confirm": _closed("residence_granted"),
    "closed: a departure confirmed": _confirmed,
    "closed: a departure disputed": _disputed,
    "closed: nothing to confirm": _closed("deceased"),
    "closed without an outflow record": _closed_without_outflow,
}


def in_situation(world, name: str) -> Case:
    return SITUATIONS[name](world.ams.assigned)


def users(world) -> dict[str, object]:
    """Every role of the case's LVV, and a case worker of another LVV who may see the case
    (an object grant) but not change it."""
    guest = world.rot.users[Role.CASEMANAGER]
    assign_perm("cases.view_case", guest, world.ams.assigned)
    return {**world.ams.users, "guest": guest}


# --- Taking a step with valid input --------------------------------------------------------


def call(step: str, user, case: Case, key: str = "") -> Case:
    """Take ``step`` as ``user`` with input that is valid whenever the step may be taken."""
    kw = {"acting_user": user, "origin": COMMAND, "case": case}
    calls: dict[str, Callable[[], Case]] = {
        "record_admission_check": lambda: services.record_admission_check(**kw, regional_ties=True),
        "admit": lambda: services.admit(**kw, require_check=False),
        "reject": lambda: services.reject(**kw, reason="EU-burger"),
        "waitlist": lambda: services.waitlist(**kw, enforce_capacity=False),
        "start_shelter": lambda: services.start_shelter(**kw, enforce_capacity=False),
        "request_dossier": lambda: services.request_dossier(**kw),
        "deliver_dossier_ind": lambda: services.deliver_dossier_part(**kw, kind="IND"),
        "deliver_dossier_dtv": lambda: services.deliver_dossier_part(**kw, kind="DTV"),
        "set_scenario": lambda: services.set_scenario(**kw, direction="residence", route="medical"),
        "record_cooperation_check": lambda: services.record_cooperation_check(**kw, result="sufficient"),
        "record_mrt_discussion": lambda: services.record_mrt_discussion(**kw),
        "set_case_types": lambda: services.set_case_types(**kw, case_types=["no_fault"], prior_departure_procedures=0),
        "pause_deadline": lambda: services.pause_deadline(**kw, kind=key, reason="Ziekenhuisopname"),
        "resume_deadline": lambda: services.resume_deadline(**kw, kind=key),
        "record_outflow": lambda: services.record_outflow(**kw, category="departure_origin", country="ER"),
        "confirm_outflow": lambda: services.confirm_outflow(**kw),
        "dispute_outflow": lambda: services.dispute_outflow(**kw, reason="Niet vertrokken."),
        "correct_outflow": lambda: services.correct_outflow(
            **kw, reason="Tikfout", category="departure_origin", country="ER"
        ),
    }
    assert set(calls) == set(STEPS), "every step in the table has a call"
    return calls[step]()


class _Undo(Exception):
    pass


GUARD_MESSAGES = {str(guard.message) for step in STEPS.values() for guard in step.guards}


def attempt(step: str, user, case: Case, key: str = "") -> Exception | None:
    """None when the service takes the step (then undone), else the refusal. A refusal for
    bad input (not the table's) fails the test: the call's input is meant to be valid."""
    try:
        with transaction.atomic():
            call(step, user, case, key)
            raise _Undo
    except _Undo:
        return None
    except (workflow.StepNotAllowed, PermissionDenied) as exc:
        return exc
    except ValidationError as exc:
        reasons = [message for message in exc.messages if message not in GUARD_MESSAGES]
        assert not reasons, f"{step}: refused for its input, not by the table: {reasons}"
        return exc


def keys_of(step: workflow.Step) -> list[str]:
    return list(DeadlineKind.values) if step.per_deadline else [""]


# --- The table is consistent with itself ---------------------------------------------------


def test_every_state_is_reachable_from_registration():
    reached, todo = {State.REGISTERED}, [State.REGISTERED]
    while todo:
        state = todo.pop()
        for step in STEPS.values():
            new = {target for target in step.targets if state in step.sources} - reached
            reached |= new
            todo += new
    assert reached == set(State.values)


def test_every_source_and_target_is_a_state_and_every_step_has_a_role():
    for step in STEPS.values():
        assert step.sources and set(step.sources) <= set(State.values), step.name
        assert set(step.targets) <= set(State.values), step.name
        assert step.roles and set(step.roles) <= set(Role.values), step.name
        assert step.target == (step.targets[0] if step.targets else None)


def test_edit_rights_are_a_flag_of_their_own():
    """The steps of the case worker of the case's LVV say so; steps that other roles share
    (the scenario with the LSO chair, the cooperation check with the NGO) do not ask it."""
    needs = {name for name, step in STEPS.items() if step.needs_edit_rights}
    assert needs == {name for name, step in STEPS.items() if step.roles == (Role.CASEMANAGER,)}
    assert not STEPS["set_scenario"].needs_edit_rights
    assert not STEPS["record_cooperation_check"].needs_edit_rights


def test_admit_lists_both_its_targets():
    assert STEPS["admit"].targets == (State.ADMITTED, State.WAITLISTED)
    assert STEPS["admit"].to(State.WAITLISTED) == State.WAITLISTED
    with pytest.raises(ValueError, match="admit"):
        STEPS["admit"].to(State.SHELTERED)


def test_admission_into_a_full_lvv_leads_to_the_tables_second_target():
    location = LocationFactory(slug="guards-full", places=1)
    sheltered = _sheltered(CaseFactory(location=location, registered_on=D0))
    assert sheltered.state == State.SHELTERED
    case = services.admit(**system(CaseFactory(location=location, registered_on=D0)), on=D0, require_check=False)
    assert case.state == State.WAITLISTED
    assert case.state in STEPS["admit"].targets


def _state_assignments(function) -> list[ast.AST]:
    tree = ast.parse(inspect.getsource(function).lstrip())
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            elements = target.elts if isinstance(target, ast.Tuple) else [target]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for position, element in enumerate(elements):
                if isinstance(element, ast.Attribute) and element.attr == "state":
                    found.append(values[position] if len(values) == len(elements) else node.value)
    return found


def test_services_set_the_state_only_from_their_steps_targets():
    """Every ``case.state = ...`` in the services is ``step.target`` or ``step.to(...)``, so
    a state a service can set is a target in the table."""
    assignments = _state_assignments(services)
    assert assignments
    for value in assignments:
        text = ast.unparse(value)
        assert text == "step.target" or text.startswith("step.to("), text


# --- Every guard, allowed and refused ------------------------------------------------------

# guard name: (step, the user's role, key, the situation where it passes, where it fails, the reason)
GUARD_CASES: dict[str, tuple[str, str, str, str, str, Callable[[], str]]] = {
    "ind_part_not_delivered": (
        "deliver_dossier_ind",
        Role.IND,
        "",
        "sheltered, dossier requested",
        "sheltered, IND part delivered, a deadline paused",
        lambda: str(workflow.DOSSIER_ALREADY_DELIVERED),
    ),
    "dtv_part_not_delivered": (
        "deliver_dossier_dtv",
        Role.DTV,
        "",
        "sheltered, IND part delivered, a deadline paused",
        "sheltered, dossier delivered, a scenario set",
        lambda: str(workflow.DOSSIER_ALREADY_DELIVERED),
    ),
    "outflow_to_confirm": (
        "confirm_outflow",
        Role.DTV,
        "",
        "closed: a departure to confirm",
        "closed: nothing to confirm",
        lambda: str(workflow.NOTHING_TO_CONFIRM),
    ),
    "outflow_not_confirmed": (
        "confirm_outflow",
        Role.DTV,
        "",
        "closed: a departure disputed",  # confirming after a dispute: the partner agrees after all
        "closed: a departure confirmed",
        lambda: str(workflow.ALREADY_CONFIRMED),
    ),
    "user_is_confirming_partner": (
        "confirm_outflow",
        Role.DTV,
        "",
        "closed: a departure to confirm",
        "closed: a grant to confirm",
        lambda: str(workflow.WRONG_PARTNER % {"partner": "IND"}),
    ),
    "outflow_recorded": (
        "dispute_outflow",
        Role.IND,
        "",
        "closed: a departure to confirm",
        "closed without an outflow record",
        lambda: str(workflow.NO_OUTFLOW),
    ),
    "outflow_not_disputed": (
        "dispute_outflow",
        Role.IND,
        "",
        "closed: a departure to confirm",
        "closed: a departure disputed",
        lambda: str(workflow.ALREADY_DISPUTED),
    ),
    "deadline_open": (
        "pause_deadline",
        Role.CASEMANAGER,
        DeadlineKind.COOPERATION_CHECK,
        "sheltered, dossier requested",
        "admitted",
        lambda: str(workflow.DEADLINE_NOT_OPEN),
    ),
    "deadline_running": (
        "pause_deadline",
        Role.CASEMANAGER,
        DeadlineKind.SCENARIO_REVIEW,
        "sheltered, dossier delivered, a scenario set",
        "sheltered, IND part delivered, a deadline paused",
        lambda: str(workflow.DEADLINE_ALREADY_PAUSED),
    ),
    "deadline_paused": (
        "resume_deadline",
        Role.CASEMANAGER,
        DeadlineKind.SCENARIO_REVIEW,
        "sheltered, IND part delivered, a deadline paused",
        "sheltered, dossier delivered, a scenario set",
        lambda: str(workflow.DEADLINE_NOT_PAUSED),
    ),
}


def test_every_guard_in_the_table_has_a_test():
    named = {(guard.name, guard.test) for step in STEPS.values() for guard in step.guards}
    assert {name for name, _test in named} == set(GUARD_CASES)
    assert len(named) == len(GUARD_CASES), "one predicate per name"


def _guard(step_name: str, name: str) -> workflow.Guard:
    return next(guard for guard in STEPS[step_name].guards if guard.name == name)


def _offered(user, case: Case, step: str, key: str) -> bool:
    page_case = selectors.case_for_page(user, case.pk)
    return (STEPS[step], key) in selectors.available_steps(user, page_case)


@pytest.mark.parametrize("name", list(GUARD_CASES))
def test_guard_allows(world, name):
    step, role, key, passes, _fails, _reason = GUARD_CASES[name]
    user = world.ams.users[role]
    case = in_situation(world, passes)
    facts = workflow.StepFacts(selectors.case_for_page(user, case.pk), user, key=key)
    assert _guard(step, name).test(facts)
    assert _offered(user, case, step, key)
    assert attempt(step, user, case, key) is None


@pytest.mark.parametrize("name", list(GUARD_CASES))
def test_guard_refuses_with_its_reason(world, name):
    step, role, key, _passes, fails, reason = GUARD_CASES[name]
    user = world.ams.users[role]
    case = in_situation(world, fails)
    guard = _guard(step, name)
    page_case = selectors.case_for_page(user, case.pk)
    facts = workflow.StepFacts(page_case, user, key=key)
    assert not guard.test(facts)
    refusal = guard.refusal(facts)
    expected = reason()
    assert str(refusal.reason) == expected
    # The case page does not offer it, and says why when asked.
    assert not _offered(user, case, step, key)
    options = {(o.step.name, o.key): o.refusal for o in selectors.step_options(user, page_case)}
    if (step, key) in options:
        assert str(options[step, key].reason) == expected
    # The service refuses it with the same reason, as a field error or a 403, and changes nothing.
    before = (case.version, case.timeline.count())
    error = attempt(step, user, case, key)
    if guard.about_user:
        assert isinstance(error, PermissionDenied) and str(error) == expected
    else:
        assert isinstance(error, ValidationError) and error.message_dict == {guard.field: [expected]}
    case.refresh_from_db()
    assert (case.version, case.timeline.count()) == before


def test_the_system_principal_passes_the_guards_about_who_acts(world):
    case = in_situation(world, "closed: a departure to confirm")
    facts = workflow.StepFacts(case, SYSTEM)
    assert _guard("confirm_outflow", "user_is_confirming_partner").refusal(facts) is None
    assert workflow.refusal(STEPS["confirm_outflow"], facts) is None
    assert services.confirm_outflow(**system(case)).outflow.confirmed_on


# --- Who acts: the roles and edit rights ---------------------------------------------------


@pytest.mark.parametrize("step", [name for name, step in STEPS.items() if step.needs_edit_rights])
def test_steps_that_need_edit_rights_refuse_a_case_worker_who_only_sees_the_case(world, step):
    guest = users(world)["guest"]
    facts = workflow.StepFacts(world.ams.assigned, guest)
    refusal = workflow.actor_refusal(STEPS[step], facts)
    assert refusal is not None and refusal.denied
    assert str(refusal.reason) == str(workflow.NOT_ALLOWED_CHANGE)
    owner = workflow.StepFacts(world.ams.assigned, world.ams.users[Role.CASEMANAGER])
    assert workflow.actor_refusal(STEPS[step], owner) is None


@pytest.mark.parametrize("step", list(STEPS))
def test_a_role_without_the_step_is_refused_by_name(world, step):
    outsider = next(
        world.ams.users[role] for role in (Role.NGO, Role.IND, Role.LSO_CHAIR) if role not in STEPS[step].roles
    )
    refusal = workflow.actor_refusal(STEPS[step], workflow.StepFacts(world.ams.assigned, outsider))
    assert refusal is not None and refusal.denied
    assert str(refusal.reason) == str(workflow.STEP_ROLE_MISSING % {"step": STEPS[step].label})


# --- The services refuse exactly what the case page hides ----------------------------------


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_a_step_is_offered_exactly_when_its_service_takes_it(world, situation):
    case = in_situation(world, situation)
    for who, user in users(world).items():
        if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
            continue  # a case the user cannot see is not found at all (404)
        page_case = selectors.case_for_page(user, case.pk)
        offered = set(selectors.available_steps(user, page_case))
        options = {(option.step, option.key): option.refusal for option in selectors.step_options(user, page_case)}
        for step in (step for step in STEPS.values() if step.offered):
            for key in keys_of(step):
                error = attempt(step.name, user, case, key)
                assert ((step, key) in offered) == (error is None), (who, step.name, key, error)
                if (step, key) in options and error is not None:  # the page's reason is the service's
                    assert str(options[step, key].reason) in str(error), (who, step.name, key)
