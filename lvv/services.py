"""What every app's services share: the acting user as a record stores it, and the version
check of optimistic concurrency (ADR 0005)."""

from __future__ import annotations

from typing import Protocol

from lvv.access import policy
from lvv.access.policy import Actor
from lvv.accounts.models import User
from lvv.errors import StaleVersionError


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
