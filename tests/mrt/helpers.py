"""Helpers for the MRT tests: cases the LSO escalated to the MRT, and its advice."""

from __future__ import annotations

from lso.models import Decision, EscalationReason
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from mrt import services
from mrt.models import Advice, Escalation
from tests.lso.helpers import discussed, sheltered_case


def escalated(lvv, case=None, *, reason="disagreement"):
    """A case escalated by the LSO's minutes of a meeting today, and its escalation; on a
    disagreement with the NGO's and the DT&V's positions."""
    case = case or sheltered_case(lvv)
    positions = [
        {"organisation": lvv.ngo_a, "text": "Verblijf via medische gronden is kansrijk."},
        {"organisation": lvv.dtv, "text": "Vertrek is mogelijk; reisdocument is aangevraagd."},
    ]
    discussed(
        lvv,
        case,
        Decision.ESCALATE,
        escalation_reason=reason,
        escalation_question="Is vertrek of verblijf de realistische richting?",
        agreed=reason != "disagreement",
        positions=positions if reason == "disagreement" else [],
    )
    return case, Escalation.objects.get(case=case)


def escalate(lvv, case) -> Escalation:
    """The escalation of ``case``, escalated by the LSO for its complexity at a meeting today."""
    discussed(
        lvv,
        case,
        Decision.ESCALATE,
        escalation_reason=EscalationReason.COMPLEXITY,
        escalation_question="Welke route is haalbaar?",
    )
    return Escalation.objects.get(case=case)


def advise(lvv, escalation, reasoning="Vertrek is haalbaar.", **advice) -> Advice:
    """The MRT's advice on ``escalation``, recorded by the case manager: ``advice`` as the
    service takes it, by default departure by return to the country of origin."""
    return services.give_advice(
        acting_user=lvv.users[Role.CASEMANAGER],
        origin=COMMAND,
        escalation=escalation,
        reasoning=reasoning,
        **(advice or {"direction": "departure", "route": "return_to_origin"}),
    )
