"""Agenda suggestions: each reason brings the right cases with its text, and never a case
the user may not see, a closed case or a case already on the agenda."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from cases.models import DeadlineKind, EventType
from lso import selectors, services
from lso.models import ItemSource, Reason
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory
from tests.lso.helpers import chair, meeting_for, scenario_case, sheltered_case, today

pytestmark = pytest.mark.django_db

SYS = {"acting_user": SYSTEM, "origin": COMMAND}


def reasons_by_case(suggestions) -> dict[int, list[str]]:
    return {s.case.pk: [r.reason for r in s.reasons] for s in suggestions}


def cases_for_every_reason(lvv):
    """One case per reason in ``lvv`` (and a few that must not be suggested)."""
    day = today()
    cm, ngo, dtv = lvv.users[Role.CASEMANAGER], lvv.users[Role.NGO], lvv.users[Role.DTV]
    made = {}
    # Rest period ended (dossier complete on 20 January 2020, 14 days), no scenario.
    made["rest"] = CaseFactory(location=lvv.location, assigned_ngo=lvv.ngo_a, dossier_complete=True)
    # Scenario set on 3 February 2020: the review (90 days) is long due.
    made["review"] = scenario_case(lvv)
    # Insufficient cooperation.
    made["cooperation"] = sheltered_case(lvv)
    case_services.record_cooperation_check(
        **SYS, case=made["cooperation"], result="insufficient", on=datetime.date(2020, 2, 10)
    )
    # Sufficient after an insufficient one: not suggested.
    made["cooperation_ok"] = sheltered_case(lvv)
    case_services.record_cooperation_check(
        **SYS, case=made["cooperation_ok"], result="insufficient", on=datetime.date(2020, 2, 10)
    )
    case_services.record_cooperation_check(
        **SYS, case=made["cooperation_ok"], result="sufficient", on=datetime.date(2020, 3, 10)
    )
    # An MRT advice on the timeline.
    made["advice"] = sheltered_case(lvv)
    case_services.add_event(
        made["advice"],
        EventType.MRT_ADVICE,
        on=day,
        actor=None,
        summary="Vertrek na medische stabilisatie.",
        data={"direction": "departure", "route": "return_to_origin", "no_durable_solution_possible": False},
    )
    # Maximum stay: a safe-country case whose stay ends ten days after the meeting.
    meeting_day = day + datetime.timedelta(days=7)
    lvv.location.safe_country_max_stay_days = (meeting_day - datetime.date(2020, 1, 6)).days + 10
    lvv.location.save()
    made["max_stay"] = sheltered_case(lvv, case_types=["safe_country"])
    # ...and one that started recently: its maximum stay is far away.
    made["max_stay_far"] = CaseFactory(
        location=lvv.location, sheltered=True, case_types=["safe_country"], registered_on=day - datetime.timedelta(5)
    )
    # Requested by the NGO.
    made["requested"] = sheltered_case(lvv)
    services.request_lso_discussion(
        acting_user=ngo, origin=COMMAND, case=made["requested"], reason="Medische situatie verslechterd."
    )
    # Requested, but discussed afterwards: not suggested.
    made["requested_discussed"] = sheltered_case(lvv)
    services.request_lso_discussion(
        acting_user=cm, origin=COMMAND, case=made["requested_discussed"], reason="Graag bespreken.", on=day
    )
    case_services.add_event(made["requested_discussed"], EventType.LSO_DISCUSSED, on=day, actor=None)
    # A flagged DT&V review, and an unflagged one.
    made["flagged"] = sheltered_case(lvv)
    services.add_review_note(
        acting_user=dtv, origin=COMMAND, case=made["flagged"], text="Geen voortgang in vertrek.", flagged=True
    )
    made["reviewed"] = sheltered_case(lvv)
    services.add_review_note(acting_user=dtv, origin=COMMAND, case=made["reviewed"], text="Loopt goed.")
    # A closed case with a request: never suggested.
    made["closed"] = CaseFactory(location=lvv.location, with_outflow="departure_origin")
    case_services.add_event(made["closed"], EventType.LSO_REQUESTED, on=day, actor=None, summary="x")
    return made, meeting_day


def test_each_reason_brings_the_right_cases(world):
    made, meeting_day = cases_for_every_reason(world.ams)
    cases_for_every_reason(world.rot)  # the same in Rotterdam: never suggested in Amsterdam
    meeting = meeting_for(world.ams, date=meeting_day)

    found = selectors.suggestions(meeting, chair(world.ams))
    by_case = reasons_by_case(found)
    assert by_case[made["rest"].pk] == [Reason.REST_PERIOD_ENDED]
    assert by_case[made["review"].pk] == [Reason.SCENARIO_REVIEW_DUE]
    assert by_case[made["cooperation"].pk] == [Reason.INSUFFICIENT_COOPERATION]
    assert by_case[made["advice"].pk] == [Reason.MRT_ADVICE_RECEIVED]
    assert by_case[made["max_stay"].pk] == [Reason.MAX_STAY_NEAR]
    assert by_case[made["requested"].pk] == [Reason.REQUESTED_BY_PARTNER]
    assert by_case[made["flagged"].pk] == [Reason.DTV_FLAG]
    for name in ("cooperation_ok", "max_stay_far", "requested_discussed", "reviewed", "closed"):
        assert made[name].pk not in by_case, name
    assert {s.case.location_id for s in found} == {world.ams.location.pk}
    # The world's own two cases (registered, nothing due) are not suggested either.
    assert set(by_case) == {
        made[n].pk for n in ("rest", "review", "cooperation", "advice", "max_stay", "requested", "flagged")
    }

    texts = {s.case.pk: s.detail for s in found}
    assert texts[made["rest"].pk] == "Rusttermijn verlopen op 3 februari 2020; nog geen scenario."
    assert texts[made["review"].pk] == "Herbeoordeling van het scenario uiterlijk op 3 mei 2020."
    assert "10 februari 2020" in texts[made["cooperation"].pk]
    assert "vertrek, terugkeer naar land van herkomst" in texts[made["advice"].pk]
    assert texts[made["requested"].pk].startswith("Aangevraagd door Ngo A amsterdam op ")
    assert texts[made["requested"].pk].endswith("Medische situatie verslechterd.")
    assert texts[made["flagged"].pk].endswith("Geen voortgang in vertrek.")
    # Most urgent reason first.
    assert [s.reason.reason for s in found][0] == Reason.REST_PERIOD_ENDED


def test_a_case_with_several_reasons_is_one_suggestion(world):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, dossier_complete=True)
    services.request_lso_discussion(acting_user=world.ams.users[Role.NGO], origin=COMMAND, case=case, reason="Graag.")
    meeting = meeting_for(world.ams, date=today())
    [suggestion] = [s for s in selectors.suggestions(meeting, chair(world.ams)) if s.case == case]
    assert [r.reason for r in suggestion.reasons] == [Reason.REST_PERIOD_ENDED, Reason.REQUESTED_BY_PARTNER]


def test_only_cases_the_user_may_see(world):
    made, meeting_day = cases_for_every_reason(world.ams)
    meeting = meeting_for(world.ams, date=meeting_day)
    # Some cases are assigned to ngo_b: the NGO A guide does not see them.
    for name in ("review", "flagged"):
        case_services.update_case(**SYS, case=made[name], expected_version=None, assigned_ngo=world.ams.ngo_b)
    ngo_user = world.ams.users[Role.NGO]
    seen = reasons_by_case(selectors.suggestions(meeting, ngo_user))
    assert made["review"].pk not in seen and made["flagged"].pk not in seen
    assert made["rest"].pk in seen
    # Another LVV's chair and the programme bureau see none.
    assert selectors.suggestions(meeting, chair(world.rot)) == []
    assert selectors.suggestions(meeting, world.bureau) == []


def test_cases_on_the_agenda_are_not_suggested_again(world):
    made, meeting_day = cases_for_every_reason(world.ams)
    meeting = meeting_for(world.ams, date=meeting_day)
    items = services.add_suggested_items(
        acting_user=chair(world.ams), origin=COMMAND, meeting=meeting, cases=[made["advice"], made["requested"]]
    )
    assert [i.source for i in items] == [ItemSource.SUGGESTED, ItemSource.SUGGESTED]
    assert items[0].reason == Reason.MRT_ADVICE_RECEIVED and items[0].source_event is not None
    assert "MRT-advies van" in items[0].reason_detail
    left = reasons_by_case(selectors.suggestions(meeting, chair(world.ams)))
    assert made["advice"].pk not in left and made["requested"].pk not in left
    assert made["rest"].pk in left
    # A case that is no suggestion cannot be added as one.
    with pytest.raises(services.ValidationError) as exc:
        services.add_suggested_items(
            acting_user=chair(world.ams), origin=COMMAND, meeting=meeting, cases=[made["reviewed"]]
        )
    assert "cases" in exc.value.message_dict


def test_paused_deadline_does_not_count(world):
    case = CaseFactory(location=world.ams.location, dossier_complete=True)
    case_services.pause_deadline(
        **SYS, case=case, kind=DeadlineKind.REST_PERIOD_END, reason="Ziekenhuisopname", on=datetime.date(2020, 1, 25)
    )
    meeting = meeting_for(world.ams, date=today())
    assert case.pk not in reasons_by_case(selectors.suggestions(meeting, chair(world.ams)))


def test_suggestions_run_a_fixed_number_of_queries(world):
    cases_for_every_reason(world.ams)
    meeting = meeting_for(world.ams, date=today() + datetime.timedelta(days=7))
    with CaptureQueriesContext(connection) as small:
        few = selectors.suggestions(meeting, chair(world.ams))
    for _ in range(4):
        cases_for_every_reason(world.ams)
    with CaptureQueriesContext(connection) as large:
        many = selectors.suggestions(meeting, chair(world.ams))
    assert len(many) > len(few)
    assert len(small.captured_queries) == len(large.captured_queries) <= 8


def test_the_reasons_sql_is_compiled_once_per_day_and_lvv(world):
    """``reasons_sql`` is kept per day, LVV and cases: a second meeting on the same day in the
    same LVV reuses it, and another day gets its own (the rows follow the day)."""
    selectors.reasons_sql.cache_clear()
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, dossier_complete=True)
    rest_due = case.deadlines.get(kind=DeadlineKind.REST_PERIOD_END).due_on
    before = meeting_for(world.ams, date=rest_due)  # the rest period has not ended on that day
    after = meeting_for(world.ams, date=rest_due + datetime.timedelta(days=1), place="Stadhuis, kamer 3")
    assert case.pk not in reasons_by_case(selectors.suggestions(before, chair(world.ams)))
    assert reasons_by_case(selectors.suggestions(after, chair(world.ams)))[case.pk] == [Reason.REST_PERIOD_ENDED]
    misses = selectors.reasons_sql.cache_info().misses
    again = meeting_for(world.ams, date=after.date, place="Stadhuis, kamer 4")
    assert reasons_by_case(selectors.suggestions(again, chair(world.ams)))[case.pk] == [Reason.REST_PERIOD_ENDED]
    assert selectors.reasons_sql.cache_info().misses == misses
    # Asked for given cases (as adding suggested cases does): the same entry, kept to them.
    other = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, dossier_complete=True)
    only = selectors.suggestions(again, chair(world.ams), cases=[case.pk])
    assert reasons_by_case(only) == {case.pk: [Reason.REST_PERIOD_ENDED]} and other.pk not in reasons_by_case(only)
    assert selectors.reasons_sql.cache_info().misses == misses
