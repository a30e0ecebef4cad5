"""Requests with a NUL character are refused before any view sees them.

PostgreSQL stores no NUL (``\\x00``) in text or JSON, so a NUL that reaches a query, a
record or the access log would make the request fail halfway. ``RefuseNulMiddleware``
answers 400 instead, for a NUL in the path, the query string (names and values), the
fields of a form, or the strings (keys and values) of a JSON or JSON Lines body: JSON for
``/api/``, a page otherwise, with a Dutch message in the user's language. The refusal is
in the access log, with the user when the request says who it is (a session, or an API
token).

It sits after the authentication middleware, so that a session's user is known; the
middleware before it does not read what it checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from lvv.audit.log import AccessAction, Channel, Origin, Result, record

NUL = "\x00"
NUL_REFUSED = _("Het verzoek bevat een ongeldig teken (NUL) en is geweigerd.")
JSON_TYPES = ("application/json", "application/x-ndjson")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
API_PREFIX = "/api/"
READ_METHODS = ("GET", "HEAD", "OPTIONS")


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = nul_in_request(request)
        if where is None:
            return self.get_response(request)
        api = request.path_info.startswith(API_PREFIX)
        _log_refusal(request, where, api=api)
        if api:
            return JsonResponse({"detail": str(NUL_REFUSED)}, status=400)
        return render(request, "400.html", {"message": NUL_REFUSED}, status=400)


def nul_in_request(request) -> str | None:
    """Where the request carries a NUL: "path", "query" or "body"; None when nowhere."""
    if NUL in request.path_info or NUL in request.path:
        return "path"
    if any(_has_nul(key) or any(_has_nul(v) for v in values) for key, values in request.GET.lists()):
        return "query"
    if request.method in READ_METHODS:
        return None
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        fields = request.POST.lists()
        if any(_has_nul(key) or any(_has_nul(v) for v in values) for key, values in fields):
            return "body"
    elif content_type in JSON_TYPES or content_type.endswith("+json"):
        if _json_has_nul(request):
            return "body"
    return None


def _has_nul(value) -> bool:
    return isinstance(value, str) and NUL in value


def _json_has_nul(request) -> bool:
    """Whether a (small enough) JSON or JSON Lines body holds a NUL in any string. A body
    that is no JSON is left to the view (which answers 400); one larger than Django reads
    into memory is left to the view's own checks (the import's)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (limit is not None and length > limit):
        return False
    body = request.body
    if b"\x00" in body:
        return True
    if b"\\u0000" not in body.lower():
        return False
    for line in body.splitlines() if request.content_type == "application/x-ndjson" else [body]:
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if any(_has_nul(text) for text in _strings(document)):
            return True
    return False


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _log_refusal(request, where: str, *, api: bool) -> None:
    origin = Origin.from_request(request, channel=Channel.API if api else Channel.WEB)
    record(
        actor=_actor(request, api=api),
        action=AccessAction.VIEW if request.method in READ_METHODS else AccessAction.UPDATE,
        result=Result.INVALID,
        origin=origin,
        detail={"refused": "nul", "in": where, "method": request.method, "path": request.path},
    )


def _actor(request, *, api: bool):
    """The session's user, or for the API the user of a valid token (whose use is logged
    as always); anonymous when neither."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    if api and request.META.get("HTTP_AUTHORIZATION"):
        from rest_framework.exceptions import APIException

        from lvv.accounts.authentication import TokenAuthentication

        try:
            found = TokenAuthentication().authenticate(request)
        except APIException:
            return None
        return found[0] if found else None
    return None
