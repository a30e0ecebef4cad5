"""The access policy: the one place that decides who may see and change case data.

Rules (design/architecture.md, "Access"):
- the municipality team (case workers, LSO chair) and the IND and DT&V staff of a case's
  LVV see the case;
- an NGO sees a case only when the case is assigned to it (and in an LVV it serves);
- the programme bureau never sees a case or a person;
- special-category fields (health) need the permission ``cases.view_special_category``
  on top, globally or on the one case (django-guardian);
- object-level exceptions are django-guardian grants of ``cases.view_case`` on one case;
  the cases app adds them in ``Case.objects.visible_to`` (and tells this module where they
  are stored, ``register_object_grants``).

Everything that reads case data (selectors, pages, API, exports, PDFs) goes through
``Case.objects.visible_to(user)`` or the predicates below. Hidden objects answer 404.

The rule is resolved once per user object (``case_scope``: one small query for the LVVs
of the user's organisation and the user's object grants), and then written as plain
conditions on the case's own columns (``location_id IN (1, 2)``, for an NGO also
``assigned_ngo_id = 7``; ``OR id IN (...)`` only for a user who holds a grant), so that
every count and sorted list uses the cases' indexes instead of testing each case against
subqueries (docs/benchmark-visibility.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from guardian.core import ObjectPermissionChecker

from lvv.accounts.models import Role, User
from lvv.partners.models import Location, Organisation, ServiceLink, locations_of

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from cases.models import Case

# Roles that see every case of the LVVs their organisation works for.
LVV_WIDE_ROLES = (Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV)
# Roles that see the cases assigned to their organisation.
ASSIGNED_ROLES = (Role.NGO,)
# Roles that may register persons and cases and change their core records.
CASE_EDITOR_ROLES = (Role.CASEMANAGER,)

SPECIAL_CATEGORY_PERMISSION = "cases.view_special_category"
VIEW_CASE_PERMISSION = "cases.view_case"
SPECIAL_CATEGORY_CODENAME = SPECIAL_CATEGORY_PERMISSION.split(".")[1]
VIEW_CASE_CODENAME = VIEW_CASE_PERMISSION.split(".")[1]


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

    def has_perm(self, perm: str, obj: Model | None = None) -> bool:
        return True


SYSTEM = SystemActor()

# Who acts in a service (``acting_user``): a user, or the system principal of a command.
Actor: TypeAlias = User | SystemActor
# Whom a rule of this module is asked about: an actor, or a visitor who has not logged in
# (a request's user), or nobody; the rules refuse the last two.
AnyUser: TypeAlias = User | SystemActor | AnonymousUser | None


def is_system(user: AnyUser) -> TypeIs[SystemActor]:
    return isinstance(user, SystemActor)


def _nothing(prefix: str) -> Q:
    return Q(**{f"{prefix}pk__in": []})


def _is_active(user: AnyUser) -> TypeGuard[Actor]:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- The user's scope: what the visibility rule is made of, resolved once ---------------------


class CaseScope(NamedTuple):
    """The facts the case rules are written from, for one user."""

    location_ids: tuple[int, ...]  # the LVVs the user's organisation works for (``locations_of``)
    granted_case_ids: tuple[int, ...]  # cases opened to the user by an object grant of ``cases.view_case``
    special_case_ids: tuple[int, ...]  # cases with an object grant of ``cases.view_special_category``


NO_SCOPE = CaseScope((), (), ())

# Where the object grants are stored: the cases app registers a function that gives, for a
# user and a permission's codename, the querysets of the grants of that permission to the
# user directly and through the user's groups, each with the case as ``content_object``
# (``cases.models``). A registry, so that this module imports nothing from a higher app.
GrantSource = Callable[[object, str], Iterable[QuerySet]]
_object_grants: GrantSource | None = None


def register_object_grants(source: GrantSource) -> None:
    global _object_grants
    _object_grants = source


# The scope is kept on the user object (a request's user, a service's acting user) for the
# object's life, like Django's permission cache; its key holds what the scope follows from on
# the user itself, and a generation that a change of service links, LVVs, object grants or
# group memberships in this process moves on (the signals at the end of this module).
_SCOPE_ATTRIBUTE = "_lvv_case_scope"
_generation = 0


def _scope_changed(**kwargs: Any) -> None:
    global _generation
    _generation += 1


def _grant_columns(user: Actor, codename: str, name: str) -> dict[str, ArraySubquery]:
    if _object_grants is None:
        return {}
    return {
        f"{name}_{index}": ArraySubquery(grants.order_by().values("content_object"))
        for index, grants in enumerate(_object_grants(user, codename))
    }


def _ids(values: dict[str, Any], name: str) -> tuple[int, ...]:
    return tuple(sorted({pk for column, ids in values.items() if column.startswith(name) for pk in ids or ()}))


def case_scope(user: AnyUser) -> CaseScope:
    """The LVVs of the user's organisation and the user's object grants on cases, in one
    query, once per user object (and again after a change of either). Empty for the system
    principal (which sees everything without it) and for inactive users."""
    if not _is_active(user) or is_system(user) or getattr(user, "pk", None) is None:
        return NO_SCOPE
    key = (user.organisation_id, tuple(user.roles), user.is_active, _generation)
    cached = getattr(user, _SCOPE_ATTRIBUTE, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    # Object grants never open a case to the programme bureau (or another role that sees no person).
    columns = _grant_columns(user, VIEW_CASE_CODENAME, "_scope_granted") if sees_persons(user) else {}
    columns.update(_grant_columns(user, SPECIAL_CATEGORY_CODENAME, "_scope_special"))
    values: dict[str, Any]
    if user.organisation_id is not None:
        # The organisation's row comes along (most pages read it) with its LVVs' ids.
        organisation = Organisation(pk=user.organisation_id)
        columns["_scope_locations"] = ArraySubquery(locations_of(organisation).order_by().values("pk"))
        row = Organisation.objects.filter(pk=user.organisation_id).annotate(**columns).first()
        values = {name: getattr(row, name) for name in columns} if row is not None else {}
        if row is not None:
            for name in columns:
                delattr(row, name)
            organisation_field = user._meta.get_field("organisation")
            if not organisation_field.is_cached(user):
                organisation_field.set_cached_value(user, row)
    else:
        # (The stubs cannot know the names of ``columns``: they type the row as an empty TypedDict.)
        values = (User.objects.filter(pk=user.pk).values(**columns).first() if columns else None) or {}  # type: ignore[assignment]
    scope = CaseScope(
        location_ids=tuple(sorted(set(values.get("_scope_locations") or ()))),
        granted_case_ids=_ids(values, "_scope_granted"),
        special_case_ids=_ids(values, "_scope_special"),
    )
    setattr(user, _SCOPE_ATTRIBUTE, (key, scope))
    return scope


def case_rule(user: AnyUser, *, prefix: str = "") -> Q:
    """The role-based part of case visibility as a filter on cases (or on ``prefix`` paths):
    the LVVs of the user's organisation as a list of ids (``case_scope``), so the filter is on
    the case's own columns and indexes."""
    if is_system(user):
        return Q()
    if not _is_active(user) or user.organisation_id is None:
        return _nothing(prefix)
    if user.has_role(*LVV_WIDE_ROLES):
        # Everything an assigned role sees is within this: the NGO's part adds nothing.
        return Q(**{f"{prefix}location__in": list(case_scope(user).location_ids)})
    if user.has_role(*ASSIGNED_ROLES):
        return Q(
            **{
                f"{prefix}assigned_ngo": user.organisation_id,
                f"{prefix}location__in": list(case_scope(user).location_ids),
            }
        )
    return _nothing(prefix)


def granted_rule(user: AnyUser, *, prefix: str = "") -> Q | None:
    """The object grants' part of case visibility: the cases granted to the user (None when
    there are none, so that the role-based rule stands alone)."""
    if is_system(user) or not _is_active(user) or not sees_persons(user):
        return None
    granted = case_scope(user).granted_case_ids
    return Q(**{f"{prefix}pk__in": list(granted)}) if granted else None


def sees_persons(user: AnyUser) -> bool:
    """Whether the user may ever see a person (the programme bureau never does)."""
    return is_system(user) or (_is_active(user) and user.has_role(*LVV_WIDE_ROLES, *ASSIGNED_ROLES))


# Roles that read the monitor's figures of their own organisation's LVVs; the programme
# bureau reads those of every LVV. Figures never name a person.
OWN_FIGURES_ROLES = (Role.CASEMANAGER, Role.LSO_CHAIR)


def reads_figures(user: AnyUser) -> bool:
    """Whether the user may read monitor figures at all (by role; the LVVs follow from
    ``monitor.scope.locations_for``)."""
    return _is_active(user) and (
        user.has_role(Role.BUREAU) or (user.has_role(*OWN_FIGURES_ROLES) and user.organisation_id is not None)
    )


def editable_locations(user: AnyUser) -> QuerySet[Location]:
    """LVVs in which the user may register and change persons and cases."""
    if is_system(user):
        return Location.objects.all()
    if not _is_active(user) or not user.has_role(*CASE_EDITOR_ROLES):
        return Location.objects.none()
    return locations_of(user.organisation)


def can_change_case(user: AnyUser, case: Case) -> bool:
    """Change the core records of a case the user can already see (``editable_locations``,
    from the user's scope: no query once the scope is known)."""
    if is_system(user):
        return Location.objects.filter(pk=case.location_id).exists()
    if not _is_active(user) or not user.has_role(*CASE_EDITOR_ROLES):
        return False
    return case.location_id in case_scope(user).location_ids


def may_register(user: AnyUser) -> bool:
    """Whether the user may register persons and cases in any LVV (``editable_locations``
    is not empty), from the user's scope."""
    if is_system(user):
        return Location.objects.exists()
    return _is_active(user) and user.has_role(*CASE_EDITOR_ROLES) and bool(case_scope(user).location_ids)


def can_view_special_category(user: AnyUser, case: Case | None) -> bool:
    """Health and other special-category data (GDPR art. 9) of a case the user can see: the
    permission globally (Django's permission cache on the user object), or an object grant
    on the case (django-guardian's table, read with the user's scope: no query once known)."""
    if not _is_active(user):
        return False
    if user.has_perm(SPECIAL_CATEGORY_PERMISSION):
        return True
    pk = getattr(case, "pk", None)
    if pk is None or _object_grants is None or is_system(user) or getattr(user, "pk", None) is None:
        return user.has_perm(SPECIAL_CATEGORY_PERMISSION, case)
    return pk in case_scope(user).special_case_ids


class SpecialCategoryChecker:
    """``can_view_special_category`` for many cases with a fixed number of queries."""

    def __init__(self, user: AnyUser, cases: Iterable[Case | None] = ()) -> None:
        self.user = user
        self.active = _is_active(user)
        self.global_permission = self.active and user is not None and user.has_perm(SPECIAL_CATEGORY_PERMISSION)
        # (An active user without the global permission is a User: the system principal has it.)
        active_user = user if isinstance(user, User) and self.active and not self.global_permission else None
        self.checker = ObjectPermissionChecker(active_user) if active_user is not None else None
        cases = [case for case in cases if case is not None]
        if self.checker is not None and cases:
            # (django-guardian takes any iterable of objects; its hint says QuerySet.)
            self.checker.prefetch_perms(cases)  # type: ignore[arg-type]

    def __call__(self, case: Case) -> bool:
        if self.global_permission:
            return True
        return self.checker is not None and self.checker.has_perm("view_special_category", case)


# --- Case owners ------------------------------------------------------------------------------
# Who may hand a case's owner role over (``cases.services.hand_over``): a case worker of the
# case's LVV either role (the case manager and the NGO guide); an NGO guide of the NGO the
# case is assigned to the NGO guide's role. The role names are ``cases.models.OwnerRole``.
OWNER_CASE_MANAGER = "case_manager"
OWNER_NGO_GUIDE = "ngo_guide"


def can_hand_over(user: AnyUser, case: Case, role: str, *, can_change: bool | None = None) -> bool:
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


# A change of what a scope follows from moves the generation on, so a user object made
# before the change resolves its scope again (the object grants' models connect the same
# receiver in ``cases.models``).
for _model in (ServiceLink, Location):
    post_save.connect(_scope_changed, sender=_model, dispatch_uid=f"lvv-case-scope-{_model.__name__}-save")
    post_delete.connect(_scope_changed, sender=_model, dispatch_uid=f"lvv-case-scope-{_model.__name__}-delete")
m2m_changed.connect(_scope_changed, sender=Organisation.locations.through, dispatch_uid="lvv-case-scope-links")
m2m_changed.connect(_scope_changed, sender=User.groups.through, dispatch_uid="lvv-case-scope-groups")


def scope_changed_on(*models: type[Model]) -> None:
    """Resolve scopes again after any save or delete of these models (the object grants)."""
    for model in models:
        post_save.connect(_scope_changed, sender=model, dispatch_uid=f"lvv-case-scope-{model.__name__}-save")
        post_delete.connect(_scope_changed, sender=model, dispatch_uid=f"lvv-case-scope-{model.__name__}-delete")
