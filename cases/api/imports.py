"""``POST /api/v1/imports/``: the case import (schema lvv-case/1) over the API.

The body is the JSON Lines file (``Content-Type: application/x-ndjson``); ``?dry_run=1``
validates and reports without writing, ``?update=1`` adds new events to cases imported
before. Only case workers of every LVV the file names may import (403 naming the LVV
otherwise, before anything about the file's content or the LVV's cases is revealed).
Answers: 201 with the summary when cases were created or updated, 200 when nothing was
written (all skipped, or a dry run), 400 with ``errors``: a list of {line, field, message}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import importer
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import Channel, Origin, Result

MEDIA_TYPE = "application/x-ndjson"
MAX_BYTES = 50 * 1024 * 1024

FILE_TOO_LARGE = _("Het bestand is te groot (maximaal 50 MB); verdeel het over meerdere imports.")
INVALID_FILE = _("Het bestand is ongeldig; er is niets opgeslagen.")
INVALID_FLAG = _("Geef 0 of 1.")
FLAG_VALUES = {"1": True, "true": True, "0": False, "false": False, "": False}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = FILE_TOO_LARGE
    default_code = "too_large"


class NDJSONParser(BaseParser):
    """Hands the raw JSON Lines body to the importer (which reads and checks every line)."""

    media_type = MEDIA_TYPE

    # (DRF takes whatever a parser gives as the request's data; the stubs say a mapping.)
    def parse(  # type: ignore[override]
        self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if stream is None:
            return b""
        data = stream.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise PayloadTooLarge()
        return data


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "").strip().lower()
    if value not in FLAG_VALUES:
        raise exceptions.ValidationError({name: [INVALID_FLAG]})
    return FLAG_VALUES[value]


ERROR_LIST = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer", "nullable": True},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
COUNTS: dict[str, Any] = {
    "type": "object",
    "properties": {name: {"type": "integer"} for name in ("lines", "created", "updated", "skipped")},
}
SUMMARY = {
    "type": "object",
    "properties": {
        "schema": {"type": "string"},
        "dry_run": {"type": "boolean"},
        **COUNTS["properties"],
        "per_lvv": {"type": "object", "additionalProperties": COUNTS},
    },
}


class ImportView(APIView):
    parser_classes = [NDJSONParser]

    @extend_schema(
        operation_id="imports_create",
        summary=_("Casussen importeren (lvv-case/1)"),
        request={MEDIA_TYPE: OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description=_("Alleen controleren; niets opslaan.")),
            OpenApiParameter("update", OpenApiTypes.BOOL, description=_("Nieuwe gebeurtenissen toevoegen.")),
        ],
        responses={
            201: OpenApiResponse(SUMMARY, description=_("Casussen aangemaakt of bijgewerkt.")),
            200: OpenApiResponse(SUMMARY, description=_("Niets opgeslagen: alles ongewijzigd, of een proefimport.")),
            400: OpenApiResponse(ERROR_LIST, description=_("Ongeldig bestand: fouten per regel; niets opgeslagen.")),
            403: OpenApiResponse(description=_("Geen casemanager van een LVV uit het bestand.")),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        dry_run, update = _flag(request, "dry_run"), _flag(request, "update")
        data = request.data if isinstance(request.data, bytes) else b""
        origin = Origin.from_request(request, channel=Channel.API)
        try:
            summary = importer.run_import(data, acting_user=request.user, origin=origin, dry_run=dry_run, update=update)
        except importer.ImportForbidden as exc:
            importer.log_refusal(acting_user=request.user, origin=origin, result=Result.DENIED, detail={"lvv": exc.lvv})
            raise exceptions.PermissionDenied(exc.message) from None
        except importer.ImportInvalid as exc:
            importer.log_refusal(
                acting_user=request.user, origin=origin, result=Result.INVALID, detail={"errors": len(exc.errors)}
            )
            body = {"detail": str(INVALID_FILE), "errors": [error.as_dict() for error in exc.errors]}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        written = not dry_run and (summary.created or summary.updated)
        return Response(summary.as_dict(), status=status.HTTP_201_CREATED if written else status.HTTP_200_OK)


# Included by lvv/api/urls.py at ``imports/`` (in the ``api`` namespace: ``api:imports``).
urlpatterns = [path("", ImportView.as_view(), name="imports")]
