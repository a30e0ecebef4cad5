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
from lvv.access import policy
from lvv.api.common import IF_MATCH, AuditedMixin, call_service, expected_version, without_version
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
    # The services of each viewset: one makes a new object of the body's data, one changes
    # an object (``service_argument``) with the body's data and the version it is based on.
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A new object has no version to be based on: a ``version`` in the body is ignored.
        data = without_version(self.validated(self.get_serializer_class()))
        return self.respond(call_service(request, self.create_service, **data), 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        version = expected_version(request, required=True)
        partial = kwargs.get("partial", False)
        data = without_version(self.validated(self.get_serializer_class(), instance=instance, partial=partial))
        return self.respond(self.change(self.update_service, instance, expected_version=version, **data))


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
    service_argument = "person"
    create_service = staticmethod(services.create_person)
    update_service = staticmethod(services.update_person)

    def get_queryset(self) -> QuerySet[Person]:
        return selectors.visible_persons(self.request.user).order_by("family_name", "given_names", "pk")

    def get_serializer_class(self) -> type[BaseSerializer]:
        # One person (GET) comes with the person's cases the user may see (case owners, the
        # person page); lists and changes answer the person alone.
        if self.action == "retrieve" and self.request.method == "GET":
            return PersonDetailSerializer
        return PersonSerializer


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
    service_argument = "case"
    create_service = staticmethod(services.register_case)
    update_service = staticmethod(services.update_case)

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
