"""Reads of LSO data, always scoped by the access policy.

- A meeting is visible to the partners of its LVV who may see cases (municipality, NGOs,
  IND, DT&V); never to the programme bureau.
- An agenda item is visible when its meeting is visible and its case is visible
  (``Case.objects.visible_to``): an NGO sees only the items of the cases assigned to it.
- Actions and review notes are visible with their case.
- A special text (a review note, a preparation note) is withheld from every reader who may
  not see the special-category data of its case (``lso.confidential``).

Everything here runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    CooperationCheck,
    CooperationResult,
    Deadline,
    DeadlineKind,
    Direction,
    EventType,
    Route,
    Scenario,
    TimelineEvent,
)
from cases.workflow import ADMITTED_STATES, OPEN_STATES
from lso.models import (
    Action,
    AgendaItem,
    Meeting,
    MeetingNotice,
    Member,
    PartnerPosition,
    PreparationNote,
    Reason,
    ReviewNote,
)
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.forms import StyledFormMixin
from lvv.params import IntegerFilter
from lvv.partners.models import Location, ServiceLink, locations_of

# A case whose maximum stay ends within this many days of the meeting is suggested.
MAX_STAY_NEAR_DAYS = 30
# The review queue's "departure scenario without progress": set this long ago and nothing
# that moves the trajectory on (below) in this many days.
DEPARTURE_PROGRESS_DAYS = 60
# The review queue's "no scenario after N days" filter goes up to a century.
NO_SCENARIO_MAX_DAYS = 36_500
PROGRESS_EVENTS = (
    EventType.SCENARIO_SET,
    EventType.LSO_DISCUSSED,
    EventType.ACTION_DONE,
    EventType.MRT_ADVICE,
    EventType.MRT_DISCUSSED,
)
# Roles that get the LSO's notices when their organisation is a member.
NOTIFIED_ROLES = (Role.LSO_CHAIR, Role.CASEMANAGER, Role.NGO, Role.IND, Role.DTV)

# The reasons' texts (Dutch source strings; shown with the suggestion, stored on the item).
REST_PERIOD_DETAIL = _("Rusttermijn verlopen op %(date)s; nog geen scenario.")
SCENARIO_REVIEW_DETAIL = _("Herbeoordeling van het scenario uiterlijk op %(date)s.")
COOPERATION_DETAIL = _("Medewerkingstoets van %(date)s: onvoldoende; sindsdien niet in het LSO besproken.")
MRT_ADVICE_DETAIL = _("MRT-advies van %(date)s: %(advice)s.")
NO_DURABLE_SOLUTION = _("geen bestendige oplossing mogelijk")
MAX_STAY_DETAIL = _("De maximale verblijfsduur eindigt op %(date)s.")
REQUESTED_DETAIL = _("Aangevraagd door %(organisation)s op %(date)s: %(reason)s")
DTV_FLAG_DETAIL = _("Gemarkeerd door de DT&V op %(date)s: %(text)s")

# The order in which reasons are listed (most urgent first).
REASON_ORDER = [r.value for r in Reason]


# --- Meetings and items ------------------------------------------------------------------


def visible_meetings(user) -> QuerySet[Meeting]:
    """Meetings of the LVVs the user's organisation works for (roles that see cases only)."""
    if policy.is_system(user):
        return Meeting.objects.all()
    if not policy.sees_persons(user) or getattr(user, "organisation_id", None) is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(location__in=locations_of(user.organisation).values("pk"))


def visible_items(user) -> QuerySet[AgendaItem]:
    """Agenda items whose meeting and case the user may both see."""
    return AgendaItem.objects.filter(
        meeting__in=visible_meetings(user).values("pk"),
        case__in=Case.objects.visible_to(user).values("pk"),
    )


def meeting_list(user) -> QuerySet[Meeting]:
    """Visible meetings with their LVV and the number of agenda items (one query per page).

    ``item_count`` counts every item of the meeting (a number, no case data).
    """
    count = AgendaItem.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("pk"))
    return (
        visible_meetings(user)
        .select_related("location")
        .annotate(item_count=Coalesce(Subquery(count.values("n"), output_field=IntegerField()), 0))
        .order_by("-date", "-start_time", "-pk")
    )


def preparation_notes(user) -> QuerySet[PreparationNote]:
    """Preparation notes as ``user`` reads them: a special text the user may not see is
    withheld (``lso.confidential``). Not scoped: filter by visible items."""
    return PreparationNote.objects.for_reader(user).select_related("organisation", "author").order_by("pk")


def item_queryset(user) -> QuerySet[AgendaItem]:
    """Visible items with what a meeting page shows of each: case, person, outcome with its
    positions, preparation notes (special texts withheld from readers without the
    permission) and actions (fixed number of queries)."""
    return (
        visible_items(user)
        .select_related("case__person", "case__location", "meeting__location", "outcome", "added_by")
        .prefetch_related(
            Prefetch("notes", queryset=preparation_notes(user)),
            Prefetch(
                "outcome__positions",
                queryset=PartnerPosition.objects.select_related("organisation").order_by("organisation__name", "pk"),
            ),
            Prefetch(
                "actions",
                queryset=Action.objects.select_related("owner_organisation", "owner_user").order_by("due_on", "pk"),
            ),
        )
        .order_by("meeting", "order", "pk")
    )


def meeting_for_page(user, pk) -> Meeting:
    """A visible meeting with its visible items (``meeting.visible_items``), in a fixed
    number of queries. ``Meeting.DoesNotExist`` when the user may not see it."""
    return (
        visible_meetings(user)
        .select_related("location", "location__municipality", "created_by", "finalised_by")
        .prefetch_related(Prefetch("items", queryset=item_queryset(user), to_attr="visible_items"))
        .get(pk=pk)
    )


def get_visible_item(user, pk) -> AgendaItem:
    """``AgendaItem.DoesNotExist`` when the user may not see it."""
    return item_queryset(user).get(pk=pk)


# --- Suggestions for the agenda ----------------------------------------------------------


@dataclass
class SuggestionReason:
    reason: str
    detail: str
    event_id: int | None = None

    @property
    def label(self) -> str:
        return str(Reason(self.reason).label)


@dataclass
class Suggestion:
    """A case that needs the LSO, with every reason it does (most urgent first)."""

    case: Case
    reasons: list[SuggestionReason] = field(default_factory=list)

    @property
    def reason(self) -> SuggestionReason:
        return self.reasons[0]

    @property
    def detail(self) -> str:
        return " ".join(r.detail for r in self.reasons)


def _after_last_discussion(event_type: str, **data) -> QuerySet[TimelineEvent]:
    """Events of ``event_type`` on the outer case with no ``lso_discussed`` event after them
    (later date, or the same date and recorded later), newest first."""
    later = TimelineEvent.objects.filter(case=OuterRef("case"), type=EventType.LSO_DISCUSSED).filter(
        Q(occurred_on__gt=OuterRef("occurred_on")) | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    return (
        TimelineEvent.objects.filter(case=OuterRef("pk"), type=event_type, **data)
        .filter(~Exists(later))
        .order_by("-occurred_on", "-pk")
    )


def _open_deadline(kind: str) -> QuerySet[Deadline]:
    return Deadline.objects.filter(
        case=OuterRef("pk"), kind=kind, resolved_on__isnull=True, paused_since__isnull=True
    ).order_by("due_on", "pk")


def _d(value: datetime.date | None) -> str:
    return date_format(value) if value else ""


def _advice_text(data: dict) -> str:
    if data.get("no_durable_solution_possible"):
        return str(NO_DURABLE_SOLUTION)
    parts = []
    if data.get("direction") in Direction.values:
        parts.append(str(Direction(data["direction"]).label))
    if data.get("route") in Route.values:
        parts.append(str(Route(data["route"]).label))
    return ", ".join(parts)


def suggestion_candidates(meeting: Meeting, user) -> QuerySet[Case]:
    """The cases a suggestion may name: visible to ``user``, open, of the meeting's LVV and
    not yet on its agenda."""
    on_agenda = AgendaItem.objects.filter(meeting=meeting).values("case")
    return (
        Case.objects.visible_to(user)
        .filter(location=meeting.location_id, state__in=OPEN_STATES)
        .exclude(pk__in=on_agenda)
        .select_related("person", "location", "assigned_ngo")
        .order_by()
    )


def suggestions(meeting: Meeting, user) -> list[Suggestion]:
    """The cases that need this meeting, each with its reasons and their texts.

    One query per reason plus one for the events they name: a fixed number of queries.
    Reasons (``lso.models.Reason``):

    - rest period ended without a scenario: the running rest-period deadline fell due
      before the meeting date and no scenario is set;
    - scenario review due: the running scenario-review deadline falls due by the meeting;
    - insufficient cooperation: the latest cooperation check is insufficient and the case
      has not been discussed in an LSO since that check;
    - MRT advice received: an ``mrt_advice`` event after the last ``lso_discussed`` one;
    - maximum stay near: the running max-stay deadline falls due within
      ``MAX_STAY_NEAR_DAYS`` days of the meeting;
    - requested by a partner: an ``lso_requested`` event after the last discussion;
    - DT&V flag: a flagged ``dtv_review`` event after the last discussion.

    Paused deadlines do not count. Never a case the user may not see, never a case already
    on this meeting's agenda, never a closed case.
    """
    base = suggestion_candidates(meeting, user)
    day = meeting.date
    found: dict[int, Suggestion] = {}
    event_rows: list[tuple[Suggestion, str, int]] = []

    def add(case: Case, reason: str, detail: str = "", event_id: int | None = None) -> None:
        suggestion = found.setdefault(case.pk, Suggestion(case=case))
        suggestion.reasons.append(SuggestionReason(reason=reason, detail=detail, event_id=event_id))
        if event_id is not None:
            event_rows.append((suggestion, reason, event_id))

    rest = _open_deadline(DeadlineKind.REST_PERIOD_END).filter(due_on__lt=day)
    any_scenario = Scenario.objects.filter(case=OuterRef("pk"))
    for case in base.annotate(rest_due_on=Subquery(rest.values("due_on")[:1])).filter(
        ~Exists(any_scenario), rest_due_on__isnull=False
    ):
        add(case, Reason.REST_PERIOD_ENDED, str(REST_PERIOD_DETAIL % {"date": _d(case.rest_due_on)}))

    review = _open_deadline(DeadlineKind.SCENARIO_REVIEW).filter(due_on__lte=day)
    for case in base.annotate(review_due_on=Subquery(review.values("due_on")[:1])).filter(review_due_on__isnull=False):
        add(case, Reason.SCENARIO_REVIEW_DUE, str(SCENARIO_REVIEW_DETAIL % {"date": _d(case.review_due_on)}))

    latest_check = CooperationCheck.objects.filter(case=OuterRef("pk")).order_by("-checked_on", "-pk")
    discussed_since = TimelineEvent.objects.filter(
        case=OuterRef("pk"), type=EventType.LSO_DISCUSSED, occurred_on__gte=OuterRef("check_on")
    )
    for case in (
        base.annotate(
            check_result=Subquery(latest_check.values("result")[:1]),
            check_on=Subquery(latest_check.values("checked_on")[:1]),
        )
        .filter(check_result=CooperationResult.INSUFFICIENT)
        .filter(~Exists(discussed_since))
    ):
        add(case, Reason.INSUFFICIENT_COOPERATION, str(COOPERATION_DETAIL % {"date": _d(case.check_on)}))

    advice = _after_last_discussion(EventType.MRT_ADVICE)
    for case in base.annotate(event_id=Subquery(advice.values("pk")[:1])).filter(event_id__isnull=False):
        add(case, Reason.MRT_ADVICE_RECEIVED, event_id=case.event_id)

    max_stay = _open_deadline(DeadlineKind.MAX_STAY).filter(
        due_on__lte=day + datetime.timedelta(days=MAX_STAY_NEAR_DAYS)
    )
    for case in base.annotate(max_stay_on=Subquery(max_stay.values("due_on")[:1])).filter(max_stay_on__isnull=False):
        add(case, Reason.MAX_STAY_NEAR, str(MAX_STAY_DETAIL % {"date": _d(case.max_stay_on)}))

    requested = _after_last_discussion(EventType.LSO_REQUESTED)
    for case in base.annotate(event_id=Subquery(requested.values("pk")[:1])).filter(event_id__isnull=False):
        add(case, Reason.REQUESTED_BY_PARTNER, event_id=case.event_id)

    flagged = _after_last_discussion(EventType.DTV_REVIEW, data__flagged=True)
    for case in base.annotate(event_id=Subquery(flagged.values("pk")[:1])).filter(event_id__isnull=False):
        add(case, Reason.DTV_FLAG, event_id=case.event_id)

    if event_rows:
        events = TimelineEvent.objects.in_bulk([event_id for _s, _r, event_id in event_rows])
        for suggestion, reason, event_id in event_rows:
            event = events[event_id]
            text = _event_detail(reason, event)
            for entry in suggestion.reasons:
                if entry.event_id == event_id and entry.reason == reason:
                    entry.detail = text

    result = list(found.values())
    for suggestion in result:
        suggestion.reasons.sort(key=lambda r: REASON_ORDER.index(r.reason))
    result.sort(key=lambda s: (REASON_ORDER.index(s.reason.reason), s.case.reference, s.case.pk))
    return result


def _event_detail(reason: str, event: TimelineEvent) -> str:
    data = event.data or {}
    if reason == Reason.MRT_ADVICE_RECEIVED:
        return str(MRT_ADVICE_DETAIL % {"date": _d(event.occurred_on), "advice": _advice_text(data)})
    if reason == Reason.REQUESTED_BY_PARTNER:
        return str(
            REQUESTED_DETAIL
            % {"organisation": data.get("organisation") or "-", "date": _d(event.occurred_on), "reason": event.summary}
        )
    return str(DTV_FLAG_DETAIL % {"date": _d(event.occurred_on), "text": event.summary})


def pending_advice_event(case: Case) -> TimelineEvent | None:
    """The newest ``mrt_advice`` event of the case that no LSO has discussed since."""
    later = TimelineEvent.objects.filter(case=case, type=EventType.LSO_DISCUSSED).filter(
        Q(occurred_on__gt=OuterRef("occurred_on")) | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    return (
        TimelineEvent.objects.filter(case=case, type=EventType.MRT_ADVICE)
        .filter(~Exists(later))
        .order_by("-occurred_on", "-pk")
        .first()
    )


# --- Members and notices -----------------------------------------------------------------


def members_of(location: Location) -> list[Member]:
    """The LSO's members; without configured members: the municipality (chair) and every
    organisation that serves the LVV (unsaved rows)."""
    members = list(
        Member.objects.filter(location=location)
        .select_related("organisation", "user")
        .order_by("-is_chair", "organisation__name", "pk")
    )
    if members:
        return members
    defaults = [Member(location=location, organisation=location.municipality, is_chair=True)]
    links = ServiceLink.objects.filter(location=location).select_related("organisation").order_by("organisation__name")
    defaults += [Member(location=location, organisation=link.organisation) for link in links]
    return defaults


def meeting_recipients(location: Location) -> QuerySet:
    """The active users told about a meeting: each member person, and for a member
    organisation its users with a role in the LVV (``NOTIFIED_ROLES``)."""
    members = members_of(location)
    user_ids = [m.user_id for m in members if m.user_id]
    organisation_ids = [m.organisation_id for m in members if not m.user_id]
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(pk__in=user_ids) | Q(organisation__in=organisation_ids, roles__overlap=[str(r) for r in NOTIFIED_ROLES])
        )
        .distinct()
        .order_by("pk")
    )


def notices_for(user) -> QuerySet[MeetingNotice]:
    """The user's meeting notices (unread first), with their meeting and LVV."""
    return (
        MeetingNotice.objects.filter(user=user, meeting__in=visible_meetings(user).values("pk"))
        .select_related("meeting__location")
        .order_by(F("read_at").desc(nulls_first=True), "-created_at", "-pk")
    )


# --- Actions -----------------------------------------------------------------------------


def visible_actions(user) -> QuerySet[Action]:
    return (
        Action.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("case__person", "case__location", "owner_organisation", "owner_user", "item__meeting")
        .order_by("due_on", "pk")
    )


def open_actions_for(user) -> QuerySet[Action]:
    """The user's work queue of follow-up actions: open actions of visible cases owned by
    the user's organisation or by the user, earliest due first (one query)."""
    if not getattr(user, "is_authenticated", False) or policy.is_system(user):
        return Action.objects.none()
    owned = Q(owner_user=user.pk)
    if user.organisation_id:
        owned |= Q(owner_organisation=user.organisation_id)
    return visible_actions(user).filter(owned, done_on__isnull=True)


# --- DT&V review -------------------------------------------------------------------------


def visible_review_notes(user) -> QuerySet[ReviewNote]:
    """Review notes of the cases the user sees; a special text the user may not see is
    withheld (``lso.confidential``)."""
    return (
        ReviewNote.objects.for_reader(user)
        .filter(case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("case__person", "case__location", "author", "organisation")
        .order_by("-reviewed_on", "-pk")
    )


def _mrt_pending() -> Exists:
    """An ``mrt_escalated`` event with no ``mrt_advice`` event after it."""
    advice_after = TimelineEvent.objects.filter(case=OuterRef("case"), type=EventType.MRT_ADVICE).filter(
        Q(occurred_on__gt=OuterRef("occurred_on")) | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    return Exists(
        TimelineEvent.objects.filter(case=OuterRef("pk"), type=EventType.MRT_ESCALATED).filter(~Exists(advice_after))
    )


def _count(queryset) -> Coalesce:
    rows = queryset.order_by().values("case").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def review_queue(user, *, today: datetime.date | None = None) -> QuerySet[Case]:
    """The trajectories (admitted, waiting or in shelter) of the user's visible cases, with
    what a DT&V supervisor reviews: the current scenario, open and overdue actions, a
    pending MRT escalation, the end of a maximum stay, the last review (one query)."""
    today = today or timezone.localdate()
    latest = Scenario.objects.filter(case=OuterRef("pk")).order_by("-set_on", "-pk")
    open_actions = Action.objects.filter(case=OuterRef("pk"), done_on__isnull=True)
    max_stay = Deadline.objects.filter(case=OuterRef("pk"), kind=DeadlineKind.MAX_STAY, resolved_on__isnull=True)
    reviews = ReviewNote.objects.filter(case=OuterRef("pk")).order_by("-reviewed_on", "-pk")
    return (
        Case.objects.visible_to(user)
        .filter(state__in=ADMITTED_STATES)
        .select_related("person", "location", "assigned_ngo")
        .annotate(
            scenario_direction=Subquery(latest.values("direction")[:1]),
            scenario_route=Subquery(latest.values("route")[:1]),
            scenario_set_on=Subquery(latest.values("set_on")[:1]),
            open_action_count=_count(open_actions),
            overdue_action_count=_count(open_actions.filter(due_on__lt=today)),
            mrt_pending=_mrt_pending(),
            max_stay_due_on=Subquery(max_stay.values("due_on")[:1]),
            last_review_on=Subquery(reviews.values("reviewed_on")[:1]),
            trajectory_start=Coalesce("shelter_started_on", "decided_on", "registered_on"),
        )
        .order_by("location__name", "trajectory_start", "pk")
    )


class QueueFilterForm(StyledFormMixin, forms.Form):
    pass


class ReviewQueueFilter(django_filters.FilterSet):
    """The review queue's filters, shared by the page and the API; they combine (and)."""

    location = django_filters.ModelChoiceFilter(
        label=_("LVV"),
        field_name="location",
        to_field_name="slug",
        queryset=Location.objects.none(),
        empty_label=_("Alle LVV's"),
    )
    no_scenario_days = IntegerFilter(
        label=_("Geen scenario na (dagen)"),
        method="filter_no_scenario",
        min_value=0,
        max_value=NO_SCENARIO_MAX_DAYS,
        help_text=_("Geen scenario, en het traject (opvang, anders toelating) loopt al zo veel dagen of langer."),
    )
    departure_without_progress = django_filters.BooleanFilter(
        label=_("Vertrekscenario zonder voortgang"),
        method="filter_departure_without_progress",
        help_text=_(
            "Vertrekscenario, langer dan 60 dagen geleden vastgesteld, en in 60 dagen geen LSO-bespreking, "
            "afgeronde actie, nieuw scenario of MRT-advies."
        ),
    )
    overdue_actions = django_filters.BooleanFilter(label=_("Verlopen acties"), method="filter_overdue_actions")
    mrt_pending = django_filters.BooleanFilter(label=_("Wacht op MRT-advies"), method="filter_mrt_pending")
    near_max_stay = django_filters.BooleanFilter(
        label=_("Maximale verblijfsduur nadert"),
        method="filter_near_max_stay",
        help_text=_("De maximale verblijfsduur eindigt binnen 30 dagen (of is verstreken)."),
    )

    class Meta:
        model = Case
        fields = [
            "location",
            "no_scenario_days",
            "departure_without_progress",
            "overdue_actions",
            "mrt_pending",
            "near_max_stay",
        ]
        form = QueueFilterForm

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        user = getattr(request, "user", None)
        self.filters["location"].queryset = locations_of(getattr(user, "organisation", None))
        self.today = timezone.localdate()

    def filter_no_scenario(self, queryset, name, value):
        if value is None:
            return queryset
        since = self.today - datetime.timedelta(days=int(value))
        return queryset.filter(scenario_direction__isnull=True, trajectory_start__lte=since)

    def filter_departure_without_progress(self, queryset, name, value):
        if value is None:
            return queryset
        since = self.today - datetime.timedelta(days=DEPARTURE_PROGRESS_DAYS)
        progress = TimelineEvent.objects.filter(case=OuterRef("pk"), type__in=PROGRESS_EVENTS, occurred_on__gt=since)
        queryset = queryset.alias(recent_progress=Exists(progress))
        stalled = Q(scenario_direction=Direction.DEPARTURE, scenario_set_on__lte=since, recent_progress=False)
        return queryset.filter(stalled) if value else queryset.exclude(stalled)

    def filter_overdue_actions(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_action_count__gt=0) if value else queryset.filter(overdue_action_count=0)

    def filter_mrt_pending(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(mrt_pending=value)

    def filter_near_max_stay(self, queryset, name, value):
        if value is None:
            return queryset
        near = Q(max_stay_due_on__lte=self.today + datetime.timedelta(days=MAX_STAY_NEAR_DAYS))
        return queryset.filter(near) if value else queryset.exclude(near)


def pending_advice_events(case_ids) -> dict[int, TimelineEvent]:
    """``pending_advice_event`` for many cases at once (one query): case id → the newest
    ``mrt_advice`` event that no LSO has discussed since."""
    ids = list(case_ids)
    if not ids:
        return {}
    later = TimelineEvent.objects.filter(case=OuterRef("case"), type=EventType.LSO_DISCUSSED).filter(
        Q(occurred_on__gt=OuterRef("occurred_on")) | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    events = (
        TimelineEvent.objects.filter(case__in=ids, type=EventType.MRT_ADVICE)
        .filter(~Exists(later))
        .order_by("case_id", "-occurred_on", "-pk")
        .distinct("case_id")
    )
    return {event.case_id: event for event in events}


def lvv_organisations(location: Location) -> list:
    """The municipality and every organisation that serves the LVV, by name (one query)."""
    from lvv.partners.models import Organisation

    return list(
        Organisation.objects.filter(Q(pk=location.municipality_id) | Q(service_links__location=location))
        .distinct()
        .order_by("name", "pk")
    )
