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
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce
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
    Scenario,
    TimelineEvent,
)
from cases.selectors import LocationFilterSet
from cases.workflow import ADMITTED_STATES, OPEN_STATES
from lso import reasons
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
from lvv.access.policy import Actor
from lvv.accounts.models import Role, User
from lvv.forms import StyledFormMixin
from lvv.params import IntegerFilter
from lvv.partners.models import Location, ServiceLink, locations_of

if TYPE_CHECKING:
    from lvv.partners.models import Organisation

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

# The reasons' texts (Dutch source strings; shown with the suggestion, stored on the item
# as data, ``lso.reasons``).
REST_PERIOD_DETAIL = reasons.REST_PERIOD_DETAIL
SCENARIO_REVIEW_DETAIL = reasons.SCENARIO_REVIEW_DETAIL
COOPERATION_DETAIL = reasons.COOPERATION_DETAIL
MRT_ADVICE_DETAIL = reasons.MRT_ADVICE_DETAIL
NO_DURABLE_SOLUTION = reasons.NO_DURABLE_SOLUTION
MAX_STAY_DETAIL = reasons.MAX_STAY_DETAIL
REQUESTED_DETAIL = reasons.REQUESTED_DETAIL
DTV_FLAG_DETAIL = reasons.DTV_FLAG_DETAIL

# The order in which reasons are listed (most urgent first).
REASON_ORDER = [r.value for r in Reason]


# --- Meetings and items ------------------------------------------------------------------


def visible_meetings(user: Actor) -> QuerySet[Meeting]:
    """Meetings of the LVVs the user's organisation works for (roles that see cases only)."""
    if policy.is_system(user):
        return Meeting.objects.all()
    if not policy.sees_persons(user) or getattr(user, "organisation_id", None) is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(location__in=locations_of(user.organisation).values("pk"))


def visible_items(user: Actor) -> QuerySet[AgendaItem]:
    """Agenda items whose meeting and case the user may both see."""
    return AgendaItem.objects.filter(
        meeting__in=visible_meetings(user).values("pk"),
        case__in=Case.objects.visible_to(user).values("pk"),
    )


def meeting_list(user: Actor) -> QuerySet[Meeting]:
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


def preparation_notes(user: Actor) -> QuerySet[PreparationNote]:
    """Preparation notes as ``user`` reads them: a special text the user may not see is
    withheld (``lso.confidential``). Not scoped: filter by visible items."""
    return PreparationNote.objects.for_reader(user).select_related("organisation", "author").order_by("pk")


def item_queryset(user: Actor) -> QuerySet[AgendaItem]:
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


def meeting_for_page(user: Actor, pk: int | str) -> Meeting:
    """A visible meeting with its visible items (``meeting.visible_items``), in a fixed
    number of queries. ``Meeting.DoesNotExist`` when the user may not see it."""
    return (
        visible_meetings(user)
        .select_related("location", "location__municipality", "created_by", "finalised_by")
        .prefetch_related(Prefetch("items", queryset=item_queryset(user), to_attr="visible_items"))
        .get(pk=pk)
    )


def get_visible_item(user: Actor, pk: int | str) -> AgendaItem:
    """``AgendaItem.DoesNotExist`` when the user may not see it."""
    return item_queryset(user).get(pk=pk)


# --- Suggestions for the agenda ----------------------------------------------------------


@dataclass
class SuggestionReason:
    reason: str
    detail: str
    event_id: int | None = None
    part: dict[str, Any] = field(default_factory=dict)  # the reason as data (``lso.reasons.part``)

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

    @property
    def parts(self) -> list[dict[str, Any]]:
        return [r.part for r in self.reasons]


def _d(value: datetime.date | None) -> str:
    return date_format(value) if value else ""


def suggestion_candidates(meeting: Meeting, user: Actor) -> QuerySet[Case]:
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


def _no_discussion_after() -> Expression:
    """No ``lso_discussed`` event of the same case after the outer event (a later date, or
    the same date and recorded later)."""
    later = TimelineEvent.objects.filter(case=OuterRef("case"), type=EventType.LSO_DISCUSSED).filter(
        Q(occurred_on__gt=OuterRef("occurred_on")) | Q(occurred_on=OuterRef("occurred_on"), pk__gt=OuterRef("pk"))
    )
    return ~Exists(later)


def _rows(queryset: QuerySet, reason: str, day: str, *, event: bool = False) -> QuerySet:
    """One reason's rows in the shape every reason shares: the case, the reason and its
    urgency (its index in ``REASON_ORDER``), the date its text names and, for a reason that
    an event brings (``event``: the rows are timeline events), the event's id, summary and
    data (what its text quotes), else nulls."""
    return queryset.order_by().values(
        row_case=F("case_id"),
        row_reason=Value(reason, output_field=CharField()),
        row_urgency=Value(REASON_ORDER.index(reason), output_field=IntegerField()),
        row_day=F(day),
        row_event=F("pk") if event else Cast(Value(None), BigIntegerField()),
        row_summary=F("summary") if event else Cast(Value(None), CharField()),
        row_data=F("data") if event else Cast(Value(None), JSONField()),
    )


def reason_rows(day: datetime.date) -> dict[str, QuerySet]:
    """Each reason of a meeting on ``day`` as the rows that bring a case to it, over all
    cases (``case_id``-keyed sets, not yet scoped: ``suggestions`` scopes them).

    - rest period ended without a scenario: the running rest-period deadline fell due
      before the meeting date and no scenario is set;
    - scenario review due: the running scenario-review deadline falls due by the meeting;
    - insufficient cooperation: the latest cooperation check is insufficient and the case
      has not been discussed in an LSO since that check (on or after its date);
    - MRT advice received: an ``mrt_advice`` event after the last ``lso_discussed`` one;
    - maximum stay near: the running max-stay deadline falls due within
      ``MAX_STAY_NEAR_DAYS`` days of the meeting;
    - requested by a partner: an ``lso_requested`` event after the last discussion;
    - DT&V flag: a flagged ``dtv_review`` event after the last discussion.

    Paused deadlines do not count (a case has one deadline of each kind). An event reason
    may have several rows for a case: its text names the newest event.
    """

    def deadline(kind: str, **due: Any) -> QuerySet[Deadline]:
        return Deadline.objects.filter(kind=kind, resolved_on__isnull=True, paused_since__isnull=True, **due)

    later_check = CooperationCheck.objects.filter(case=OuterRef("case")).filter(
        Q(checked_on__gt=OuterRef("checked_on")) | Q(checked_on=OuterRef("checked_on"), pk__gt=OuterRef("pk"))
    )
    discussed_since = TimelineEvent.objects.filter(
        case=OuterRef("case"), type=EventType.LSO_DISCUSSED, occurred_on__gte=OuterRef("checked_on")
    )
    cooperation = CooperationCheck.objects.filter(result=CooperationResult.INSUFFICIENT).filter(
        ~Exists(later_check), ~Exists(discussed_since)
    )

    def pending(event_type: str, **data: Any) -> QuerySet[TimelineEvent]:
        return TimelineEvent.objects.filter(type=event_type, **data).filter(_no_discussion_after())

    rest = deadline(DeadlineKind.REST_PERIOD_END, due_on__lt=day).filter(
        ~Exists(Scenario.objects.filter(case=OuterRef("case")))
    )
    rows: dict[str, QuerySet] = {
        Reason.REST_PERIOD_ENDED: _rows(rest, Reason.REST_PERIOD_ENDED, "due_on"),
        Reason.SCENARIO_REVIEW_DUE: _rows(
            deadline(DeadlineKind.SCENARIO_REVIEW, due_on__lte=day), Reason.SCENARIO_REVIEW_DUE, "due_on"
        ),
        Reason.INSUFFICIENT_COOPERATION: _rows(cooperation, Reason.INSUFFICIENT_COOPERATION, "checked_on"),
        Reason.MRT_ADVICE_RECEIVED: _rows(
            pending(EventType.MRT_ADVICE), Reason.MRT_ADVICE_RECEIVED, "occurred_on", event=True
        ),
        Reason.MAX_STAY_NEAR: _rows(
            deadline(DeadlineKind.MAX_STAY, due_on__lte=day + datetime.timedelta(days=MAX_STAY_NEAR_DAYS)),
            Reason.MAX_STAY_NEAR,
            "due_on",
        ),
        Reason.REQUESTED_BY_PARTNER: _rows(
            pending(EventType.LSO_REQUESTED), Reason.REQUESTED_BY_PARTNER, "occurred_on", event=True
        ),
        Reason.DTV_FLAG: _rows(
            pending(EventType.DTV_REVIEW, data__flagged=True), Reason.DTV_FLAG, "occurred_on", event=True
        ),
    }
    return {reason: rows[reason] for reason in REASON_ORDER if reason in rows}


def _scoped_rows(day: datetime.date, location_id: int) -> list[QuerySet]:
    """``reason_rows`` of a meeting on ``day`` for the open cases of its LVV: only an open
    case can be suggested (``suggestion_candidates``), and the LVV's closed cases, most of its
    history, are left out before any reason is worked out for them (``case_location_state``)."""
    return [rows.filter(case__location=location_id, case__state__in=OPEN_STATES) for rows in reason_rows(day).values()]


@functools.lru_cache(maxsize=64)
def reasons_sql(day: datetime.date, location_id: int) -> tuple[str, tuple]:
    """The SQL of ``_scoped_rows`` for the LVV's open cases (every column of ``_rows``), with
    its parameters apart. The SQL depends on these two arguments alone, so it is compiled once
    per day and LVV in a process: building and compiling its seven parts costs about as much
    as running it. A narrower set of cases is a filter on its ``row_case`` (``_of_cases``),
    which PostgreSQL applies to each of its parts, so that no list of cases is kept."""
    parts = _scoped_rows(day, location_id)
    sql, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    return sql, tuple(params)


def _of_cases(meeting: Meeting, cases: Iterable[int] | None) -> tuple[str, list]:
    """``reasons_sql`` of the meeting's day and LVV, kept to ``cases`` when given."""
    sql, params = reasons_sql(meeting.date, meeting.location_id)
    if cases is None:
        return sql, list(params)
    return f"SELECT * FROM ({sql}) k WHERE k.row_case = ANY(%s)", [*params, list(cases)]  # noqa: S608


def suggestions_sql(meeting: Meeting, user: Actor, *, cases: list[int] | None = None) -> tuple[str, list] | None:
    """The FROM and WHERE of the suggestions' query (``c``: the case, ``s.urgency``: the
    index in ``REASON_ORDER`` of its most urgent reason), or None when there can be none.

    Each reason's rows are computed once, for the meeting's LVV (or ``cases``), and grouped
    per case (a plain SQL query around the ORM's parts: the ORM has no subquery in FROM); the
    cases are those a suggestion may name (``suggestion_candidates``: the access policy).
    """
    if cases is not None and not cases:
        return None
    candidates = suggestion_candidates(meeting, user).select_related(None).values("pk")
    try:
        reasons, reasons_params = _of_cases(meeting, cases)
        candidates_sql, candidates_params = candidates.query.sql_with_params()
    except EmptyResultSet:  # e.g. a user who sees no case at all
        return None
    # Only SQL that the ORM compiled, with its parameters apart.
    sql = (
        f"FROM (SELECT r.row_case, MIN(r.row_urgency) AS urgency FROM ({reasons}) r GROUP BY r.row_case) s "  # noqa: S608
        f'JOIN "{Case._meta.db_table}" c ON c.id = s.row_case WHERE c.id IN ({candidates_sql})'
    )
    return sql, [*reasons_params, *candidates_params]


# ``Case.reference`` in SQL (the external id, else ``LVV-<id>``), compared byte by byte (the
# "C" collation) as Python compares the strings.
REFERENCE_SQL = "COALESCE(NULLIF(c.external_id, ''), 'LVV-' || c.id::text) COLLATE \"C\""


def ordered_suggestions(
    meeting: Meeting, user: Actor, *, cases: list[int] | None = None, offset: int = 0, limit: int | None = None
) -> list[tuple[int, int, int]]:
    """The ids of the cases that need this meeting, most urgent first, sliced in SQL: rows
    of (case id, urgency, the number of suggestions in all). No reasons, no texts:
    ``SuggestionList`` adds those for the cases shown.

    The order: the most urgent reason (its index in ``REASON_ORDER``), then the case's
    reference, then its id. One query, whatever the page.
    """
    found = suggestions_sql(meeting, user, cases=cases)
    if found is None:
        return []
    sql, params = found
    page = " LIMIT %s" if limit is not None else ""
    query = f"SELECT c.id, s.urgency, COUNT(*) OVER () {sql} ORDER BY s.urgency, {REFERENCE_SQL}, c.id{page} OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, *([limit] if limit is not None else []), offset])
        return cursor.fetchall()


def count_suggestions(meeting: Meeting, user: Actor, *, cases: list[int] | None = None) -> int:
    found = suggestions_sql(meeting, user, cases=cases)
    if found is None:
        return 0
    sql, params = found
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {sql}", params)
        return cursor.fetchone()[0]


class SuggestionList:
    """The suggestions of a meeting for a user, paged in SQL: ``page(offset, limit)`` or a
    slice (``Paginator`` and the API's pagination take it as a list). One query orders,
    slices and counts (``ordered_suggestions``); the reasons and their texts are computed for
    the cases on the page only (two queries, ``_with_reasons``): three queries a page
    whatever the number of suggestions. ``count()`` alone is one query."""

    def __init__(self, meeting: Meeting, user: Actor, *, cases: Iterable[int] | None = None) -> None:
        self.meeting = meeting
        self.user = user
        self.cases = None if cases is None else list(cases)
        self._count: int | None = None
        self._pages: dict[tuple[int, int | None], list[Suggestion]] = {}

    def page(self, offset: int = 0, limit: int | None = None) -> list[Suggestion]:
        for (start, size), made in self._pages.items():  # a part of a page already made
            if start == offset and (size is None or (limit is not None and limit <= size)):
                return made if limit is None else made[:limit]
        key = (offset, limit)
        if key not in self._pages:
            rows = ordered_suggestions(self.meeting, self.user, cases=self.cases, offset=offset, limit=limit)
            if rows:
                self._count = rows[0][2]
            elif not offset:
                self._count = 0
            ids = [row[0] for row in rows]
            self._pages[key] = _with_reasons(self.meeting, self.user, ids)
        return self._pages[key]

    def count(self) -> int:
        if self._count is None:
            self._count = count_suggestions(self.meeting, self.user, cases=self.cases)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.page())

    def __getitem__(self, key: int | slice) -> Suggestion | list[Suggestion]:
        if isinstance(key, slice):
            if key.step not in (None, 1) or (key.start or 0) < 0 or (key.stop is not None and key.stop < 0):
                raise ValueError("only plain, non-negative slices")
            start = key.start or 0
            limit = None if key.stop is None else max(0, key.stop - start)
            return [] if limit == 0 else self.page(start, limit)
        if not isinstance(key, int) or key < 0:
            raise IndexError(key)
        found = self.page(key, 1)
        if not found:
            raise IndexError(key)
        return found[0]


def _with_reasons(meeting: Meeting, user: Actor, case_ids: list[int]) -> list[Suggestion]:
    """The suggestions for ``case_ids`` (in that order), each case with its person, LVV and
    NGO and every reason with its text (two queries: the cases, and the reasons' rows with
    what the texts quote, for these cases)."""
    if not case_ids:
        return []
    cases = suggestion_candidates(meeting, user).in_bulk(case_ids)
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for reason_row in _reason_rows_of(meeting, case_ids):
        key = (reason_row["row_case"], reason_row["row_reason"])
        # An event reason names its newest event (date, then id); other reasons have one row.
        if key not in found or _newest_first(reason_row) > _newest_first(found[key]):
            found[key] = reason_row
    result = []
    for pk in case_ids:
        if pk not in cases:
            continue
        suggestion = Suggestion(case=cases[pk])
        for reason in REASON_ORDER:
            row = found.get((pk, reason))
            if row is None:
                continue
            event_id = row["row_event"]
            event = None
            if event_id is not None:
                event = TimelineEvent(
                    pk=event_id, occurred_on=row["row_day"], summary=row["row_summary"], data=row["row_data"]
                )
            part = reasons.part(reason, day=row["row_day"], event=event)
            suggestion.reasons.append(
                SuggestionReason(reason=reason, detail=reasons.text(part), event_id=event_id, part=part)
            )
        if suggestion.reasons:
            result.append(suggestion)
    return result


def _reason_rows_of(meeting: Meeting, case_ids: list[int]) -> list[dict[str, Any]]:
    """The reason rows (``_rows``' columns) of ``case_ids`` (``_of_cases``)."""
    sql, params = _of_cases(meeting, case_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:  # the driver gives JSON as text (Django's psycopg loaders)
        if isinstance(row["row_data"], str):
            row["row_data"] = json.loads(row["row_data"])
    return rows


def _newest_first(row: dict[str, Any]) -> tuple[datetime.date, int]:
    return (row["row_day"], row["row_event"] or 0)


def suggestions(meeting: Meeting, user: Actor, *, cases: Iterable[Case | int] | None = None) -> list[Suggestion]:
    """All the cases that need this meeting (or those of ``cases`` that do), most urgent
    first, each with its reasons and their texts (``reason_rows``), in three queries.

    Never a case the user may not see, never a case already on this meeting's agenda, never
    a closed case. A page shows a part of them: ``SuggestionList``.
    """
    ids = None if cases is None else [case.pk if isinstance(case, Case) else case for case in cases]
    return SuggestionList(meeting, user, cases=ids).page()


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


def meeting_recipients(location: Location) -> QuerySet[User]:
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


def notices_for(user: User) -> QuerySet[MeetingNotice]:
    """The user's meeting notices (unread first), with their meeting and LVV."""
    return (
        MeetingNotice.objects.filter(user=user, meeting__in=visible_meetings(user).values("pk"))
        .select_related("meeting__location")
        .order_by(F("read_at").desc(nulls_first=True), "-created_at", "-pk")
    )


# --- Actions -----------------------------------------------------------------------------


def visible_actions(user: Actor) -> QuerySet[Action]:
    return (
        Action.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("case__person", "case__location", "owner_organisation", "owner_user", "item__meeting")
        .order_by("due_on", "pk")
    )


def open_actions_for(user: Actor) -> QuerySet[Action]:
    """The user's work queue of follow-up actions: open actions of visible cases owned by
    the user's organisation or by the user, earliest due first (one query)."""
    if not getattr(user, "is_authenticated", False) or policy.is_system(user):
        return Action.objects.none()
    owned = Q(owner_user=user.pk)
    if user.organisation_id:
        owned |= Q(owner_organisation=user.organisation_id)
    return visible_actions(user).filter(owned, done_on__isnull=True)


# --- DT&V review -------------------------------------------------------------------------


def visible_review_notes(user: Actor) -> QuerySet[ReviewNote]:
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


def _count(queryset: QuerySet[Any]) -> Coalesce:
    rows = queryset.order_by().values("case").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def review_queue(user: Actor, *, today: datetime.date | None = None) -> QuerySet[Case]:
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


class ReviewQueueFilter(LocationFilterSet):
    """The review queue's filters, shared by the page and the API; they combine (and)."""

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()

    def filter_no_scenario(self, queryset: QuerySet[Any], name: str, value: int | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        since = self.today - datetime.timedelta(days=int(value))
        return queryset.filter(scenario_direction__isnull=True, trajectory_start__lte=since)

    def filter_departure_without_progress(
        self, queryset: QuerySet[Any], name: str, value: bool | None
    ) -> QuerySet[Any]:
        if value is None:
            return queryset
        since = self.today - datetime.timedelta(days=DEPARTURE_PROGRESS_DAYS)
        progress = TimelineEvent.objects.filter(case=OuterRef("pk"), type__in=PROGRESS_EVENTS, occurred_on__gt=since)
        queryset = queryset.alias(recent_progress=Exists(progress))
        stalled = Q(scenario_direction=Direction.DEPARTURE, scenario_set_on__lte=since, recent_progress=False)
        return queryset.filter(stalled) if value else queryset.exclude(stalled)

    def filter_overdue_actions(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(overdue_action_count__gt=0) if value else queryset.filter(overdue_action_count=0)

    def filter_mrt_pending(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(mrt_pending=value)

    def filter_near_max_stay(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        near = Q(max_stay_due_on__lte=self.today + datetime.timedelta(days=MAX_STAY_NEAR_DAYS))
        return queryset.filter(near) if value else queryset.exclude(near)


def pending_advice_events(case_ids: Iterable[int]) -> dict[int, TimelineEvent]:
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


def lvv_organisations(location: Location) -> list[Organisation]:
    """The municipality and every organisation that serves the LVV, by name (one query)."""
    from lvv.partners.models import Organisation

    return list(
        Organisation.objects.filter(Q(pk=location.municipality_id) | Q(service_links__location=location))
        .distinct()
        .order_by("name", "pk")
    )
