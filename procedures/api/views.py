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
from typing import Any, NoReturn, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors as case_selectors
from cases.models import Case
from lvv.api.exceptions import StaleVersion
from lvv.api.pagination import PageNumberPagination
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import Action, Channel, Origin, Result, record
from procedures import selectors, services
from procedures.api.serializers import (
    ApplicationSerializer,
    DecisionSerializer,
    DeparturePlanSerializer,
    DepartureStepSerializer,
)
from procedures.models import Application, DeparturePlan, DepartureStep

DETAIL = inline_serializer("ProceduresErrorDetail", {"detail": serializers.CharField()})
FIELD_ERRORS = OpenApiResponse(
    description=_("Ongeldige invoer: per veld een lijst meldingen (`non_field_errors` voor het geheel).")
)
HIDDEN = OpenApiResponse(
    DETAIL, description=_("De casus (of het record bij die casus) bestaat niet of is niet zichtbaar.")
)
NOT_YOURS = OpenApiResponse(DETAIL, description=_("De casus is zichtbaar, maar dit legt een andere partner vast."))
_T = TypeVar("_T")

STALE = OpenApiResponse(DETAIL, description=_("Verouderd: iemand anders legde intussen iets vast."))


def _origin(request: Request) -> Origin:
    return Origin.from_request(request, channel=Channel.API)


def _field_errors(exc: DjangoValidationError) -> dict[str, Any]:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}


class _CaseRecords(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The records of one case: list and read; ``create`` per subclass."""

    request: AuthenticatedRequest
    queryset: QuerySet[Any]
    pagination_class = PageNumberPagination
    object_type = ""

    @cached_property
    def case(self) -> Case:
        """The case in the path, when the user may see it; 404 (logged) otherwise."""
        try:
            return case_selectors.get_visible_case(self.request.user, self.kwargs["case_id"])
        except Case.DoesNotExist:
            self._log(Action.VIEW, Result.DENIED, object_type="cases.case", object_id=self.kwargs["case_id"])
            raise exceptions.NotFound() from None

    def _log(self, action_: str, result: str = Result.ALLOWED, **target: Any) -> None:
        record(actor=self.request.user, action=action_, result=result, origin=_origin(self.request), **target)

    def _refuse(self, exc: Exception | str | Promise | None = None) -> NoReturn:
        self._log(Action.CREATE, Result.DENIED, object_type=self.object_type, detail={"case": self.case.pk})
        raise exceptions.PermissionDenied(str(exc) if exc and str(exc) else None)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._log(Action.LIST, object_type=self.object_type, detail={"case": self.case.pk})
        return response

    def get_object(self) -> Any:
        try:
            obj = self.get_queryset().get(pk=self.kwargs["pk"])
        except (self.queryset.model.DoesNotExist, ValueError):
            self._log(Action.VIEW, Result.DENIED, object_type=self.object_type, object_id=self.kwargs["pk"])
            raise exceptions.NotFound() from None
        return obj

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self._log(Action.VIEW, obj=obj, detail={"case": self.case.pk})
        return Response(self.get_serializer(obj).data)

    def _run(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except services.NotVisibleError:
            raise exceptions.NotFound() from None
        except services.StaleVersionError:
            raise StaleVersion() from None
        except DjangoPermissionDenied as exc:
            self._refuse(exc)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_field_errors(exc)) from None


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

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Application.objects.none()
        return selectors.case_applications(self.request.user, self.case)

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        case = self.case  # 404 (logged) first
        if not services.can_submit(request.user, case):
            self._refuse(services.NOT_ALLOWED_SUBMIT)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = self._run(
            lambda: services.submit_application(
                acting_user=request.user,
                origin=_origin(request),
                case=case,
                kind=data["kind"],
                submitted_on=data["submitted_on"],
                submitted_by=data.get("submitted_by", ""),
                notes=data.get("notes", ""),
            )
        )
        application = self.get_queryset().get(pk=application.pk)
        return Response(self.get_serializer(application).data, status=201)

    @action(detail=True, methods=["post"])
    def decide(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        application = self.get_object()  # 404 (logged) for a hidden case or another case's application
        if not services.can_decide(request.user, self.case, application.kind):
            self._refuse(
                services.NOT_ALLOWED_DECIDE_IND
                if services.decided_by_ind(application.kind)
                else services.NOT_ALLOWED_DECIDE_CASEWORKER
            )
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._run(
            lambda: services.decide_application(
                acting_user=request.user,
                origin=_origin(request),
                case=self.case,
                application=application,
                outcome=data["outcome"],
                decided_on=data["decided_on"],
                expected_version=data["version"],
            )
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

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return DepartureStep.objects.none()
        return selectors.case_departure_steps(self.request.user, self.case)

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        case = self.case
        if not services.can_record_departure(request.user, case):
            self._refuse(services.NOT_ALLOWED_DEPARTURE)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        step = self._run(
            lambda: services.record_departure_step(
                acting_user=request.user,
                origin=_origin(request),
                case=case,
                kind=data["kind"],
                on=data["on"],
                details=data.get("details", ""),
                partner=data.get("partner", ""),
            )
        )
        step = self.get_queryset().get(pk=step.pk)
        return Response(self.get_serializer(step).data, status=201)


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

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return DeparturePlan.objects.none()
        return selectors.case_departure_plans(self.request.user, self.case)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False) and "case_id" in self.kwargs:
            current = services.current_plan(self.case)
            context["current_plan_id"] = current.pk if current else None
        return context

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        case = self.case
        if not services.can_record_departure(request.user, case):
            self._refuse(services.NOT_ALLOWED_DEPARTURE)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = self._run(
            lambda: services.plan_departure(
                acting_user=request.user,
                origin=_origin(request),
                case=case,
                made_on=data["made_on"],
                planned_on=data["planned_on"],
                support=data["support"],
                notes=data.get("notes", ""),
                replaces=data.get("replaces"),
            )
        )
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(self.get_serializer(plan).data, status=201)


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
