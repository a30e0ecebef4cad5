"""Texts the system stores in Dutch, shown in the reader's language: an agenda item's
reasons (stored as data since they are kept so, recognised by their Dutch sentence before),
the neutral summary of a special text, the note of a scenario set in a meeting, notices."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from cases.models import DeadlineKind, Notification, OwnerRole
from cases.notifications import DUE_SOON_MESSAGE
from cases.services import HANDED_OVER_MESSAGE
from lso import reasons, services
from lso.confidential import EVENT_SUMMARY
from lso.models import AgendaItem, Reason
from lvv import stored_text
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.html_parts import find_all
from tests.lso.helpers import chair, meeting_for, sheltered_case, today


def dutch(message, **values) -> str:
    with translation.override("nl"):
        return str(message % values) if values else str(message)


def english(message, **values) -> str:
    with translation.override("en"):
        return str(message % values) if values else str(message)


@pytest.mark.django_db
def test_a_suggested_item_keeps_its_reasons_as_data_and_each_reader_gets_their_language(world, client):
    ams = world.ams
    case = sheltered_case(ams)
    services.request_lso_discussion(
        acting_user=ams.users[Role.NGO], origin=COMMAND, case=case, reason="Geen voortgang in het traject"
    )
    meeting = meeting_for(ams)
    services.add_suggested_items(acting_user=chair(ams), origin=COMMAND, meeting=meeting, cases=[case])
    item = AgendaItem.objects.get(meeting=meeting)
    assert item.reason_parts == [
        {
            "reason": Reason.REQUESTED_BY_PARTNER,
            "date": today().isoformat(),
            "organisation": ams.ngo_a.name,
            "text": "Geen voortgang in het traject",
        }
    ]
    with translation.override("nl"):
        day_nl = date_format(today())
    with translation.override("en"):
        day_en = date_format(today())
    # The Dutch sentence is kept too (the API's reason_detail, as before).
    assert item.reason_detail == dutch(
        reasons.REQUESTED_DETAIL, organisation=ams.ngo_a.name, date=day_nl, reason="Geen voortgang in het traject"
    )
    with translation.override("en"):
        text = reasons.item_text(item)
    assert text == english(
        reasons.REQUESTED_DETAIL, organisation=ams.ngo_a.name, date=day_en, reason="Geen voortgang in het traject"
    )
    assert text.startswith("Requested by")

    # The meeting page in English.
    client.force_login(chair(ams))
    html = client.get(reverse("lso:meeting-detail", args=[meeting.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    item_html = find_all(html, data_testid="agenda-item")[0].text
    assert text in item_html
    assert "Aangevraagd door" not in item_html


@pytest.mark.django_db
def test_a_changed_reason_text_is_shown_as_written(world):
    ams = world.ams
    case = sheltered_case(ams)
    services.request_lso_discussion(acting_user=ams.users[Role.NGO], origin=COMMAND, case=case, reason="Graag")
    meeting = meeting_for(ams)
    [item] = services.add_suggested_items(acting_user=chair(ams), origin=COMMAND, meeting=meeting, cases=[case])
    meeting.refresh_from_db()
    item = services.update_item(acting_user=chair(ams), origin=COMMAND, item=item, reason_detail="Mijn eigen woorden")
    item.refresh_from_db()
    assert item.reason_parts == []
    with translation.override("en"):
        assert reasons.item_text(item) == "Mijn eigen woorden"


def test_every_reason_kind_renders_from_its_data():
    day = datetime.date(2020, 11, 1)
    with translation.override("en"):
        assert reasons.text(reasons.part(Reason.REST_PERIOD_ENDED, day=day)) == (
            "Rest period ended on 1 November 2020; no scenario yet."
        )
        advice = {"reason": Reason.MRT_ADVICE_RECEIVED, "date": "2020-11-01", "advice": {"direction": "departure"}}
        assert reasons.text(advice) == english(reasons.MRT_ADVICE_DETAIL, date="1 November 2020", advice="departure")
        none = {
            "reason": Reason.MRT_ADVICE_RECEIVED,
            "date": "2020-11-01",
            "advice": {"no_durable_solution_possible": 1},
        }
        assert english(reasons.NO_DURABLE_SOLUTION) in reasons.text(none)
        flag = {"reason": Reason.DTV_FLAG, "date": "2020-11-01", "text": dutch(EVENT_SUMMARY)}
        assert reasons.text(flag) == english(
            reasons.DTV_FLAG_DETAIL, date="1 November 2020", text=english(EVENT_SUMMARY)
        )
    with translation.override("nl"):
        assert reasons.text(reasons.part(Reason.REST_PERIOD_ENDED, day=day)) == (
            "Rusttermijn verlopen op 1 november 2020; nog geen scenario."
        )


@pytest.mark.django_db
def test_older_items_with_a_dutch_sentence_are_recognised(world):
    ams = world.ams
    meeting = meeting_for(ams)
    stored = dutch(
        reasons.MRT_ADVICE_DETAIL, date="1 november 2020", advice="vertrek, terugkeer naar land van herkomst"
    )
    item = services.add_item(
        acting_user=chair(ams), origin=COMMAND, meeting=meeting, case=sheltered_case(ams), reason_detail=stored
    )
    assert item.reason_parts == []
    with translation.override("en"):
        text = reasons.item_text(item)
    assert text == english(
        reasons.MRT_ADVICE_DETAIL, date="1 November 2020", advice="departure, return to country of origin"
    )
    with translation.override("nl"):
        assert reasons.item_text(item) == stored


def test_other_stored_sentences_in_english():
    with translation.override("en"):
        assert stored_text.translate(dutch(EVENT_SUMMARY)) == english(EVENT_SUMMARY)
        assert stored_text.translate(dutch(services.SCENARIO_NOTE, date="1 november 2020")) == english(
            services.SCENARIO_NOTE, date="1 November 2020"
        )
        notice = dutch(DUE_SOON_MESSAGE, deadline="Einde rusttermijn", case="LVV-12", date="3 maart 2021")
        assert stored_text.translate(notice) == english(
            DUE_SOON_MESSAGE,
            deadline=english(DeadlineKind.REST_PERIOD_END.label).capitalize(),
            case="LVV-12",
            date="3 March 2021",
        )
        handed = dutch(HANDED_OVER_MESSAGE, case="LVV-7", role=dutch(OwnerRole.CASE_MANAGER.label))
        assert stored_text.translate(handed) == english(
            HANDED_OVER_MESSAGE, case="LVV-7", role=english(OwnerRole.CASE_MANAGER.label)
        )
        # What a user wrote stays as written; so does a sentence with a value that is not a date.
        assert stored_text.translate("Graag bespreken") == "Graag bespreken"
        assert stored_text.translate("Rusttermijn verlopen op morgen; nog geen scenario.") == (
            "Rusttermijn verlopen op morgen; nog geen scenario."
        )
    with translation.override("nl"):
        assert stored_text.translate(dutch(EVENT_SUMMARY)) == dutch(EVENT_SUMMARY)


@pytest.mark.django_db
def test_the_notifications_page_in_english(world, client):
    ams = world.ams
    user = ams.users[Role.CASEMANAGER]
    case = sheltered_case(ams)
    message = dutch(HANDED_OVER_MESSAGE, case=case.reference, role=dutch(OwnerRole.CASE_MANAGER.label))
    Notification.objects.create(user=user, case=case, kind=Notification.Kind.HANDED_OVER, message=message)
    client.force_login(user)
    html = client.get(reverse("cases:notifications:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = find_all(html, data_testid="notification-row")[0].text
    assert english(HANDED_OVER_MESSAGE, case=case.reference, role=english(OwnerRole.CASE_MANAGER.label)) in row
    html = client.get(reverse("cases:notifications:list"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert message in find_all(html, data_testid="notification-row")[0].text
