"""The MRT escalations as a list: sortable columns, the export of the current selection (CSV
and XLSX, logged, within what the user may see, never the question or the reasoning), saved
filters and a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lvv.accounts.models import Role
from lvv.lists import services as list_services
from mrt.models import Escalation
from tests.factories import PersonFactory
from tests.list_helpers import csv_rows, export_rows, xlsx_sheet
from tests.lso.helpers import sheltered_case
from tests.mrt.helpers import escalate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]

LIST = reverse("mrt:escalation-list")
HEADERS = ["Casus", "Kenmerk", "LVV", "Voorgelegd op", "Reden", "Status", "Besproken in het LSO", "Advies uiterlijk"]


def escalation_of(lvv, family_name: str, escalated_on: datetime.date) -> Escalation:
    case = sheltered_case(lvv, person=PersonFactory(family_name=family_name, given_names="Test"))
    escalation = escalate(lvv, case)
    # The day of the escalation as the scenario of the test needs it (a fixture's history).
    Escalation.objects.filter(pk=escalation.pk).update(
        escalated_on=escalated_on, advice_due_on=escalated_on + datetime.timedelta(days=42)
    )
    escalation.refresh_from_db()
    return escalation


@pytest.fixture
def escalations(world):
    ams = world.ams
    day = datetime.date(2024, 2, 1)
    return [
        escalation_of(ams, "Bos", day),
        escalation_of(ams, "Veenstra", day + datetime.timedelta(days=20)),
        escalation_of(ams, "Akkerman", day + datetime.timedelta(days=10)),
        escalation_of(world.rot, "Rotterdam", day),
    ]


def names(response) -> list[str]:
    return [e.case.person.family_name for e in response.context["page"].object_list]


def test_escalations_sort_on_each_key(client, world, escalations):
    client.force_login(world.ams.users[Role.LSO_CHAIR])
    response = client.get(LIST)
    assert names(response) == ["Veenstra", "Akkerman", "Bos"]  # the newest first
    assert 'aria-sort="descending" data-testid="sort-escalated_on"' in response.content.decode()
    assert names(client.get(LIST, {"sort": "escalated_on"})) == ["Bos", "Akkerman", "Veenstra"]
    assert names(client.get(LIST, {"sort": "case"})) == ["Akkerman", "Bos", "Veenstra"]
    assert names(client.get(LIST, {"sort": "-advice_due_on"})) == ["Veenstra", "Akkerman", "Bos"]
    # Equal status: the id decides, in the same direction.
    assert names(client.get(LIST, {"sort": "status"})) == ["Bos", "Veenstra", "Akkerman"]
    assert names(client.get(LIST, {"sort": "-status"})) == ["Akkerman", "Veenstra", "Bos"]


def test_escalations_export_logged_scoped_and_without_texts(client, world, escalations, django_assert_max_num_queries):
    bos, veenstra, akkerman, _rotterdam = escalations
    chair = world.ams.users[Role.LSO_CHAIR]
    client.force_login(chair)
    with django_assert_max_num_queries(12):
        rows = csv_rows(client.get(LIST, {"sort": "case", "export": "csv"}))
    assert rows[0] == HEADERS
    assert [row[0] for row in rows[1:]] == ["Akkerman, Test", "Bos, Test", "Veenstra, Test"]
    assert rows[2][1:] == [
        bos.case.reference,
        "LVV Amsterdam",
        "2024-02-01",
        bos.get_reason_display(),
        "in voorbereiding",
        "nee",
        "2024-03-14",
    ]
    assert "Welke route is haalbaar?" not in str(rows)  # the question stays on the escalation's page
    (row,) = export_rows(chair)
    assert row.object_type == "mrt.escalation" and row.detail["list"] == "mrt_escalations"
    assert row.detail["cases"] == sorted(e.case_id for e in (bos, veenstra, akkerman))
    sheet = xlsx_sheet(client.get(LIST, {"export": "xlsx"}))
    assert sheet.title == "MRT-voorleggingen"
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Veenstra, Test",
        "Akkerman, Test",
        "Bos, Test",
    ]
    # An NGO that the cases are not assigned to sees none of them; the bureau gets 404.
    client.force_login(world.ams.users["ngo_b"])
    assert csv_rows(client.get(LIST, {"export": "csv"}))[1:] == []
    client.force_login(world.rot.users[Role.LSO_CHAIR])
    assert [row[0] for row in csv_rows(client.get(LIST, {"export": "csv"}))[1:]] == ["Rotterdam, Test"]
    client.force_login(world.bureau)
    assert client.get(LIST, {"export": "csv"}).status_code == 404


def test_escalation_list_queries_fixed_and_saved_filters_private(
    client, world, escalations, django_assert_max_num_queries
):
    chair = world.ams.users[Role.LSO_CHAIR]
    list_services.save_filter(user=chair, list_name="mrt_escalations", name="Op naam", querystring="sort=case")
    client.force_login(chair)
    with CaptureQueriesContext(connection) as few:
        response = client.get(LIST, {"sort": "case"})
    assert "Op naam" in response.content.decode()
    escalation_of(world.ams, "Extra", datetime.date(2024, 3, 1))
    escalation_of(world.ams, "Nog een", datetime.date(2024, 3, 2))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST, {"sort": "case"})
    client.force_login(world.ams.users[Role.IND])
    assert "Op naam" not in client.get(LIST).content.decode()
