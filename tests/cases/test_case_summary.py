"""The printable case summary: a PDF of what the case page shows the reader (person, steps
with their dates, owners, open deadlines, procedures, LSO and MRT outcomes, notes, document
names), special-category items only for readers with the permission, 404 for everyone who
may not see the case, and an access-log row for every summary made."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases import selectors, services, summary
from cases.models import Case, CaseType, Confidentiality, Direction, Route
from lso.models import Decision
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND, AccessAction
from lvv.audit.models import AccessLogEntry
from tests.cases.document_helpers import add
from tests.cases.note_helpers import add_note
from tests.lso.helpers import discussed, sheltered_case
from tests.users import OUTSIDERS, fresh, outsiders, with_special

pytestmark = pytest.mark.django_db

NORMAL_NOTE = "Gesprek over de toekomst gevoerd."
SPECIAL_NOTE = "Medische klachten besproken met de huisarts."
HEALTH = "Diabetes, insuline dagelijks."
SPECIAL_DOCUMENT = "Medische verklaring GGD"
NORMAL_DOCUMENT = "Beschikking IND"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def file_case(world):
    """A sheltered case of Amsterdam with normal and special notes, documents, case types
    and health notes, a scenario set in the LSO."""
    ams = world.ams
    manager = with_special(ams.users[Role.CASEMANAGER])
    case = sheltered_case(ams)
    case = services.update_case(
        acting_user=manager,
        origin=COMMAND,
        case=case,
        expected_version=case.version,
        health_notes=HEALTH,
    )
    case = services.set_case_types(
        acting_user=manager,
        origin=COMMAND,
        case=case,
        case_types=[CaseType.MEDICAL, CaseType.FAMILY],
        prior_departure_procedures=None,
    )
    add_note(manager, case, NORMAL_NOTE)
    add_note(manager, case, SPECIAL_NOTE, confidentiality=Confidentiality.SPECIAL)
    add(manager, case, title=NORMAL_DOCUMENT)
    add(manager, case, title=SPECIAL_DOCUMENT, kind="medical_letter", confidentiality=Confidentiality.SPECIAL)
    return Case.objects.get(pk=case.pk)


def get_summary(client, user, case):
    client.force_login(user)
    return client.get(reverse("cases:summary", args=[case.pk]))


def test_the_summary_holds_the_case_as_its_reader_sees_it(client, world, file_case):
    ams = world.ams
    reader = with_special(ams.users[Role.CASEMANAGER])
    response = get_summary(client, reader, file_case)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="samenvatting-{file_case.reference}.pdf"'
    text = pdf_text(response.content)
    person = file_case.person
    for expected in (
        f"Samenvatting: {person.full_name}",
        file_case.reference,
        person.family_name,
        NORMAL_NOTE,
        SPECIAL_NOTE,
        HEALTH,
        NORMAL_DOCUMENT,
        SPECIAL_DOCUMENT,
        str(CaseType.MEDICAL.label),
        "Eigenaren",
        "Open termijnen",
    ):
        assert expected in text, expected
    # Dates as "1 november 2020".
    registered = file_case.registered_on
    months = "januari februari maart april mei juni juli augustus september oktober november december".split()
    assert f"{registered.day} {months[registered.month - 1]} {registered.year}" in text


def test_a_reader_without_the_permission_gets_no_special_item(client, world, file_case):
    reader = world.ams.users[Role.NGO]  # sees the assigned case, not its special-category data
    response = get_summary(client, reader, file_case)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert NORMAL_NOTE in text and NORMAL_DOCUMENT in text and str(CaseType.FAMILY.label) in text
    for secret in (SPECIAL_NOTE, HEALTH, SPECIAL_DOCUMENT, str(CaseType.MEDICAL.label), "Gezondheid"):
        assert secret not in text, secret


@pytest.mark.parametrize("who", OUTSIDERS)
def test_users_who_may_not_see_the_case_get_404(client, world, file_case, who):
    user = outsiders(world)[who]
    before = AccessLogEntry.objects.filter(action=AccessAction.EXPORT).count()
    response = get_summary(client, user, file_case)
    assert response.status_code == 404
    assert AccessLogEntry.objects.filter(action=AccessAction.EXPORT).count() == before


def test_every_summary_is_in_the_access_log(client, world, file_case):
    reader = world.ams.users[Role.NGO]
    get_summary(client, reader, file_case)
    entry = AccessLogEntry.objects.filter(action=AccessAction.EXPORT, object_id=str(file_case.pk)).latest("pk")
    assert entry.actor_id == reader.pk and entry.object_type == "cases.case" and entry.about_case == file_case.pk
    assert entry.detail["summary"] == "pdf" and entry.detail["special_category"] is False


def test_the_lso_outcome_and_the_steps_are_in_the_summary(world):
    ams = world.ams
    manager = ams.users[Role.CASEMANAGER]
    case = sheltered_case(ams)
    discussed(
        ams,
        case,
        Decision.SCENARIO,
        direction=Direction.DEPARTURE,
        route=Route.RETURN_TO_ORIGIN,
        notes="Terugkeer voorbereiden.",
    )
    case = selectors.case_for_page(manager, case.pk)
    context = summary.summary_context(manager, case, special=False)
    [meeting] = context["meetings"]
    assert meeting["details"] == f"{Decision.SCENARIO.label}; Terugkeer voorbereiden."
    assert [scenario.direction for scenario in context["scenarios"]] == [Direction.DEPARTURE]
    steps = [str(step["label"]) for step in context["trajectory"]]
    assert steps[0] == "aangemeld" and "in de opvang" in steps
    html = summary.render_summary_html(manager, case, special=False)
    assert str(Decision.SCENARIO.label) in html and str(Route.RETURN_TO_ORIGIN.label) in html


def test_the_case_page_offers_the_summary(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    html = client.get(reverse("cases:detail", args=[world.ams.assigned.pk])).content.decode()
    assert f'href="{reverse("cases:summary", args=[world.ams.assigned.pk])}"' in html


def test_the_summary_runs_a_fixed_number_of_queries(client, world, file_case):
    reader = fresh(with_special(world.ams.users[Role.CASEMANAGER]))
    client.force_login(reader)
    url = reverse("cases:summary", args=[file_case.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(6):
        add_note(reader, file_case, f"Notitie {n}", written_on=timezone.localdate() - datetime.timedelta(days=n))
        add(reader, file_case, title=f"Bijlage {n}")
    assert queries() == few
