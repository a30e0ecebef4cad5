"""One error shape for the API: the domain errors answer as ``lvv.errors`` says (and their
refusals are logged there), Django's own errors become DRF answers, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from lvv import errors
from lvv.audit.log import Channel


class Refused(exceptions.APIException):
    """A domain error as the API answers it: ``{"detail": ..., "code": ...}``."""

    def __init__(self, answer: errors.Answer, message: str) -> None:
        self.status_code = answer.status
        super().__init__({"detail": message, "code": answer.code}, code=answer.code)


def field_errors(exc: DjangoValidationError, renames: Mapping[str, str] | None = None) -> dict[str, list[Any]]:
    """A service's validation errors per field of the body (``renames``: service name ->
    body name; ``non_field_errors`` for the whole)."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    result: dict[str, list] = {}
    for name, messages in exc.message_dict.items():
        key = "non_field_errors" if name == "__all__" else (renames or {}).get(name, name)
        result.setdefault(key, []).extend(messages)
    return result


def as_api_exception(exc: Exception, request: Request | None = None) -> exceptions.APIException | None:
    """The DRF exception for a domain error, after logging its refusal; None for others."""
    answer = errors.answer_for(exc)
    if answer is None:
        return None
    attempt = getattr(exc, "attempt", None)
    if request is not None:
        errors.log_refusal(request, answer, attempt, channel=Channel.API)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(field_errors(exc, attempt.fields if attempt else None))
    if isinstance(exc, errors.StaleVersionError) and getattr(request, "version_from_if_match", False):
        answer = errors.PRECONDITION_FAILED
        return Refused(answer, str(answer.message))
    return Refused(answer, errors.message_of(exc, answer))


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    converted = as_api_exception(exc, context.get("request"))
    return drf_exception_handler(converted or exc, context)
