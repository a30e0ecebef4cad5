"""What every app's services share: the acting user as a record stores it, the version
check of optimistic concurrency (ADR 0005), the row the user may see locked for the change,
and the checks of a day that happened and of a required text."""

from __future__ import annotations

import datetime
from typing import Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lvv.access import policy
from lvv.access.policy import Actor
from lvv.accounts.models import User
from lvv.errors import NotVisibleError, StaleVersionError
from lvv.params import check_dates, not_before
from lvv.text import TEXT_MAX, check_text

DATE_IN_FUTURE = _("Deze datum ligt in de toekomst.")
TEXT_REQUIRED = _("Dit veld is verplicht.")


def user_or_none(user: Actor | None) -> User | None:
    """The user to store as the author of a record: None for the system principal of a
    command or task (``policy.SYSTEM``) and for anyone without an account row."""
    return None if policy.is_system(user) or not getattr(user, "pk", None) else user


class Versioned(Protocol):
    """A model with a version number (optimistic concurrency)."""

    @property
    def version(self) -> int: ...


def check_version(obj: Versioned, expected_version: int | None) -> None:
    """Refuse a change based on another version than ``obj``'s (``None``: not checked)."""
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError


_Row = TypeVar("_Row", bound=Model)


def save_next_version(row: _Row) -> _Row:
    """Save a changed (versioned) row as its next version, the one ``check_version``
    compares the next change with."""
    row.version += 1  # type: ignore[attr-defined]
    row.save()
    return row


def locked_visible(visible: QuerySet[_Row], pk: int, *related: str) -> _Row:
    """Row ``pk`` of ``visible`` (scoped to what the acting user may see), locked for the
    transaction with ``related`` joined: 404 (``NotVisibleError``) when hidden."""
    locked = visible.select_for_update(of=("self",)).select_related(*related).filter(pk=pk).first()
    if locked is None:
        raise NotVisibleError
    return locked


def not_future(on: datetime.date | None, field: str = "on") -> datetime.date:
    """The day something happened: today when not given, never later, within the dates the
    system takes (``lvv.params.check_dates``)."""
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError({field: DATE_IN_FUTURE})
    check_dates(**{field: on})
    return on


def mark_done(
    row: Model,
    acting_user: Actor,
    on: datetime.date | None,
    *,
    not_before_date: datetime.date,
    already_done: str | Promise,
) -> datetime.date:
    """Record that ``row`` (a locked action or task, with ``done_on`` and ``done_by``) was done
    on ``on`` (default today) by the acting user: once, not in the future and not before
    ``not_before_date``. Returns the day."""
    if row.done_on:  # type: ignore[attr-defined]
        raise ValidationError({"__all__": already_done})
    on = not_future(on)
    not_before(on, not_before_date)
    row.done_on, row.done_by = on, user_or_none(acting_user)  # type: ignore[attr-defined]
    row.save(update_fields=["done_on", "done_by"])
    return on


def required_text(value: str | None, field: str, message: str | Promise = TEXT_REQUIRED, limit: int = TEXT_MAX) -> str:
    """The text, stripped; required, at most ``limit`` characters (``lvv.text``)."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    check_text(**{field: (value, limit)})
    return value
