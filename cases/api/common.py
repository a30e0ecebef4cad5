"""What the API's viewsets under ``cases/{case_id}/`` share (the journal, the documents, the
owners, the procedures): the case in the path, read through the access policy, and the
records of that case, each read and each refusal in the access log (channel ``api``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.utils.functional import Promise, cached_property
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from cases import selectors
from cases.models import Case
from lvv.access import policy
from lvv.api.common import DETAIL, FIELD_ERRORS, ValidatedBodyMixin, log_not_found, origin
from lvv.api.pagination import PageNumberPagination
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, Result, record

_View = TypeVar("_View", bound=Callable[..., Any])


class CaseRecordsMixin(ValidatedBodyMixin):
    """The case in the path (``case_id``), when the user may see it (404, logged, otherwise);
    ``list`` and ``retrieve`` of its records (``records``: those the user may see),
    logged with ``object_type``; ``logged_filters``: the query parameters the list's log
    row names."""

    request: AuthenticatedRequest
    object_type = ""
    logged_filters: tuple[str, ...] = ()

    @cached_property
    def case(self) -> Case:
        try:
            return selectors.get_visible_case(self.request.user, self.kwargs["case_id"])
        except Case.DoesNotExist:
            log_not_found(self.request, "cases.case", self.kwargs["case_id"])
            raise exceptions.NotFound() from None

    def records(self) -> QuerySet[Any]:
        """The records of ``self.case`` that the user may see (the viewset's own)."""
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema, without a case in the path
            return super().get_queryset()  # the viewset's ``queryset``: ``objects.none()``
        return self.records()

    @cached_property
    def special(self) -> bool:
        """Whether the user may see the special-category data of the case."""
        return policy.can_view_special_category(self.request.user, self.case)

    def log(self, action: str, result: str = Result.ALLOWED, **target: Any) -> None:
        record(actor=self.request.user, action=action, result=result, origin=origin(self.request), **target)

    def get_record(self, pk: object) -> Any:
        """One record of the case as the user may see it; 404 (logged) otherwise."""
        queryset = self.get_queryset()  # 404 (logged) first for a hidden case
        try:
            return queryset.get(pk=pk)
        except (queryset.model.DoesNotExist, ValueError):
            log_not_found(self.request, self.object_type, pk)
            raise exceptions.NotFound() from None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        detail: dict[str, Any] = {"case": self.case.pk}
        if self.logged_filters:
            detail["filters"] = {k: v for k, v in request.query_params.items() if k in self.logged_filters and v}
        self.log(AccessAction.LIST, object_type=self.object_type, detail=detail)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_record(kwargs["pk"])
        self.log(AccessAction.VIEW, obj=obj, detail={"case": self.case.pk})
        return Response(self.get_serializer(obj).data)

    def created(self, obj: Any) -> Response:
        """201 with the new record as a read gives it."""
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=201)


# The records of one case: a list and a read of one, both logged; a viewset adds the create
# mixin (its ``create`` through ``validated`` and ``created``). (No docstring: the schema would
# show it as the description of every operation that has none of its own.)
class CaseRecordsViewSet(CaseRecordsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pagination_class = PageNumberPagination


def list_schema(
    summary: str | Promise, description: str | Promise, serializer: type[BaseSerializer]
) -> Callable[[_View], _View]:
    """What the schema says of a list of records (``serializer``): 404 for a case (or a
    person) the user may not see."""
    return extend_schema(
        summary=str(summary),
        description=str(description),
        responses={200: serializer(many=True), 404: OpenApiResponse(DETAIL)},
    )


def read_schema(
    summary: str | Promise, description: str | Promise, serializer: type[BaseSerializer]
) -> Callable[[_View], _View]:
    """What the schema says of one record (``serializer``) of a visible case: 404 for a
    hidden case or record."""
    return extend_schema(
        summary=str(summary), description=str(description), responses={200: serializer, 404: OpenApiResponse(DETAIL)}
    )


def add_schema(
    summary: str | Promise,
    description: str | Promise,
    serializer: type[BaseSerializer],
    more: dict[int, Any] | None = None,
) -> Callable[[_View], _View]:
    """What the schema says of adding a record (``serializer``) to a visible case: 201, or 400
    for bad input, 403 for a user who may not, 404 for a hidden case (and the responses in
    ``more`` besides)."""
    return extend_schema(
        summary=str(summary),
        description=str(description),
        responses={
            201: serializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(DETAIL),
            404: OpenApiResponse(DETAIL),
            **(more or {}),
        },
    )
