"""Escalation to the MRT, its advice, and the LSO's follow-up, end to end in the services."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import EventType, TimelineEvent
from lso import selectors as lso_selectors
from lso import services as lso_services
from lso.models import Decision, ItemOutcome, Reason
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from monitor import figures
from mrt import selectors, services
from mrt.models import EscalationStatus
from tests.lso.helpers import chair, chair_records, meeting_for, today
from tests.mrt.helpers import advise, escalated

pytestmark = pytest.mark.django_db


def event_types(case):
    return list(TimelineEvent.objects.filter(case=case).order_by("pk").values_list("type", flat=True))


def test_escalation_advice_and_lso_follow_up(world):
    ams = world.ams
    case, escalation = escalated(ams)
    # The escalation carries the reason, the question, the positions and preparation tasks.
    assert escalation.status == EscalationStatus.OPEN
    assert escalation.reason == "disagreement" and escalation.agenda_item.case == case
    assert escalation.advice_due_on == today() + datetime.timedelta(days=services.ADVICE_DUE_DAYS)
    assert {p.organisation for p in escalation.positions.all()} == {ams.ngo_a, ams.dtv}
    assert {t.owner_organisation for t in escalation.tasks.all()} == {ams.ind, ams.dtv}
    assert event_types(case)[-2:] == ["mrt_escalated", "lso_discussed"]
    # The DT&V's review queue shows the case as waiting for the MRT.
    queue = lso_selectors.review_queue(ams.users[Role.DTV])
    assert queue.get(pk=case.pk).mrt_pending is True

    # The IND and the DT&V do their preparation; the municipality plans a session.
    dtv_task = escalation.tasks.get(owner_organisation=ams.dtv)
    assert list(selectors.open_tasks_for(ams.users[Role.DTV])) == [dtv_task]
    with pytest.raises(PermissionDenied):
        services.complete_preparation_task(acting_user=ams.users[Role.IND], origin=COMMAND, task=dtv_task)
    services.complete_preparation_task(acting_user=ams.users[Role.DTV], origin=COMMAND, task=dtv_task)
    assert list(selectors.open_tasks_for(ams.users[Role.DTV])) == []
    services.save_position(
        acting_user=ams.users[Role.IND], origin=COMMAND, escalation=escalation, text="Geen verblijfsgrond zichtbaar."
    )
    with pytest.raises(PermissionDenied):
        services.create_session(acting_user=ams.users[Role.DTV], origin=COMMAND, location=ams.location, date=today())
    session = services.create_session(
        acting_user=chair(ams),
        origin=COMMAND,
        location=ams.location,
        date=today(),
        place="Stadhuis",
        ngo=ams.ngo_a,
        ind_specialist=ams.users[Role.IND],
        dtv_specialist=ams.users[Role.DTV],
    )
    with pytest.raises(ValidationError):
        services.create_session(
            acting_user=chair(ams),
            origin=COMMAND,
            location=ams.location,
            date=today(),
            ind_specialist=ams.users[Role.DTV],
        )
    escalation = services.schedule_escalation(
        acting_user=ams.users[Role.CASEMANAGER],
        origin=COMMAND,
        escalation=escalation,
        session=session,
        expected_version=1,
    )
    assert escalation.status == EscalationStatus.SCHEDULED and escalation.version == 2

    def chair_advises(**advice):
        return services.give_advice(acting_user=chair(ams), origin=COMMAND, escalation=escalation, **advice)

    with pytest.raises(services.StaleVersionError):
        chair_advises(reasoning="x", direction="departure", expected_version=1)

    # The advice: validation, then the timeline events the LSO learns from.
    with pytest.raises(ValidationError) as exc:
        chair_advises(reasoning="Zie verslag")
    assert exc.value.message_dict == {"direction": [str(services.DIRECTION_REQUIRED)]}
    with pytest.raises(ValidationError):
        chair_advises(reasoning="x", direction="departure", no_durable_solution_possible=True)
    advice = chair_advises(
        reasoning="Vertrek is haalbaar na medische stabilisatie.", direction="departure", route="return_to_origin"
    )
    assert advice.session == session and advice.due_on == today() + datetime.timedelta(days=28)
    assert event_types(case)[-2:] == ["mrt_discussed", "mrt_advice"]
    assert TimelineEvent.objects.get(case=case, type=EventType.MRT_DISCUSSED).data == {
        "outcome": None,
        "advice": advice.pk,
        "imported": False,
    }
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.ADVISED
    assert lso_selectors.review_queue(ams.users[Role.DTV]).get(pk=case.pk).mrt_pending is False
    with pytest.raises(ValidationError):
        services.save_position(acting_user=ams.users[Role.IND], origin=COMMAND, escalation=escalation, text="Later")

    # The advice appears among the next meeting's suggestions.
    nxt = meeting_for(ams, date=today())
    [suggestion] = [s for s in lso_selectors.suggestions(nxt, chair(ams)) if s.case == case]
    assert suggestion.reason.reason == Reason.MRT_ADVICE_RECEIVED
    assert suggestion.reason.event_id == advice.event_id
    [item] = lso_services.add_suggested_items(acting_user=chair(ams), origin=COMMAND, meeting=nxt, cases=[case])
    lso_services.publish_meeting(acting_user=chair(ams), origin=COMMAND, meeting=nxt, notify=False)

    # The LSO must say whether it follows the advice, and why not.
    with pytest.raises(ValidationError) as exc:
        chair_records(ams, item, Decision.NO_DECISION)
    assert exc.value.message_dict == {"advice_followed": [str(lso_services.ADVICE_FOLLOWED_REQUIRED)]}
    with pytest.raises(ValidationError) as exc:
        chair_records(ams, item, Decision.NO_DECISION, advice_followed=False)
    assert exc.value.message_dict == {"advice_not_followed_reason": [str(lso_services.ADVICE_REASON_REQUIRED)]}
    assert selectors.visible_escalations(chair(ams)).get(pk=escalation.pk).followed_up is False
    outcome = chair_records(
        ams,
        item,
        Decision.SCENARIO,
        direction="residence",
        route="medical",
        advice_followed=False,
        advice_not_followed_reason="Nieuwe medische informatie: vertrek is voorlopig niet verantwoord.",
    )
    assert outcome.advice_event_id == advice.event_id and outcome.advice_followed is False
    assert case.scenarios.get().direction == "residence"
    assert selectors.visible_escalations(chair(ams)).get(pk=escalation.pk).followed_up is True
    assert selectors.visible_advice(chair(ams)).get(pk=advice.pk).followed_up is True
    # Discussed: no longer suggested for the advice.
    later = meeting_for(ams, date=today() + datetime.timedelta(days=14))
    assert case.pk not in {s.case.pk for s in lso_selectors.suggestions(later, chair(ams))}
    assert ItemOutcome.objects.filter(advice_event__isnull=False).count() == 1


def test_no_durable_solution_is_counted_as_mrt_outcome(world):
    ams = world.ams
    case, escalation = escalated(ams, reason="complexity")
    assert not escalation.positions.exists()
    advise(ams, escalation, "Geen realistisch perspectief op vertrek of verblijf.", no_durable_solution_possible=True)
    event = TimelineEvent.objects.get(case=case, type=EventType.MRT_DISCUSSED)
    assert event.data["outcome"] == "no_durable_solution_possible" and event.data["advice"] is not None
    # The monitor counts the case as discussed in an MRT.
    assert figures.figures(today(), [ams.location])["locations"]["amsterdam"]["mrt_cases"] == 1
    advice_event = TimelineEvent.objects.get(case=case, type=EventType.MRT_ADVICE)
    assert advice_event.data["no_durable_solution_possible"] is True
    nxt = meeting_for(ams)
    [s] = [s for s in lso_selectors.suggestions(nxt, chair(ams)) if s.case == case]
    assert "geen bestendige oplossing mogelijk" in s.detail


def test_mrt_objects_are_hidden_from_other_lvvs_and_the_bureau(world):
    case, escalation = escalated(world.ams)
    task = escalation.tasks.first()
    for user in (world.rot.users[Role.LSO_CHAIR], world.rot.users[Role.DTV], world.bureau):
        assert not selectors.visible_escalations(user).exists()
        assert not selectors.visible_tasks(user).exists()
        with pytest.raises(services.NotVisibleError):
            services.save_position(acting_user=user, origin=COMMAND, escalation=escalation, text="x")
        with pytest.raises(services.NotVisibleError):
            services.give_advice(
                acting_user=user, origin=COMMAND, escalation=escalation, reasoning="x", direction="departure"
            )
        with pytest.raises(services.NotVisibleError):
            services.complete_preparation_task(acting_user=user, origin=COMMAND, task=task)
    # A session of another LVV cannot be used.
    rot_session = services.create_session(
        acting_user=world.rot.users[Role.LSO_CHAIR], origin=COMMAND, location=world.rot.location, date=today()
    )
    with pytest.raises(ValidationError):
        services.schedule_escalation(
            acting_user=chair(world.ams), origin=COMMAND, escalation=escalation, session=rot_session
        )
    # A national session can.
    national = services.create_session(acting_user=chair(world.rot), origin=COMMAND, location=None, date=today())
    assert national.municipality == world.rot.location.municipality
    services.schedule_escalation(acting_user=chair(world.ams), origin=COMMAND, escalation=escalation, session=national)
