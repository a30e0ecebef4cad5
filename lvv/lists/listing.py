"""A list page's columns, sort keys and export in one definition, bound to a request.

A list page describes its columns once (``ListDefinition``): the Dutch label, the database
columns a sort key orders by (only those keys can be asked for), and the value the export
writes. ``Listing`` binds a definition to a request: the sort from ``?sort=key`` or
``?sort=-key`` (any other value falls back to the list's default, never an error), the
header links with ``aria-sort``, the export links and the user's saved filters.

The order is SQL: ``order_by`` of the key's columns and then the id in the same direction,
so that the order is stable and pages neither overlap nor skip rows; pagination stays in
SQL (``Paginator`` slices the ordered queryset).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.http import QueryDict

from lvv.audit.log import AccessAction, Origin, record

SORT_PARAM = "sort"
EXPORT_PARAM = "export"
PAGE_PARAM = "page"
FORMATS = ("csv", "xlsx")
# Parameters that are not filters: they are left out of an export's and a saved filter's
# query string (the sort is kept in a saved filter, not in the export's filters).
RESERVED = frozenset({PAGE_PARAM, SORT_PARAM, EXPORT_PARAM})
# Free text never goes into a saved filter: a search is mostly a person's name, and a saved
# filter is kept as long as the user keeps it, whatever happens to the case.
NOT_SAVED = frozenset({"q"})
SORT_KEY = re.compile(r"^-?[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Column:
    """One column: ``key`` (the sort key and the header's test id), the Dutch ``label``
    (header and export), ``order_by`` (database columns, empty: not sortable) and ``value``
    (what the export writes for a row; ``None``: not exported)."""

    key: str
    label: Any
    order_by: tuple[str, ...] = ()
    value: Callable[[Any], Any] | None = None

    @property
    def sortable(self) -> bool:
        return bool(self.order_by)


@dataclass(frozen=True)
class ListDefinition:
    """A list: its ``name`` (the access log and saved filters), a Dutch ``title`` (the
    export's file and sheet name), its columns and default sort, and what an export logs:
    ``object_type`` and the ids of each row's ``logged_field`` under ``logged_as``."""

    name: str
    title: Any
    columns: tuple[Column, ...]
    default_sort: str = ""
    object_type: str = "cases.case"
    logged_as: str = "cases"
    logged_field: str = "pk"
    columns_by_key: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "columns_by_key", {column.key: column for column in self.columns})
        if self.default_sort and self.parse(self.default_sort) is None:
            raise ValueError(f"List {self.name!r}: the default sort {self.default_sort!r} is no sort key.")

    @property
    def sort_keys(self) -> list[str]:
        return [column.key for column in self.columns if column.sortable]

    @property
    def export_columns(self) -> list[Column]:
        return [column for column in self.columns if column.value is not None]

    def parse(self, value: str | None) -> tuple[Column, bool] | None:
        """``key`` or ``-key`` as (column, descending); ``None`` for anything else."""
        value = (value or "").strip()
        if not SORT_KEY.match(value):
            return None
        column = self.columns_by_key.get(value.lstrip("-"))
        if column is None or not column.sortable:
            return None
        return column, value.startswith("-")

    @staticmethod
    def expressions(column: Column, descending: bool) -> list[OrderBy]:
        """The column's order; empty values last in both directions."""
        return [
            F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in column.order_by
        ]

    def order(self, queryset: QuerySet, sort: str) -> QuerySet:
        """``queryset`` in the order of ``sort`` with the id as the last key (stable pages);
        unchanged when ``sort`` is empty or no sort key of this list."""
        parsed = self.parse(sort)
        if parsed is None:
            return queryset
        column, descending = parsed
        tiebreaker = F("pk").desc() if descending else F("pk").asc()
        return queryset.order_by(*self.expressions(column, descending), tiebreaker)


_registry: dict[str, ListDefinition] = {}


def register(definition: ListDefinition) -> ListDefinition:
    """Make a list known (its saved filters are accepted); call at import of its module."""
    _registry[definition.name] = definition
    return definition


def get(name: str) -> ListDefinition | None:
    return _registry.get(name)


def known_list(list_name: str) -> bool:
    """A saved filter's list: a registered list, or one part of it (``inbox:dtv_dossier``)."""
    base, _sep, part = list_name.partition(":")
    return base in _registry and (not _sep or bool(re.fullmatch(r"[a-z0-9_-]{1,40}", part)))


def _query(data: QueryDict, drop: Iterable[str] = (), **changes: str) -> str:
    query = data.copy() if isinstance(data, QueryDict) else _as_querydict(data)
    for key in drop:
        query.pop(key, None)
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


def query_without(data: QueryDict, *names: str) -> str:
    """``data`` (a request's GET) as a query string without ``names``: what a pager's links
    add their page to."""
    return _query(data, drop=names)


def _as_querydict(data) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in (data or {}).items():
        query[key] = value
    return query


def saved_query(data) -> str:
    """The part of a query string a saved filter keeps: the filters and the sort, without
    the page, the export or free text; in a fixed order."""
    query = data.copy() if isinstance(data, QueryDict) else _as_querydict(data)
    kept = QueryDict(mutable=True)
    for key in sorted(query.keys()):
        if key in (RESERVED - {SORT_PARAM}) | NOT_SAVED:
            continue
        values = [value for value in query.getlist(key) if value]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


class Listing:
    """A list definition bound to a request: the sort asked for (or the default), header
    links, the export's query string and the user's saved filters of this list.

    ``data`` is the list's parameters when the page fills in a default of its own (the case
    list's "mine"); ``saved_key`` the key of its saved filters when several lists share a
    page (the case list and the waiting list); ``default_sort`` overrides the list's default
    (an empty string keeps the queryset's own order)."""

    def __init__(
        self,
        request,
        definition: ListDefinition,
        *,
        data=None,
        saved_key: str | None = None,
        default_sort: str | None = None,
    ):
        self.request = request
        self.definition = definition
        self.data = request.GET if data is None else data
        asked = self.data.get(SORT_PARAM, "")
        self.explicit = definition.parse(asked) is not None
        default = definition.default_sort if default_sort is None else default_sort
        self.sort = asked.strip() if self.explicit else default
        self.saved_key = saved_key or definition.name

    # --- Sorting -------------------------------------------------------------------------

    def order(self, queryset: QuerySet) -> QuerySet:
        return self.definition.order(queryset, self.sort)

    def page(self, queryset: QuerySet, per_page: int, *, object_type: str, **detail: Any) -> Page:
        """The page asked for (``?page=``) of ``queryset`` in the chosen order, paged in SQL,
        and the access log's row that this user saw it (which list, which page, how many)."""
        found = Paginator(self.order(queryset), per_page).get_page(self.request.GET.get("page"))
        record(
            actor=self.request.user,
            action=AccessAction.LIST,
            origin=Origin.from_request(self.request),
            object_type=object_type,
            detail={**detail, "page": found.number, "count": found.paginator.count},
        )
        return found

    def header(self, key: str) -> dict:
        """What a column's header shows: its sort link and ``aria-sort`` when sortable."""
        column = self.definition.columns_by_key.get(key)
        if column is None or not column.sortable:
            return {"key": key, "sortable": False}
        current, descending = self.definition.parse(self.sort) or (None, False)
        active = current is not None and current.key == key
        descending = active and descending
        # The first click sorts ascending; a click on the active ascending column, descending.
        next_sort = key if not active or descending else f"-{key}"
        return {
            "key": key,
            "sortable": True,
            "aria_sort": ("descending" if descending else "ascending") if active else "",
            "next_descending": next_sort.startswith("-"),
            "query": _query(self.data, drop=(PAGE_PARAM, EXPORT_PARAM), **{SORT_PARAM: next_sort}),
        }

    # --- Filters and exports -------------------------------------------------------------

    @cached_property
    def export_format(self) -> str:
        value = self.request.GET.get(EXPORT_PARAM, "")
        return value if value in FORMATS else ""

    def filters(self) -> dict:
        """The filters in force (for the access log): every parameter but page, sort, export."""
        return {
            key: (values[0] if len(values) == 1 else values)
            for key in self.data.keys()
            if key not in RESERVED and (values := [v for v in self.data.getlist(key) if v])
        }

    @property
    def export_query(self) -> str:
        """The query string of the current selection (filters and sort, all pages)."""
        query = _query(self.data, drop=(PAGE_PARAM, EXPORT_PARAM))
        if self.sort and not self.explicit and self.definition.parse(self.sort):
            query = _query(QueryDict(query), **{SORT_PARAM: self.sort})
        return query

    def export_url(self, fmt: str) -> str:
        return "?" + _query(QueryDict(self.export_query), **{EXPORT_PARAM: fmt})

    @property
    def csv_url(self) -> str:
        return self.export_url("csv")

    @property
    def xlsx_url(self) -> str:
        return self.export_url("xlsx")

    # --- Saved filters -------------------------------------------------------------------

    @property
    def saved_query(self) -> str:
        return saved_query(self.data)

    @cached_property
    def saved_filters(self) -> list:
        """The user's own saved filters of this list (one query)."""
        from lvv.lists import services

        return services.saved_filters(self.request.user, self.saved_key)

    @property
    def save_form(self):
        from lvv.lists.forms import SavedFilterForm

        return SavedFilterForm(
            initial={"list_name": self.saved_key, "querystring": self.saved_query, "next": self.request.path}
        )

    @property
    def has_unsaved_search(self) -> bool:
        return any(self.data.get(key) for key in NOT_SAVED)
