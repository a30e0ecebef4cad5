"""API for persons and cases: the same selectors, services and policy as the pages."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.response import Response

from cases import selectors, services
from cases.api.owners import PersonDetailSerializer
from cases.api.serializers import VERSION_REQUIRED, CaseSerializer, PersonSerializer
from cases.api.trajectory import TrajectoryMixin, if_match_version, trajectory_queryset
from cases.api.trajectory import origin as _origin
from cases.models import Person
from lvv.access import policy
from lvv.api.exceptions import PreconditionFailed, StaleVersion
from lvv.audit.log import Action, Result, record
from lvv.params import QUERY_MAX_LENGTH

IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description=_("De versie (ETag) waarop de wijziging is gebaseerd; een verouderde versie geeft 412."),
)


def _expected_version(request):
    """(version, from_header): If-Match wins over ``version`` in the body."""
    header_version = if_match_version(request)
    if header_version is not None:
        return header_version, True
    if not isinstance(request.data, Mapping) or "version" not in request.data:
        raise exceptions.ValidationError({"version": [str(VERSION_REQUIRED)]})
    try:
        return int(request.data["version"]), False
    except (TypeError, ValueError):
        raise exceptions.ValidationError({"version": [_("Een geheel getal is vereist.")]}) from None


class PersonFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Zoeken op naam of V-nummer"), max_length=QUERY_MAX_LENGTH)
    v_number = filters.CharFilter(max_length=QUERY_MAX_LENGTH)

    class Meta:
        model = Person
        fields = ["q", "v_number"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class VersionedModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and update (no delete); reads are logged, writes go to services."""

    object_type: str

    def get_object(self):
        try:
            return super().get_object()
        except (exceptions.NotFound, Http404):  # DRF's get_object raises Django's Http404
            record(
                actor=self.request.user,
                action=Action.VIEW,
                result=Result.DENIED,
                origin=_origin(self.request),
                object_type=self.object_type,
                object_id=self.kwargs.get("pk"),
            )
            raise

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        record(
            actor=request.user,
            action=Action.LIST,
            origin=_origin(request),
            object_type=self.object_type,
            detail={"filters": {k: v for k, v in request.query_params.items() if v}},
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        record(actor=request.user, action=Action.VIEW, obj=instance, origin=_origin(request))
        return self._respond(instance)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A new object has no version to be based on: a ``version`` in the body is ignored.
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        instance = self._call(self.perform_service_create, data)
        return self._respond(instance, status=201)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        version, from_header = _expected_version(request)
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        try:
            instance = self._call(self.perform_service_update, instance, data, version)
        except services.StaleVersionError:
            record(
                actor=request.user, action=Action.UPDATE, result=Result.CONFLICT, origin=_origin(request), obj=instance
            )
            raise (PreconditionFailed if from_header else StaleVersion)() from None
        return self._respond(instance)

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except services.NotVisibleError:
            raise exceptions.NotFound() from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from None

    def _respond(self, instance, status=200):
        response = Response(self.get_serializer(instance).data, status=status)
        response["ETag"] = f'"{instance.version}"'
        return response


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

    def get_queryset(self):
        return selectors.visible_persons(self.request.user).order_by("family_name", "given_names", "pk")

    def get_serializer_class(self):
        # One person (GET) comes with the person's cases the user may see (case owners, the
        # person page); lists and changes answer the person alone.
        if self.action == "retrieve" and self.request.method == "GET":
            return PersonDetailSerializer
        return PersonSerializer

    def perform_service_create(self, data):
        return services.create_person(acting_user=self.request.user, origin=_origin(self.request), **data)

    def perform_service_update(self, person, data, version):
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
    ordering_fields = ["created_at", "updated_at", "external_id"]
    object_type = "cases.case"

    def get_queryset(self):
        queryset = (
            selectors.visible_cases(self.request.user)
            .select_related("case_manager", "ngo_guide")  # the owners (case owners)
            .order_by("-created_at", "-pk")
        )
        if self.action == "trajectory":
            queryset = trajectory_queryset(queryset)
        return queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._special_category = policy.SpecialCategoryChecker(self.request.user, page or [])
        return page

    def get_serializer_context(self):
        context = super().get_serializer_context()
        checker = getattr(self, "_special_category", None)
        context["special_category"] = checker or policy.SpecialCategoryChecker(self.request.user)
        return context

    def perform_service_create(self, data):
        return services.register_case(acting_user=self.request.user, origin=_origin(self.request), **data)

    def perform_service_update(self, case, data, version):
        return services.update_case(
            acting_user=self.request.user, origin=_origin(self.request), case=case, expected_version=version, **data
        )
