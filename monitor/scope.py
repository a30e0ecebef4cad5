"""Which LVVs' figures a user may read.

The programme bureau reads the figures of every LVV (and never a person); municipality
users (case workers, LSO chairs) read those of their own LVV(s); everyone else reads no
figures. Management commands act as ``policy.SYSTEM`` and read every LVV.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lvv.access import policy
from lvv.accounts.models import Role
from lvv.partners.models import Location, locations_of

# Roles that read the figures of their organisation's LVVs (the access policy decides).
MUNICIPALITY_ROLES = policy.OWN_FIGURES_ROLES

NO_FIGURES = _("U hebt geen toegang tot de cijfers van de monitor.")
UNKNOWN_LOCATION = _("Onbekende LVV, of een LVV waarvan u de cijfers niet mag zien: %(slugs)s.")


def locations_for(user) -> list[Location]:
    """The LVVs whose figures ``user`` may read, in slug order (empty: none)."""
    if policy.is_system(user):
        return list(Location.objects.order_by("slug"))
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.has_role(Role.BUREAU):
        return list(Location.objects.order_by("slug"))
    if user.has_role(*MUNICIPALITY_ROLES):
        return list(locations_of(user.organisation).order_by("slug"))
    return []


def may_read_figures(user) -> bool:
    return bool(locations_for(user))


def select_locations(user, slugs: Iterable[str] | None = None, *, field: str = "lvv") -> list[Location]:
    """The user's LVVs, narrowed to ``slugs`` when given.

    Raises ``ValidationError({field: ...})`` when a slug is unknown or not the user's (the
    same message for both, so that the answer does not tell them apart).
    """
    allowed = locations_for(user)
    wanted = [slug for slug in (slugs or []) if slug]
    if not wanted:
        return allowed
    by_slug = {location.slug: location for location in allowed}
    unknown = sorted({slug for slug in wanted if slug not in by_slug})
    if unknown:
        raise ValidationError({field: UNKNOWN_LOCATION % {"slugs": ", ".join(unknown)}})
    return [by_slug[slug] for slug in sorted(set(wanted))]
