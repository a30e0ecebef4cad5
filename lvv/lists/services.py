"""Saving and deleting a user's saved filters; reads of them. Only ever the user's own."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from lvv.lists import listing
from lvv.lists.models import QUERY_MAX, SavedFilter

# How many filters a user keeps per list.
MAX_PER_LIST = 25
TOO_MANY = _("U kunt per lijst ten hoogste %(max)d filters bewaren. Verwijder er eerst een.")
UNKNOWN_LIST = _("Deze lijst bestaat niet.")
QUERY_TOO_LONG = _("Deze filters zijn te lang om te bewaren.")


def saved_filters(user, list_name: str) -> list[SavedFilter]:
    """``user``'s saved filters of ``list_name``, by name (one query)."""
    if user is None or not user.is_authenticated:
        return []
    return list(SavedFilter.objects.filter(user=user, list_name=list_name).order_by("name", "pk")[:MAX_PER_LIST])


@transaction.atomic
def save_filter(*, user, list_name: str, name: str, querystring: str) -> SavedFilter:
    """Save the filters of a list under ``name`` for ``user``; a filter of the same name is
    replaced. The query string keeps the filters and the sort only (``listing.saved_query``)."""
    if not listing.known_list(list_name):
        raise ValidationError({"list_name": UNKNOWN_LIST})
    query = listing.saved_query(QueryDict(querystring))
    if len(query) > QUERY_MAX:
        raise ValidationError({"querystring": QUERY_TOO_LONG})
    # The user's row locks out a second save of the same user at the same time (the count).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    existing = SavedFilter.objects.filter(user=user, list_name=list_name, name=name).first()
    if existing is not None:
        existing.querystring = query
        existing.save(update_fields=["querystring", "updated_at"])
        return existing
    if SavedFilter.objects.filter(user=user, list_name=list_name).count() >= MAX_PER_LIST:
        raise ValidationError({"name": TOO_MANY % {"max": MAX_PER_LIST}})
    return SavedFilter.objects.create(user=user, list_name=list_name, name=name, querystring=query)


def delete_filter(*, user, pk: int) -> bool:
    """Delete one of ``user``'s own saved filters; ``False`` when there is none such."""
    deleted, _rows = SavedFilter.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
