"""The words for the timeline of the events the LSO (and the MRT it escalates to) writes on
a case (``cases.extensions.register_event_details``): the decision of a discussion, the
reason of an escalation, the MRT's advice. The case page's timeline and the printable case
summary show them; the event's own summary (the minutes, the question, the advice's text)
follows them there."""

from __future__ import annotations

from cases import extensions
from cases.models import EventType
from lso import reasons
from lso.models import Decision, EscalationReason


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


@extensions.register_event_details
def event_details(event) -> str | None:
    data = event.data or {}
    if event.type in (EventType.LSO_DISCUSSED, EventType.LSO_POSTPONED):
        return _label(Decision, data.get("decision")) or None
    if event.type == EventType.MRT_ESCALATED:
        return _label(EscalationReason, data.get("reason")) or None
    if event.type == EventType.MRT_ADVICE:
        return reasons.advice_words(data) or None
    return None
