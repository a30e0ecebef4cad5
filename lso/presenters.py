"""The LSO meeting as people read it, built once for every output: the meeting page and the
agenda pack (PDF).

- ``agenda(items, reader)``: one ``AgendaEntry`` per agenda item the reader sees, in the
  agenda's order, with whether the reader may read the special-category details of its case
  (one query for all the items). The pack shows these entries as they are; the meeting page
  adds the forms the reader may use on each.
- ``MeetingRoles.of(user, meeting)``: what the user may do on the meeting today (prepare the
  agenda, chair, write a partner's preparation, record outcomes).
- ``suggestions_part(meeting, user, number)``: one part of the suggestions for the agenda,
  the most urgent first (three queries whatever their number).
- ``meeting_page(meeting, user, ...)``: everything the meeting page shows (``MeetingPage``),
  in a fixed number of queries whatever the number of agenda items and suggestions.

Reads through ``lso.selectors`` and the access policy and writes nothing; the request and
the response stay in ``lso.views``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django import forms
from django.utils import timezone

from cases import selectors as case_selectors
from cases.models import Case, Confidentiality
from lso import forms as lso_forms
from lso import selectors, services
from lso.models import AgendaItem, AgendaPack, Meeting, MeetingStatus
from lvv.access import policy

# The meeting page shows this many suggestions, the most urgent first; more on request.
SUGGESTIONS_PER_PAGE = 20
# The most cases a search by name, V-number or external id shows.
SEARCH_RESULTS = 10
# The time a case added by hand gets on the agenda unless the preparer says otherwise.
MANUAL_MINUTES = 10
PREPARE_STATES = (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED)
MINUTES_STATES = (MeetingStatus.PUBLISHED, MeetingStatus.HELD)


# --- The agenda (page and pack) ------------------------------------------------------------


@dataclass
class AgendaEntry:
    """One agenda item as one reader sees it: its place on the agenda and whether the reader
    may read the special-category details of its case. On the meeting page also the forms
    the reader may use on it (``None`` where the reader may not)."""

    item: AgendaItem
    number: int
    count: int
    show_special_category: bool = False
    note_form: forms.Form | None = None
    # The reader's organisation's note holds a special text the reader may not read (and so
    # not rewrite).
    note_locked: bool = False
    time_form: forms.Form | None = None
    # The chair may record the item's outcome: its form is drawn (``outcome_form``) only where
    # it was posted with errors or asked for; otherwise it comes when opened (ADR 0029).
    outcome_due: bool = False
    outcome_form: forms.Form | None = None
    # The MRT's advice on the case that the outcome still has to answer.
    advice_event: Any = None

    @property
    def case(self) -> Case:
        return self.item.case

    @property
    def outcome(self):
        return getattr(self.item, "outcome", None)

    @property
    def first(self) -> bool:
        return self.number == 1

    @property
    def last(self) -> bool:
        return self.number == self.count


def agenda(items: Sequence[AgendaItem], reader, *, special: bool = True) -> list[AgendaEntry]:
    """``items`` (as ``selectors.item_queryset`` gives them) as the reader's agenda; whether
    the reader may read each case's special-category details is asked for all the cases in
    one go, and only when ``special``."""
    sees_special = policy.SpecialCategoryChecker(reader, [item.case for item in items] if special else [])
    count = len(items)
    return [
        AgendaEntry(item=item, number=number, count=count, show_special_category=special and sees_special(item.case))
        for number, item in enumerate(items, start=1)
    ]


def total_minutes(items: Sequence[AgendaItem]) -> int:
    """The time on the agenda for these items."""
    return sum(item.minutes_allotted for item in items)


# --- What the user may do ------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingRoles:
    """What the user may do on the meeting today; nothing once its minutes are final."""

    can_prepare: bool
    can_chair: bool
    # Writes the organisation's preparation note on each item.
    partner: bool
    # Adds, moves and removes items and sets their time (before the meeting is held).
    building: bool
    # Records the items' outcomes (the chair, from the day of the meeting).
    minutes_open: bool
    minutes_in_future: bool

    @classmethod
    def of(cls, user, meeting: Meeting, *, today: datetime.date | None = None) -> MeetingRoles:
        today = today or timezone.localdate()
        location = meeting.location
        can_prepare = services.can_prepare(user, location) and not meeting.is_final
        can_chair = services.can_chair(user, location) and not meeting.is_final
        minutes = can_chair and meeting.status in MINUTES_STATES
        return cls(
            can_prepare=can_prepare,
            can_chair=can_chair,
            partner=services.works_for(user.organisation, location) and not meeting.is_final,
            building=can_prepare and meeting.status in PREPARE_STATES,
            minutes_open=minutes and meeting.date <= today,
            minutes_in_future=minutes and meeting.date > today,
        )


class PostedForm:
    """The form the user posted (with its errors) for its key; a new one for every other key."""

    def __init__(self, posted: tuple[str, forms.Form] | None = None) -> None:
        self.key: str = posted[0] if posted else ""
        self.form: forms.Form | None = posted[1] if posted else None

    def get(self, key: str, new: Callable[[], forms.Form]) -> forms.Form:
        if self.form is not None and self.key == key:
            return self.form
        return new()


def _add_forms(
    entries: list[AgendaEntry],
    meeting: Meeting,
    user,
    roles: MeetingRoles,
    posted: PostedForm,
    open_outcome: int | None = None,
) -> None:
    """The forms the user may use on each entry (a fixed number of queries: the LVV's
    organisations and the pending MRT advice, each once for the outcome forms drawn). An
    outcome form is drawn for the item posted with errors and the item ``open_outcome``; the
    others come when the chair opens them (``outcome_entry``)."""
    version = {"version": meeting.version}
    drawn = {
        entry.item.pk: entry.item.case_id
        for entry in entries
        if roles.minutes_open
        and entry.outcome is None
        and (entry.item.pk == open_outcome or posted.key == f"outcome-{entry.item.pk}")
    }
    organisations = selectors.lvv_organisations(meeting.location) if drawn else []
    advice = selectors.pending_advice_events(drawn.values()) if drawn else {}
    for entry in entries:
        item = entry.item
        if roles.partner:
            _add_note_form(entry, user, posted)
        if roles.building:
            key = f"time-{item.pk}"
            entry.time_form = posted.get(
                key,
                partial(
                    lso_forms.ItemTimeForm, initial={"minutes_allotted": item.minutes_allotted, **version}, prefix=key
                ),
            )
        if roles.minutes_open and entry.outcome is None:
            entry.outcome_due = True
        if item.pk in drawn:
            key = f"outcome-{item.pk}"
            entry.advice_event = advice.get(item.case_id)
            entry.outcome_form = posted.get(
                key,
                partial(outcome_form, meeting, item, organisations, advice_pending=entry.advice_event is not None),
            )


def _add_note_form(entry: AgendaEntry, user, posted: PostedForm) -> None:
    """The user's organisation's preparation note on the entry's item: its form, or the sign
    that it holds a special text the user may not read."""
    own_note = next((n for n in entry.item.notes.all() if n.organisation_id == user.organisation_id), None)
    if own_note is not None and own_note.text_withheld:
        entry.note_locked = True
        return
    key = f"note-{entry.item.pk}"
    entry.note_form = posted.get(
        key,
        partial(
            lso_forms.NoteForm,
            initial={
                "text": own_note.text if own_note else "",
                "special": bool(own_note and own_note.confidentiality == Confidentiality.SPECIAL),
            },
            special_allowed=entry.show_special_category,
            prefix=key,
        ),
    )


# --- Suggestions and the search for cases to add -------------------------------------------


@dataclass
class SuggestionsPart:
    """One part (``number``, from 1) of the meeting's suggestions, the most urgent first: the
    first part on the page, the next ones on request ("meer tonen": ``appended`` rows under
    the ones shown through htmx, or the page with that part without JavaScript)."""

    rows: list[selectors.Suggestion]
    total: int
    number: int
    offset: int
    appended: bool = False

    @property
    def more(self) -> bool:
        return self.offset + len(self.rows) < self.total

    def context(self) -> dict[str, Any]:
        """The part as the suggestion templates read it."""
        return {
            "suggestions": self.rows,
            "suggestions_total": self.total,
            "suggestions_page": self.number,
            "suggestions_from": 1 if self.appended else self.offset + 1,
            "suggestions_to": self.offset + len(self.rows),
            "suggestions_more": self.more,
            "suggestions_next": self.number + 1,
            "suggestions_appended": self.appended,
        }


def suggestions_part(meeting: Meeting, user, number: int = 1, *, appended: bool = False) -> SuggestionsPart:
    """Part ``number`` of the suggestions (``SUGGESTIONS_PER_PAGE``; three queries whatever
    their number)."""
    offset = (number - 1) * SUGGESTIONS_PER_PAGE
    found = selectors.SuggestionList(meeting, user)
    rows = found.page(offset, SUGGESTIONS_PER_PAGE)
    return SuggestionsPart(rows=rows, total=found.count(), number=number, offset=offset, appended=appended)


def search_cases(meeting: Meeting, user, query: str) -> list[Case]:
    """The cases the agenda may take whose name, V-number or external id is ``query``
    (``SEARCH_RESULTS`` at most, by name): the case list's search (``cases.selectors.search``,
    on its indexes), within the cases a suggestion may name."""
    if not query:
        return []
    return list(
        selectors.suggestion_candidates(meeting, user)
        .filter(case_selectors.search(query))
        .order_by("person__family_name", "person__given_names", "pk")[:SEARCH_RESULTS]
    )


# --- The meeting page ----------------------------------------------------------------------


@dataclass
class MeetingPage:
    """Everything the meeting page shows. ``suggestions``, ``manual_form`` and the search
    only while the user builds the agenda."""

    meeting: Meeting
    roles: MeetingRoles
    entries: list[AgendaEntry]
    step_form: forms.Form
    pack: AgendaPack | None
    suggestions: SuggestionsPart | None = None
    manual_form: forms.Form | None = None
    query: str = ""
    search_results: list[Case] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return total_minutes([entry.item for entry in self.entries])

    def context(self) -> dict[str, Any]:
        """The page as ``lso/meeting_detail.html`` reads it."""
        roles = self.roles
        context = {
            "meeting": self.meeting,
            "entries": self.entries,
            "can_prepare": roles.can_prepare,
            "can_chair": roles.can_chair,
            "building": roles.building,
            "minutes_open": roles.minutes_open,
            "minutes_in_future": roles.minutes_in_future,
            "step_form": self.step_form,
            "total_minutes": self.total_minutes,
            "pack": self.pack,
            "version": self.meeting.version,
        }
        if self.suggestions is not None:
            context.update(self.suggestions.context())
            context.update(manual_form=self.manual_form, query=self.query, search_results=self.search_results)
        return context


def meeting_page(
    meeting: Meeting,
    user,
    *,
    pack: AgendaPack | None,
    query: str = "",
    suggestions: int = 1,
    posted: tuple[str, forms.Form] | None = None,
    open_outcome: int | None = None,
) -> MeetingPage:
    """The page of ``meeting`` (from ``selectors.meeting_for_page``) for ``user``, with the
    user's newest ``pack``, the search ``query``, part ``suggestions`` of the suggestions, the
    form the user ``posted`` (key and form) where it has errors, and the outcome form of the
    item ``open_outcome`` drawn open (the page without JavaScript)."""
    roles = MeetingRoles.of(user, meeting)
    forms_ = PostedForm(posted)
    version = {"version": meeting.version}
    items: list[AgendaItem] = meeting.visible_items  # type: ignore[attr-defined]  # (meeting_for_page's)
    entries = agenda(items, user, special=roles.partner)
    _add_forms(entries, meeting, user, roles, forms_, open_outcome)
    page = MeetingPage(
        meeting=meeting,
        roles=roles,
        entries=entries,
        step_form=forms_.get("step", partial(lso_forms.MeetingStepForm, initial=version)),
        pack=pack,
    )
    if roles.building:
        page.suggestions = suggestions_part(meeting, user, suggestions)
        page.manual_form = forms_.get(
            "manual", partial(lso_forms.ManualAddForm, initial={**version, "minutes_allotted": MANUAL_MINUTES})
        )
        page.query = query
        page.search_results = search_cases(meeting, user, query)
    return page


def outcome_entry(meeting: Meeting, item: AgendaItem, user) -> AgendaEntry | None:
    """One item's outcome form, for the meeting page to show when the chair opens it; None
    when the user may not record the item's outcome (any more)."""
    if not MeetingRoles.of(user, meeting).minutes_open or getattr(item, "outcome", None) is not None:
        return None
    entry = AgendaEntry(item=item, number=1, count=1, outcome_due=True)
    entry.advice_event = selectors.pending_advice_events([item.case_id]).get(item.case_id)
    entry.outcome_form = outcome_form(
        meeting, item, selectors.lvv_organisations(meeting.location), advice_pending=entry.advice_event is not None
    )
    return entry


def outcome_form(meeting: Meeting, item: AgendaItem, organisations, *, advice_pending: bool, data=None):
    """The outcome form of ``item`` (prefixed with its key), offering the LVV's
    ``organisations`` as action owners; with ``data``, as posted."""
    return lso_forms.OutcomeForm(
        data,
        initial={"version": meeting.version},
        organisations=organisations,
        advice_pending=advice_pending,
        prefix=f"outcome-{item.pk}",
    )
