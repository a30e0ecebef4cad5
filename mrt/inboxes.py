"""The MRT app's partner inbox (registered in ``cases.inboxes`` by ``MrtConfig.ready``).

``lso_mrt_advice``: MRT advice that came back to the LSO and that the LSO has not dealt with
yet. Dealt with means: the LSO recorded an outcome for the case (any decision but a
postponement) that names the advice (``ItemOutcome.advice_event``, the advice's timeline
event; the outcome records whether the LSO follows it), or the LSO discussed the case after
the advice came in (an ``lso_discussed`` event after it). A postponed item does not deal
with it; neither does putting the case on an agenda. A closed case drops out (the LSO
cannot discuss it any more). Due: the date by which the LSO discusses the advice
(``Advice.due_on``, four weeks after it by default). For the LSO chair of the LVV's
municipality.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.inboxes import Inbox, own_locations, register
from cases.models import Case, Direction, EventType, Route, TimelineEvent
from cases.workflow import OPEN_STATES
from lso.models import ItemOutcome
from lso.reasons import NO_DURABLE_SOLUTION
from lvv.accounts.models import Role
from mrt.models import Advice


def _open_advice() -> QuerySet[Advice]:
    """Advice that the LSO has not dealt with."""
    named = ItemOutcome.objects.filter(advice_event=OuterRef("event"))
    discussed_after = TimelineEvent.objects.filter(
        case=OuterRef("escalation__case"), type=EventType.LSO_DISCUSSED
    ).filter(
        Q(occurred_on__gt=OuterRef("event__occurred_on"))
        | Q(occurred_on=OuterRef("event__occurred_on"), pk__gt=OuterRef("event_id"))
    )
    return Advice.objects.filter(event__isnull=False).filter(~Exists(named), ~Exists(discussed_after))


def _condition(user) -> Q:
    return Q(
        state__in=OPEN_STATES,
        location__in=own_locations(user),
        pk__in=_open_advice().values("escalation__case"),
    )


def _annotations() -> dict:
    advice = _open_advice().filter(escalation__case=OuterRef("pk")).order_by("-given_on", "-pk")
    return {
        "inbox_since": Subquery(advice.values("given_on")[:1]),
        "inbox_due": Subquery(advice.values("due_on")[:1]),
        "inbox_escalation": Subquery(advice.values("escalation_id")[:1]),
        "inbox_direction": Subquery(advice.values("direction")[:1]),
        "inbox_route": Subquery(advice.values("route")[:1]),
        "inbox_no_solution": Subquery(advice.values("no_durable_solution_possible")[:1]),
    }


def _describe(case: Case) -> str:
    if getattr(case, "inbox_no_solution", False):
        return str(NO_DURABLE_SOLUTION)
    parts = []
    direction, route = getattr(case, "inbox_direction", ""), getattr(case, "inbox_route", "")
    if direction in Direction.values:
        parts.append(str(Direction(direction).label))
    if route in Route.values:
        parts.append(str(Route(route).label))
    return ", ".join(parts)


def _link(case: Case) -> str:
    escalation = getattr(case, "inbox_escalation", None)
    if escalation:
        return reverse("mrt:escalation-detail", args=[escalation])
    return reverse("cases:detail", args=[case.pk])


register(
    Inbox(
        key="lso_mrt_advice",
        title=_("MRT-adviezen voor het LSO"),
        roles=(Role.LSO_CHAIR,),
        condition=_condition,
        annotations=_annotations,
        item_label=_("MRT-advies ontvangen"),
        done=_(
            "Adviezen van het MRT die het LSO nog niet heeft besproken. Een casus verdwijnt uit deze inbox "
            "zodra het LSO een uitkomst vastlegt die zegt of het het advies volgt (uitstel telt niet), of "
            "wanneer de casus is afgesloten."
        ),
        link=_link,
        arrives_on={EventType.MRT_ADVICE: None},
        describe=_describe,
        action_label=_("Naar de vergaderingen"),
        action_url=lambda: reverse("lso:meeting-list"),
        order=60,
    )
)
