"""Procedures and departure preparation over the API.

- ``GET/POST /api/v1/cases/{case_id}/applications/``, ``GET .../applications/{id}/`` and
  ``POST .../applications/{id}/decide/`` (``outcome``, ``decided_on``, ``version``);
- ``GET/POST /api/v1/cases/{case_id}/departure-steps/`` and ``GET .../departure-steps/{id}/``;
- ``GET/POST /api/v1/cases/{case_id}/departure-plans/`` and ``GET .../departure-plans/{id}/``
  (a new plan is a re-planning: the latest counts; ``replaces`` names the plan it replaces).

Errors: 404 for a case the user may not see (and for a record not of that case), 403 for a
user who sees the case but may not write this (checked before the body), 400 field errors,
409 a stale version (a decision on an older version of the application, a re-planning of a
plan that is no longer the current one). Reads, writes and refusals go to the access log
with channel ``api``. Included by ``lvv.api.urls``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.api.common import CaseRecordsViewSet
from lvv import errors
from lvv.api.common import DETAIL, FIELD_ERRORS, call_service
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import Channel
from procedures import selectors, services
from procedures.api.serializers import (
    ApplicationSerializer,
    DecisionSerializer,
    DeparturePlanSerializer,
    DepartureStepSerializer,
)
from procedures.models import Application, DeparturePlan, DepartureStep

HIDDEN = OpenApiResponse(
    DETAIL, description=_("De casus (of het record bij die casus) bestaat niet of is niet zichtbaar.")
)
NOT_YOURS = OpenApiResponse(DETAIL, description=_("De casus is zichtbaar, maar dit legt een andere partner vast."))
STALE = OpenApiResponse(DETAIL, description=_("Verouderd: iemand anders legde intussen iets vast."))


class _CaseRecords(CaseRecordsViewSet):
    """The records of one case: list, read and add (``add_record``)."""

    request: AuthenticatedRequest
    queryset: QuerySet[Any]

    def get_object(self) -> Any:
        return self.get_record(self.kwargs["pk"])

    def add_record(
        self, allowed: bool, refusal: str | Promise, service: Callable[..., Any], **defaults: Any
    ) -> Response:
        """Add a record of the case through ``service`` with the body's fields (``defaults``
        for those the body may leave out): refused (403, logged) before the body is read for a
        user who may not, as the page refuses it; the service's refusals answer as
        ``lvv.errors`` says."""
        attempt = errors.creating(self.object_type, case=self.case.pk)  # 404 (logged) first
        if not allowed:
            errors.deny(self.request, attempt, refusal, channel=Channel.API)
        fields = {**defaults, **self.validated()}
        return self.created(call_service(self.request, service, attempt=attempt, case=self.case, **fields))


@extend_schema_view(
    list=extend_schema(
        summary=str(_("De aanvragen en procedures van de casus")),
        responses={200: ApplicationSerializer(many=True), 404: HIDDEN},
    ),
    retrieve=extend_schema(summary=str(_("Eén aanvraag")), responses={200: ApplicationSerializer, 404: HIDDEN}),
    create=extend_schema(
        summary=str(_("Een aanvraag vastleggen")),
        description=str(
            _(
                "De casemanager van de gemeente, de begeleider van de toegewezen ngo en de IND leggen een "
                "ingediende aanvraag vast, bij een toegelaten casus die nog loopt."
            )
        ),
        responses={201: ApplicationSerializer, 400: FIELD_ERRORS, 403: NOT_YOURS, 404: HIDDEN},
    ),
    decide=extend_schema(
        summary=str(_("Het besluit op een aanvraag vastleggen")),
        description=str(
            _(
                "De IND legt het besluit vast op een opvolgende asielaanvraag, een buitenschuldaanvraag, een "
                "reguliere aanvraag en uitstel van vertrek om medische redenen; de casemanager van de gemeente "
                "op een beroep en op een andere procedure. Eén keer per aanvraag."
            )
        ),
        request=DecisionSerializer,
        responses={200: ApplicationSerializer, 400: FIELD_ERRORS, 403: NOT_YOURS, 404: HIDDEN, 409: STALE},
    ),
)
@extend_schema(tags=["procedures"])
class ApplicationViewSet(mixins.CreateModelMixin, _CaseRecords):
    serializer_class = ApplicationSerializer
    queryset = Application.objects.none()
    object_type = "procedures.application"

    def records(self) -> QuerySet[Application]:
        return selectors.case_applications(self.request.user, self.case)

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        allowed = services.can_submit(request.user, self.case)
        return self.add_record(
            allowed, services.NOT_ALLOWED_SUBMIT, services.submit_application, submitted_by="", notes=""
        )

    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        application = self.get_object()  # 404 (logged) for a hidden case or another case's application
        attempt = errors.changing(application, case=self.case.pk)
        if not services.can_decide(request.user, self.case, application.kind):
            refusal = (
                services.NOT_ALLOWED_DECIDE_IND
                if services.decided_by_ind(application.kind)
                else services.NOT_ALLOWED_DECIDE_CASEWORKER
            )
            errors.deny(request, attempt, refusal, channel=Channel.API)
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        call_service(
            request,
            services.decide_application,
            attempt=attempt,
            case=self.case,
            application=application,
            outcome=data["outcome"],
            decided_on=data["decided_on"],
            expected_version=data["version"],
        )
        application = self.get_queryset().get(pk=application.pk)
        return Response(self.get_serializer(application).data)


@extend_schema_view(
    list=extend_schema(
        summary=str(_("De stappen in de vertrekvoorbereiding van de casus")),
        responses={200: DepartureStepSerializer(many=True), 404: HIDDEN},
    ),
    retrieve=extend_schema(summary=str(_("Eén stap")), responses={200: DepartureStepSerializer, 404: HIDDEN}),
    create=extend_schema(
        summary=str(_("Een stap in de vertrekvoorbereiding vastleggen (de DT&V)")),
        responses={201: DepartureStepSerializer, 400: FIELD_ERRORS, 403: NOT_YOURS, 404: HIDDEN},
    ),
)
@extend_schema(tags=["procedures"])
class DepartureStepViewSet(mixins.CreateModelMixin, _CaseRecords):
    serializer_class = DepartureStepSerializer
    queryset = DepartureStep.objects.none()
    object_type = "procedures.departurestep"

    def records(self) -> QuerySet[DepartureStep]:
        return selectors.case_departure_steps(self.request.user, self.case)

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        allowed = services.can_record_departure(request.user, self.case)
        return self.add_record(
            allowed, services.NOT_ALLOWED_DEPARTURE, services.record_departure_step, details="", partner=""
        )


@extend_schema_view(
    list=extend_schema(
        summary=str(_("De vertrekplanningen van de casus (de huidige eerst)")),
        responses={200: DeparturePlanSerializer(many=True), 404: HIDDEN},
    ),
    retrieve=extend_schema(summary=str(_("Eén planning")), responses={200: DeparturePlanSerializer, 404: HIDDEN}),
    create=extend_schema(
        summary=str(_("Het vertrek plannen of opnieuw plannen (de DT&V)")),
        responses={201: DeparturePlanSerializer, 400: FIELD_ERRORS, 403: NOT_YOURS, 404: HIDDEN, 409: STALE},
    ),
)
@extend_schema(tags=["procedures"])
class DeparturePlanViewSet(mixins.CreateModelMixin, _CaseRecords):
    serializer_class = DeparturePlanSerializer
    queryset = DeparturePlan.objects.none()
    object_type = "procedures.departureplan"

    def records(self) -> QuerySet[DeparturePlan]:
        return selectors.case_departure_plans(self.request.user, self.case)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "case_id" in self.kwargs:
            current = services.current_plan(self.case)
            context["current_plan_id"] = current.pk if current else None
        return context

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        allowed = services.can_record_departure(request.user, self.case)
        return self.add_record(
            allowed, services.NOT_ALLOWED_DEPARTURE, services.plan_departure, notes="", replaces=None
        )


def _routes(
    prefix: str, viewset: type[viewsets.GenericViewSet], name: str, extra: dict[str, str] | None = None
) -> list[URLPattern]:
    routes = [
        path(
            f"cases/<int:case_id>/{prefix}/", viewset.as_view({"get": "list", "post": "create"}), name=f"case-{name}s"
        ),
        path(f"cases/<int:case_id>/{prefix}/<int:pk>/", viewset.as_view({"get": "retrieve"}), name=f"case-{name}"),
    ]
    for suffix, method in (extra or {}).items():
        routes.append(
            path(
                f"cases/<int:case_id>/{prefix}/<int:pk>/{suffix}/",
                viewset.as_view({"post": method}),
                name=f"case-{name}-{suffix}",
            )
        )
    return routes


urlpatterns = [
    *_routes("applications", ApplicationViewSet, "application", {"decide": "decide"}),
    *_routes("departure-steps", DepartureStepViewSet, "departure-step"),
    *_routes("departure-plans", DeparturePlanViewSet, "departure-plan"),
]
