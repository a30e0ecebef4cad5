"""The MRT over the API: escalations (with positions, preparation tasks, scheduling and
the advice), sessions, tasks and advice. Same selectors, services and policy as the pages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from cases.api.serializers import DateInputSerializer
from lvv import errors
from lvv.api.common import (
    AuditedReadViewSet,
    call_service,
    object_step,
    operation_schema,
    read_schemas,
)
from lvv.api.types import AuthenticatedRequest
from lvv.lists.api import ListOrderingFilter
from lvv.params import IdFilter
from lvv.partners.models import Location
from mrt import lists as mrt_lists
from mrt import selectors, services
from mrt.api import serializers as s
from mrt.models import Advice, Escalation, EscalationStatus, MrtSession, Position, PreparationTask

TAG = "mrt"


class EscalationFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=EscalationStatus.choices)
    case = IdFilter(field_name="case")
    location = filters.ModelChoiceFilter(
        field_name="case__location", to_field_name="slug", queryset=Location.objects.all()
    )

    class Meta:
        model = Escalation
        fields = ["status", "case", "location"]


@extend_schema_view(
    **read_schemas(
        s.EscalationSerializer, _("Voorleggingen aan het MRT"), _("Een voorlegging met standpunten, taken en advies")
    )
)
@extend_schema(tags=[TAG])
class EscalationViewSet(AuditedReadViewSet):
    object_type = "mrt.escalation"
    service_argument = "escalation"
    filterset_class = EscalationFilter
    # ``?ordering=``: the escalation list's sort keys (``mrt.lists.ESCALATIONS``).
    filter_backends = [filters.DjangoFilterBackend, ListOrderingFilter]
    list_definition = mrt_lists.ESCALATIONS

    def get_queryset(self) -> QuerySet[Escalation]:
        queryset = selectors.visible_escalations(self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("positions", queryset=Position.objects.select_related("organisation").order_by("pk")),
                Prefetch(
                    "tasks",
                    queryset=PreparationTask.objects.select_related("owner_organisation").order_by("due_on", "pk"),
                ),
            )
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        return s.EscalationListSerializer if self.action == "list" else s.EscalationSerializer

    def _detail(self, escalation: Escalation, status_code: int = 200) -> Response:
        return self.respond(self.get_queryset().get(pk=escalation.pk), status_code, s.EscalationSerializer)

    @object_step(
        _("Standpunt van uw organisatie schrijven (tot het advies)"),
        request=s.TextSerializer,
        response=s.EscalationSerializer,
    )
    def positions(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        escalation = self.get_object()
        self.change_from_body(services.save_position, escalation, s.TextSerializer)
        return self._detail(escalation)

    @object_step(
        _("Voorbereidingstaak voor de IND of de DT&V toevoegen"),
        request=s.TaskInputSerializer,
        response=s.TaskSerializer,
        status=201,
    )
    def tasks(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        task = self.change_from_body(services.add_preparation_task, self.get_object(), s.TaskInputSerializer)
        return Response(s.TaskSerializer(task).data, status=201)

    @object_step(
        _("Inplannen in een MRT-sessie"), request=s.ScheduleSerializer, response=s.EscalationSerializer, versioned=True
    )
    def schedule(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        escalation = self.get_object()
        self.change_from_body(services.schedule_escalation, escalation, s.ScheduleSerializer, versioned=True)
        return self._detail(escalation)

    @object_step(
        _("Advies van het MRT vastleggen"),
        description=_(
            "Geadviseerde richting en route met onderbouwing, of 'geen bestendige oplossing mogelijk'. Schrijft "
            "een MRT-bespreking en het advies op de tijdlijn; het advies komt op de agenda van het volgende LSO."
        ),
        request=s.AdviceInputSerializer,
        response=s.EscalationSerializer,
        status=201,
        versioned=True,
    )
    def advice(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        escalation = self.get_object()
        self.change_from_body(services.give_advice, escalation, s.AdviceInputSerializer, versioned=True)
        return self._detail(escalation, 201)


class SessionFilter(filters.FilterSet):
    location = filters.ModelChoiceFilter(field_name="location", to_field_name="slug", queryset=Location.objects.all())
    national = filters.BooleanFilter(field_name="location", lookup_expr="isnull")

    class Meta:
        model = MrtSession
        fields = ["location", "national"]


@extend_schema_view(
    **read_schemas(s.MrtSessionSerializer, _("MRT-sessies"), _("Een MRT-sessie")),
    create=operation_schema(_("MRT-sessie plannen (voor een LVV of landelijk)"), s.MrtSessionSerializer, 201),
)
@extend_schema(tags=[TAG])
class MrtSessionViewSet(AuditedReadViewSet, mixins.CreateModelMixin):
    object_type = "mrt.mrtsession"
    serializer_class = s.MrtSessionSerializer
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[MrtSession]:
        return (
            selectors.visible_sessions(self.request.user)
            .select_related("location", "municipality")
            .order_by("-date", "-pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(self.validated(s.MrtSessionSerializer))
        data.setdefault("location", None)
        session = call_service(request, services.create_session, attempt=errors.creating("mrt.mrtsession"), **data)
        return self.respond(self.get_queryset().get(pk=session.pk), 201)


class TaskFilter(filters.FilterSet):
    scope = filters.ChoiceFilter(
        choices=[("mine", _("open taken van uw organisatie")), ("all", _("alle zichtbare taken"))],
        method="filter_scope",
        empty_label=None,
    )
    escalation = IdFilter(field_name="escalation")

    class Meta:
        model = PreparationTask
        fields = ["scope", "escalation"]

    def filter_scope(self, queryset: QuerySet[PreparationTask], name: str, value: str) -> QuerySet[PreparationTask]:
        return queryset


@extend_schema_view(
    **read_schemas(
        s.TaskWithCaseSerializer,
        _("Voorbereidingstaken: die van uw organisatie (standaard) of alle"),
        _("Een voorbereidingstaak"),
    )
)
@extend_schema(tags=[TAG])
class PreparationTaskViewSet(AuditedReadViewSet):
    object_type = "mrt.preparationtask"
    service_argument = "task"
    serializer_class = s.TaskWithCaseSerializer
    filterset_class = TaskFilter

    def get_queryset(self) -> QuerySet[PreparationTask]:
        user = self.request.user
        if self.action == "list" and self.request.query_params.get("scope", "mine") == "mine":
            return selectors.open_tasks_for(user)
        return selectors.visible_tasks(user)

    @object_step(_("Voorbereidingstaak afronden"), request=DateInputSerializer, response=s.TaskWithCaseSerializer)
    def done(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        task = self.change_from_body(services.complete_preparation_task, self.get_object(), DateInputSerializer)
        return Response(s.TaskWithCaseSerializer(self.get_queryset().get(pk=task.pk)).data)


@extend_schema_view(**read_schemas(s.AdviceWithCaseSerializer, _("Adviezen van het MRT"), _("Een advies")))
@extend_schema(tags=[TAG])
class AdviceViewSet(AuditedReadViewSet):
    object_type = "mrt.advice"
    serializer_class = s.AdviceWithCaseSerializer

    def get_queryset(self) -> QuerySet[Advice]:
        return selectors.visible_advice(self.request.user)
