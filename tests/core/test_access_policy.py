"""The access policy as a matrix: role x own/other LVV x assigned/unassigned NGO, on the
case list, case page, API list and API detail: visible or 404, nothing else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases.models import Case, CaseUserObjectPermission, Person
from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

LVV_WIDE = [Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV]


def expected_visible(world, role):
    """The policy, spelled out independently of the code under test."""
    ams = world.ams
    if role in LVV_WIDE:
        return {ams.assigned.pk, ams.unassigned.pk}
    if role == Role.NGO:
        return {ams.assigned.pk}
    return set()  # ngo_b (not assigned) sees nothing


ROLES = [*LVV_WIDE, Role.NGO, "ngo_b"]


@pytest.mark.parametrize("role", ROLES)
def test_queryset_matrix(world, role):
    user = world.ams.users[role]
    assert set(Case.objects.visible_to(user).values_list("pk", flat=True)) == expected_visible(world, role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["ams.assigned", "ams.unassigned", "rot.assigned", "rot.unassigned"])
def test_case_page_and_api_detail(client, api_client, world, role, which):
    user = world.ams.users[role]
    lvv, attr = which.split(".")
    case = getattr(getattr(world, lvv), attr)
    visible = case.pk in expected_visible(world, role)
    client.force_login(user)
    api_client.force_authenticate(user)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    api = api_client.get(f"/api/v1/cases/{case.pk}/")
    assert page.status_code == (200 if visible else 404)
    assert api.status_code == (200 if visible else 404)
    if visible:
        assert case.person.family_name in page.content.decode()
        assert api.json()["id"] == case.pk


@pytest.mark.parametrize("role", ROLES)
def test_case_list_and_api_list(client, api_client, world, role):
    user = world.ams.users[role]
    client.force_login(user)
    api_client.force_authenticate(user)
    page = client.get(reverse("cases:list"), {"mine": "false"})  # all cases, not only the user's own
    api = api_client.get("/api/v1/cases/")
    shown_api = {row["id"] for row in api.json()["results"]}
    assert shown_api == expected_visible(world, role)
    assert page.status_code == 200
    shown_page = {c.pk for c in page.context["page"].object_list}
    assert shown_page == expected_visible(world, role)
    for case in (world.rot.assigned, world.rot.unassigned):
        assert case.person.family_name not in page.content.decode()


def test_bureau_never_sees_a_person(client, api_client, world):
    client.force_login(world.bureau)
    api_client.force_authenticate(world.bureau)
    assert client.get(reverse("cases:list")).status_code == 404
    assert client.get(reverse("cases:detail", args=[world.ams.assigned.pk])).status_code == 404
    assert api_client.get("/api/v1/cases/").json()["count"] == 0
    assert api_client.get("/api/v1/persons/").json()["count"] == 0
    assert api_client.get(f"/api/v1/cases/{world.ams.assigned.pk}/").status_code == 404
    assert api_client.get(f"/api/v1/persons/{world.ams.assigned.person_id}/").status_code == 404
    assert not Person.objects.visible_to(world.bureau).exists()


def test_guardian_grant_opens_one_case_only(world):
    """An object-level exception: an NGO guide of another NGO gets one case."""
    user = world.ams.users["ngo_b"]

    assign_perm("cases.view_case", user, world.ams.unassigned)
    assert set(Case.objects.visible_to(user).values_list("pk", flat=True)) == {world.ams.unassigned.pk}
    assert CaseUserObjectPermission.objects.count() == 1


def test_grant_does_not_open_cases_to_the_bureau(world):

    assign_perm("cases.view_case", world.bureau, world.ams.unassigned)
    assert not Case.objects.visible_to(world.bureau).exists()


def test_inactive_user_sees_nothing(world):
    user = world.ams.users[Role.CASEMANAGER]
    user.is_active = False
    user.save()
    assert not Case.objects.visible_to(user).exists()


def test_special_category_needs_its_own_permission(client, api_client, world):
    case = world.ams.assigned
    Case.objects.filter(pk=case.pk).update(health_notes="Diabetes type 2")
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    api_client.force_authenticate(user)
    assert "Diabetes" not in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "health_notes" not in api_client.get(f"/api/v1/cases/{case.pk}/").json()

    assign_perm("cases.view_special_category", user, case)
    assert "Diabetes" in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert api_client.get(f"/api/v1/cases/{case.pk}/").json()["health_notes"] == "Diabetes type 2"
    # The grant is on that one case only.
    other = CaseFactory(location=world.ams.location, health_notes="Astma")
    assert "health_notes" not in api_client.get(f"/api/v1/cases/{other.pk}/").json()


def test_views_and_refusals_are_logged(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    client.get(reverse("cases:detail", args=[world.ams.assigned.pk]))
    client.get(reverse("cases:detail", args=[world.rot.assigned.pk]))
    rows = AccessLogEntry.objects.filter(actor=user, action="view").order_by("id")
    assert [(r.object_id, r.result) for r in rows] == [
        (str(world.ams.assigned.pk), "allowed"),
        (str(world.rot.assigned.pk), "denied"),
    ]
    assert rows[0].ip_address == "127.0.0.1"
    assert rows[0].channel == "web"
