"""The timeline's words per event type (``cases.timeline_text``): what each type says of its
data, values of an earlier release kept as they are, dates in words, and the summary last."""

from __future__ import annotations

import pytest

from cases.models import EventType, TimelineEvent
from cases.timeline_text import DETAILS, event_details

pytestmark = pytest.mark.usefixtures("dutch")

DEPARTED = "vertrek naar land van herkomst"
UNKNOWN = "vertrokken met onbekende bestemming"
GUIDE = "begeleider ngo"


def words(event_type: str, summary: str = "", **data) -> str:
    return event_details(TimelineEvent(type=event_type, data=data, summary=summary))


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (EventType.DEADLINE_PAUSED, {"kind": "rest_period_end"}, "einde rusttermijn"),
        (
            EventType.DEADLINE_RESUMED,
            {"kind": "rest_period_end", "days": 14},
            "einde rusttermijn; 14 dagen opgeschoven",
        ),
        (EventType.OUTFLOW, {"category": "departure_origin", "country": "ER"}, f"{DEPARTED}; land: Eritrea"),
        (EventType.OUTFLOW, {"category": "an_old_category"}, "an_old_category"),
        (
            EventType.OUTFLOW_CORRECTED,
            {
                "previous": {"category": "departure_origin", "on": "2020-11-01"},
                "new": {"category": "unknown_destination", "on": "2020-13-45"},
            },
            f"was: {DEPARTED} op 1 november 2020; nu: {UNKNOWN} op 2020-13-45",
        ),
        (EventType.OUTFLOW_DISPUTED, {"by": "ind"}, "door: IND"),
        (EventType.OUTFLOW_CONFIRMED, {"by": "dtv"}, "door: DT&V"),
        (
            EventType.OWNER_CHANGED,
            {"role": "ngo_guide", "cause": "ngo_changed", "from_name": "Ada"},
            f"{GUIDE}; Ada niet meer: andere ngo toegewezen",
        ),
        (
            EventType.OWNER_CHANGED,
            {"role": "ngo_guide", "from_name": "Ada", "to_name": "Bo"},
            f"{GUIDE}; van Ada naar Bo",
        ),
        (EventType.OWNER_CHANGED, {"role": "ngo_guide", "to_name": "Bo"}, f"{GUIDE}; naar Bo"),
        (EventType.WAITLISTED, {"reason": "full"}, "geen vrije plek"),
        (EventType.SHELTER_STARTED, {"form": "night", "from_waiting_list": True}, "nachtopvang; van de wachtlijst"),
        (EventType.NOTE, {"corrects": 5}, "correctie van een eerdere notitie"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_each_event_type_in_words(kind, data, expected):
    assert words(kind, **data) == expected


def test_an_event_without_its_facts_says_nothing_of_them():
    for kind in (EventType.DEADLINE_PAUSED, EventType.OUTFLOW_DISPUTED, EventType.WAITLISTED):
        assert words(kind) == ""


def test_the_summary_comes_last():
    assert words(EventType.OUTFLOW_DISPUTED, summary="Niet vertrokken.", by="ind") == "door: IND; Niet vertrokken."


def test_every_type_of_the_case_trajectory_with_facts_has_its_words():
    """The table covers the event types whose data the timeline shows; a type left out would
    silently show nothing but its summary."""
    assert {
        EventType.REGISTERED,
        EventType.ADMITTED,
        EventType.SHELTER_STARTED,
        EventType.SCENARIO_SET,
        EventType.OUTFLOW,
        EventType.NOTE,
        EventType.DOCUMENT_ADDED,
        EventType.OWNER_CHANGED,
    } <= set(DETAILS)
