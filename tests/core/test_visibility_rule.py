"""The visibility rule on the case's own columns: no OR of subqueries over all cases for a
plain user, so that every count and sorted list can use the cases' indexes
(docs/benchmark-visibility.md); resolved once per user object and again after a change of
what it follows from. The access matrix itself is tests/core/test_access_policy.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm, remove_perm

from cases import selectors
from cases.models import Case, Person
from lvv.access import policy
from lvv.accounts.models import Role, User
from tests.factories import CaseFactory, ServiceLinkFactory

pytestmark = pytest.mark.django_db

LVV_WIDE = [Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV]


def where(queryset) -> str:
    return str(queryset.query).split(" WHERE ", 1)[1]


def visible(user) -> set[int]:
    return set(Case.objects.visible_to(user).values_list("pk", flat=True))


@pytest.mark.parametrize("role", [*LVV_WIDE, Role.NGO])
def test_a_plain_users_rule_is_a_list_of_lvvs_without_or_or_subquery(world, role):
    user = world.ams.users[role]
    sql = where(Case.objects.visible_to(user))
    assert " OR " not in sql
    assert "SELECT" not in sql  # no IN (SELECT ...) over cases, locations or grants
    assert f'"cases_case"."location_id" IN ({world.ams.location.pk})' in sql
    if role == Role.NGO:
        assert f'"cases_case"."assigned_ngo_id" = {world.ams.ngo_a.pk}' in sql
    else:
        assert "assigned_ngo_id" not in sql


def test_a_user_of_several_lvvs_gets_every_lvv_in_the_list(world):
    ind = world.ams.users[Role.IND]
    ServiceLinkFactory(organisation=world.ams.ind, location=world.rot.location)
    ids = ", ".join(str(pk) for pk in sorted([world.ams.location.pk, world.rot.location.pk]))
    assert f'"cases_case"."location_id" IN ({ids})' in where(Case.objects.visible_to(ind))


def test_a_grant_adds_its_cases_as_a_list_of_ids(world):
    user = world.ams.users["ngo_b"]
    assign_perm("cases.view_case", user, world.rot.unassigned)
    sql = where(Case.objects.visible_to(user))
    assert "SELECT" not in sql
    assert f'"cases_case"."id" IN ({world.rot.unassigned.pk})' in sql
    assert visible(user) == {world.rot.unassigned.pk}


def test_the_person_rule_and_the_search_have_no_subquery_in_an_or_over_cases(world):
    user = world.ams.users[Role.CASEMANAGER]
    sql = where(Case.objects.visible_to(user).filter(selectors.search("Achternaam")))
    # The persons come as one array (an init plan), the external id on its own index.
    assert '"cases_case"."person_id" = ANY(ARRAY(SELECT' in sql
    assert "IN (SELECT" not in sql
    assert 'UPPER("cases_case"."external_id"::text)' in sql


def test_the_scope_is_one_query_once_per_user_object(world, django_assert_num_queries):
    user = User.objects.get(pk=world.ams.users[Role.CASEMANAGER].pk)  # nothing cached yet
    with django_assert_num_queries(1):
        scope = policy.case_scope(user)
    assert scope.location_ids == (world.ams.location.pk,)
    with django_assert_num_queries(0):
        # The organisation came along; the rule, the change check and special grants need no query.
        assert user.organisation == world.ams.location.municipality
        where(Case.objects.visible_to(user))
        assert policy.can_change_case(user, world.ams.assigned)
        assert not policy.can_change_case(user, world.rot.assigned)
        assert policy.may_register(user)
        assert policy.case_scope(user) is scope


def test_the_scope_follows_a_new_service_link_on_the_same_user_object(world):
    ind = world.ams.users[Role.IND]
    assert visible(ind) == {world.ams.assigned.pk, world.ams.unassigned.pk}
    link = ServiceLinkFactory(organisation=world.ams.ind, location=world.rot.location)
    assert visible(ind) >= {world.rot.assigned.pk, world.rot.unassigned.pk}
    link.delete()
    assert visible(ind) == {world.ams.assigned.pk, world.ams.unassigned.pk}


def test_a_grant_to_a_group_opens_the_case_to_its_members_and_its_removal_closes_it(world):
    user = world.ams.users["ngo_b"]
    group = Group.objects.create(name="Uitzondering")
    assign_perm("cases.view_case", group, world.rot.assigned)
    assert visible(user) == set()
    user.groups.add(group)
    assert visible(user) == {world.rot.assigned.pk}
    assert Person.objects.visible_to(user).filter(pk=world.rot.assigned.person_id).exists()
    remove_perm("cases.view_case", group, world.rot.assigned)
    assert visible(user) == set()


def test_grants_never_open_a_case_to_the_bureau_or_an_inactive_user(world):
    assign_perm("cases.view_case", world.bureau, world.ams.assigned)
    assert visible(world.bureau) == set()
    user = world.ams.users["ngo_b"]
    assign_perm("cases.view_case", user, world.ams.unassigned)
    assert visible(user) == {world.ams.unassigned.pk}
    user.is_active = False
    assert visible(user) == set()


def test_the_system_sees_every_case_without_a_condition(world):
    assert "WHERE" not in str(Case.objects.visible_to(policy.SYSTEM).query)
    assert visible(policy.SYSTEM) >= {world.ams.assigned.pk, world.rot.unassigned.pk}


def test_special_category_on_one_case_through_a_user_or_group_grant(world):
    user = world.ams.users[Role.IND]
    case, other = world.ams.assigned, world.ams.unassigned
    assert not policy.can_view_special_category(user, case)
    assign_perm("cases.view_special_category", user, case)
    assert policy.can_view_special_category(user, case)
    assert not policy.can_view_special_category(user, other)
    group = Group.objects.create(name="Medisch team")
    assign_perm("cases.view_special_category", group, other)
    user.groups.add(group)
    assert policy.can_view_special_category(user, other)
    # A view grant is not a special-category grant, nor the other way round.
    extra = CaseFactory(location=world.ams.location)
    assign_perm("cases.view_case", user, extra)
    assert not policy.can_view_special_category(user, extra)
    assert world.rot.assigned.pk not in visible(user)
    assign_perm("cases.view_special_category", user, world.rot.assigned)
    assert world.rot.assigned.pk not in visible(user)
