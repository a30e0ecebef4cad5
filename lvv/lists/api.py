"""``?ordering=`` in the API with the sort keys of the list pages (``lvv.lists``).

``ListOrderingFilter`` replaces DRF's ``OrderingFilter`` on a view with a ``list_definition``:
``?ordering=name``, ``?ordering=-escalated_on`` or several keys (``?ordering=location,-name``)
from the page's whitelist, and the view's own ``ordering_fields`` (model fields the API
offered before), the id as the last key; an unknown key answers 400 with the keys there are.
Views that filter by hand call ``order`` with the same rules.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from lvv.lists.listing import SORT_KEY, ListDefinition

PARAM = "ordering"
MAX_TERMS = 5
UNKNOWN = _("Onbekende sortering: %(term)s. Mogelijk: %(keys)s (met - ervoor: aflopend).")
TOO_MANY = _("Sorteer op ten hoogste %(max)d sleutels.")


def keys(definition: ListDefinition | None, extra_fields=()) -> list[str]:
    """The keys ``?ordering=`` takes: the list's sort keys, then the view's own fields."""
    own = definition.sort_keys if definition else []
    return [*own, *(field for field in extra_fields if field not in own)]


def order(queryset: QuerySet, raw: str | None, definition: ListDefinition | None, extra_fields=()) -> QuerySet:
    """``queryset`` in the order of ``raw`` (``key,-key``); unchanged when empty. Unknown keys:
    ``ValidationError`` (400) naming the keys there are."""
    terms = [term.strip() for term in (raw or "").split(",") if term.strip()]
    if not terms:
        return queryset
    if len(terms) > MAX_TERMS:
        raise ValidationError({PARAM: [TOO_MANY % {"max": MAX_TERMS}]})
    expressions = []
    for term in terms:
        parsed = definition.parse(term) if definition else None
        if parsed is not None:
            expressions += ListDefinition.expressions(*parsed)
        elif SORT_KEY.match(term) and term.lstrip("-") in extra_fields:
            name = term.lstrip("-")
            expressions.append(F(name).desc(nulls_last=True) if term.startswith("-") else F(name).asc(nulls_last=True))
        else:
            allowed = ", ".join(keys(definition, extra_fields))
            raise ValidationError({PARAM: [UNKNOWN % {"term": term[:40], "keys": allowed}]})
    tiebreaker = F("pk").desc() if terms[0].startswith("-") else F("pk").asc()
    return queryset.order_by(*expressions, tiebreaker)


class ListOrderingFilter(OrderingFilter):
    """DRF's ordering filter with a list's sort keys (``view.list_definition``) and the view's
    ``ordering_fields``."""

    ordering_param = PARAM

    def filter_queryset(self, request, queryset, view):
        definition = getattr(view, "list_definition", None)
        return order(queryset, request.query_params.get(self.ordering_param), definition, self._fields(view))

    @staticmethod
    def _fields(view) -> tuple[str, ...]:
        fields = getattr(view, "ordering_fields", None) or ()
        return tuple(field for field in fields if isinstance(field, str) and field != "__all__")

    def get_schema_operation_parameters(self, view):
        allowed = ", ".join(keys(getattr(view, "list_definition", None), self._fields(view)))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Sorteren op: %(keys)s; met - ervoor aflopend, meerdere gescheiden door komma's.")
                    % {"keys": allowed}
                ),
                "schema": {"type": "string"},
            }
        ]
