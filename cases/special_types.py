"""Case types as a reader may see them.

Three case types are special-category data themselves (``models.SPECIAL_CASE_TYPES``:
health, belief, sexual orientation). They exist only for readers who may see special-category
data of the case (``policy.can_view_special_category``, ``policy.SpecialCategoryChecker`` for
many cases): on the case page and its step form, in the case list's filter, in the API (the
trajectory, the timeline, the registration and the step) and in the timeline's
``case_types_set`` events. To everyone else the case has only its other types: no
placeholder, because a placeholder would itself say that the person has a health problem or
a belief or an orientation on record. The figures count every type (aggregated, never a
person), and the subject-access file keeps them all (it is the person's own data).

Writing follows the same rule: a user without the permission cannot set a special type
(``SPECIAL_NOT_ALLOWED``), and when such a user sets the case types, the special ones
already set, which that user never saw, are kept (``kept``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import (
    SPECIAL_CASE_TYPES,
    Case,
    CaseGroupObjectPermission,
    CaseType,
    CaseUserObjectPermission,
    EventType,
)
from lvv.access import policy

PERMISSION_CODENAME = policy.SPECIAL_CATEGORY_PERMISSION.split(".", 1)[1]

SPECIAL_NOT_ALLOWED = _(
    "U mag dit casustype niet vastleggen: het is een bijzonder persoonsgegeven (%(types)s) en u heeft "
    "geen toegang tot bijzondere persoonsgegevens van deze casus."
)
# The case-types step form, for users without the permission (shown whatever the case's types).
KEPT_HELP = _(
    "Casustypen die bijzondere persoonsgegevens zijn, ziet u niet; wat daarvan is vastgelegd, blijft "
    "staan als u opslaat."
)


def is_special(value: str) -> bool:
    return value in SPECIAL_CASE_TYPES


def visible(values: Iterable[str], *, special: bool) -> list[str]:
    """``values`` without the special types unless ``special`` (the reader may see them)."""
    return [value for value in values if special or not is_special(value)]


# The answer for a case is kept on the case object for its reader (a page asks it for the page
# and again for the case-types form), as Django keeps a user's permissions on the user object.
_ANSWER_ATTRIBUTE = "_lvv_special_category"


def may_see_special(user, case: Case | None) -> bool:
    """Whether ``user`` may see (and set) the special types of ``case``; for a case not yet
    registered (``None``) only the global permission counts."""
    if case is None:
        return policy.can_view_special_category(user, None)
    reader = (type(user).__name__, getattr(user, "pk", None))
    kept_answer = getattr(case, _ANSWER_ATTRIBUTE, None)
    if kept_answer is not None and kept_answer[0] == reader:
        return kept_answer[1]
    answer = policy.can_view_special_category(user, case)
    setattr(case, _ANSWER_ATTRIBUTE, (reader, answer))
    return answer


def case_types_for(user, case: Case, *, special: bool | None = None) -> list[str]:
    """The case types of ``case`` that ``user`` may see. ``special`` is the answer of
    ``policy.can_view_special_category`` when the caller already has it (for many cases,
    ``policy.SpecialCategoryChecker``)."""
    if special is None:
        special = may_see_special(user, case)
    return visible(case.case_types or [], special=special)


def choices(*, special: bool) -> list[tuple[str, str]]:
    """The case types a user may choose: all of them, or (``special`` false) the others."""
    return [(value, label) for value, label in CaseType.choices if special or not is_special(value)]


def special_in(values: Iterable[str]) -> list[str]:
    """The special types among ``values``, sorted, each once."""
    return sorted({value for value in values if is_special(value)})


def kept(values: Iterable[str], current: Iterable[str], *, special: bool) -> list[str]:
    """The case types after a user sets ``values`` on a case that has ``current``: for a user
    without the permission, the special ones already set stay (that user never saw them)."""
    result = set(values)
    if not special:
        result |= {value for value in current if is_special(value)}
    return sorted(result)


def event_data(event, *, special: bool) -> dict:
    """The data of a timeline event as the reader may see it: a ``case_types_set`` event
    without the special types unless ``special``; any other event as it is."""
    data = event.data or {}
    if special or event.type != EventType.CASE_TYPES_SET or not isinstance(data.get("case_types"), list):
        return data
    return {**data, "case_types": visible(data["case_types"], special=False)}


def special_from_context(context: dict, case: Case) -> bool:
    """The serializers' rule: ``context["special_category"]`` is a callable that answers for a
    case (``policy.SpecialCategoryChecker``); without it, the special types are left out."""
    checker = context.get("special_category")
    return bool(checker is not None and checker(case))


def readable_rule(user, *, prefix: str = "") -> Q:
    """The cases whose special-category data ``user`` may see, as a filter on cases: every
    case with the global permission, else the cases granted to the user or the user's groups
    (django-guardian, as ``policy.can_view_special_category``). For a list that would
    otherwise let a reader infer a special type from its absence (``monitor.quality``)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(**{f"{prefix}pk__in": []})
    if user.has_perm(policy.SPECIAL_CATEGORY_PERMISSION):
        return Q()
    granted = CaseUserObjectPermission.objects.filter(user=user.pk, permission__codename=PERMISSION_CODENAME)
    by_group = CaseGroupObjectPermission.objects.filter(group__user=user.pk, permission__codename=PERMISSION_CODENAME)
    return Q(**{f"{prefix}pk__in": granted.values("content_object")}) | Q(
        **{f"{prefix}pk__in": by_group.values("content_object")}
    )
