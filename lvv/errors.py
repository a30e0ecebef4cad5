"""One mapping from domain errors to answers, for the pages and the API (docs/adr/0025).

A service refuses by raising one of a few exceptions. ``ANSWERS`` says once what every page
and every API endpoint answers to each: the HTTP status, the code the API gives, the
message when the error carries none, and whether the refusal is written to the access log
and with which result. Pages answer through ``lvv.pages.submit``, the API through the DRF
exception handler (``lvv.api.exceptions``); neither has a ladder of its own.

| error               | status | code                | access log             |
|---------------------|--------|---------------------|------------------------|
| ``NotVisibleError`` | 404    | ``not_found``         | refused (``denied``)   |
| ``StaleVersionError`` | 409  | ``stale_version``     | refused (``conflict``) |
| ``StateConflict``   | 409    | ``step_not_allowed``  | refused (``conflict``) |
| ``PermissionDenied`` | 403   | ``permission_denied`` | refused (``denied``)   |
| ``ValidationError`` | 400    | field errors          | not logged             |

Over the API a stale version whose version came from ``If-Match`` answers 412 instead of
409 (HTTP's answer to a failed precondition; ADR 0005); the log row is the same.

What was refused is named by an ``Attempt`` (the action and the object, as the access log
writes them); a page and the endpoint that do the same thing name the same attempt, so
their refusals leave the same row (with ``detail.reason`` the answer's code), apart from the
channel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lvv.audit.log import AccessAction, Channel, Origin, Result, record

NOT_FOUND = _("Dit bestaat niet of u hebt er geen toegang toe.")
STALE_VERSION = _(
    "Iemand anders heeft dit intussen gewijzigd. Bekijk de nieuwste gegevens en voer uw wijziging opnieuw in."
)
STALE_IF_MATCH = _("De versie in If-Match is niet (meer) de huidige versie.")
NOT_ALLOWED = _("U mag deze gegevens niet wijzigen.")


class NotVisibleError(Exception):
    """The object does not exist for this user (answers 404)."""


class StaleVersionError(Exception):
    """The change was based on an older version than the one stored (ADR 0005)."""

    message = STALE_VERSION


class StateConflict(Exception):
    """The object's state does not allow this change (``cases.workflow.StepNotAllowed``).
    Its text says why."""


@dataclass(frozen=True)
class Answer:
    status: int
    code: str
    # The message when the error carries none of its own (a Dutch msgid).
    message: str | Promise = ""
    # The access log's result for the refusal; None: not written as a refusal.
    logged: str | None = None


ANSWERS: dict[type[Exception], Answer] = {
    NotVisibleError: Answer(404, "not_found", NOT_FOUND, Result.DENIED),
    StaleVersionError: Answer(409, "stale_version", STALE_VERSION, Result.CONFLICT),
    StateConflict: Answer(409, "step_not_allowed", "", Result.CONFLICT),
    PermissionDenied: Answer(403, "permission_denied", NOT_ALLOWED, Result.DENIED),
    ValidationError: Answer(400, "invalid"),
}
# The API's answer to a stale version that came from ``If-Match``.
PRECONDITION_FAILED = Answer(412, "precondition_failed", STALE_IF_MATCH, Result.CONFLICT)


def answer_for(exc: BaseException) -> Answer | None:
    """The answer to ``exc`` (the nearest class in the table), or None for any other error."""
    for cls in type(exc).__mro__:
        if cls in ANSWERS:
            return ANSWERS[cls]
    return None


def message_of(exc: BaseException, answer: Answer) -> str:
    """What the user reads: the error's own text, else the answer's message."""
    if isinstance(exc, StaleVersionError):
        return str(exc.message)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or str(answer.message)


@dataclass(frozen=True)
class Attempt:
    """What a page or an endpoint tried, as the access log names it when it is refused."""

    action: str
    obj: models.Model | None = None
    object_type: str = ""
    object_id: Any = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    # Service field name -> the name in the API's body, where they differ.
    fields: Mapping[str, str] = field(default_factory=dict)


def changing(obj: models.Model, **detail: Any) -> Attempt:
    """A change of ``obj`` (a case, a meeting, an agenda item, an escalation...)."""
    return Attempt(AccessAction.UPDATE, obj=obj, detail=detail)


def creating(object_type: str, **detail: Any) -> Attempt:
    """A new object of ``object_type`` (``"cases.note"``), with what names it (its case)."""
    return Attempt(AccessAction.CREATE, object_type=object_type, detail=detail)


def log_refusal(request, answer: Answer, attempt: Attempt | None, *, channel: str) -> None:
    """Write the refusal of ``attempt`` to the access log, as ``answer`` says."""
    if answer.logged is None or attempt is None:
        return
    record(
        actor=request.user,
        action=attempt.action,
        result=answer.logged,
        origin=Origin.from_request(request, channel=channel),
        obj=attempt.obj,
        object_type=attempt.object_type,
        object_id=attempt.object_id,
        detail={**attempt.detail, "reason": answer.code},
    )


def deny(request, attempt: Attempt, message: str | Promise = "", *, channel: str = Channel.WEB) -> None:
    """Refuse ``attempt`` before any service is called (the user may not do this here):
    logged like a service's refusal, then ``PermissionDenied`` (403)."""
    log_refusal(request, ANSWERS[PermissionDenied], attempt, channel=channel)
    raise PermissionDenied(str(message) if message else "")


@contextlib.contextmanager
def attempting(attempt: Attempt) -> Iterator[Attempt]:
    """Name what the block tries: a domain error raised in it carries ``attempt`` to the
    API's exception handler, which logs the refusal."""
    try:
        yield attempt
    except Exception as exc:
        if answer_for(exc) is not None and getattr(exc, "attempt", None) is None:
            exc.attempt = attempt  # type: ignore[attr-defined]
        raise


__all__ = [
    "ANSWERS",
    "Answer",
    "Attempt",
    "NotVisibleError",
    "PRECONDITION_FAILED",
    "StaleVersionError",
    "StateConflict",
    "answer_for",
    "attempting",
    "changing",
    "creating",
    "deny",
    "log_refusal",
    "message_of",
]
