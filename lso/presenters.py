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
    # The forms the reader may use on the item (``ITEM_FORMS``), each behind its disclosure: a
    # ``*_due`` flag says the reader may use it; the form itself is drawn (``*_form``) only
    # where it was posted with errors or asked for, otherwise it comes when opened (ADR 0029).
    # The reader's organisation's preparation note:
    note_due: bool = False
    note_form: forms.Form | None = None
    # The reader's organisation's note holds a special text the reader may not read (and so
    # not rewrite).
    note_locked: bool = False
    # The item's time on the agenda (while the agenda is built):
    time_due: bool = False
    time_form: forms.Form | None = None
    # The item's outcome (the chair, from the day of the meeting):
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


# The forms on an agenda item, each drawn when opened (``item_form_entry``); an item's form is
# keyed ``<kind>-<item id>``, as its prefix and the page's ``?<kind>=<item id>``.
ITEM_FORMS = ("note", "time", "outcome")


def item_form_key(kind: str, item_pk: int) -> str:
    return f"{kind}-{item_pk}"


def _add_forms(
    entries: list[AgendaEntry],
    meeting: Meeting,
    user,
    roles: MeetingRoles,
    posted: PostedForm,
    opened: str = "",
) -> None:
    """Which forms the user may use on each entry, and the forms drawn: the one posted with
    errors and the one ``opened`` (``item_form_key``; the page without JavaScript). The others
    come when the user opens them (``item_form_entry``). A fixed number of queries: the LVV's
    organisations and the pending MRT advice, each once, for an outcome form drawn."""
    drawn = {posted.key, opened} - {""}
    outcome_drawn = {
        entry.item.pk: entry.item.case_id
        for entry in entries
        if roles.minutes_open and entry.outcome is None and item_form_key("outcome", entry.item.pk) in drawn
    }
    organisations = selectors.lvv_organisations(meeting.location) if outcome_drawn else []
    advice = selectors.pending_advice_events(outcome_drawn.values()) if outcome_drawn else {}
    for entry in entries:
        item = entry.item
        if roles.partner:
            _note_due(entry, user)
        entry.time_due = roles.building
        entry.outcome_due = roles.minutes_open and entry.outcome is None
        if entry.note_due and item_form_key("note", item.pk) in drawn:
            entry.note_form = posted.get(item_form_key("note", item.pk), partial(note_form, entry, user))
        if entry.time_due and item_form_key("time", item.pk) in drawn:
            entry.time_form = posted.get(item_form_key("time", item.pk), partial(time_form, meeting, item))
        if item.pk in outcome_drawn:
            entry.advice_event = advice.get(item.case_id)
            entry.outcome_form = posted.get(
                item_form_key("outcome", item.pk),
                partial(outcome_form, meeting, item, organisations, advice_pending=entry.advice_event is not None),
            )


def _own_note(item: AgendaItem, user):
    return next((n for n in item.notes.all() if n.organisation_id == user.organisation_id), None)


def _note_due(entry: AgendaEntry, user) -> None:
    """The user's organisation may write its preparation note on the entry's item, unless
    that note holds a special text the user may not read (``note_locked``)."""
    own_note = _own_note(entry.item, user)
    entry.note_locked = own_note is not None and own_note.text_withheld
    entry.note_due = not entry.note_locked


def note_form(entry: AgendaEntry, user, data=None) -> forms.Form:
    """The form of the user's organisation's preparation note on the entry's item (its text
    as it stands; the special mark offered where the user may read special-category data of
    the case)."""
    own_note = _own_note(entry.item, user)
    return lso_forms.NoteForm(
        data,
        initial={
            "text": own_note.text if own_note else "",
            "special": bool(own_note and own_note.confidentiality == Confidentiality.SPECIAL),
        },
        special_allowed=entry.show_special_category,
        prefix=item_form_key("note", entry.item.pk),
    )


def time_form(meeting: Meeting, item: AgendaItem, data=None) -> forms.Form:
    """The form of the item's time on the agenda."""
    return lso_forms.ItemTimeForm(
        data,
        initial={"minutes_allotted": item.minutes_allotted, "version": meeting.version},
        prefix=item_form_key("time", item.pk),
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
    opened: str = "",
) -> MeetingPage:
    """The page of ``meeting`` (from ``selectors.meeting_for_page``) for ``user``, with the
    user's newest ``pack``, the search ``query``, part ``suggestions`` of the suggestions, the
    form the user ``posted`` (key and form) where it has errors, and the item's form
    ``opened`` (``item_form_key``) drawn open (the page without JavaScript)."""
    roles = MeetingRoles.of(user, meeting)
    forms_ = PostedForm(posted)
    version = {"version": meeting.version}
    items: list[AgendaItem] = meeting.visible_items  # type: ignore[attr-defined]  # (meeting_for_page's)
    entries = agenda(items, user, special=roles.partner)
    _add_forms(entries, meeting, user, roles, forms_, opened)
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


def item_form_entry(meeting: Meeting, item_pk: int, user, kind: str) -> AgendaEntry | None:
    """The entry of the item ``item_pk`` with its form ``kind`` (one of ``ITEM_FORMS``)
    drawn, for the meeting page to show when the user opens it; None when the user may not
    use that form (any more). The item is read as the page reads it (``selectors.item_queryset``:
    its notes with the special texts withheld from a reader without the permission)."""
    item = selectors.item_queryset(user).filter(pk=item_pk, meeting=meeting).first()
    if item is None:
        return None
    entry = agenda([item], user, special=kind == "note")[0]
    _add_forms([entry], meeting, user, MeetingRoles.of(user, meeting), PostedForm(), item_form_key(kind, item.pk))
    return entry if getattr(entry, f"{kind}_form") is not None else None


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
