"""The cases app's lists (``lvv.lists``): the case list, the waiting list and an inbox.

Each column's sort key orders by indexed columns of the case or its person where it can
(the person's name: ``person_identity``; the state: ``case_location_state``; registered:
``case_newest``; the queue: ``case_queue``); the id is always the last key. The exports
write the columns the pages show, nothing more (no case types, no health notes).
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _

from cases.models import DeadlineKind
from cases.workflow import State
from lvv.lists.listing import Column, ListDefinition, register


def _choice(choices, value) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _name(case) -> str:
    return f"{case.person.family_name}, {case.person.given_names}"


NAME = Column("name", _("Naam"), order_by=("person__family_name", "person__given_names"), value=_name)
V_NUMBER = Column("v_number", _("V-nummer"), order_by=("person__v_number",), value=lambda c: c.person.v_number)
REFERENCE = Column("reference", _("Kenmerk"), value=lambda c: c.reference)
LOCATION = Column("location", _("LVV"), order_by=("location__name", "location_id"), value=lambda c: c.location.name)
NGO = Column(
    "ngo", _("Ngo"), order_by=("assigned_ngo__name",), value=lambda c: c.assigned_ngo.name if c.assigned_ngo else ""
)
STATE = Column("state", _("Status"), order_by=("state",), value=lambda c: c.get_state_display())
NEXT_DEADLINE = Column("next_deadline", _("Volgende termijn"), value=lambda c: c.next_deadline_on)
NEXT_DEADLINE_KIND = Column(
    "next_deadline_kind", _("Soort termijn"), value=lambda c: _choice(DeadlineKind, c.next_deadline_kind)
)
REGISTERED = Column("registered", _("Geregistreerd"), order_by=("created_at",), value=lambda c: c.created_at.date())
# The queue's order: per LVV, by the day of admission (``selectors.waiting_list_order``).
WAITLISTED = Column(
    "waitlisted_on",
    _("Op de wachtlijst sinds"),
    order_by=("location__name", "location_id", "waitlisted_on"),
    value=lambda c: c.waitlisted_on,
)

CASES = register(
    ListDefinition(
        name="cases",
        title=_("Casussen"),
        columns=(NAME, V_NUMBER, REFERENCE, LOCATION, NGO, STATE, NEXT_DEADLINE, NEXT_DEADLINE_KIND, REGISTERED),
        default_sort="name",
    )
)

# The case list filtered on the waiting list (admitted, no place yet): the queue's order by
# default, and the day each person joined it.
WAITING_LIST = register(
    ListDefinition(
        name="waiting_list",
        title=_("Wachtlijst"),
        columns=(NAME, V_NUMBER, REFERENCE, LOCATION, NGO, STATE, WAITLISTED, NEXT_DEADLINE, NEXT_DEADLINE_KIND),
        default_sort="waitlisted_on",
    )
)
WAITING_STATES = (State.WAITLISTED, State.ADMITTED)


# One inbox's page (``/inbox/<key>/``): ``inbox_list(box)``. The default is the inbox's own
# order: the earliest due date, then the longest waiting (``Inbox.items``).
INBOX_COLUMNS = (
    Column("case", _("Casus"), order_by=("person__family_name", "person__given_names"), value=_name),
    REFERENCE,
    LOCATION,
    Column("what", _("Wat")),
    Column("since", _("Sinds"), order_by=("inbox_since",), value=lambda c: c.inbox_since),
    Column("due", _("Uiterste datum"), order_by=("inbox_due",), value=lambda c: c.inbox_due),
)
INBOX = register(ListDefinition(name="inbox", title=_("Inbox"), columns=INBOX_COLUMNS))


def inbox_list(box) -> ListDefinition:
    """The list of one inbox: its title, and what waits in its words (``Inbox.what``)."""
    columns = tuple(
        dataclasses.replace(column, value=box.what) if column.key == "what" else column for column in INBOX_COLUMNS
    )
    return dataclasses.replace(INBOX, name=f"inbox:{box.key}", title=box.title, columns=columns)
