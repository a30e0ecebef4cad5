"""The meeting built once (``lso.presenters``): the page and the agenda pack show the same
agenda to the same reader, what the user may do follows the meeting's state and the day, and
a posted form comes back with its errors in its own place only."""

from __future__ import annotations

import datetime

import pytest

from lso import forms as lso_forms
from lso import pdf, presenters, selectors
from lvv.accounts.models import Role
from tests.lso.helpers import chair, meeting_for, published, sheltered_case, today

pytestmark = pytest.mark.django_db


def page_of(meeting, user, **kwargs):
    return presenters.meeting_page(selectors.meeting_for_page(user, meeting.pk), user, pack=None, **kwargs)


def test_page_and_pack_show_the_same_agenda_to_each_reader(world):
    ams = world.ams
    sheltered = sheltered_case(ams)  # assigned to the NGO, as ``ams.assigned`` is
    meeting = published(ams, [ams.unassigned, ams.assigned, sheltered])
    agendas = {}
    for reader in (chair(ams), ams.users[Role.NGO]):
        page = page_of(meeting, reader)
        pack = pdf.pack_context(meeting, reader)
        shown = [(e.item.pk, e.number, e.first, e.last) for e in page.entries]
        assert shown == [(e.item.pk, e.number, e.first, e.last) for e in pack["entries"]]
        assert page.total_minutes == pack["total_minutes"] == sum(e.item.minutes_allotted for e in page.entries)
        agendas[reader.pk] = [e.case for e in page.entries]
    # The chair sees the whole agenda in its order, the NGO only the cases assigned to it.
    assert agendas[chair(ams).pk] == [ams.unassigned, ams.assigned, sheltered]
    assert agendas[ams.users[Role.NGO].pk] == [ams.assigned, sheltered]


def test_what_the_user_may_do_follows_the_meeting_and_the_day(world):
    ams = world.ams
    draft = presenters.MeetingRoles.of(chair(ams), meeting_for(ams))
    assert (draft.building, draft.minutes_open, draft.minutes_in_future) == (True, False, False)

    later = published(ams, [sheltered_case(ams)], date=today() + datetime.timedelta(days=3))
    before = presenters.MeetingRoles.of(chair(ams), later)
    assert (before.building, before.minutes_open, before.minutes_in_future) == (True, False, True)
    on_the_day = presenters.MeetingRoles.of(chair(ams), later, today=later.date)
    assert (on_the_day.minutes_open, on_the_day.minutes_in_future) == (True, False)

    ngo = presenters.MeetingRoles.of(ams.users[Role.NGO], later, today=later.date)
    assert ngo.partner and not (ngo.can_chair or ngo.building or ngo.minutes_open)


def test_posted_form_comes_back_in_its_place_only(world):
    ams = world.ams
    meeting = published(ams, [ams.assigned, sheltered_case(ams)])
    first, second = selectors.meeting_for_page(chair(ams), meeting.pk).visible_items
    posted = lso_forms.ItemTimeForm({"minutes_allotted": "", "version": meeting.version}, prefix=f"time-{first.pk}")
    assert not posted.is_valid()

    page = page_of(meeting, chair(ams), posted=(f"time-{first.pk}", posted))
    assert page.entries[0].time_form is posted
    # The other item's time form comes when opened (ADR 0029); it may be opened.
    assert page.entries[1].time_form is None and page.entries[1].time_due
    assert not page.step_form.is_bound and not page.manual_form.is_bound
    context = page.context()
    assert context["entries"] == page.entries and context["suggestions_page"] == 1
