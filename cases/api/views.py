"""API for persons and cases: the same selectors, services and policy as the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from cases import lists as case_lists
from cases import selectors, services
from cases.api.owners import PersonDetailSerializer
from cases.api.serializers import CaseSerializer, PersonSerializer
from cases.api.trajectory import TrajectoryMixin, trajectory_queryset
from cases.models import Case, Person, PersonQuerySet
from lvv import errors
from lvv.access import policy
from lvv.api.common import IF_MATCH, AuditedMixin, expected_version
from lvv.api.common import origin as _origin
from lvv.lists.api import ListOrderingFilter
from lvv.params import QUERY_MAX_LENGTH


class PersonFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Zoeken op naam of V-nummer"), max_length=QUERY_MAX_LENGTH)
    v_number = filters.CharFilter(max_length=QUERY_MAX_LENGTH)

    class Meta:
        model = Person
        fields = ["q", "v_number"]

    def filter_q(self, queryset: PersonQuerySet, name: str, value: str) -> PersonQuerySet:
        return queryset.search(value)


class VersionedModelViewSet(
    AuditedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and update (no delete); reads are logged, writes go to services
    (their errors answer through ``lvv.api.exceptions``)."""

    object_type: str
    # The service calls of each viewset: a new object from the body's data, a change of one.
    perform_service_create: Callable[[dict[str, Any]], Any]
    perform_service_update: Callable[[Any, dict[str, Any], int | None], Any]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A new object has no version to be based on: a ``version`` in the body is ignored.
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        return self.respond(self.perform_service_create(data), 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        version = expected_version(request, required=True)
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        with errors.attempting(errors.changing(instance)):
            instance = self.perform_service_update(instance, data, version)
        return self.respond(instance)


@extend_schema_view(
    retrieve=extend_schema(responses={200: PersonDetailSerializer}),
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
)
class PersonViewSet(VersionedModelViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ["family_name", "created_at"]
    object_type = "cases.person"

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.visible_persons(self.request.user).order_by("family_name", "given_names", "pk")

    def get_serializer_class(self) -> type[BaseSerializer]:
        # One person (GET) comes with the person's cases the user may see (case owners, the
        # person page); lists and changes answer the person alone.
        if self.action == "retrieve" and self.request.method == "GET":
            return PersonDetailSerializer
        return PersonSerializer

    def perform_service_create(self, data: dict[str, Any]) -> Person:
        return services.create_person(acting_user=self.request.user, origin=_origin(self.request), **data)

    def perform_service_update(self, person: Person, data: dict[str, Any], version: int | None) -> Person:
        return services.update_person(
            acting_user=self.request.user, origin=_origin(self.request), person=person, expected_version=version, **data
        )


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
)
class CaseViewSet(TrajectoryMixin, VersionedModelViewSet):
    serializer_class = CaseSerializer
    filterset_class = selectors.CaseFilter
    # ``?ordering=``: the case list's sort keys (``cases.lists.CASES``) and these fields.
    filter_backends = [filters.DjangoFilterBackend, ListOrderingFilter]
    list_definition = case_lists.CASES
    ordering_fields = ["created_at", "updated_at", "external_id"]
    object_type = "cases.case"

    def get_queryset(self) -> QuerySet[Case]:
        queryset = (
            selectors.visible_cases(self.request.user)
            .select_related("case_manager", "ngo_guide")  # the owners (case owners)
            .order_by("-created_at", "-pk")
        )
        if self.action == "trajectory":
            queryset = trajectory_queryset(queryset)
        return queryset

    def paginate_queryset(self, queryset: QuerySet[Any, Any]) -> list[Any] | None:
        page = super().paginate_queryset(queryset)
        self._special_category = policy.SpecialCategoryChecker(self.request.user, page or [])
        return page

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        checker = getattr(self, "_special_category", None)
        context["special_category"] = checker or policy.SpecialCategoryChecker(self.request.user)
        return context

    def perform_service_create(self, data: dict[str, Any]) -> Case:
        return services.register_case(acting_user=self.request.user, origin=_origin(self.request), **data)

    def perform_service_update(self, case: Case, data: dict[str, Any], version: int | None) -> Case:
        return services.update_case(
            acting_user=self.request.user, origin=_origin(self.request), case=case, expected_version=version, **data
        )
