"""Shared by the tests of ``lvv.errors`` per app: a page and its endpoint refuse with the same
access-log row (docs/adr/0025)."""

from __future__ import annotations

from lvv import errors
from lvv.audit.models import AccessLogEntry

FIELDS = ("actor", "action", "result", "object_type", "object_id", "detail", "about_case")


def last_refusal(channel: str) -> dict:
    """The newest refused attempt of ``channel`` (``web`` or ``api``), as its row names it."""
    row = AccessLogEntry.objects.filter(channel=channel).exclude(result="allowed").latest("id")
    return {name: getattr(row, name) for name in FIELDS}


def assert_same_refusal(result: str, reason: str) -> dict:
    """The page's newest refusal and the API's are one row, apart from the channel."""
    web, api = last_refusal("web"), last_refusal("api")
    assert web == api, (web, api)
    assert (web["result"], web["detail"]["reason"]) == (result, reason)
    return web


def assert_stale_on_both(page, api) -> dict:
    """The page and the API refuse a stale version alike: 409, the page with its message, the
    API with its code, and one row (returned)."""
    assert page.status_code == api.status_code == 409
    assert str(errors.STALE_VERSION) in page.content.decode()
    assert api.json()["code"] == "stale_version"
    return assert_same_refusal("conflict", "stale_version")
