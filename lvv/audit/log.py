"""Writing to the access log. Services and views call ``record``; nothing else writes rows."""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
from typing import Any

from django.conf import settings
from django.db import models

from lvv.audit.activities import activity_for
from lvv.audit.models import AccessAction, AccessLogEntry, Channel, Result

__all__ = ["AccessAction", "Channel", "Result", "record", "Origin"]


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
    address the outermost trusted proxy saw (from the right of X-Forwarded-For)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return _address(forwarded[-proxies])
    return _address(request.META.get("REMOTE_ADDR"))


def _address(value: str | None) -> str | None:
    """An IP address as the log's column takes it, or None for anything else."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


class Origin:
    """Where an action comes from: the request's address and the channel."""

    def __init__(self, *, channel: str, ip_address: str | None = None):
        self.channel = channel
        self.ip_address = ip_address

    @classmethod
    def from_request(cls, request, channel: str = Channel.WEB) -> Origin:
        return cls(channel=channel, ip_address=client_ip(request))


COMMAND = Origin(channel=Channel.COMMAND)
TASK = Origin(channel=Channel.TASK)


_buffer: contextvars.ContextVar[list | None] = contextvars.ContextVar("access_log_buffer", default=None)


@contextlib.contextmanager
def buffered():
    """Collect the rows of a batch and write them together when it succeeds (same rows,
    same order, fewer round trips). Use inside the batch's transaction."""
    rows: list[AccessLogEntry] = []
    token = _buffer.set(rows)
    try:
        yield
    finally:
        _buffer.reset(token)
    AccessLogEntry.objects.bulk_create(rows)


OBJECT_TYPE_LENGTH = AccessLogEntry._meta.get_field("object_type").max_length
OBJECT_ID_LENGTH = AccessLogEntry._meta.get_field("object_id").max_length


def _storable(value):
    """``value`` as PostgreSQL stores it: a NUL character (which no text or JSON column
    takes) becomes U+FFFD, in strings, keys and nested values alike. What a request sent
    is logged as far as it can be, never lost to the write failing."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(str(key)): _storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(item) for item in value]
    return value


def _about_case(obj, detail: dict | None) -> int | None:
    """The case a row is about, without a query: the object itself, its case, or the
    ``case`` its detail names."""
    if obj is not None:
        if obj._meta.label_lower == "cases.case":
            return obj.pk
        case_id = getattr(obj, "case_id", None)
        if isinstance(case_id, int):
            return case_id
    case = (detail or {}).get("case")
    if isinstance(case, int) and not isinstance(case, bool):
        return case
    if isinstance(case, str) and case.isascii() and case.isdigit() and len(case) < 18:
        return int(case)
    return None


def record(
    *,
    actor,
    action: str,
    result: str = Result.ALLOWED,
    origin: Origin,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    detail: dict | None = None,
) -> AccessLogEntry:
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = obj.pk
    object_id = "" if object_id is None else _storable(str(object_id))[:OBJECT_ID_LENGTH]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AccessLogEntry(
        actor=actor if authenticated and isinstance(actor, models.Model) else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        result=result,
        channel=origin.channel,
        ip_address=origin.ip_address,
        object_type=_storable(object_type)[:OBJECT_TYPE_LENGTH],
        object_id=object_id,
        detail=_storable(detail or {}),
        processing_activity=activity_for(object_type, action),
        about_case=_about_case(obj, detail),
        actor_organisation_id=getattr(actor, "organisation_id", None) if authenticated else None,
    )
    rows = _buffer.get()
    if rows is None:
        entry.save()
    else:
        rows.append(entry)
    return entry
