"""What the LSO and MRT API views share: the origin, versions, service errors as HTTP
answers, and audited reads (every read and refusal is in the access log).

Service errors: ``NotVisibleError`` 404; ``PermissionDenied`` 403 (also ``MinutesFinal``);
``ValidationError`` 400 with field-level messages; ``StaleVersionError`` 409 (version in
the body) or 412 (``If-Match``); ``StepNotAllowed`` 409 with code ``step_not_allowed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from cases.services import NotVisibleError, StaleVersionError
from cases.workflow import StepNotAllowed
from lvv.api.exceptions import PreconditionFailed, StaleVersion
from lvv.audit.log import Action, Channel, Origin, Result, record

VERSION_REQUIRED = _("Geef de versie mee waarop de wijziging is gebaseerd.")
VERSION_INVALID = _("Ongeldige versie.")
VERSION_HELP = _(
    "De versie waarop de wijziging is gebaseerd (optimistische gelijktijdigheid); een verouderde versie "
    "geeft 409. In plaats daarvan mag de header If-Match (412 bij een verouderde versie)."
)
STEP_NOT_ALLOWED_CODE = "step_not_allowed"

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description=str(_("De versie (ETag) waarop de wijziging is gebaseerd; een verouderde versie geeft 412.")),
)
DETAIL = inline_serializer("LsoErrorDetail", {"detail": serializers.CharField()})
CONFLICT = inline_serializer(
    "LsoConflict", {"detail": serializers.CharField(), "code": serializers.CharField(required=False)}
)
ERRORS = {
    400: OpenApiResponse(description=str(_("Ongeldige invoer: per veld een lijst meldingen."))),
    403: OpenApiResponse(DETAIL, description=str(_("Zichtbaar, maar u mag dit niet (of het verslag is definitief)."))),
    404: OpenApiResponse(DETAIL, description=str(_("Bestaat niet of is voor u niet zichtbaar."))),
}
VERSIONED_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(CONFLICT, description=str(_("Verouderde versie, of een stap die de casus niet toelaat."))),
    412: OpenApiResponse(DETAIL, description=str(_("De versie in If-Match is niet (meer) de huidige versie."))),
}


def origin(request) -> Origin:
    return Origin.from_request(request, channel=Channel.API)


class StepConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = STEP_NOT_ALLOWED_CODE

    def __init__(self, error: StepNotAllowed):
        super().__init__({"detail": str(error), "code": STEP_NOT_ALLOWED_CODE})


def if_match_version(request) -> int | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 10:
        raise exceptions.ValidationError({"If-Match": [str(VERSION_INVALID)]})
    return int(value)


def expected_version(request, *, required: bool) -> tuple[int | None, bool]:
    """(version, from_header): ``If-Match`` wins over ``version`` in the body."""
    header = if_match_version(request)
    if header is not None:
        return header, True
    body = request.data.get("version") if isinstance(request.data, Mapping) else None
    if body in (None, ""):
        if required:
            raise exceptions.ValidationError({"version": [str(VERSION_REQUIRED)]})
        return None, False
    try:
        value = int(body)
    except (TypeError, ValueError):
        raise exceptions.ValidationError({"version": [str(VERSION_INVALID)]}) from None
    if value < 1:
        raise exceptions.ValidationError({"version": [str(VERSION_INVALID)]})
    return value, False


def field_errors(exc: DjangoValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}


def call_service(request, fn: Callable, *, from_header: bool = False, logged_obj=None, **kwargs) -> Any:
    """Call a service with the request's user and origin; its errors become HTTP answers."""
    try:
        return fn(acting_user=request.user, origin=origin(request), **kwargs)
    except NotVisibleError:
        raise exceptions.NotFound() from None
    except StaleVersionError:
        if logged_obj is not None:
            record(
                actor=request.user, action=Action.UPDATE, result=Result.CONFLICT, origin=origin(request), obj=logged_obj
            )
        raise (PreconditionFailed if from_header else StaleVersion)() from None
    except StepNotAllowed as exc:
        raise StepConflict(exc) from None
    except DjangoPermissionDenied as exc:
        if logged_obj is not None:
            record(
                actor=request.user, action=Action.UPDATE, result=Result.DENIED, origin=origin(request), obj=logged_obj
            )
        raise exceptions.PermissionDenied(str(exc) or None) from None
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(field_errors(exc)) from None


class AuditedMixin:
    """Reads are logged (list, view) and so are refusals (hidden object: 404)."""

    object_type: str

    def get_object(self):
        try:
            return super().get_object()
        except (exceptions.NotFound, Http404):
            record(
                actor=self.request.user,
                action=Action.VIEW,
                result=Result.DENIED,
                origin=origin(self.request),
                object_type=self.object_type,
                object_id=self.kwargs.get("pk"),
            )
            raise exceptions.NotFound() from None

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        record(
            actor=request.user,
            action=Action.LIST,
            origin=origin(request),
            object_type=self.object_type,
            detail={"filters": {k: v for k, v in request.query_params.items() if v}},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        record(actor=request.user, action=Action.VIEW, obj=instance, origin=origin(request))
        return self.respond(instance)

    def respond(self, instance, status_code=200, serializer_class=None) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        data = serializer_class(instance, context=self.get_serializer_context()).data
        response = Response(data, status=status_code)
        if hasattr(instance, "version"):
            response["ETag"] = f'"{instance.version}"'
        return response
