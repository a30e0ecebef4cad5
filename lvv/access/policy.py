"""The access policy: the one place that decides who may see and change case data.

Rules (design/architecture.md, "Access"):
- the municipality team (case workers, LSO chair) and the IND and DT&V staff of a case's
  LVV see the case;
- an NGO sees a case only when the case is assigned to it (and in an LVV it serves);
- the programme bureau never sees a case or a person;
- special-category fields (health) need the permission ``cases.view_special_category``
  on top, globally or on the one case (django-guardian);
- object-level exceptions are django-guardian grants of ``cases.view_case`` on one case;
  the cases app adds them in ``Case.objects.visible_to``.

Everything that reads case data (selectors, pages, API, exports, PDFs) goes through
``Case.objects.visible_to(user)`` or the predicates below. Hidden objects answer 404.
"""

from __future__ import annotations

from django.db.models import Q
from guardian.core import ObjectPermissionChecker

from lvv.accounts.models import Role
from lvv.partners.models import Location, locations_of

# Roles that see every case of the LVVs their organisation works for.
LVV_WIDE_ROLES = (Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV)
# Roles that see the cases assigned to their organisation.
ASSIGNED_ROLES = (Role.NGO,)
# Roles that may register persons and cases and change their core records.
CASE_EDITOR_ROLES = (Role.CASEMANAGER,)

SPECIAL_CATEGORY_PERMISSION = "cases.view_special_category"
VIEW_CASE_PERMISSION = "cases.view_case"


class SystemActor:
    """The operator of a management command (an import from the server's shell).

    Not a user: it has no organisation and cannot log in. Commands that act for the
    system pass this principal explicitly; the access log records it as "system".
    """

    is_authenticated = True
    is_active = True
    pk = id = organisation_id = None
    organisation = None
    roles: tuple[str, ...] = ()
    username = "system"

    def get_username(self) -> str:
        return self.username

    def has_role(self, *roles: str) -> bool:
        return True

    def has_perm(self, perm, obj=None) -> bool:
        return True


SYSTEM = SystemActor()


def is_system(user) -> bool:
    return isinstance(user, SystemActor)


def _nothing(prefix: str) -> Q:
    return Q(**{f"{prefix}pk__in": []})


def _is_active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def case_rule(user, *, prefix: str = "") -> Q:
    """The role-based part of case visibility as a filter on cases (or on ``prefix`` paths)."""
    if is_system(user):
        return Q()
    if not _is_active(user) or user.organisation_id is None:
        return _nothing(prefix)
    rule = _nothing(prefix)
    own_locations = locations_of(user.organisation).values("pk")
    if user.has_role(*LVV_WIDE_ROLES):
        rule |= Q(**{f"{prefix}location__in": own_locations})
    if user.has_role(*ASSIGNED_ROLES):
        rule |= Q(**{f"{prefix}assigned_ngo": user.organisation_id, f"{prefix}location__in": own_locations})
    return rule


def sees_persons(user) -> bool:
    """Whether the user may ever see a person (the programme bureau never does)."""
    return is_system(user) or (_is_active(user) and user.has_role(*LVV_WIDE_ROLES, *ASSIGNED_ROLES))


# Roles that read the monitor's figures of their own organisation's LVVs; the programme
# bureau reads those of every LVV. Figures never name a person.
OWN_FIGURES_ROLES = (Role.CASEMANAGER, Role.LSO_CHAIR)


def reads_figures(user) -> bool:
    """Whether the user may read monitor figures at all (by role; the LVVs follow from
    ``monitor.scope.locations_for``)."""
    return _is_active(user) and (
        user.has_role(Role.BUREAU) or (user.has_role(*OWN_FIGURES_ROLES) and user.organisation_id is not None)
    )


def editable_locations(user):
    """LVVs in which the user may register and change persons and cases."""
    if is_system(user):
        return Location.objects.all()
    if not _is_active(user) or not user.has_role(*CASE_EDITOR_ROLES):
        return Location.objects.none()
    return locations_of(user.organisation)


def can_change_case(user, case) -> bool:
    """Change the core records of a case the user can already see."""
    return editable_locations(user).filter(pk=case.location_id).exists()


def can_view_special_category(user, case) -> bool:
    """Health and other special-category data (GDPR art. 9) of a case the user can see."""
    if not _is_active(user):
        return False
    return user.has_perm(SPECIAL_CATEGORY_PERMISSION) or user.has_perm(SPECIAL_CATEGORY_PERMISSION, case)


class SpecialCategoryChecker:
    """``can_view_special_category`` for many cases with a fixed number of queries."""

    def __init__(self, user, cases=()):
        self.user = user
        self.active = _is_active(user)
        self.global_permission = self.active and user.has_perm(SPECIAL_CATEGORY_PERMISSION)
        self.checker = ObjectPermissionChecker(user) if self.active and not self.global_permission else None
        cases = [case for case in cases if case is not None]
        if self.checker is not None and cases:
            self.checker.prefetch_perms(cases)

    def __call__(self, case) -> bool:
        if self.global_permission:
            return True
        return self.checker is not None and self.checker.has_perm("view_special_category", case)


# --- Case owners ------------------------------------------------------------------------------
# Who may hand a case's owner role over (``cases.services.hand_over``): a case worker of the
# case's LVV either role (the case manager and the NGO guide); an NGO guide of the NGO the
# case is assigned to the NGO guide's role. The role names are ``cases.models.OwnerRole``.
OWNER_CASE_MANAGER = "case_manager"
OWNER_NGO_GUIDE = "ngo_guide"


def can_hand_over(user, case, role: str, *, can_change: bool | None = None) -> bool:
    """Hand over the ``role`` (``case_manager`` or ``ngo_guide``) of a case the user can
    already see. ``can_change`` is ``can_change_case(user, case)`` when the caller knows it."""
    if is_system(user):
        return True
    if not _is_active(user) or role not in (OWNER_CASE_MANAGER, OWNER_NGO_GUIDE):
        return False
    if user.has_role(*CASE_EDITOR_ROLES):
        if can_change is None:
            can_change = can_change_case(user, case)
        if can_change:
            return True
    return (
        role == OWNER_NGO_GUIDE
        and user.has_role(*ASSIGNED_ROLES)
        and case.assigned_ngo_id is not None
        and case.assigned_ngo_id == user.organisation_id
    )
