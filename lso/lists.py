"""The LSO app's lists (``lvv.lists``): the meetings and the DT&V's review queue.

Sort keys: the meeting's date (``lso_meeting_location_date``), LVV and status; in the
review queue the person's name (``person_identity``), the LVV with the trajectory's start
(the queue's own order), and the dates the supervisor reviews by: the scenario's, the end of
the maximum stay and the last review (each the first row of an indexed lookup per case).
The id is always the last key. The exports write what the pages show: no review text.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.models import Direction
from lvv.lists.listing import Column, ListDefinition, register


def _name(case) -> str:
    return f"{case.person.family_name}, {case.person.given_names}"


def _direction(case) -> str:
    if not case.scenario_direction:
        return ""
    try:
        return str(Direction(case.scenario_direction).label)
    except ValueError:
        return str(case.scenario_direction)


MEETINGS = register(
    ListDefinition(
        name="lso_meetings",
        title=_("LSO-vergaderingen"),
        columns=(
            Column("date", _("Datum"), order_by=("date", "start_time"), value=lambda m: m.date),
            Column("start_time", _("Aanvang"), value=lambda m: m.start_time.strftime("%H:%M")),
            Column("location", _("LVV"), order_by=("location__name", "location_id"), value=lambda m: m.location.name),
            Column("place", _("Plaats"), value=lambda m: m.place or _("online")),
            Column("status", _("Status"), order_by=("status",), value=lambda m: m.get_status_display()),
            Column("items", _("Agendapunten"), value=lambda m: m.item_count),
        ),
        default_sort="-date",
        object_type="lso.meeting",
        logged_as="meetings",
    )
)

REVIEW_QUEUE = register(
    ListDefinition(
        name="review_queue",
        title=_("DT&V-toets"),
        columns=(
            Column("name", _("Naam"), order_by=("person__family_name", "person__given_names"), value=_name),
            Column("reference", _("Kenmerk"), value=lambda c: c.reference),
            Column(
                "location",
                _("LVV"),
                order_by=("location__name", "location_id", "trajectory_start"),
                value=lambda c: c.location.name,
            ),
            Column("scenario", _("Scenario"), order_by=("scenario_set_on",), value=_direction),
            Column("scenario_set_on", _("Scenario vastgesteld op"), value=lambda c: c.scenario_set_on),
            Column("open_actions", _("Open acties"), value=lambda c: c.open_action_count),
            Column("overdue_actions", _("Verlopen acties"), value=lambda c: c.overdue_action_count),
            Column("mrt", _("Wacht op MRT-advies"), value=lambda c: bool(c.mrt_pending)),
            Column("max_stay", _("Max. verblijf"), order_by=("max_stay_due_on",), value=lambda c: c.max_stay_due_on),
            Column("last_review", _("Laatste toets"), order_by=("last_review_on",), value=lambda c: c.last_review_on),
        ),
        default_sort="location",
    )
)
