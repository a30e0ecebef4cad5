"""``?ordering=`` in the API with the list pages' sort keys (``lvv.lists.api``): cases,
meetings, escalations, the DT&V review queue and an inbox; unknown keys answer 400."""

from __future__ import annotations

import datetime

import pytest

from cases import services as case_services
from lso import services as lso_services
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from mrt.models import Escalation
from tests.factories import CaseFactory, PersonFactory
from tests.lso.helpers import meeting_for, sheltered_case, today
from tests.mrt.helpers import escalate

pytestmark = pytest.mark.django_db

BASE = "/api/v1"
DAY = datetime.timedelta(days=1)


def named(lvv, family_name: str, v_number: str, **kwargs):
    person = PersonFactory(family_name=family_name, given_names="Api", v_number=v_number)
    return CaseFactory(location=lvv.location, person=person, **kwargs)


def ids(client, url: str, **params) -> list[int]:
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_cases_order_by_the_list_keys_and_the_old_fields(api_client, world):
    ams = world.ams
    cohen = named(ams, "Cohen", "3100000003")
    aydin = named(ams, "Aydin", "3100000001")
    bakker = named(ams, "Bakker", "3100000002")
    api_client.force_authenticate(ams.users[Role.CASEMANAGER])
    url = f"{BASE}/cases/"
    ours = [aydin.pk, bakker.pk, cohen.pk]

    def only_ours(**params):
        return [pk for pk in ids(api_client, url, q="Api", **params) if pk in ours]

    assert only_ours() == [bakker.pk, aydin.pk, cohen.pk]  # the default: newest first
    assert only_ours(ordering="name") == [aydin.pk, bakker.pk, cohen.pk]
    assert only_ours(ordering="-name") == [cohen.pk, bakker.pk, aydin.pk]
    assert only_ours(ordering="v_number") == [aydin.pk, bakker.pk, cohen.pk]
    assert only_ours(ordering="state,-v_number") == [cohen.pk, bakker.pk, aydin.pk]
    assert only_ours(ordering="created_at") == [cohen.pk, aydin.pk, bakker.pk]  # as before
    for bad in ("health_notes", "person__health_notes", "name,,bogus", "-" * 3, "a,b,c,d,e,f"):
        response = api_client.get(url, {"ordering": bad})
        assert response.status_code == 400, bad
        assert "ordering" in str(response.json())


def test_meetings_and_escalations_order_by_the_list_keys(api_client, world):
    ams = world.ams
    early = meeting_for(ams, date=today() + DAY)
    late = meeting_for(ams, date=today() + 5 * DAY)
    api_client.force_authenticate(ams.users[Role.LSO_CHAIR])
    assert ids(api_client, f"{BASE}/meetings/", ordering="date") == [early.pk, late.pk]
    assert ids(api_client, f"{BASE}/meetings/", ordering="-date") == [late.pk, early.pk]
    assert api_client.get(f"{BASE}/meetings/", {"ordering": "place"}).status_code == 400

    first = escalate(ams, sheltered_case(ams, person=PersonFactory(family_name="Zuid")))
    second = escalate(ams, sheltered_case(ams, person=PersonFactory(family_name="Noord")))
    Escalation.objects.filter(pk=first.pk).update(escalated_on=datetime.date(2024, 1, 1))
    Escalation.objects.filter(pk=second.pk).update(escalated_on=datetime.date(2024, 2, 1))
    url = f"{BASE}/escalations/"
    assert ids(api_client, url, ordering="escalated_on") == [first.pk, second.pk]
    assert ids(api_client, url, ordering="-escalated_on") == [second.pk, first.pk]
    assert ids(api_client, url, ordering="case") == [second.pk, first.pk]  # Noord before Zuid
    assert api_client.get(url, {"ordering": "question"}).status_code == 400


def test_review_queue_and_inbox_order_by_the_list_keys(api_client, world):
    ams = world.ams
    zomer = named(ams, "Zomer", "3200000001", sheltered=True)
    appel = named(ams, "Appel", "3200000002", sheltered=True)
    lso_services.add_review_note(
        acting_user=ams.users[Role.DTV], origin=COMMAND, case=zomer, text="Getoetst", on=today() - DAY
    )
    api_client.force_authenticate(ams.users[Role.DTV])
    url = f"{BASE}/reviews/queue/"

    def queue(**params):
        response = api_client.get(url, params)
        assert response.status_code == 200, response.json()
        return [row["case"]["id"] for row in response.json()["results"] if row["case"]["id"] in (zomer.pk, appel.pk)]

    assert queue(ordering="name") == [appel.pk, zomer.pk]
    assert queue(ordering="-name") == [zomer.pk, appel.pk]
    assert queue(ordering="-last_review") == [zomer.pk, appel.pk]  # never reviewed last
    assert api_client.get(url, {"ordering": "text"}).status_code == 400

    later = named(ams, "Later", "3300000001", admitted=True)
    earlier = named(ams, "Eerder", "3300000002", admitted=True)
    for case, day in ((later, 19), (earlier, 11)):
        case_services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=case, on=datetime.date(2020, 1, day))
    url = f"{BASE}/inbox/dtv_dossier/"

    def inbox(**params):
        response = api_client.get(url, params)
        assert response.status_code == 200, response.json()
        return [row["reference"] for row in response.json()["results"]]

    assert inbox() == [earlier.reference, later.reference]  # the most urgent first
    assert inbox(ordering="-since") == [later.reference, earlier.reference]
    assert inbox(ordering="case") == [earlier.reference, later.reference]  # Eerder before Later
    assert api_client.get(url, {"ordering": "what"}).status_code == 400
