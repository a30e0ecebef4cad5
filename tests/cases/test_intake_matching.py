"""Registration that never guesses: exactly 10 digits, a visible match is confirmed by the
user with the typed data beside the stored data, a hidden match reveals nothing and
becomes a match request, and a double submit registers once. Pages and API."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from cases import services
from cases.models import V_NUMBER_INVALID, Case, MatchRequest, MatchRequestStatus, Person
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.cases.registration_helpers import registration_form
from tests.factories import CaseFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def intake(location, **person):
    """The registration form for a new case, without a V-number unless given."""
    return registration_form(location, case={"external_id": "AMS-NEW"}, **{"v_number": "", **person})


def register(world, **person_fields) -> Case:
    """Register the person for a new Amsterdam case through the service, as the case manager."""
    return services.register_intake(
        acting_user=world.ams.users[Role.CASEMANAGER],
        origin=COMMAND,
        location=world.ams.location,
        person_fields=person_fields,
        case_fields={"external_id": "AMS-NEW"},
    )


def rotterdam_person(world, **fields) -> Person:
    """A person known only in Rotterdam (Amsterdam may not see them)."""
    person = PersonFactory(family_name="Verborgen", given_names="Yonas", **fields)
    CaseFactory(location=world.rot.location, person=person)
    return person


# --- V-numbers ---------------------------------------------------------------------------------


def test_an_eleven_digit_v_number_is_refused_not_cut(client, world):
    PersonFactory(v_number="1234567890")
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("cases:create"))
    assert 'maxlength="10"' not in response.content.decode()  # the browser does not cut it off
    response = client.post(reverse("cases:create"), intake(world.ams.location, v_number="12345678901"))
    assert response.status_code == 200
    assert response.context["person_form"].errors["v_number"] == [str(V_NUMBER_INVALID)]
    assert not Case.objects.filter(external_id="AMS-NEW").exists()
    assert not MatchRequest.objects.exists()


# --- A match the user may see ------------------------------------------------------------------


def test_a_visible_v_number_match_is_shown_beside_the_typed_data_and_confirmed(client, world):
    known = world.ams.assigned.person
    client.force_login(world.ams.users[Role.CASEMANAGER])
    data = intake(world.ams.location, v_number=known.v_number, family_name="Anders")
    response = client.post(reverse("cases:create"), data)
    assert response.status_code == 200
    assert not Case.objects.filter(external_id="AMS-NEW").exists()
    html = response.content.decode()
    assert 'data-testid="possible-match"' in html
    assert "Anders" in html and known.family_name in html  # typed and stored, side by side
    assert 'name="new_person"' not in html  # a V-number belongs to one person
    (match,) = response.context["matches"]
    assert match["person"] == known
    assert any(row["differs"] for row in match["rows"])

    response = client.post(reverse("cases:create"), {**data, "confirm_person": str(known.pk)})
    assert response.status_code == 302
    case = Case.objects.get(external_id="AMS-NEW")
    assert case.person == known
    known.refresh_from_db()
    assert known.family_name != "Anders"  # the stored data stays; the typed name was not guessed in


def test_a_name_and_birth_date_match_offers_same_or_other_person(client, world):
    known = world.ams.assigned.person
    Person.objects.filter(pk=known.pk).update(v_number=None)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    data = intake(
        world.ams.location,
        family_name=known.family_name.upper(),
        given_names=known.given_names,
        birth_date=known.birth_date.isoformat(),
    )
    response = client.post(reverse("cases:create"), data)
    assert 'name="new_person"' in response.content.decode()
    response = client.post(reverse("cases:create"), {**data, "new_person": "1"})
    assert response.status_code == 302
    case = Case.objects.get(external_id="AMS-NEW")
    assert case.person != known


# --- A match the user may NOT see --------------------------------------------------------------


def test_a_hidden_v_number_match_reveals_nothing_and_records_a_request(client, world):
    hidden = rotterdam_person(world, v_number="5556667778")
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.post(reverse("cases:create"), intake(world.ams.location, v_number="5556667778"), follow=True)
    html = response.content.decode()
    assert "Verborgen" not in html and "Yonas" not in html
    assert world.rot.location.name not in html and "Rotterdam" not in html
    request = MatchRequest.objects.get()
    assert request.matched_person == hidden and request.status == MatchRequestStatus.OPEN
    assert request.person_fields["family_name"] == "Tesfay"
    assert not Case.objects.filter(external_id="AMS-NEW").exists()
    assert response.redirect_chain[-1][0] == reverse("cases:match-request", args=[request.pk])


def test_a_hidden_name_match_also_becomes_a_request(world):
    rotterdam_person(world, v_number=None, birth_date="1981-05-02")
    with pytest.raises(services.MatchRequested):
        register(world, family_name="verborgen", given_names="YONAS", birth_date="1981-05-02")
    assert MatchRequest.objects.get().match_kind == "identity"


def test_the_other_lvv_resolves_the_request_by_linking(client, world):
    hidden = rotterdam_person(world, v_number="5556667778")
    requester = world.ams.users[Role.CASEMANAGER]
    client.force_login(requester)
    client.post(reverse("cases:create"), intake(world.ams.location, v_number="5556667778"))
    request = MatchRequest.objects.get()

    # The requester sees the request without the other person's data; it cannot resolve it.
    page = client.get(reverse("cases:match-request", args=[request.pk])).content.decode()
    assert "Verborgen" not in page and "Tesfay" in page
    assert (
        client.post(reverse("cases:match-request-resolve", args=[request.pk]), {"decision": "link"}).status_code == 403
    )

    # A case worker of Rotterdam sees both sides and links.
    client.force_login(world.rot.users[Role.CASEMANAGER])
    page = client.get(reverse("cases:match-request", args=[request.pk])).content.decode()
    assert "Verborgen" in page and "Tesfay" in page
    response = client.post(reverse("cases:match-request-resolve", args=[request.pk]), {"decision": "link"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == MatchRequestStatus.LINKED
    case = Case.objects.get(external_id="AMS-NEW")
    assert case.person == hidden and case.location == world.ams.location and case.created_by == requester


def test_a_v_number_request_cannot_become_a_second_person(world):
    rotterdam_person(world, v_number="5556667778")
    with pytest.raises(services.MatchRequested) as exc:
        register(world, v_number="5556667778", family_name="Tesfay", given_names="Abel")
    with pytest.raises(services.ValidationError):
        services.resolve_match_request(
            acting_user=SYSTEM, origin=COMMAND, request=exc.value.request, decision="new_person"
        )
    done = services.resolve_match_request(
        acting_user=SYSTEM, origin=COMMAND, request=exc.value.request, decision="decline", note="Tikfout V-nummer"
    )
    assert done.status == MatchRequestStatus.DECLINED


@pytest.mark.parametrize("who", ["other_lvv_ngo", "ngo_b", "bureau", "other_casemanager"])
def test_match_requests_are_404_for_everyone_else(client, world, who):
    rotterdam_person(world, v_number="5556667778")
    client.force_login(world.ams.users[Role.CASEMANAGER])
    client.post(reverse("cases:create"), intake(world.ams.location, v_number="5556667778"))
    request = MatchRequest.objects.get()
    user = {
        "other_lvv_ngo": world.rot.users[Role.NGO],
        "ngo_b": world.ams.users["ngo_b"],
        "bureau": world.bureau,
        "other_casemanager": UserFactory(
            username="cm.other", organisation=world.ams.location.municipality, roles=[Role.LSO_CHAIR]
        ),
    }[who]
    client.force_login(user)
    assert client.get(reverse("cases:match-request", args=[request.pk])).status_code == 404
    assert (
        client.post(reverse("cases:match-request-resolve", args=[request.pk]), {"decision": "link"}).status_code == 404
    )


# --- Double submit -----------------------------------------------------------------------------


def test_a_double_submit_registers_once(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    key = str(uuid.uuid4())
    data = {**intake(world.ams.location, v_number="9998887776"), "case-intake_key": key}
    first = client.post(reverse("cases:create"), data)
    second = client.post(reverse("cases:create"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.filter(external_id="AMS-NEW").count() == 1
    assert Person.objects.filter(v_number="9998887776").count() == 1


def test_the_form_carries_a_fresh_key(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    html = client.get(reverse("cases:create")).content.decode()
    assert 'name="case-intake_key"' in html


# --- The API -----------------------------------------------------------------------------------


def api_body(location, **person):
    return {
        "person": {"family_name": "Tesfay", "given_names": "Abel", "birth_date": "1981-05-02", **person},
        "case": {"location": location.slug, "external_id": "AMS-API"},
    }


def test_api_registration_confirms_a_visible_match(api_client, world):
    known = world.ams.assigned.person
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    body = api_body(world.ams.location, v_number=known.v_number)
    response = api_client.post("/api/v1/registrations/", body, format="json")
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "possible_match" and data["by_v_number"] is True
    assert [m["id"] for m in data["matches"]] == [known.pk]
    response = api_client.post("/api/v1/registrations/", {**body, "confirm_person": known.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["person"] == known.pk


def test_api_registration_with_a_hidden_match_reveals_nothing(api_client, world):
    rotterdam_person(world, v_number="5556667778")
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    response = api_client.post(
        "/api/v1/registrations/", api_body(world.ams.location, v_number="5556667778"), format="json"
    )
    assert response.status_code == 202
    body = response.content.decode()
    assert "Verborgen" not in body and "Yonas" not in body and "rotterdam" not in body.lower()
    request_id = response.json()["match_request"]
    assert api_client.get(f"/api/v1/match-requests/{request_id}/").status_code == 200
    api_client.force_authenticate(world.rot.users[Role.NGO])
    assert api_client.get(f"/api/v1/match-requests/{request_id}/").status_code == 404
    api_client.force_authenticate(world.rot.users[Role.CASEMANAGER])
    response = api_client.post(f"/api/v1/match-requests/{request_id}/resolve/", {"decision": "link"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "linked"


def test_api_registration_is_idempotent_and_validates(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    key = str(uuid.uuid4())
    body = api_body(world.ams.location, v_number="9998887776")
    first = api_client.post("/api/v1/registrations/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = api_client.post("/api/v1/registrations/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    bad = api_client.post("/api/v1/registrations/", api_body(world.ams.location, v_number="12345678901"), format="json")
    assert bad.status_code == 400 and "v_number" in bad.json()["person"]
    assert api_client.post("/api/v1/registrations/", body, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 400
    api_client.force_authenticate(world.rot.users[Role.CASEMANAGER])
    assert api_client.post("/api/v1/registrations/", api_body(world.ams.location), format="json").status_code == 403
