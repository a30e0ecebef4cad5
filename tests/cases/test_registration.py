"""Registering and changing persons and cases: validation, services, concurrency, search."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases import services
from cases.models import BIRTH_DATE_FUTURE, EXTERNAL_ID_TAKEN, NGO_NOT_SERVING, V_NUMBER_INVALID, Case, Person
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.registration_helpers import registration_form
from tests.factories import CaseFactory, PersonFactory

pytestmark = pytest.mark.django_db


def edit_person(client, case, **changes):
    """Post the person form of ``case``: the person as stored (name and V-number), with ``changes``."""
    data = {name: getattr(case.person, name) for name in ("version", "v_number", "family_name", "given_names")}
    return client.post(reverse("cases:person-edit", args=[case.pk]), {**data, **changes})


def test_case_worker_registers_a_person_and_case(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.post(reverse("cases:create"), registration_form(world.ams.location))
    case = Case.objects.get(external_id="AMS-2019-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "#step-record_admission_check"
    assert case.person.v_number == "1234567890" and case.location == world.ams.location
    assert AccessLogEntry.objects.filter(action="create", object_type="cases.case", object_id=str(case.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert "2 mei 1981" in page  # dates as "1 november 2020"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("v_number", "12345", V_NUMBER_INVALID),
        ("v_number", "12345678901", V_NUMBER_INVALID),
        ("v_number", "12345abcde", V_NUMBER_INVALID),
        ("family_name", "", "Dit veld is vereist."),
        ("birth_date", "2999-01-01", BIRTH_DATE_FUTURE),
    ],
)
def test_form_gives_field_level_dutch_messages_and_keeps_input(client, world, field, value, message):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.post(reverse("cases:create"), registration_form(world.ams.location, **{field: value}))
    assert response.status_code == 200
    form = response.context["person_form"]
    assert str(message) in form.errors[field]
    html = response.content.decode()
    assert 'value="Abel"' in html  # what the user typed is still there
    assert 'aria-invalid="true"' in html
    assert not Case.objects.filter(external_id="AMS-2019-0001").exists()


def test_duplicate_v_number_on_the_person_form_is_a_field_error(client, world):
    PersonFactory(v_number="1234567890")
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = edit_person(client, world.ams.assigned, v_number="1234567890")
    assert "Er is al een persoon met dit V-nummer." in response.context["form"].errors["v_number"]


def test_duplicate_external_id_in_one_lvv_is_refused_and_nothing_is_written(world):
    user = world.ams.users[Role.CASEMANAGER]
    persons_before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.register_person_and_case(
            acting_user=user,
            origin=COMMAND,
            location=world.ams.location,
            person_fields={"family_name": "Nieuw", "given_names": "Iemand"},
            case_fields={"external_id": world.ams.assigned.external_id},
        )
    assert str(EXTERNAL_ID_TAKEN) in str(exc.value)
    assert Person.objects.count() == persons_before  # all or nothing


def test_same_external_id_in_another_lvv_is_fine(world):
    user = world.rot.users[Role.CASEMANAGER]
    case = services.register_person_and_case(
        acting_user=user,
        origin=COMMAND,
        location=world.rot.location,
        person_fields={"family_name": "Nieuw", "given_names": "Iemand"},
        case_fields={"external_id": world.ams.assigned.external_id},
    )
    assert case.pk


def test_ngo_must_serve_the_lvv(world):
    with pytest.raises(ValidationError) as exc:
        services.update_case(
            acting_user=world.ams.users[Role.CASEMANAGER],
            origin=COMMAND,
            case=world.ams.assigned,
            expected_version=1,
            assigned_ngo=world.rot.ngo_a,
        )
    assert str(NGO_NOT_SERVING) in str(exc.value)


@pytest.mark.parametrize("role", [Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR])
def test_only_case_workers_change_cases(world, role):
    with pytest.raises(PermissionDenied):
        services.update_case(
            acting_user=world.ams.users[role],
            origin=COMMAND,
            case=world.ams.assigned,
            expected_version=1,
            external_id="X",
        )


def test_case_worker_of_another_lvv_cannot_register_here(world):
    with pytest.raises(PermissionDenied):
        services.register_person_and_case(
            acting_user=world.rot.users[Role.CASEMANAGER],
            origin=COMMAND,
            location=world.ams.location,
            person_fields={"family_name": "A", "given_names": "B"},
            case_fields={},
        )


def test_stale_version_changes_nothing(client, world):
    case = world.ams.assigned
    user = world.ams.users[Role.CASEMANAGER]
    services.update_case(acting_user=user, origin=COMMAND, case=case, expected_version=1, external_id="NIEUW-1")
    with pytest.raises(services.StaleVersionError):
        services.update_case(acting_user=user, origin=COMMAND, case=case, expected_version=1, external_id="NIEUW-2")
    case.refresh_from_db()
    assert (case.external_id, case.version) == ("NIEUW-1", 2)

    # The page tells the user and keeps the input.
    client.force_login(user)
    response = client.post(
        reverse("cases:edit", args=[case.pk]), {"version": 1, "external_id": "NIEUW-3", "assigned_ngo": ""}
    )
    assert response.status_code == 409
    assert str(services.STALE_VERSION) in response.content.decode()
    assert 'value="NIEUW-3"' in response.content.decode()
    case.refresh_from_db()
    assert case.external_id == "NIEUW-1"


def test_person_edit_page_saves_through_the_service(client, world):
    person = world.ams.assigned.person
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = edit_person(
        client, world.ams.assigned, family_name="Gewijzigd", birth_date="1985-06-15", sex="f", nationality="NG"
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.family_name, person.sex, person.nationality.code, person.version) == ("Gewijzigd", "f", "NG", 2)


@pytest.mark.parametrize("role", [Role.NGO, Role.IND])
def test_edit_pages_are_forbidden_for_readers_and_hidden_for_others(client, world, role):
    client.force_login(world.ams.users[role])
    assert client.get(reverse("cases:edit", args=[world.ams.assigned.pk])).status_code == 403
    assert client.get(reverse("cases:edit", args=[world.rot.assigned.pk])).status_code == 404
    assert client.get(reverse("cases:person-edit", args=[world.rot.assigned.pk])).status_code == 404
    assert client.get(reverse("cases:create")).status_code == 404


def test_search_is_accent_and_case_insensitive_and_tolerates_typos(client, world):
    person = PersonFactory(family_name="Gebremedhin", given_names="Hélène", v_number="5550001234")
    CaseFactory(person=person, location=world.ams.location, external_id="AMS-X-77")
    client.force_login(world.ams.users[Role.CASEMANAGER])

    def found(term):
        return {c.pk for c in client.get(reverse("cases:list"), {"q": term}).context["page"].object_list}

    expected = set(person.cases.values_list("pk", flat=True))
    assert found("helene") == expected
    assert found("GEBREMEDHIN") == expected
    assert found("Gebremedin") == expected  # typo
    assert found("5550001234") == expected
    assert found("ams-x-77") == expected
    assert found("Onbekendenaam") == set()


def test_search_does_not_cross_lvvs(client, world):
    client.force_login(world.rot.users[Role.CASEMANAGER])
    term = world.ams.assigned.person.v_number
    assert client.get(reverse("cases:list"), {"q": term}).context["page"].paginator.count == 0


def test_filters_by_lvv_and_ngo(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("cases:list"), {"assigned_ngo": world.ams.ngo_a.pk})
    assert {c.pk for c in response.context["page"].object_list} == {world.ams.assigned.pk}
    # A filter value outside the user's scope is a field error, not a leak.
    response = client.get(reverse("cases:list"), {"location": "rotterdam"})
    assert response.context["filter"].errors


def test_empty_state(client, world):
    client.force_login(world.ams.users["ngo_b"])
    html = client.get(reverse("cases:list"), {"mine": "false"}).content.decode()  # all cases, not only "mine"
    assert "Er zijn nog geen casussen die u mag zien." in html


def test_birth_date_today_is_allowed(world):
    user = world.ams.users[Role.CASEMANAGER]
    person = services.create_person(
        acting_user=user, origin=COMMAND, family_name="A", given_names="B", birth_date=datetime.date.today()
    )
    assert person.pk
