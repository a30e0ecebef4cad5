"""The LSO meetings and the DT&V's review queue as lists: sortable columns, the export of the
current selection (CSV and XLSX, logged, within what the user may see), saved filters and a
fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lso import services
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.lists import services as list_services
from tests.factories import CaseFactory, PersonFactory
from tests.list_helpers import csv_rows, export_rows, xlsx_sheet
from tests.lso.helpers import meeting_for, published, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]

MEETINGS = reverse("lso:meeting-list")
QUEUE = reverse("lso:review-queue")
DAY = datetime.timedelta(days=1)


@pytest.fixture
def meetings(world):
    """Three meetings of Amsterdam (one published) and one of Rotterdam."""
    ams = world.ams
    base = today()
    early = meeting_for(ams, date=base + DAY, place="Stadhuis")
    late = meeting_for(ams, date=base + 9 * DAY, place="", online_link="https://meet.example.org/lso")
    middle = published(ams, [ams.assigned], date=base + 5 * DAY)
    meeting_for(world.rot, date=base + 2 * DAY, place="Rotterdam Centrum")
    return early, middle, late


def dates(response) -> list[datetime.date]:
    return [meeting.date for meeting in response.context["page"].object_list]


def test_meetings_sort_on_each_key(client, world, meetings):
    early, middle, late = meetings
    client.force_login(world.ams.users[Role.LSO_CHAIR])
    response = client.get(MEETINGS)
    assert dates(response) == [late.date, middle.date, early.date]  # newest first
    assert 'aria-sort="descending" data-testid="sort-date"' in response.content.decode()
    assert dates(client.get(MEETINGS, {"sort": "date"})) == [early.date, middle.date, late.date]
    # The status (stored values: draft < published), then the id.
    assert dates(client.get(MEETINGS, {"sort": "status"})) == [early.date, late.date, middle.date]
    assert dates(client.get(MEETINGS, {"sort": "-status"})) == [middle.date, late.date, early.date]
    assert dates(client.get(MEETINGS, {"sort": "place"})) == [late.date, middle.date, early.date]  # not sortable


def test_meetings_export_logged_and_scoped(client, world, meetings, django_assert_max_num_queries):
    early, middle, late = meetings
    chair = world.ams.users[Role.LSO_CHAIR]
    client.force_login(chair)
    with django_assert_max_num_queries(10):
        rows = csv_rows(client.get(MEETINGS, {"sort": "date", "export": "csv"}))
    assert rows[0] == ["Datum", "Aanvang", "LVV", "Plaats", "Status", "Agendapunten"]
    assert rows[1] == [early.date.isoformat(), "09:30", "LVV Amsterdam", "Stadhuis", "concept", "0"]
    assert [row[0] for row in rows[1:]] == [m.date.isoformat() for m in (early, middle, late)]
    assert rows[3][3] == "online" and rows[2][4] == "agenda gepubliceerd" and rows[2][5] == "1"
    (row,) = export_rows(chair)
    assert row.object_type == "lso.meeting" and row.detail["list"] == "lso_meetings"
    assert row.detail["meetings"] == sorted(m.pk for m in meetings) and row.detail["count"] == 3
    sheet = xlsx_sheet(client.get(MEETINGS, {"export": "xlsx"}))
    assert sheet.title == "LSO-vergaderingen"
    assert [r[0].date() for r in sheet.iter_rows(min_row=2, values_only=True)] == [late.date, middle.date, early.date]
    # Another LVV's chair exports its own meeting only; the programme bureau gets 404.
    client.force_login(world.rot.users[Role.LSO_CHAIR])
    assert [row[3] for row in csv_rows(client.get(MEETINGS, {"export": "csv"}))[1:]] == ["Rotterdam Centrum"]
    client.force_login(world.bureau)
    assert client.get(MEETINGS, {"export": "csv"}).status_code == 404


def test_meetings_page_queries_fixed(client, world, meetings, django_assert_max_num_queries):
    client.force_login(world.ams.users[Role.LSO_CHAIR])
    with CaptureQueriesContext(connection) as few:
        client.get(MEETINGS, {"sort": "-status"})
    for n in range(10):
        meeting_for(world.ams, date=today() + (20 + n) * DAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(MEETINGS, {"sort": "-status"})
    assert len(response.context["page"].object_list) == 13


def test_saved_filters_on_the_meetings_list_are_the_users_own(client, world, meetings):
    chair = world.ams.users[Role.LSO_CHAIR]
    list_services.save_filter(user=chair, list_name="lso_meetings", name="Op datum", querystring="sort=date")
    client.force_login(chair)
    html = client.get(MEETINGS).content.decode()
    assert 'data-testid="saved-filter"' in html and "Op datum" in html
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert "Op datum" not in client.get(MEETINGS).content.decode()


# --- The DT&V review queue -----------------------------------------------------------------


def sheltered(lvv, family_name: str, v_number: str, **kwargs):
    person = PersonFactory(family_name=family_name, given_names="Test", v_number=v_number)
    return CaseFactory(location=lvv.location, person=person, sheltered=True, **kwargs)


@pytest.fixture
def queue(world):
    ams = world.ams
    dtv = ams.users[Role.DTV]
    first = sheltered(ams, "Zomer", "9100000001")
    second = sheltered(ams, "Appel", "9100000002")
    third = sheltered(ams, "Meijer", "9100000003")
    services.add_review_note(
        acting_user=dtv, origin=COMMAND, case=second, text="Eerder beoordeeld", on=today() - 10 * DAY
    )
    services.add_review_note(
        acting_user=dtv, origin=COMMAND, case=third, text="Recent beoordeeld", on=today() - 2 * DAY
    )
    sheltered(world.rot, "Rotterdammer", "9100000009")
    return first, second, third


def queue_names(response) -> list[str]:
    return [
        case.person.family_name for case in response.context["page"].object_list if case.person.given_names == "Test"
    ]


def test_review_queue_sorts_exports_and_logs(client, world, queue, django_assert_max_num_queries):
    first, second, third = queue
    dtv = world.ams.users[Role.DTV]
    client.force_login(dtv)
    response = client.get(QUEUE)
    assert 'aria-sort="ascending" data-testid="sort-location"' in response.content.decode()
    assert queue_names(client.get(QUEUE, {"sort": "name"})) == ["Appel", "Meijer", "Zomer"]
    assert queue_names(client.get(QUEUE, {"sort": "-name"})) == ["Zomer", "Meijer", "Appel"]
    # The last review, oldest first; never reviewed comes last either way.
    assert queue_names(client.get(QUEUE, {"sort": "last_review"})) == ["Appel", "Meijer", "Zomer"]
    assert queue_names(client.get(QUEUE, {"sort": "-last_review"})) == ["Meijer", "Appel", "Zomer"]

    with django_assert_max_num_queries(10):
        rows = csv_rows(client.get(QUEUE, {"sort": "-last_review", "export": "csv"}))
    assert rows[0] == [
        "Naam",
        "Kenmerk",
        "LVV",
        "Scenario",
        "Scenario vastgesteld op",
        "Open acties",
        "Verlopen acties",
        "Wacht op MRT-advies",
        "Max. verblijf",
        "Laatste toets",
    ]
    ours = [row for row in rows[1:] if row[0].endswith(", Test")]
    assert [row[0] for row in ours] == ["Meijer, Test", "Appel, Test", "Zomer, Test"]
    assert ours[0][9] == (today() - 2 * DAY).isoformat() and ours[0][7] == "nee" and ours[0][5] == "0"
    assert "Rotterdammer" not in str(rows)
    assert "beoordeeld" not in str(rows)  # the review texts never leave with the list
    (row,) = export_rows(dtv)
    assert row.detail["list"] == "review_queue" and first.pk in row.detail["cases"]
    assert xlsx_sheet(client.get(QUEUE, {"export": "xlsx"})).title == "DT&V-toets"
    # Filters apply to the export as to the page.
    rows = csv_rows(client.get(QUEUE, {"location": "amsterdam", "overdue_actions": "true", "export": "csv"}))
    assert rows[1:] == []

    # Not a DT&V supervisor, or the bureau: the page is 404, so is its export.
    for other in (world.ams.users[Role.CASEMANAGER], world.bureau):
        client.force_login(other)
        assert client.get(QUEUE, {"export": "csv"}).status_code == 404
    client.force_login(world.rot.users[Role.DTV])
    names = [row[0] for row in csv_rows(client.get(QUEUE, {"export": "csv"}))[1:]]
    assert "Rotterdammer, Test" in names
    assert not {"Appel, Test", "Meijer, Test", "Zomer, Test"} & set(names)


def test_review_queue_page_queries_fixed(client, world, queue, django_assert_max_num_queries):
    client.force_login(world.ams.users[Role.DTV])
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE, {"sort": "-last_review"})
    for n in range(8):
        sheltered(world.ams, f"Extra{n}", f"92000000{n:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(QUEUE, {"sort": "-last_review"})
