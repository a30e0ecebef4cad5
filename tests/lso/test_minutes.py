"""Meetings and minutes: who may prepare and chair, the decisions land on the case with
their timeline events, the members are told, and final minutes cannot change."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from cases import services as case_services
from cases.models import EventType, Scenario, TimelineEvent
from cases.services import StaleVersionError
from cases.workflow import StepNotAllowed
from lso import notices, selectors, services
from lso.models import Action, Decision, ItemOutcome, MeetingNotice, MeetingStatus
from lso.services import MinutesFinal
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.factories import CaseFactory
from tests.lso.helpers import chair, chair_records, discussed, meeting_for, published, sheltered_case, today

pytestmark = pytest.mark.django_db


def events(case, *types):
    return list(TimelineEvent.objects.filter(case=case, type__in=types).order_by("pk").values_list("type", flat=True))


def messages(exc) -> list[str]:
    return [str(m) for ms in exc.value.message_dict.values() for m in ms]


def test_preparers_and_chair(world):
    ams = world.ams
    cm = ams.users[Role.CASEMANAGER]
    meeting = services.create_meeting(
        acting_user=cm, origin=COMMAND, location=ams.location, date=today(), start_time=datetime.time(10), place="Zaal"
    )
    assert meeting.status == MeetingStatus.DRAFT and meeting.version == 1
    item = services.add_item(acting_user=cm, origin=COMMAND, meeting=meeting, case=ams.assigned)
    # The case worker prepares, but the chair publishes.
    with pytest.raises(PermissionDenied, match="Alleen de LSO-voorzitter"):
        services.publish_meeting(acting_user=cm, origin=COMMAND, meeting=meeting)
    for user in (ams.users[Role.NGO], ams.users[Role.DTV], ams.users[Role.IND]):
        with pytest.raises(PermissionDenied):
            services.add_item(acting_user=user, origin=COMMAND, meeting=meeting, case=ams.unassigned)
    # Another LVV's chair and the bureau do not see the meeting at all.
    for user in (chair(world.rot), world.bureau):
        with pytest.raises(services.NotVisibleError):
            services.update_meeting(acting_user=user, origin=COMMAND, meeting=meeting, expected_version=None, place="X")
        with pytest.raises(PermissionDenied):
            services.create_meeting(
                acting_user=user,
                origin=COMMAND,
                location=ams.location,
                date=today(),
                start_time=datetime.time(9),
                place="X",
            )
    # A case of another LVV cannot go on the agenda.
    with pytest.raises(services.NotVisibleError):
        services.add_item(acting_user=cm, origin=COMMAND, meeting=meeting, case=world.rot.assigned)
    with pytest.raises(ValidationError) as exc:
        services.add_item(acting_user=cm, origin=COMMAND, meeting=meeting, case=ams.assigned)
    assert messages(exc) == [str(services.ALREADY_ON_AGENDA)]
    meeting.refresh_from_db()
    assert meeting.version == 2  # created, one item added; the refused attempts changed nothing
    assert item.order == 1


def test_meeting_needs_place_or_link_and_version(world):
    with pytest.raises(ValidationError) as exc:
        meeting_for(world.ams, place="")
    assert exc.value.message_dict == {"place": [str(services.PLACE_OR_LINK_REQUIRED)]}
    meeting = meeting_for(world.ams, place="", online_link="https://vergader.example/lso")
    with pytest.raises(StaleVersionError):
        services.update_meeting(
            acting_user=chair(world.ams), origin=COMMAND, meeting=meeting, expected_version=7, place="Zaal 3"
        )
    meeting = services.update_meeting(
        acting_user=chair(world.ams), origin=COMMAND, meeting=meeting, expected_version=1, place="Zaal 3"
    )
    assert meeting.version == 2 and meeting.place == "Zaal 3"


def test_publish_notifies_the_members_in_app_and_by_email(world, django_capture_on_commit_callbacks):
    ams = world.ams
    meeting = meeting_for(ams)
    with pytest.raises(ValidationError) as exc:
        services.publish_meeting(acting_user=chair(ams), origin=COMMAND, meeting=meeting)
    assert messages(exc) == [str(services.AGENDA_EMPTY)]
    services.add_item(acting_user=chair(ams), origin=COMMAND, meeting=meeting, case=ams.assigned)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = services.publish_meeting(acting_user=chair(ams), origin=COMMAND, meeting=meeting)
    assert meeting.status == MeetingStatus.PUBLISHED
    # Without configured members: the municipality and every partner of the LVV (not the
    # chair who published, not another LVV, not the bureau).
    told = set(MeetingNotice.objects.filter(meeting=meeting).values_list("user__username", flat=True))
    assert told == {"casemanager.amsterdam", "ind.amsterdam", "dtv.amsterdam", "ngo.amsterdam", "ngo-b.amsterdam"}
    notice = MeetingNotice.objects.get(meeting=meeting, user=ams.users[Role.DTV])
    assert "is gepubliceerd (1 agendapunt)." in notice.message and notice.emailed_at is not None
    assert len(mail.outbox) == 5
    body = mail.outbox[0].body
    assert "Stadhuis, kamer 2" in body and ams.assigned.person.family_name not in body
    # Sending again changes nothing.
    assert notices.send_notice_email(notice.pk) is False
    # Members configured: only those are told.
    services.save_member(
        acting_user=chair(ams), origin=COMMAND, location=ams.location, organisation=ams.dtv, user=ams.users[Role.DTV]
    )
    assert list(selectors.meeting_recipients(ams.location)) == [ams.users[Role.DTV]]
    with pytest.raises(ValidationError):
        services.save_member(acting_user=chair(ams), origin=COMMAND, location=ams.location, organisation=world.rot.dtv)


def test_minutes_apply_scenario_and_actions_to_the_case(world):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    item = meeting.items.get()
    outcome = chair_records(
        ams,
        item,
        Decision.SCENARIO,
        direction="departure",
        route="return_to_origin",
        notes="Terugkeer naar Eritrea voorbereiden.",
        actions=[
            {"description": "Gesprek over terugkeer", "owner_organisation": ams.ngo_a, "due_on": today()},
            {
                "description": "Reisdocumenten aanvragen",
                "owner_organisation": ams.dtv,
                "owner_user": ams.users[Role.DTV],
                "due_on": today() + datetime.timedelta(days=14),
            },
        ],
        agreed=False,
        positions=[{"organisation": ams.ngo_a, "text": "Eerst medische stabilisatie."}],
    )
    case.refresh_from_db()
    scenario = Scenario.objects.filter(case=case).get()
    assert (scenario.direction, scenario.route, scenario.set_on) == ("departure", "return_to_origin", meeting.date)
    assert scenario.notes == "Terugkeer naar Eritrea voorbereiden."
    assert events(case, EventType.SCENARIO_SET, EventType.ACTION_CREATED, EventType.LSO_DISCUSSED) == [
        "scenario_set",
        "action_created",
        "action_created",
        "lso_discussed",
    ]
    discussed = TimelineEvent.objects.get(case=case, type=EventType.LSO_DISCUSSED)
    assert discussed.occurred_on == meeting.date and discussed.data["decision"] == "scenario"
    assert discussed.data["agreed"] is False
    assert [p.organisation for p in outcome.positions.all()] == [ams.ngo_a]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert AccessLogEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), detail__step="lso_outcome")

    # The actions feed the owners' work queues.
    ngo_queue = list(selectors.open_actions_for(ams.users[Role.NGO]))
    assert [a.description for a in ngo_queue] == ["Gesprek over terugkeer"]
    assert [a.description for a in selectors.open_actions_for(ams.users[Role.DTV])] == ["Reisdocumenten aanvragen"]
    assert list(selectors.open_actions_for(ams.users["ngo_b"])) == []
    assert list(selectors.open_actions_for(world.rot.users[Role.DTV])) == []
    # The owner marks it done: an action_done event; not twice; not by someone else.
    action = ngo_queue[0]
    with pytest.raises(PermissionDenied):
        services.mark_action_done(acting_user=ams.users[Role.IND], origin=COMMAND, action=action)
    with pytest.raises(services.NotVisibleError):
        services.mark_action_done(acting_user=world.rot.users[Role.NGO], origin=COMMAND, action=action)
    services.mark_action_done(acting_user=ams.users[Role.NGO], origin=COMMAND, action=action)
    assert Action.objects.get(pk=action.pk).done_on == today()
    assert events(case, EventType.ACTION_DONE) == ["action_done"]
    with pytest.raises(ValidationError):
        services.mark_action_done(acting_user=ams.users[Role.NGO], origin=COMMAND, action=action)
    assert list(selectors.open_actions_for(ams.users[Role.NGO])) == []


def test_minutes_validation(world):
    ams = world.ams
    case = sheltered_case(ams)
    draft = meeting_for(ams)
    services.add_item(acting_user=chair(ams), origin=COMMAND, meeting=draft, case=case)
    item = draft.items.get()
    with pytest.raises(ValidationError) as exc:
        chair_records(ams, item, Decision.NO_DECISION)
    assert messages(exc) == [str(services.MEETING_NOT_PUBLISHED)]
    services.publish_meeting(acting_user=chair(ams), origin=COMMAND, meeting=draft, notify=False)

    def attempt(**kwargs):
        with pytest.raises(ValidationError) as exc:
            services.record_outcome(acting_user=chair(ams), origin=COMMAND, item=item, **kwargs)
        return exc.value.message_dict

    assert attempt(decision="nonsense") == {"decision": [str(services.DECISION_INVALID)]}
    assert attempt(decision=Decision.SCENARIO) == {"direction": [str(services.DIRECTION_REQUIRED)]}
    assert "route" in attempt(decision=Decision.SCENARIO, direction="residence", route="return_to_origin")
    assert attempt(decision=Decision.ACTIONS) == {"actions": [str(services.ACTIONS_REQUIRED)]}
    assert attempt(decision=Decision.NO_DECISION, agreed=False) == {
        "positions": [str(services.DISSENT_NEEDS_POSITIONS)]
    }
    errors = attempt(
        decision=Decision.ACTIONS,
        actions=[
            {"description": "", "owner_organisation": world.rot.dtv, "due_on": today() - datetime.timedelta(days=1)},
            {"description": "Bellen", "owner_organisation": ams.ngo_b, "due_on": today()},
        ],
    )
    assert errors["actions"][0] == "Actie 1: Beschrijf de actie."
    assert len(errors["actions"]) == 4  # description, partner, due date; the NGO it is not assigned to
    errors = attempt(
        decision=Decision.ESCALATE, escalation_reason="disagreement", escalation_question="Welke richting?"
    )
    assert errors == {"agreed": [str(services.DISAGREEMENT_NOT_AGREED)]}
    # Only the chair records minutes; the meeting date must have come.
    with pytest.raises(PermissionDenied):
        services.record_outcome(
            acting_user=ams.users[Role.CASEMANAGER], origin=COMMAND, item=item, decision=Decision.NO_DECISION
        )
    future = published(ams, [ams.unassigned], date=today() + datetime.timedelta(days=3))
    with pytest.raises(ValidationError, match="nog niet gehouden"):
        chair_records(ams, future.items.get(), Decision.NO_DECISION)
    # A failed attempt wrote nothing.
    assert not TimelineEvent.objects.filter(case=case, type=EventType.LSO_DISCUSSED).exists()
    assert not Action.objects.filter(case=case).exists()


def test_scenario_on_a_closed_case_is_refused_and_nothing_changes(world):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    case_services.record_outflow(
        acting_user=SYSTEM, origin=COMMAND, case=case, category="unknown_destination", on=today()
    )
    with pytest.raises(StepNotAllowed):
        chair_records(ams, meeting.items.get(), Decision.SCENARIO, direction="departure")
    assert not ItemOutcome.objects.exists()


def test_postpone_keeps_the_case_suggested(world):
    ams = world.ams
    case = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, dossier_complete=True)
    discussed(ams, case, Decision.POSTPONE, notes="Tolk afwezig")
    assert events(case, EventType.LSO_POSTPONED, EventType.LSO_DISCUSSED) == ["lso_postponed"]
    nxt = meeting_for(ams, date=today() + datetime.timedelta(days=14))
    assert case.pk in {s.case.pk for s in selectors.suggestions(nxt, chair(ams))}


def test_final_minutes_cannot_change(world):
    ams = world.ams
    case, other = sheltered_case(ams), sheltered_case(ams)
    meeting = published(ams, [case, other])
    first, second = meeting.items.order_by("order")
    chair_records(ams, first, Decision.NO_DECISION)
    with pytest.raises(ValidationError) as exc:
        services.finalize_minutes(acting_user=chair(ams), origin=COMMAND, meeting=meeting)
    assert other.reference in messages(exc)[0]
    chair_records(ams, second, Decision.NO_DECISION)
    with pytest.raises(PermissionDenied):
        services.finalize_minutes(acting_user=ams.users[Role.CASEMANAGER], origin=COMMAND, meeting=meeting)
    meeting = services.finalize_minutes(acting_user=chair(ams), origin=COMMAND, meeting=meeting)
    assert meeting.status == MeetingStatus.MINUTES_FINAL and meeting.finalised_by == chair(ams)

    c, o = chair(ams), COMMAND
    attempts = [
        lambda: services.update_meeting(acting_user=c, origin=o, meeting=meeting, expected_version=None, place="X"),
        lambda: services.add_item(acting_user=c, origin=o, meeting=meeting, case=ams.unassigned),
        lambda: services.update_item(acting_user=c, origin=o, item=first, minutes_allotted=5),
        lambda: services.remove_item(acting_user=c, origin=o, item=first),
        lambda: services.reorder_items(acting_user=c, origin=o, meeting=meeting, item_ids=[second.pk, first.pk]),
        lambda: services.publish_meeting(acting_user=c, origin=o, meeting=meeting),
        lambda: services.finalize_minutes(acting_user=c, origin=o, meeting=meeting),
        lambda: services.record_outcome(acting_user=c, origin=o, item=first, decision=Decision.POSTPONE),
        lambda: services.save_preparation_note(acting_user=ams.users[Role.DTV], origin=o, item=first, text="Later"),
    ]
    for attempt in attempts:
        with pytest.raises(MinutesFinal) as exc:
            attempt()
        assert str(exc.value) == str(services.MINUTES_ARE_FINAL)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.MINUTES_FINAL


def test_agenda_order_time_and_notes(world):
    ams = world.ams
    meeting = meeting_for(ams)
    c = chair(ams)
    a = services.add_item(acting_user=c, origin=COMMAND, meeting=meeting, case=ams.assigned)
    b = services.add_item(acting_user=c, origin=COMMAND, meeting=meeting, case=ams.unassigned, minutes_allotted=20)
    assert (a.order, b.order, b.minutes_allotted) == (1, 2, 20)
    services.reorder_items(acting_user=c, origin=COMMAND, meeting=meeting, item_ids=[b.pk, a.pk])
    assert list(meeting.items.order_by("order").values_list("pk", flat=True)) == [b.pk, a.pk]
    with pytest.raises(ValidationError):
        services.reorder_items(acting_user=c, origin=COMMAND, meeting=meeting, item_ids=[b.pk])
    services.update_item(acting_user=c, origin=COMMAND, item=a, minutes_allotted=15)
    # Preparation notes: one per partner organisation, by anyone who sees the case.
    note = services.save_preparation_note(acting_user=ams.users[Role.DTV], origin=COMMAND, item=a, text="Eerste")
    services.save_preparation_note(acting_user=ams.users[Role.DTV], origin=COMMAND, item=a, text="Herzien")
    note.refresh_from_db()
    assert note.text == "Herzien" and a.notes.count() == 1
    services.save_preparation_note(acting_user=ams.users[Role.NGO], origin=COMMAND, item=a, text="Van de ngo")
    with pytest.raises(services.NotVisibleError):  # the unassigned case: the NGO does not see it
        services.save_preparation_note(acting_user=ams.users[Role.NGO], origin=COMMAND, item=b, text="x")
    with pytest.raises(ValidationError):
        services.save_preparation_note(acting_user=ams.users[Role.IND], origin=COMMAND, item=a, text="  ")
    services.remove_item(acting_user=ams.users[Role.CASEMANAGER], origin=COMMAND, item=b)
    page = selectors.meeting_for_page(ams.users[Role.NGO], meeting.pk)
    assert [i.pk for i in page.visible_items] == [a.pk]
    assert {n.organisation for n in page.visible_items[0].notes.all()} == {ams.dtv, ams.ngo_a}


def test_action_outside_a_meeting(world):
    ams = world.ams
    cm = ams.users[Role.CASEMANAGER]
    with pytest.raises(ValidationError) as exc:
        services.create_action(
            acting_user=cm,
            origin=COMMAND,
            case=ams.assigned,
            description="",
            owner_organisation=ams.ngo_b,
            owner_user=ams.users[Role.DTV],
            due_on=today() - datetime.timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"description", "owner_organisation", "owner_user", "due_on"}
    with pytest.raises(PermissionDenied):
        services.create_action(
            acting_user=ams.users[Role.NGO],
            origin=COMMAND,
            case=ams.assigned,
            description="Bellen",
            owner_organisation=ams.ngo_a,
            due_on=today(),
        )
    action = services.create_action(
        acting_user=cm,
        origin=COMMAND,
        case=ams.assigned,
        description="Bellen",
        owner_organisation=ams.ngo_a,
        due_on=today(),
    )
    assert list(selectors.open_actions_for(ams.users[Role.NGO])) == [action]
    assert events(ams.assigned, EventType.ACTION_CREATED) == ["action_created"]


def test_an_lso_decision_to_terminate_is_the_basis_of_a_forced_termination(world):
    ams = world.ams
    case = sheltered_case(ams)
    discussed(ams, case, Decision.TERMINATE, date=today() - datetime.timedelta(days=20), notes="Geen inzet")
    warned = today() - datetime.timedelta(days=10)
    case = case_services.record_outflow(
        acting_user=ams.users[Role.CASEMANAGER],
        origin=COMMAND,
        case=case,
        category="forced_termination",
        warned_on=warned,
        heard_on=warned + datetime.timedelta(days=3),
        termination_decided_on=warned + datetime.timedelta(days=5),
    )
    assert case.outflow.termination_basis == "lso_decision"


def test_no_decision_to_terminate_where_participation_is_voluntary(world):
    ams = world.ams
    ams.location.voluntary_participation = True
    ams.location.save()
    meeting = published(ams, [sheltered_case(ams)], date=today() - datetime.timedelta(days=2))
    with pytest.raises(ValidationError) as exc:
        chair_records(ams, meeting.items.get(), Decision.TERMINATE)
    assert "vrijwillig" in messages(exc)[0]
