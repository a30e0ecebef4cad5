"""Users as the access tests need them: as a new request sees them, with the special-category
permission, and the outsiders who may not see ``world.ams.assigned``."""

from __future__ import annotations

from django.contrib.auth.models import Permission
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


def outsiders(world) -> dict[str, User]:
    """Users who may not see ``world.ams.assigned``: another LVV, an NGO the case is not
    assigned to, the programme bureau."""
    return {
        "other_lvv": world.rot.users[Role.CASEMANAGER],
        "other_ngo": world.ams.users["ngo_b"],
        "bureau": world.bureau,
    }
