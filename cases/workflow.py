"""The trajectory's states and steps: one explicit table, checked in one place.

Every step a user (or an import) can take on a case is a row in ``STEPS``: the states it
may start from, every state it may lead to (none: the state stays), the roles that may take
it, whether it needs edit rights on the case, and its guards: named conditions on the
case's records (a dossier part not delivered yet, an outflow that this partner confirms),
each with the Dutch reason given when it fails.

The services ask ``check`` before they change anything (it raises the error of the first
condition that fails); the case page and the API ask the same conditions through
``refusal`` (``selectors.available_steps``), so a step is offered exactly when its service
would take it. ``check_step`` checks the state alone (the import checks a file's sequence
of steps with it). Nothing else sets ``Case.state``: a service sets one of its step's
``targets`` (``Step.to``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from lvv.access import policy
from lvv.accounts.models import Role
from lvv.errors import NOT_ALLOWED as NOT_ALLOWED_CHANGE
from lvv.errors import StateConflict


class State(models.TextChoices):
    REGISTERED = "registered", _("aangemeld")
    REJECTED = "rejected", _("afgewezen")
    WAITLISTED = "waitlisted", _("op de wachtlijst")
    ADMITTED = "admitted", _("toegelaten, wacht op plek")
    SHELTERED = "sheltered", _("in de opvang")
    CLOSED = "closed", _("uitgestroomd")


OPEN_STATES = (State.REGISTERED, State.WAITLISTED, State.ADMITTED, State.SHELTERED)
ADMITTED_STATES = (State.WAITLISTED, State.ADMITTED, State.SHELTERED)
# The one waiting list: everyone admitted without a place, whether or not a place was free
# on the day of admission (``waitlisted``: none was).
QUEUE_STATES = (State.ADMITTED, State.WAITLISTED)

NON_FIELD = "__all__"

STEP_NOT_ALLOWED = _("“%(step)s” kan niet bij een casus die %(state)s is.")
STEP_ROLE_MISSING = _("Uw rol mag “%(step)s” niet uitvoeren.")
DOSSIER_ALREADY_DELIVERED = _("Dit deel van het dossier is al geleverd.")
NO_OUTFLOW = _("Bij deze casus is geen uitstroom vastgelegd.")
NOTHING_TO_CONFIRM = _("Deze uitstroom hoeft niet door een ketenpartner bevestigd te worden.")
ALREADY_CONFIRMED = _("Deze uitstroom is al bevestigd.")
WRONG_PARTNER = _("Deze uitstroom wordt bevestigd door de %(partner)s.")
ALREADY_DISPUTED = _("Deze uitstroom is al betwist; de casusregisseur beoordeelt dat eerst.")
DEADLINE_NOT_OPEN = _("Deze termijn is niet open.")
DEADLINE_ALREADY_PAUSED = _("Deze termijn is al gepauzeerd.")
DEADLINE_NOT_PAUSED = _("Deze termijn is niet gepauzeerd.")


class StepFacts:
    """What the conditions of a step read: the case, the acting user, the step's key (the
    kind of deadline that pause and resume act on; "" for other steps) and the case's
    records, each read once and only when a condition asks (from the relations the caller
    prefetched, if it did). ``can_change``: the answer of ``policy.can_change_case`` when the
    caller already has it."""

    def __init__(self, case: Any, user: Any, *, key: str = "", can_change: bool | None = None):
        self.case = case
        self.user = user
        self.key = key
        if can_change is not None:
            self.__dict__["can_change"] = can_change

    def with_key(self, key: str) -> StepFacts:
        """The same facts (and the records already read) for another key."""
        facts = copy.copy(self)
        facts.key = key
        return facts

    @cached_property
    def is_system(self) -> bool:
        return policy.is_system(self.user)

    @cached_property
    def can_change(self) -> bool:
        return policy.can_change_case(self.user, self.case)

    @cached_property
    def dossier_parts(self) -> dict[str, Any]:
        return {part.kind: part for part in self.case.dossier_parts.all()}

    @cached_property
    def open_deadlines(self) -> list[Any]:
        return [deadline for deadline in self.case.deadlines.all() if deadline.resolved_on is None]

    @property
    def deadline(self) -> Any:
        """The open deadline of the key's kind, or None."""
        return next((d for d in self.open_deadlines if d.kind == self.key), None)

    @cached_property
    def outflow(self) -> Any:
        try:
            return self.case.outflow
        except ObjectDoesNotExist:
            return None


@dataclass(frozen=True)
class Refusal:
    """Why a step cannot be taken now: the Dutch ``reason``, the form ``field`` it belongs
    to, and whether it is about who acts (``denied``: 403) or about the records (400)."""

    reason: Any
    field: str = NON_FIELD
    denied: bool = False

    def error(self) -> Exception:
        if self.denied:
            return PermissionDenied(str(self.reason))
        return ValidationError({self.field: self.reason})


@dataclass(frozen=True)
class Guard:
    """A condition a step needs besides its source state, its roles and edit rights: the
    named predicate ``test`` over ``StepFacts`` and the Dutch ``message`` when it fails (with
    ``params(facts)`` filled in), for the form field ``field``. ``about_user``: the condition
    is about who acts (a refusal answers 403, and the system principal passes); otherwise it
    is about the records (a field error, 400). A step's guards are asked in order, so a
    guard may rely on the ones before it."""

    test: Callable[[StepFacts], bool]
    message: Any
    field: str = NON_FIELD
    about_user: bool = False
    params: Callable[[StepFacts], dict[str, str]] | None = None

    @property
    def name(self) -> str:
        return self.test.__name__

    def refusal(self, facts: StepFacts) -> Refusal | None:
        if (self.about_user and facts.is_system) or self.test(facts):
            return None
        reason = self.message % self.params(facts) if self.params else self.message
        return Refusal(reason, field=self.field, denied=self.about_user)


# --- The guards: one small predicate each, True when the step may go ahead ----------------


def _part_not_delivered(facts: StepFacts, kind: str) -> bool:
    part = facts.dossier_parts.get(kind)
    return part is None or not part.delivered_on


def ind_part_not_delivered(facts: StepFacts) -> bool:
    return _part_not_delivered(facts, "IND")


def dtv_part_not_delivered(facts: StepFacts) -> bool:
    return _part_not_delivered(facts, "DTV")


def outflow_recorded(facts: StepFacts) -> bool:
    return facts.outflow is not None


def outflow_to_confirm(facts: StepFacts) -> bool:
    """A recorded durable outflow that a chain partner confirms (the IND a grant, the DT&V a
    departure)."""
    return facts.outflow is not None and facts.outflow.confirming_partner is not None


def outflow_not_confirmed(facts: StepFacts) -> bool:
    return not facts.outflow.confirmed_on


def user_is_confirming_partner(facts: StepFacts) -> bool:
    return facts.user.has_role(facts.outflow.confirming_partner)


def _confirming_partner(facts: StepFacts) -> dict[str, str]:
    return {"partner": "IND" if facts.outflow.confirming_partner == Role.IND else "DT&V"}


def outflow_not_disputed(facts: StepFacts) -> bool:
    return not facts.outflow.disputed_on


def deadline_open(facts: StepFacts) -> bool:
    return facts.deadline is not None


def deadline_running(facts: StepFacts) -> bool:
    return not facts.deadline.is_paused


def deadline_paused(facts: StepFacts) -> bool:
    return facts.deadline is not None and facts.deadline.is_paused


OUTFLOW_RECORDED = Guard(outflow_recorded, NO_OUTFLOW)


@dataclass(frozen=True)
class Step:
    """One row of the table. ``targets``: every state the step may lead to, the usual one
    first (admit: admitted, or waitlisted when no place is left for the person); none: the
    state stays. ``needs_edit_rights``: the user must be allowed to change the case's core
    records (``policy.can_change_case``: a case worker of the case's LVV), not only see it.
    ``per_deadline``: the step acts on one open deadline, whose kind is its key. ``offered``
    False: written by another record only (the MRT's advice, an import), never offered as a
    step of its own on the pages or in the API."""

    name: str
    label: Any
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    roles: tuple[str, ...]
    needs_edit_rights: bool = False
    guards: tuple[Guard, ...] = ()
    per_deadline: bool = False
    offered: bool = True

    @property
    def target(self) -> str | None:
        """The state the step usually leads to (None: the state stays)."""
        return self.targets[0] if self.targets else None

    def to(self, state: str) -> str:
        """``state``, which must be one of the step's targets in the table."""
        if state not in self.targets:
            raise ValueError(f"the table does not let {self.name} lead to {state}")
        return state

    def keys(self, facts: StepFacts) -> list[str]:
        """The keys the step can be taken with on the case (the open deadlines' kinds)."""
        return [deadline.kind for deadline in facts.open_deadlines] if self.per_deadline else [""]


_CM = (Role.CASEMANAGER,)
_CHAIN = (Role.IND, Role.DTV)


def _cm_step(name: str, label: Any, sources: tuple[str, ...], targets: tuple[str, ...] = (), **kwargs: Any) -> Step:
    """A step of the case worker of the case's LVV."""
    return Step(name, label, sources, targets, _CM, needs_edit_rights=True, **kwargs)


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        _cm_step("record_admission_check", _("Toelatingstoets vastleggen"), (State.REGISTERED,)),
        _cm_step("admit", _("Toelaten"), (State.REGISTERED,), (State.ADMITTED, State.WAITLISTED)),
        _cm_step("reject", _("Afwijzen"), (State.REGISTERED,), (State.REJECTED,)),
        _cm_step("waitlist", _("Op de wachtlijst plaatsen"), (State.REGISTERED, State.ADMITTED), (State.WAITLISTED,)),
        _cm_step("start_shelter", _("Opvang starten"), (State.ADMITTED, State.WAITLISTED), (State.SHELTERED,)),
        _cm_step("request_dossier", _("Dossier opvragen"), ADMITTED_STATES),
        Step(
            "deliver_dossier_ind",
            _("IND-deel dossier geleverd"),
            ADMITTED_STATES,
            (),
            (Role.IND,),
            guards=(Guard(ind_part_not_delivered, DOSSIER_ALREADY_DELIVERED, field="kind"),),
        ),
        Step(
            "deliver_dossier_dtv",
            _("DT&V-deel dossier geleverd"),
            ADMITTED_STATES,
            (),
            (Role.DTV,),
            guards=(Guard(dtv_part_not_delivered, DOSSIER_ALREADY_DELIVERED, field="kind"),),
        ),
        Step(
            "set_scenario",
            _("Begeleidingsscenario vastleggen"),
            ADMITTED_STATES,
            (),
            (Role.CASEMANAGER, Role.LSO_CHAIR),
        ),
        Step(
            "record_cooperation_check",
            _("Medewerkingstoets vastleggen"),
            (State.SHELTERED,),
            (),
            (Role.CASEMANAGER, Role.NGO),
        ),
        Step(
            "record_mrt_discussion",
            _("MRT-bespreking vastleggen"),
            ADMITTED_STATES,
            (),
            (Role.CASEMANAGER, Role.LSO_CHAIR),
            offered=False,
        ),
        _cm_step("set_case_types", _("Casustypen vastleggen"), (*OPEN_STATES, State.CLOSED, State.REJECTED)),
        _cm_step(
            "pause_deadline",
            _("Termijn pauzeren"),
            ADMITTED_STATES,
            per_deadline=True,
            guards=(
                Guard(deadline_open, DEADLINE_NOT_OPEN, field="kind"),
                Guard(deadline_running, DEADLINE_ALREADY_PAUSED, field="kind"),
            ),
        ),
        _cm_step(
            "resume_deadline",
            _("Termijn hervatten"),
            ADMITTED_STATES,
            per_deadline=True,
            guards=(Guard(deadline_paused, DEADLINE_NOT_PAUSED, field="kind"),),
        ),
        _cm_step("record_outflow", _("Uitstroom vastleggen"), ADMITTED_STATES, (State.CLOSED,)),
        Step(
            "confirm_outflow",
            _("Uitstroom bevestigen"),
            (State.CLOSED,),
            (),
            _CHAIN,
            guards=(
                Guard(outflow_to_confirm, NOTHING_TO_CONFIRM),
                Guard(outflow_not_confirmed, ALREADY_CONFIRMED),
                Guard(user_is_confirming_partner, WRONG_PARTNER, about_user=True, params=_confirming_partner),
            ),
        ),
        Step(
            "dispute_outflow",
            _("Uitstroom betwisten"),
            (State.CLOSED,),
            (),
            _CHAIN,
            guards=(OUTFLOW_RECORDED, Guard(outflow_not_disputed, ALREADY_DISPUTED)),
        ),
        _cm_step("correct_outflow", _("Uitstroom corrigeren"), (State.CLOSED,), guards=(OUTFLOW_RECORDED,)),
    )
}


class StepNotAllowed(StateConflict):
    """A step that the table does not allow from the case's state (changes nothing; 409)."""

    def __init__(self, step: Step, state: str):
        self.step = step
        self.state = state
        super().__init__(str(STEP_NOT_ALLOWED % {"step": step.label, "state": State(state).label}))


def allowed_from(step_name: str, state: str) -> bool:
    return state in STEPS[step_name].sources


def check_step(step_name: str, state: str) -> Step:
    """The step, when the table allows it from ``state``; else ``StepNotAllowed``."""
    step = STEPS[step_name]
    if state not in step.sources:
        raise StepNotAllowed(step, state)
    return step


def actor_refusal(step: Step, facts: StepFacts) -> Refusal | None:
    """Why ``facts.user`` may not take ``step`` on this case at all: a role without the
    step, or no edit rights where the step needs them. The system principal (commands,
    imports) may take every step."""
    if facts.is_system:
        return None
    if not facts.user.has_role(*step.roles):
        return Refusal(str(STEP_ROLE_MISSING % {"step": step.label}), denied=True)
    if step.needs_edit_rights and not facts.can_change:
        return Refusal(NOT_ALLOWED_CHANGE, denied=True)
    return None


def refusal(step: Step, facts: StepFacts) -> Refusal | None:
    """Why ``step`` cannot be taken on the case now (None: it can), leaving the state aside:
    who acts first, then the step's guards in order."""
    refused = actor_refusal(step, facts)
    if refused is not None:
        return refused
    for guard in step.guards:
        refused = guard.refusal(facts)
        if refused is not None:
            return refused
    return None


def check(step_name: str, facts: StepFacts) -> Step:
    """The one gate of the services: the step, when it may be taken on ``facts.case`` by
    ``facts.user`` now. Else ``StepNotAllowed`` (the state), ``PermissionDenied`` (who acts)
    or ``ValidationError`` (the records) with the Dutch reason; nothing has changed."""
    step = check_step(step_name, facts.case.state)
    refused = refusal(step, facts)
    if refused is not None:
        raise refused.error()
    return step


def steps_for(state: str, roles: Iterable[str]) -> list[Step]:
    """Steps that a user with ``roles`` may take from ``state`` (for pages and the API)."""
    roles = tuple(roles)
    return [s for s in STEPS.values() if s.offered and state in s.sources and any(r in s.roles for r in roles)]
