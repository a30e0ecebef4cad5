"""The trajectory's states and steps: one explicit table, checked in one place.

Every step a user (or an import) can take on a case is a row in ``STEPS``: the states it
may start from, the state it leads to (``None``: the state stays), and the roles that may
take it. Services call ``check_step``; nothing else sets ``Case.state``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from lvv.accounts.models import Role
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


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    roles: tuple[str, ...]
    # Other states the step may lead to, decided by the records (admit: no place left).
    also_to: tuple[str, ...] = ()
    # False: written by another record only (the MRT's advice, an import), never offered
    # as a step of its own on the pages or in the API.
    offered: bool = True


_CM = (Role.CASEMANAGER,)

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step("record_admission_check", _("Toelatingstoets vastleggen"), (State.REGISTERED,), None, _CM),
        Step("admit", _("Toelaten"), (State.REGISTERED,), State.ADMITTED, _CM, also_to=(State.WAITLISTED,)),
        Step("reject", _("Afwijzen"), (State.REGISTERED,), State.REJECTED, _CM),
        Step("waitlist", _("Op de wachtlijst plaatsen"), (State.REGISTERED, State.ADMITTED), State.WAITLISTED, _CM),
        Step("start_shelter", _("Opvang starten"), (State.ADMITTED, State.WAITLISTED), State.SHELTERED, _CM),
        Step("request_dossier", _("Dossier opvragen"), ADMITTED_STATES, None, _CM),
        Step("deliver_dossier_ind", _("IND-deel dossier geleverd"), ADMITTED_STATES, None, (Role.IND,)),
        Step("deliver_dossier_dtv", _("DT&V-deel dossier geleverd"), ADMITTED_STATES, None, (Role.DTV,)),
        Step(
            "set_scenario",
            _("Begeleidingsscenario vastleggen"),
            ADMITTED_STATES,
            None,
            (Role.CASEMANAGER, Role.LSO_CHAIR),
        ),
        Step(
            "record_cooperation_check",
            _("Medewerkingstoets vastleggen"),
            (State.SHELTERED,),
            None,
            (Role.CASEMANAGER, Role.NGO),
        ),
        Step(
            "record_mrt_discussion",
            _("MRT-bespreking vastleggen"),
            ADMITTED_STATES,
            None,
            (Role.CASEMANAGER, Role.LSO_CHAIR),
            offered=False,
        ),
        Step("set_case_types", _("Casustypen vastleggen"), (*OPEN_STATES, State.CLOSED, State.REJECTED), None, _CM),
        Step("pause_deadline", _("Termijn pauzeren"), ADMITTED_STATES, None, _CM),
        Step("resume_deadline", _("Termijn hervatten"), ADMITTED_STATES, None, _CM),
        Step("record_outflow", _("Uitstroom vastleggen"), ADMITTED_STATES, State.CLOSED, _CM),
        Step("confirm_outflow", _("Uitstroom bevestigen"), (State.CLOSED,), None, (Role.IND, Role.DTV)),
        Step("dispute_outflow", _("Uitstroom betwisten"), (State.CLOSED,), None, (Role.IND, Role.DTV)),
        Step("correct_outflow", _("Uitstroom corrigeren"), (State.CLOSED,), None, _CM),
    )
}

STEP_NOT_ALLOWED = _("“%(step)s” kan niet bij een casus die %(state)s is.")
STEP_ROLE_MISSING = _("Uw rol mag “%(step)s” niet uitvoeren.")


class StepNotAllowed(StateConflict):
    """A step that the table does not allow from the case's state (changes nothing; 409)."""

    def __init__(self, step: Step, state: str):
        self.step = step
        self.state = state
        super().__init__(str(STEP_NOT_ALLOWED % {"step": step.label, "state": State(state).label}))


def allowed_from(step_name: str, state: str) -> bool:
    return state in STEPS[step_name].sources


def check_step(step_name: str, state: str) -> Step:
    step = STEPS[step_name]
    if state not in step.sources:
        raise StepNotAllowed(step, state)
    return step


def steps_for(state: str, roles) -> list[Step]:
    """Steps that a user with ``roles`` may take from ``state`` (for pages and the API)."""
    return [s for s in STEPS.values() if s.offered and state in s.sources and any(r in s.roles for r in roles)]
