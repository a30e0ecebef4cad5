"""The trajectory over the API: one read endpoint and one POST endpoint per step.

``GET /api/v1/cases/{id}/trajectory/`` shows the state, the records of every step, the
deadlines, the newest timeline events and the steps the user may take now;
``GET /api/v1/cases/{id}/timeline/`` pages through the whole timeline. Each step in
``cases.workflow.STEPS`` has an endpoint ``POST /api/v1/cases/{id}/<step>/`` (the two
dossier steps share ``deliver-dossier``, told apart by ``kind``) that validates its body
and calls the matching service in ``cases.services``, which checks the transition table,
the role, the access policy and the version. The answer is the new trajectory with its
ETag. Errors: 400 field errors, 403 role, 404 hidden, 409 stale version (body) or
``step_not_allowed``, 412 stale If-Match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Prefetch, QuerySet, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import selectors, services, workflow
from cases.api import serializers as api
from cases.models import Case, CooperationCheck, Deadline, Scenario
from lvv import errors
from lvv.access import policy
from lvv.access.policy import Actor
from lvv.accounts.models import Role
from lvv.api.common import DETAIL, FIELD_ERRORS, IF_MATCH, VERSIONED_ERRORS, if_match_version, origin
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, record
from lvv.partners.models import ProgrammeSettings

# The trajectory shows the newest events; /timeline/ pages through all of them.
TIMELINE_LIMIT = 20

# --- Reading -----------------------------------------------------------------------------


def trajectory_queryset(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The case with every record of its trajectory, in a fixed number of queries. The
    timeline depends on who reads it: ``trajectory_data`` adds it."""
    return queryset.select_related("admission_check", "outflow").prefetch_related(
        "dossier_parts",
        Prefetch("scenarios", queryset=Scenario.objects.select_related("set_by").order_by("-set_on", "-id")),
        Prefetch(
            "cooperation_checks",
            queryset=CooperationCheck.objects.select_related("checked_by").order_by("-checked_on", "-id"),
        ),
        Prefetch("deadlines", queryset=Deadline.objects.order_by("due_on", "id")),
    )


def allowed_steps(user: Actor, case: Case) -> list[dict]:
    """The steps the user can take now (``selectors.available_steps``), once each, with the
    endpoint that takes them."""
    names = list(dict.fromkeys(step.name for step, _key in selectors.available_steps(user, case)))
    return [
        {
            "name": name,
            "label": str(workflow.STEPS[name].label),
            "url": reverse(f"api:case-{ENDPOINT_OF_STEP[name]}", args=[case.pk]),
        }
        for name in names
    ]


def _answer(special: bool) -> Callable[[Case], bool]:
    """``context["special_category"]`` for the serializers of one case whose answer is known."""
    return lambda _case: special


def trajectory_data(request: AuthenticatedRequest, case: Case) -> dict:
    # The newest events and their number, as this user may see the timeline (without the
    # events of special notes for users who may not see them), in one query: the window
    # counts every visible event before the limit applies.
    special = policy.can_view_special_category(request.user, case)
    events = list(
        selectors.visible_timeline(request.user, case, special=special)
        .select_related("actor")
        .annotate(visible_total=Window(Count("pk")))[:TIMELINE_LIMIT]
    )
    # (What the trajectory serializer reads besides the model's fields.)
    case.recent_events = events  # type: ignore[attr-defined]
    case.timeline_count = events[0].visible_total if events else 0  # type: ignore[attr-defined]
    context = {
        "request": request,
        "today": timezone.localdate(),
        "due_soon_days": ProgrammeSettings.current().due_soon_days,
        "allowed_steps": allowed_steps(request.user, case),
        "special_category": _answer(special),  # the special case types (cases.special_types)
    }
    return api.TrajectorySerializer(case, context=context).data


# --- The steps ---------------------------------------------------------------------------


def _same(case: Case, data: dict) -> dict:
    return data


def _deadline_kind(case: Case, data: dict) -> dict:
    data["kind"] = data.pop("deadline")
    return data


def _case_types(case: Case, data: dict) -> dict:
    # Omitted: the number of earlier departure procedures stays as it was.
    data.setdefault("prior_departure_procedures", case.prior_departure_procedures)
    return data


@dataclass(frozen=True)
class ApiStep:
    """One POST endpoint: its path, the workflow steps it takes, its body and its service."""

    slug: str
    steps: tuple[str, ...]
    serializer: type[api.StepSerializer]
    service: Callable[..., Case]
    summary: str | Promise
    arguments: Callable[[Case, dict], dict] = _same
    # Service field name -> API field name, where they differ.
    error_fields: dict[str, str] = field(default_factory=dict)

    @property
    def method_name(self) -> str:
        return self.slug.replace("-", "_")

    def step_taken(self, data: dict) -> str:
        """The workflow step a body takes (the dossier endpoint's: by the part's ``kind``)."""
        if len(self.steps) == 1:
            return self.steps[0]
        return next(name for name in self.steps if name.endswith(f"_{data['kind']}".lower()))


API_STEPS: dict[str, ApiStep] = {
    s.slug: s
    for s in (
        ApiStep(
            "record-admission-check",
            ("record_admission_check",),
            api.AdmissionCheckStepSerializer,
            services.record_admission_check,
            _("Toelatingstoets vastleggen"),
        ),
        ApiStep(
            "admit",
            ("admit",),
            api.AdmitStepSerializer,
            services.admit,
            _("Toelaten (na de toelatingstoets, of als uitzondering met reden); bij een volle LVV: de wachtlijst"),
        ),
        ApiStep("reject", ("reject",), api.RejectStepSerializer, services.reject, _("Afwijzen, met reden")),
        ApiStep(
            "waitlist", ("waitlist",), api.WaitlistStepSerializer, services.waitlist, _("Op de wachtlijst plaatsen")
        ),
        ApiStep(
            "start-shelter",
            ("start_shelter",),
            api.StartShelterStepSerializer,
            services.start_shelter,
            _("Opvang starten (als er op die datum een plek vrij is)"),
        ),
        ApiStep(
            "request-dossier",
            ("request_dossier",),
            api.RequestDossierStepSerializer,
            services.request_dossier,
            _("Dossier opvragen bij de IND en de DT&V"),
        ),
        ApiStep(
            "deliver-dossier",
            ("deliver_dossier_ind", "deliver_dossier_dtv"),
            api.DeliverDossierStepSerializer,
            services.deliver_dossier_part,
            _("Dossierdeel geleverd (de IND levert het IND-deel, de DT&V het DT&V-deel)"),
        ),
        ApiStep(
            "set-scenario",
            ("set_scenario",),
            api.SetScenarioStepSerializer,
            services.set_scenario,
            _("Begeleidingsscenario vastleggen of wijzigen"),
        ),
        ApiStep(
            "record-cooperation-check",
            ("record_cooperation_check",),
            api.CooperationCheckStepSerializer,
            services.record_cooperation_check,
            _("Medewerkingstoets vastleggen"),
        ),
        ApiStep(
            "set-case-types",
            ("set_case_types",),
            api.CaseTypesStepSerializer,
            services.set_case_types,
            _("Casustypen en eerdere vertrekprocedures vastleggen"),
            arguments=_case_types,
        ),
        ApiStep(
            "pause-deadline",
            ("pause_deadline",),
            api.PauseDeadlineStepSerializer,
            services.pause_deadline,
            _("Termijn pauzeren, met reden"),
            arguments=_deadline_kind,
            error_fields={"kind": "deadline"},
        ),
        ApiStep(
            "resume-deadline",
            ("resume_deadline",),
            api.ResumeDeadlineStepSerializer,
            services.resume_deadline,
            _("Gepauzeerde termijn hervatten"),
            arguments=_deadline_kind,
            error_fields={"kind": "deadline"},
        ),
        ApiStep(
            "record-outflow",
            ("record_outflow",),
            api.OutflowStepSerializer,
            services.record_outflow,
            _("Uitstroom vastleggen (de casus eindigt)"),
        ),
        ApiStep(
            "confirm-outflow",
            ("confirm_outflow",),
            api.ConfirmOutflowStepSerializer,
            services.confirm_outflow,
            _("Uitstroom bevestigen (de IND een inwilliging, de DT&V een vertrek)"),
        ),
        ApiStep(
            "dispute-outflow",
            ("dispute_outflow",),
            api.DisputeOutflowStepSerializer,
            services.dispute_outflow,
            _("Uitstroom betwisten, met reden (de IND of de DT&V)"),
        ),
        ApiStep(
            "correct-outflow",
            ("correct_outflow",),
            api.CorrectOutflowStepSerializer,
            services.correct_outflow,
            _("Uitstroom corrigeren, met reden (de casusregisseur); de eerdere gegevens blijven in de tijdlijn"),
        ),
    )
}

ENDPOINT_OF_STEP = {name: s.slug for s in API_STEPS.values() for name in s.steps}
_OFFERED = {name for name, step in workflow.STEPS.items() if step.offered}
if set(ENDPOINT_OF_STEP) != _OFFERED:
    raise ImproperlyConfigured(f"steps without an API endpoint: {sorted(_OFFERED ^ set(ENDPOINT_OF_STEP))}")


# --- OpenAPI ----------------------------------------------------------------------------


def _step_schema(api_step: ApiStep) -> Callable[[Any], Any]:
    steps = [workflow.STEPS[name] for name in api_step.steps]
    lines = [
        f"- `{s.name}`: {s.label}. Vanuit: {', '.join(str(workflow.State(x).label) for x in s.sources)}; "
        f"naar: {workflow.State(s.target).label if s.target else _('status blijft')}; "
        f"rollen: {', '.join(str(Role(r).label) for r in s.roles)}."
        for s in steps
    ]
    return extend_schema(
        summary=str(api_step.summary),
        description="\n".join(lines),
        request=api_step.serializer,
        parameters=[IF_MATCH],
        responses={
            **VERSIONED_ERRORS,
            200: api.TrajectorySerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(DETAIL, description=_("De casus is zichtbaar, maar u mag deze stap niet zetten.")),
            404: OpenApiResponse(DETAIL, description=_("De casus bestaat niet of is voor u niet zichtbaar.")),
        },
        tags=["trajectory"],
    )


def step_action(slug: str) -> Any:
    """The viewset method for one step endpoint (``admit = step_action("admit")``)."""
    api_step = API_STEPS[slug]

    def handler(self: TrajectoryMixin, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        return self.take_step(request, api_step)

    handler.__name__ = api_step.method_name
    handler.__doc__ = str(api_step.summary)
    handler = action(
        detail=True,
        methods=["post"],
        url_path=slug,
        url_name=slug,
        serializer_class=api_step.serializer,
        filter_backends=[],
        pagination_class=None,
    )(handler)
    return _step_schema(api_step)(handler)


# --- The viewset part --------------------------------------------------------------------


if TYPE_CHECKING:
    # What the mixin is mixed into (for the type checker): the case viewset.
    _CaseViewSet = viewsets.GenericViewSet
else:
    _CaseViewSet = object


class TrajectoryMixin(_CaseViewSet):
    """Trajectory endpoints for the case viewset: its ``get_object`` (hidden: 404, logged)
    reads through the selectors; for ``trajectory`` its queryset is ``trajectory_queryset``."""

    request: AuthenticatedRequest

    @extend_schema(
        summary=str(_("Het traject van de casus")),
        description=str(
            _(
                "Status, datums, de vastgelegde stappen, termijnen, de nieuwste gebeurtenissen en de stappen "
                "die u nu mag zetten. De ETag is de versie van de casus."
            )
        ),
        responses={200: api.TrajectorySerializer, 404: OpenApiResponse(DETAIL)},
        tags=["trajectory"],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def trajectory(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        case = self.get_object()
        record(
            actor=request.user,
            action=AccessAction.VIEW,
            obj=case,
            origin=origin(request),
            detail={"view": "trajectory"},
        )
        return self._trajectory_response(request, case, loaded=True)

    @extend_schema(
        summary=str(_("De tijdlijn van de casus (nieuwste eerst, per pagina)")),
        description=str(_("Alle gebeurtenissen op de casus: wat er gebeurde, op welke datum, door wie.")),
        responses={200: api.TimelineEventSerializer(many=True), 404: OpenApiResponse(DETAIL)},
        tags=["trajectory"],
    )
    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=api.TimelineEventSerializer)
    def timeline(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        case = self.get_object()
        record(
            actor=request.user, action=AccessAction.VIEW, obj=case, origin=origin(request), detail={"view": "timeline"}
        )
        special = policy.can_view_special_category(request.user, case)
        events = selectors.visible_timeline(request.user, case, special=special).select_related("actor")
        paginator = self.paginator
        assert paginator is not None  # the API's default pagination
        page = paginator.paginate_queryset(events, request, view=self)
        context = {"request": request, "special_category": _answer(special)}
        return paginator.get_paginated_response(api.TimelineEventSerializer(page, many=True, context=context).data)

    record_admission_check = step_action("record-admission-check")
    admit = step_action("admit")
    reject = step_action("reject")
    waitlist = step_action("waitlist")
    start_shelter = step_action("start-shelter")
    request_dossier = step_action("request-dossier")
    deliver_dossier = step_action("deliver-dossier")
    set_scenario = step_action("set-scenario")
    record_cooperation_check = step_action("record-cooperation-check")
    set_case_types = step_action("set-case-types")
    pause_deadline = step_action("pause-deadline")
    resume_deadline = step_action("resume-deadline")
    record_outflow = step_action("record-outflow")
    confirm_outflow = step_action("confirm-outflow")
    dispute_outflow = step_action("dispute-outflow")
    correct_outflow = step_action("correct-outflow")

    def take_step(self, request: AuthenticatedRequest, api_step: ApiStep) -> Response:
        case = self.get_object()  # 404 (logged) when hidden
        header_version = if_match_version(request)
        serializer = api_step.serializer(
            data=request.data, context={"request": request, "if_match": header_version is not None}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        body_version = data.pop("version", None)
        version = header_version if header_version is not None else body_version
        arguments = api_step.arguments(case, data)
        attempt = errors.changing(case, step=api_step.step_taken(data))
        with errors.attempting(replace(attempt, fields=api_step.error_fields)):
            case = api_step.service(
                acting_user=request.user, origin=origin(request), case=case, expected_version=version, **arguments
            )
        return self._trajectory_response(request, case)

    def _trajectory_response(self, request: AuthenticatedRequest, case: Case, *, loaded: bool = False) -> Response:
        if not loaded:  # after a step: read it back with its records
            case = trajectory_queryset(selectors.visible_cases(request.user)).get(pk=case.pk)
        response = Response(trajectory_data(request, case))
        response["ETag"] = f'"{case.version}"'
        return response
