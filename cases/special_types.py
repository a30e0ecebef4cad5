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

from django.utils.translation import gettext_lazy as _

from cases.models import SPECIAL_CASE_TYPES, Case, CaseType, EventType
from lvv.access import policy

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


def may_see_special(user, case: Case | None) -> bool:
    """Whether ``user`` may see (and set) the special types of ``case``; for a case not yet
    registered (``None``) only the global permission counts."""
    return policy.can_view_special_category(user, case)


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


def refused(values: Iterable[str], *, special: bool) -> list[str]:
    """The special types in ``values`` that a user without the permission may not set."""
    return [] if special else sorted({value for value in values if is_special(value)})


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
