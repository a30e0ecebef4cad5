"""The case list ("Mijn casussen" and all cases), the waiting list and the partner inboxes as
lists: sortable columns, the export of the current selection (CSV and XLSX, logged, within
what the user may see), saved filters and a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import Case, CaseType
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessAction, AccessLogEntry
from tests.factories import CaseFactory, PersonFactory
from tests.list_helpers import csv_rows, export_rows, xlsx_sheet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]

LIST = reverse("cases:list")
CASE_HEADERS = [
    "Naam",
    "V-nummer",
    "Kenmerk",
    "LVV",
    "Ngo",
    "Status",
    "Volgende termijn",
    "Soort termijn",
    "Geregistreerd",
]


def named(lvv, family_name: str, v_number: str, **kwargs):
    person = PersonFactory(family_name=family_name, given_names="Test", v_number=v_number)
    return CaseFactory(location=lvv.location, person=person, **kwargs)


@pytest.fixture
def three(world):
    """Three cases of Amsterdam with names that sort differently from their V-numbers."""
    ams = world.ams
    return [
        named(ams, "Cohen", "3000000001", assigned_ngo=ams.ngo_a),
        named(ams, "Aydin", "3000000003", assigned_ngo=ams.ngo_b),
        named(ams, "Bakker", "3000000002", assigned_ngo=ams.ngo_a),
    ]


def names(response) -> list[str]:
    return [case.person.family_name for case in response.context["page"].object_list]


def test_case_list_sorts_on_each_key_with_aria_sort(client, world, three):
    ams = world.ams
    client.force_login(ams.users[Role.CASEMANAGER])
    params = {"mine": "false", "q": "Test"}  # the three cases (the world's have other names)
    response = client.get(LIST, params)
    assert names(response) == ["Aydin", "Bakker", "Cohen"]  # the default: by name
    html = response.content.decode()
    assert '<th scope="col" class="utrecht-table__header-cell" aria-sort="ascending" data-testid="sort-name">' in html
    assert html.count("aria-sort=") == 1
    assert "sort=-name" in html  # the active column's link sorts the other way

    response = client.get(LIST, {**params, "sort": "-name"})
    assert names(response) == ["Cohen", "Bakker", "Aydin"]
    assert 'aria-sort="descending" data-testid="sort-name"' in response.content.decode()

    assert names(client.get(LIST, {**params, "sort": "v_number"})) == ["Cohen", "Bakker", "Aydin"]
    assert names(client.get(LIST, {**params, "sort": "-v_number"})) == ["Aydin", "Bakker", "Cohen"]
    # The NGO's name, then the id (stable): Ngo A's two cases in the order they were made.
    assert names(client.get(LIST, {**params, "sort": "ngo"})) == ["Cohen", "Bakker", "Aydin"]
    assert names(client.get(LIST, {**params, "sort": "-registered"})) == ["Bakker", "Aydin", "Cohen"]
    # An unknown key or a column that does not sort: the default, never an error.
    for bogus in ("person__health_notes", "next_deadline", "-", "x" * 300):
        response = client.get(LIST, {**params, "sort": bogus})
        assert response.status_code == 200 and names(response) == ["Aydin", "Bakker", "Cohen"]


def test_mine_stays_mine_when_sorting(client, world, three):
    ams = world.ams
    user = ams.users[Role.CASEMANAGER]
    Case.objects.filter(pk__in=[three[0].pk, three[2].pk]).update(case_manager=user)  # owners, as set up
    client.force_login(user)
    response = client.get(LIST)
    assert response.context["mine"] is True and names(response) == ["Bakker", "Cohen"]
    assert "mine=true" in response.context["listing"].header("name")["query"]
    response = client.get(LIST, {"sort": "-name"})  # a bare page with only a sort: still "mine"
    assert response.context["mine"] is True and names(response) == ["Cohen", "Bakker"]
    rows = csv_rows(client.get(LIST, {"sort": "-name", "export": "csv"}))
    assert [row[0] for row in rows[1:]] == ["Cohen, Test", "Bakker, Test"]


def test_sorting_pages_in_sql_without_overlap(client, world):
    ams = world.ams
    for n in range(30):
        named(ams, "Zelfde", f"40000000{n:02d}")
    client.force_login(ams.users[Role.CASEMANAGER])
    params = {"mine": "false", "q": "Zelfde", "sort": "-name"}
    first = [c.pk for c in client.get(LIST, params).context["page"].object_list]
    second = [c.pk for c in client.get(LIST, {**params, "page": 2}).context["page"].object_list]
    assert len(first) == 25 and len(second) == 5
    assert not set(first) & set(second)
    assert first + second == sorted(first + second, reverse=True)  # equal names: the id decides, descending


def test_csv_export_is_the_whole_selection_in_the_page_order(client, world, three):
    ams = world.ams
    user = ams.users[Role.CASEMANAGER]
    client.force_login(user)
    response = client.get(LIST, {"mine": "false", "q": "Test", "sort": "-name", "page": "2", "export": "csv"})
    rows = csv_rows(response)
    assert rows[0] == CASE_HEADERS
    assert [row[0] for row in rows[1:]] == ["Cohen, Test", "Bakker, Test", "Aydin, Test"]
    cohen = rows[1]
    assert cohen[1] == "3000000001" and cohen[2] == three[0].reference and cohen[3] == "LVV Amsterdam"
    assert cohen[4] == "Ngo A amsterdam" and cohen[5] == "aangemeld"
    assert cohen[8] == three[0].created_at.date().isoformat()
    assert 'filename="casussen-' in response["Content-Disposition"]


def test_xlsx_export_has_a_dutch_sheet_and_typed_cells(client, world, three):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    sheet = xlsx_sheet(client.get(LIST, {"mine": "false", "q": "Test", "export": "xlsx"}))
    assert sheet.title == "Casussen"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == CASE_HEADERS
    assert [row[0] for row in rows[1:]] == ["Aydin, Test", "Bakker, Test", "Cohen, Test"]
    assert isinstance(rows[1][8], datetime.datetime)  # a date cell, not text
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"


def test_export_escapes_formulas(client, world):
    ams = world.ams
    named(ams, '=HYPERLINK("http://x")', "5000000001")
    client.force_login(ams.users[Role.CASEMANAGER])
    rows = csv_rows(client.get(LIST, {"mine": "false", "q": "HYPERLINK", "export": "csv"}))
    assert rows[1][0].startswith("'=HYPERLINK")
    sheet = xlsx_sheet(client.get(LIST, {"mine": "false", "q": "HYPERLINK", "export": "xlsx"}))
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")


def test_export_is_logged_once_with_the_list_and_the_cases(client, world, three):
    ams = world.ams
    user = ams.users[Role.CASEMANAGER]
    client.force_login(user)
    before = AccessLogEntry.objects.count()
    csv_rows(client.get(LIST, {"mine": "false", "q": "Test", "location": "amsterdam", "export": "csv"}))
    assert AccessLogEntry.objects.count() == before + 1  # the export's row, no list row
    (row,) = export_rows(user)
    assert row.action == AccessAction.EXPORT and row.object_type == "cases.case" and row.channel == "web"
    assert row.detail["list"] == "cases" and row.detail["format"] == "csv" and row.detail["count"] == 3
    assert row.detail["filters"] == {"mine": "false", "q": "Test", "location": "amsterdam"}
    assert row.detail["sort"] == "name"
    assert row.detail["cases"] == sorted(case.pk for case in three)


def test_export_never_has_special_category_data(client, world):
    ams = world.ams
    case = named(ams, "Medisch", "6000000001", health_notes="Diabetes type 1")
    case.case_types = [CaseType.values[-1]]
    case.save()
    client.force_login(ams.users[Role.CASEMANAGER])
    for fmt in ("csv", "xlsx"):
        response = client.get(LIST, {"mine": "false", "q": "Medisch", "export": fmt})
        data = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Diabetes" not in data


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_holds_only_what_the_user_may_see(client, world, three, fmt):
    ams, rot = world.ams, world.rot

    def exported(user) -> set[str]:
        client.force_login(user)
        response = client.get(LIST, {"mine": "false", "export": fmt})
        if fmt == "csv":
            rows = csv_rows(response)[1:]
        else:
            rows = list(xlsx_sheet(response).iter_rows(values_only=True))[1:]
        return {row[2] for row in rows}  # Kenmerk

    ngo_a_cases = {ams.assigned.reference, three[0].reference, three[2].reference}
    assert exported(ams.users[Role.NGO]) == ngo_a_cases
    assert exported(ams.users["ngo_b"]) == {three[1].reference}
    assert exported(rot.users[Role.CASEMANAGER]) == {rot.assigned.reference, rot.unassigned.reference}
    client.force_login(world.bureau)
    assert client.get(LIST, {"export": fmt}).status_code == 404  # the page is 404: so is its export


def test_waiting_list_in_queue_order_with_its_own_column_and_export(client, world):
    ams = world.ams
    day = datetime.date(2024, 3, 1)
    cases = []
    for offset, name in ((3, "Eerst"), (1, "Laatst"), (2, "Midden")):
        case = named(ams, name, f"70000000{offset:02d}", registered_on=day)
        cases.append(
            services.admit(
                acting_user=SYSTEM,
                origin=COMMAND,
                case=case,
                on=day + datetime.timedelta(days=10 - offset),
                require_check=False,
            )
        )
    client.force_login(ams.users[Role.CASEMANAGER])
    params = {"state": "waiting", "location": "amsterdam"}
    response = client.get(LIST, params)
    assert names(response) == ["Eerst", "Midden", "Laatst"]  # admitted first, first in the queue
    html = response.content.decode()
    assert 'aria-sort="ascending" data-testid="sort-waitlisted_on"' in html
    assert "Op de wachtlijst sinds" in html
    assert names(client.get(LIST, {**params, "sort": "-waitlisted_on"})) == ["Laatst", "Midden", "Eerst"]
    assert names(client.get(LIST, {**params, "sort": "name"})) == ["Eerst", "Laatst", "Midden"]

    response = client.get(LIST, {**params, "export": "csv"})
    rows = csv_rows(response)
    assert rows[0][6] == "Op de wachtlijst sinds" and "Geregistreerd" not in rows[0]
    assert [row[0] for row in rows[1:]] == ["Eerst, Test", "Midden, Test", "Laatst, Test"]
    assert rows[1][6] == (day + datetime.timedelta(days=7)).isoformat()
    assert 'filename="wachtlijst-' in response["Content-Disposition"]
    assert export_rows()[-1].detail["list"] == "waiting_list"
    assert xlsx_sheet(client.get(LIST, {**params, "export": "xlsx"})).title == "Wachtlijst"


def test_case_list_and_export_queries_are_fixed(client, world, django_assert_max_num_queries):
    ams = world.ams
    client.force_login(ams.users[Role.CASEMANAGER])
    params = {"mine": "false", "sort": "-v_number"}
    CaseFactory.create_batch(3, location=ams.location, assigned_ngo=ams.ngo_a)
    with CaptureQueriesContext(connection) as small:
        client.get(LIST, params)
    with CaptureQueriesContext(connection) as small_export:
        csv_rows(client.get(LIST, {**params, "export": "csv"}))
    CaseFactory.create_batch(40, location=ams.location, assigned_ngo=ams.ngo_b)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(LIST, params)
    with django_assert_max_num_queries(len(small_export.captured_queries)):
        rows = csv_rows(client.get(LIST, {**params, "export": "csv"}))
    assert len(rows) == 1 + 45  # the header; the world's 2 cases, 3 and 40
    with django_assert_max_num_queries(len(small_export.captured_queries)):
        xlsx_sheet(client.get(LIST, {**params, "export": "xlsx"}))


# --- Partner inboxes -------------------------------------------------------------------------

REGISTERED = datetime.date(2020, 1, 6)


def requested(lvv, name: str, on: datetime.date):
    case = named(lvv, name, f"8{abs(hash(name)) % 10**9:09d}", admitted=True)
    services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=case, on=on)
    return case


def test_inbox_sorts_exports_and_logs(client, world, django_assert_max_num_queries):
    ams = world.ams
    first = requested(ams, "Visser", REGISTERED)
    second = requested(ams, "Jansen", REGISTERED + datetime.timedelta(days=3))
    requested(world.rot, "Anders", REGISTERED)  # another LVV: never here
    url = reverse("inbox:detail", args=["ind_dossier"])
    user = ams.users[Role.IND]
    client.force_login(user)
    response = client.get(url)
    assert names(response) == ["Visser", "Jansen"]  # the inbox's own order: the earliest due first
    assert "aria-sort" not in response.content.decode()
    response = client.get(url, {"sort": "case"})
    assert names(response) == ["Jansen", "Visser"]
    assert 'aria-sort="ascending" data-testid="sort-case"' in response.content.decode()
    assert names(client.get(url, {"sort": "-since"})) == ["Jansen", "Visser"]

    with django_assert_max_num_queries(12):
        rows = csv_rows(client.get(url, {"sort": "-due", "export": "csv"}))
    assert rows[0] == ["Casus", "Kenmerk", "LVV", "Wat", "Sinds", "Uiterste datum"]
    assert [row[1] for row in rows[1:]] == [second.reference, first.reference]
    assert rows[1][3] == "IND-deel van het dossier opgevraagd"  # the inbox's own words
    assert rows[1][4] == (REGISTERED + datetime.timedelta(days=3)).isoformat()
    (row,) = export_rows(user)
    assert row.detail["list"] == "inbox:ind_dossier" and row.detail["cases"] == sorted([first.pk, second.pk])
    sheet = xlsx_sheet(client.get(url, {"export": "xlsx"}))
    assert sheet.title == "Dossier opgevraagd IND-deel"  # no colon in a sheet name

    # Not the user's inbox, or the bureau: 404 for the page and its export alike.
    client.force_login(ams.users[Role.CASEMANAGER])
    assert client.get(url, {"export": "csv"}).status_code == 404
    client.force_login(world.bureau)
    assert client.get(url, {"export": "csv"}).status_code == 404
    # The IND of Rotterdam: its own inbox holds only its own case.
    client.force_login(world.rot.users[Role.IND])
    rows = csv_rows(client.get(url, {"export": "csv"}))
    assert [row[0] for row in rows[1:]] == ["Anders, Test"]
