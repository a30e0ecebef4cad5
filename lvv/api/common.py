"""What every app's API views share: the origin, versions (``If-Match`` or the body), the
error responses of the schema, the service call and audited reads (every read and refusal
is in the access log).

Service errors become answers in one place, the exception handler (``lvv.api.exceptions``,
after ``lvv.errors``): ``NotVisibleError`` 404, ``PermissionDenied`` 403,
``ValidationError`` 400 with field-level messages, ``StaleVersionError`` 409 (version in the
body) or 412 (``If-Match``), ``StateConflict`` (a step the case's state does not allow) 409
with code ``step_not_allowed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from lvv import errors
from lvv.api.types import AuthenticatedRequest, ReadViewBase
from lvv.audit.log import AccessAction, Channel, Origin, Result, record
from lvv.lists import api as list_api
from lvv.lists.listing import ListDefinition

_View = TypeVar("_View", bound=Callable[..., Any])

VERSION_REQUIRED = _("Geef de versie mee waarop de wijziging is gebaseerd.")
VERSION_INVALID = _("Ongeldige versie.")
IF_MATCH_INVALID = _("Ongeldige versie in If-Match.")
VERSION_HELP = _(
    "De versie waarop de wijziging is gebaseerd (optimistische gelijktijdigheid); een verouderde versie "
    "geeft 409. In plaats daarvan mag de header If-Match (412 bij een verouderde versie)."
)
STEP_NOT_ALLOWED_CODE = errors.ANSWERS[errors.StateConflict].code

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description=str(_("De versie (ETag) waarop de wijziging is gebaseerd; een verouderde versie geeft 412.")),
)
# A refusal of ``lvv.errors`` names its code; DRF's own answers (a 404 of a look-up) do not.
DETAIL = inline_serializer(
    "ErrorDetail", {"detail": serializers.CharField(), "code": serializers.CharField(required=False)}
)
FIELD_ERRORS = OpenApiResponse(
    description=_("Ongeldige invoer: per veld een lijst meldingen (`non_field_errors` voor het geheel).")
)
ERRORS = {
    400: FIELD_ERRORS,
    403: OpenApiResponse(DETAIL, description=str(_("Zichtbaar, maar u mag dit niet."))),
    404: OpenApiResponse(DETAIL, description=str(_("Bestaat niet of is voor u niet zichtbaar."))),
}
VERSIONED_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(DETAIL, description=str(_("Verouderde versie, of een stap die de status niet toelaat."))),
    412: OpenApiResponse(DETAIL, description=str(errors.STALE_IF_MATCH)),
}


def origin(request: Request) -> Origin:
    return Origin.from_request(request, channel=Channel.API)


def if_match_version(request: Request) -> int | None:
    """The version in an If-Match header (``"3"``, ``W/"3"``, ``3``), or None without one.
    A stale version from the header answers 412 (``lvv.api.exceptions``)."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    value = header.strip().removeprefix("W/").strip('"').removeprefix("v")
    if not value.isdigit() or len(value) > 10:
        raise exceptions.ValidationError({"If-Match": [str(IF_MATCH_INVALID)]})
    request.version_from_if_match = True  # type: ignore[attr-defined]  # read by the exception handler
    return int(value)


def expected_version(request: Request, *, required: bool) -> int | None:
    """The version a change is based on: ``If-Match`` wins over ``version`` in the body."""
    header = if_match_version(request)
    if header is not None:
        return header
    body = request.data.get("version") if isinstance(request.data, Mapping) else None
    if body is None or body == "":
        if required:
            raise exceptions.ValidationError({"version": [str(VERSION_REQUIRED)]})
        return None
    try:
        value = int(body)
    except (TypeError, ValueError):
        raise exceptions.ValidationError({"version": [str(VERSION_INVALID)]}) from None
    if value < 1:
        raise exceptions.ValidationError({"version": [str(VERSION_INVALID)]})
    return value


def call_service(
    request: Request, fn: Callable[..., Any], *, attempt: errors.Attempt | None = None, **kwargs: Any
) -> Any:
    """Call a service with the request's user and origin. Its errors go to the exception
    handler; with ``attempt``, a refusal is logged as one of that attempt."""
    if attempt is None:
        return fn(acting_user=request.user, origin=origin(request), **kwargs)
    with errors.attempting(attempt):
        return fn(acting_user=request.user, origin=origin(request), **kwargs)


def object_action(**kwargs: Any) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A step on one object: ``POST /<pk>/<name>/``, with no list filters or pages (DRF's
    ``action``; ``kwargs`` as it takes them, such as ``url_path``)."""
    return action(detail=True, methods=["post"], filter_backends=[], pagination_class=None, **kwargs)


def operation_schema(
    summary: str | Promise,
    response: Any,
    status: int = 200,
    *,
    versioned: bool = False,
    description: str | Promise | None = None,
    **kwargs: Any,
) -> Callable[[_View], _View]:
    """What the schema says of an operation: the answer ``response`` with ``status``, or one
    of the error answers; a ``versioned`` change also takes ``If-Match`` and may answer 409
    or 412. ``kwargs`` as ``extend_schema`` takes them (``request``)."""
    return extend_schema(
        summary=str(summary),
        description=None if description is None else str(description),
        parameters=[IF_MATCH] if versioned else None,
        responses={status: response, **(VERSIONED_ERRORS if versioned else ERRORS)},
        **kwargs,
    )


def object_step(
    summary: str | Promise,
    *,
    request: Any,
    response: Any,
    status: int = 200,
    versioned: bool = False,
    description: str | Promise | None = None,
    **kwargs: Any,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A step on one object (``object_action``, with ``kwargs``) and what the schema says of
    it (``operation_schema``), with the body ``request``."""
    schema = operation_schema(summary, response, status, versioned=versioned, description=description, request=request)

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        return schema(object_action(**kwargs)(view))

    return decorate


def read_schemas(serializer: Any, list_summary: str | Promise, retrieve_summary: str | Promise) -> dict[str, Any]:
    """What the schema says of a viewset's list and read of one object (for
    ``extend_schema_view``): their summaries, and the object (``serializer``) or 404."""
    return {
        "list": extend_schema(summary=str(list_summary)),
        "retrieve": extend_schema(summary=str(retrieve_summary), responses={200: serializer, 404: ERRORS[404]}),
    }


def ordering_parameter(description: str | Promise, definition: ListDefinition) -> OpenApiParameter:
    """The ``?ordering=`` of a list the view orders itself (``lvv.lists.api.order``) by the
    sort keys of ``definition``, which ``description`` names as ``%(keys)s``."""
    return OpenApiParameter(
        list_api.PARAM, str, description=str(description % {"keys": ", ".join(definition.sort_keys)})
    )


def without_version(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validated input without its ``version`` (that goes to the service as ``expected_version``)."""
    return {k: v for k, v in data.items() if k != "version"}


def log_not_found(request: Request, object_type: str, object_id: object) -> None:
    """The look-up of a hidden or absent object, logged as refused (it answers 404)."""
    record(
        actor=request.user,
        action=AccessAction.VIEW,
        result=Result.DENIED,
        origin=origin(request),
        object_type=object_type,
        object_id=object_id,
    )


class ValidatedBodyMixin(ReadViewBase):
    """``validated``: the request body, validated by a serializer (400 if it is not valid)."""

    def validated(self, serializer_class: type[BaseSerializer] | None = None, **kwargs: Any) -> Any:
        """The request body, validated by ``serializer_class`` (the viewset's serializer by
        default; ``instance``, ``partial`` as DRF takes them)."""
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class AuditedMixin(ValidatedBodyMixin):
    """Reads are logged (list, view) and so are refusals (hidden object: 404)."""

    request: AuthenticatedRequest
    object_type: str
    # The name the app's services give this view's object (``item=``, ``escalation=``).
    service_argument: str

    def get_object(self) -> Any:
        try:
            return super().get_object()
        except (exceptions.NotFound, Http404):  # DRF's get_object raises Django's Http404
            log_not_found(self.request, self.object_type, self.kwargs.get("pk"))
            raise exceptions.NotFound() from None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record(
            actor=request.user,
            action=AccessAction.LIST,
            origin=origin(request),
            object_type=self.object_type,
            detail={"filters": {k: v for k, v in request.query_params.items() if v}},
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        record(actor=request.user, action=AccessAction.VIEW, obj=instance, origin=origin(request))
        return self.respond(instance)

    def change(self, service: Callable[..., Any], obj: Any, **kwargs: Any) -> Any:
        """Call ``service`` on ``obj`` (as ``service_argument``) for the request's user; a
        refusal is logged as an attempt to change ``obj``."""
        return call_service(
            self.request, service, attempt=errors.changing(obj), **{self.service_argument: obj}, **kwargs
        )

    def change_from_body(
        self,
        service: Callable[..., Any],
        obj: Any,
        serializer_class: type[BaseSerializer],
        *,
        versioned: bool = False,
        required: bool = False,
    ) -> Any:
        """``change`` with the fields of the body (validated by ``serializer_class``); a
        ``versioned`` change also with the version it is based on (``If-Match`` or the
        body's; ``required`` or not)."""
        data = without_version(self.validated(serializer_class))
        if versioned:
            data["expected_version"] = expected_version(self.request, required=required)
        return self.change(service, obj, **data)

    def respond(
        self, instance: Any, status_code: int = 200, serializer_class: type[BaseSerializer] | None = None
    ) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        data = serializer_class(instance, context=self.get_serializer_context()).data
        return versioned(Response(data, status=status_code), instance)


# A list and a read of one object, both logged; a viewset adds the create and update mixins
# and the actions it has besides. (No docstring: the schema would show it as the description
# of every operation that has none of its own.)
class AuditedReadViewSet(AuditedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pass


def versioned(response: Response, instance: object) -> Response:
    """A single-object response carries ``ETag: "<version>"`` (ADR 0005)."""
    if hasattr(instance, "version"):
        response["ETag"] = f'"{instance.version}"'
    return response
