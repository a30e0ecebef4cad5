"""What every app's services share: the acting user as a record stores it, and the version
check of optimistic concurrency (ADR 0005)."""

from __future__ import annotations

from lvv.access import policy
from lvv.errors import StaleVersionError


def user_or_none(user):
    """The user to store as the author of a record: None for the system principal of a
    command or task (``policy.SYSTEM``) and for anyone without an account row."""
    return None if policy.is_system(user) or not getattr(user, "pk", None) else user


def check_version(obj, expected_version: int | None) -> None:
    """Refuse a change based on another version than ``obj``'s (``None``: not checked)."""
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError
