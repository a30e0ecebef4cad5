"""The LSO app's partner inboxes (registered in ``cases.inboxes`` by ``LsoConfig.ready``).

- ``dtv_review``: trajectories that ask for the DT&V's review. A trajectory (admitted,
  waiting or in shelter) is flagged for review when, after the DT&V's last review of the
  case (a ``dtv_review`` event; none: ever), a scenario was set or changed (in either
  direction: the DT&V supervises the departure side of every trajectory, and a move away
  from departure is news to it too) or an MRT advice came in. Done: the DT&V records a
  review (``services.add_review_note``, flagged for the LSO or not), or the trajectory ends.
- ``lso_prepare``: what the LSO chair has to put on an agenda. A case a partner asked the
  LSO to discuss (``lso_requested``) or that the DT&V flagged for the LSO (a flagged
  ``dtv_review``), not discussed in an LSO since. Done: the case is on an agenda and waits
  for its outcome (an item without an outcome), the LSO discussed it (``lso_discussed``;
  a postponement does not count, so a postponed case comes back), or the case is closed.
  Bounded to those two reasons: the deadline-driven suggestions (rest period, scenario
  review, cooperation, maximum stay) stay on the meeting page, and an MRT advice has its
  own inbox (``lso_mrt_advice``, in the MRT app).

Both lists read the case's timeline, as the agenda suggestions do (``lso.selectors``).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.inboxes import Inbox, no_date, own_locations, register, timeline_after
from cases.models import Case, EventType, TimelineEvent
from cases.workflow import ADMITTED_STATES, OPEN_STATES
from lso.models import AgendaItem, Reason
from lvv.accounts.models import Role

REVIEW_TRIGGERS = (EventType.SCENARIO_SET, EventType.MRT_ADVICE)
PREPARE_TRIGGERS = Q(type=EventType.LSO_REQUESTED) | Q(type=EventType.DTV_REVIEW, data__flagged=True)

REVIEW_WHAT = {
    EventType.SCENARIO_SET: _("scenario vastgesteld of gewijzigd"),
    EventType.MRT_ADVICE: _("MRT-advies ontvangen"),
}
PREPARE_WHAT = {
    EventType.LSO_REQUESTED: Reason.REQUESTED_BY_PARTNER.label,
    EventType.DTV_REVIEW: Reason.DTV_FLAG.label,
}


def _waiting_events(triggers: Q, done_by: tuple[str, ...]) -> QuerySet[TimelineEvent]:
    """Events matching ``triggers`` with no event of ``done_by`` on their case after them."""
    later = TimelineEvent.objects.filter(timeline_after(done_by))
    return TimelineEvent.objects.filter(triggers).filter(~Exists(later))


def _newest(triggers: Q) -> QuerySet[TimelineEvent]:
    """The outer case's events matching ``triggers``, newest first. When the case waits in
    the inbox its newest trigger is one that waits (a later one would wait too)."""
    return TimelineEvent.objects.filter(triggers, case=OuterRef("pk")).order_by("-occurred_on", "-pk")


def _review_condition(user) -> Q:
    """A trajectory with a scenario or advice after its last review. Asked per case (a
    correlated EXISTS, probes on ``timeline_case``), not as one set of every waiting event in
    the country: its cost follows the user's own open trajectories, not the national timeline
    (at 100,000 cases 40 ms against 175 ms, docs/benchmark-scale.md)."""
    waiting = _waiting_events(Q(type__in=REVIEW_TRIGGERS), (EventType.DTV_REVIEW,))
    return Q(state__in=ADMITTED_STATES) & Q(Exists(waiting.filter(case=OuterRef("pk"))))


def _newest_on(event_type: str) -> Subquery:
    """The date of the outer case's newest event of ``event_type`` (one index probe on
    ``timeline_case_type``)."""
    return Subquery(_newest(Q(type=event_type)).values("occurred_on")[:1])


def _review_annotations() -> dict:
    # One cheap probe per trigger type: the list is sorted on it for every case in the inbox.
    return {
        "inbox_since": Greatest(*(_newest_on(event_type) for event_type in REVIEW_TRIGGERS)),
        "inbox_due": no_date(),
        "inbox_event_type": Subquery(_newest(Q(type__in=REVIEW_TRIGGERS)).values("type")[:1]),
    }


def _prepare_condition(user) -> Q:
    """Open cases of the chair's own municipality (the LSO is the municipality's: its chair
    prepares the meetings of its own LVVs), with a request or flag not discussed since and
    not on an agenda waiting for its outcome."""
    waiting = _waiting_events(PREPARE_TRIGGERS, (EventType.LSO_DISCUSSED,))
    on_agenda = AgendaItem.objects.filter(outcome__isnull=True)
    return (
        Q(state__in=OPEN_STATES, location__in=own_locations(user))
        & Q(pk__in=waiting.values("case_id"))
        & ~Q(pk__in=on_agenda.values("case_id"))
    )


def _prepare_annotations() -> dict:
    newest = _newest(PREPARE_TRIGGERS)
    return {
        "inbox_since": Subquery(newest.values("occurred_on")[:1]),
        "inbox_due": no_date(),
        "inbox_event_type": Subquery(newest.values("type")[:1]),
    }


def _event_what(labels):
    def describe(case: Case) -> str:
        label = labels.get(getattr(case, "inbox_event_type", None))
        return str(label) if label else ""

    return describe


register(
    Inbox(
        key="dtv_review",
        title=_("Te beoordelen trajecten"),
        roles=(Role.DTV,),
        condition=_review_condition,
        annotations=_review_annotations,
        item_label=_("traject te beoordelen"),
        done=_(
            "Trajecten met een nieuw of gewijzigd scenario of een MRT-advies sinds de laatste beoordeling door "
            "de DT&V. Een casus verdwijnt uit deze inbox zodra de DT&V een beoordeling vastlegt, of wanneer het "
            "traject eindigt."
        ),
        link=lambda case: reverse("lso:review-note", args=[case.pk]),
        arrives_on={EventType.SCENARIO_SET: None, EventType.MRT_ADVICE: None},
        describe=_event_what(REVIEW_WHAT),
        action_label=_("Alle trajecten (DT&V-toets)"),
        action_url=lambda: reverse("lso:review-queue"),
        order=50,
    )
)
register(
    Inbox(
        key="lso_prepare",
        title=_("Voor te bereiden voor het LSO"),
        roles=(Role.LSO_CHAIR,),
        condition=_prepare_condition,
        annotations=_prepare_annotations,
        item_label=_("bespreking gevraagd"),
        done=_(
            "Casussen die een partner in het LSO wil bespreken of die de DT&V voor het LSO heeft gemarkeerd, "
            "sindsdien niet besproken. Een casus verdwijnt uit deze inbox zodra hij op de agenda van een "
            "vergadering staat of in het LSO is besproken (uitstel telt niet), of wanneer hij is afgesloten."
        ),
        link=lambda case: reverse("cases:detail", args=[case.pk]),
        arrives_on={
            EventType.LSO_REQUESTED: None,
            EventType.DTV_REVIEW: lambda data: bool(data.get("flagged")),
        },
        describe=_event_what(PREPARE_WHAT),
        action_label=_("Naar de vergaderingen"),
        action_url=lambda: reverse("lso:meeting-list"),
        order=70,
    )
)
