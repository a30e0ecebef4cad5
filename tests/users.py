"""Users as the access tests need them: as a new request sees them, with the special-category
permission, and the outsiders who may not see ``world.ams.assigned``; who may add a record of
the special category."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm

from lvv.accounts.models import Role, User

OUTSIDERS = ["other_lvv", "other_ngo", "bureau"]


def fresh(user) -> User:
    """The user as a new request sees it (no cached permissions)."""
    return User.objects.get(pk=user.pk)


def with_special(user, case=None) -> User:
    """The user with the special-category permission: everywhere, or on one case."""
    if case is None:
        user.user_permissions.add(Permission.objects.get(codename="view_special_category"))
    else:
        assign_perm("cases.view_special_category", user, case)
    return fresh(user)


def as_user(api_client, user):
    """The API client, authenticated as ``user``."""
    api_client.force_authenticate(user)
    return api_client


def outsiders(world) -> dict[str, User]:
    """Users who may not see ``world.ams.assigned``: another LVV, an NGO the case is not
    assigned to, the programme bureau."""
    return {
        "other_lvv": world.rot.users[Role.CASEMANAGER],
        "other_ngo": world.ams.users["ngo_b"],
        "bureau": world.bureau,
    }


def assert_special_needs_the_permission(world, ngo, add: Callable, model, refusal, written: Callable) -> None:
    """``add(user, case, confidentiality="special")`` on ``world.ams.assigned``: refused with
    ``refusal`` to the NGO guide, to the case manager without the permission and to one who has
    it on another case, with nothing ``written``; allowed with it everywhere or on this case."""
    case = world.ams.assigned
    for user in (ngo, world.ams.users[Role.CASEMANAGER], with_special(world.ams.users[Role.IND], world.ams.unassigned)):
        with pytest.raises(PermissionDenied) as refused:
            add(user, case, confidentiality="special")
        assert str(refused.value) == str(refusal)
    assert not written()
    # Globally, or on this one case (django-guardian).
    add(with_special(world.ams.users[Role.CASEMANAGER]), case, confidentiality="special")
    add(with_special(world.ams.users[Role.DTV], case), case, confidentiality="special")
    assert model.objects.filter(confidentiality="special").count() == 2
