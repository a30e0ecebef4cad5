"""Parameters, checked before they reach a query or a computation: integers within
bounds, a page number that cannot grow an offset past what the database counts in, and
dates within the years the system is about.

Filters (django-filter) check their own fields and answer 400 in the API; a page that
reads a parameter itself uses ``bounded_int``, which falls back to the default. Dates:
nothing the system records or plans lies before 2000 (``EARLIEST_DATE``) or after 2099
(``LATEST_DATE``); near the ends of the calendar, adding or taking months and days would
leave it.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# The largest id PostgreSQL's bigint holds; a larger one can name no row.
MAX_ID = 2**63 - 1
# Pages and offsets: a page number larger than this shows the last page (or nothing).
MAX_PAGE = 100_000
# Search text in a query parameter.
QUERY_MAX_LENGTH = 200


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within bounds (django-filter's NumberFilter takes any decimal, even
    one whose conversion to an integer never ends)."""

    field_class = forms.IntegerField


class IdFilter(IntegerFilter):
    """The id of an object: a whole number from 1 to the largest id."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def bounded_int(value, *, default: int, minimum: int = 1, maximum: int = MAX_PAGE) -> int:
    """``value`` (a query parameter) as an integer from ``minimum`` to ``maximum``; the
    default when it is missing or no whole number."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return max(minimum, min(maximum, number))


EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2099, 12, 31)
DATE_TOO_EARLY = _("Deze datum ligt vóór %(date)s.")
DATE_TOO_LATE = _("Deze datum ligt te ver in de toekomst (na %(date)s).")
NOT_A_DATE = _("Geef een datum als JJJJ-MM-DD.")


def not_before_earliest(value: datetime.date | None) -> None:
    """Validator: a date on or after ``EARLIEST_DATE``."""
    if value is not None and value < EARLIEST_DATE:
        raise ValidationError(DATE_TOO_EARLY % {"date": date_format(EARLIEST_DATE)}, code="too_early")


def not_before(value: datetime.date, earliest: datetime.date, field: str = "on") -> None:
    """Refuse ``value`` (the input ``field``) when it lies before ``earliest``, the date of
    what it follows (a meeting, an escalation, a registration)."""
    if value < earliest:
        raise ValidationError({field: DATE_TOO_EARLY % {"date": date_format(earliest)}})


def within_date_range(value: datetime.date | None) -> None:
    """Validator: a date from ``EARLIEST_DATE`` to ``LATEST_DATE``."""
    not_before_earliest(value)
    if value is not None and value > LATEST_DATE:
        raise ValidationError(DATE_TOO_LATE % {"date": date_format(LATEST_DATE)}, code="too_late")


def check_dates(**fields: datetime.date | None) -> None:
    """``within_date_range`` for several dates at once, as field errors."""
    errors = {}
    for name, value in fields.items():
        try:
            within_date_range(value)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
