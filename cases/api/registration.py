"""The intake over the API, match requests and the reconciliation of durable outflows.

- ``POST /api/v1/registrations/``: a person and a case in one step, exactly as the intake
  page (``services.register_intake``): 201 with the case; 409 ``possible_match`` with the
  matching persons the user may see (confirm one with ``confirm_person``, or for a name
  match say ``new_person: true``); 202 ``match_request`` when the match is a person the
  user may not see (nothing about that person is in the answer). An ``Idempotency-Key``
  header (a UUID) makes a repeated request return the first case.
- ``/api/v1/match-requests/``: the requests the user made or may resolve;
  ``POST .../{id}/resolve/`` with ``decision`` (``link``, ``new_person``, ``decline``).
- ``GET /api/v1/reconciliation/?location=&up_to=``: per chain partner, the durable
  outflows not yet confirmed or disputed; ``POST /api/v1/reconciliation/sign-off/``.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import selectors, services
from cases.api.serializers import CaseSerializer
from cases.models import (
    CaseType,
    MatchKind,
    MatchRequest,
    MatchRequestStatus,
    Reconciliation,
    ReconciliationPartner,
    RegistrationSource,
    Sex,
    v_number_validator,
)
from cases.views_intake import match_requests_for
from lvv import errors
from lvv.access import policy
from lvv.api.common import origin
from lvv.api.pagination import PageNumberPagination
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, Channel, record
from lvv.partners.models import Location, Organisation, OrganisationKind

IDEMPOTENCY_INVALID = _("De header Idempotency-Key moet een UUID zijn.")
NO_LOCATION = _("U mag in deze LVV geen casussen registreren.")


class RegistrationPersonSerializer(serializers.Serializer):
    v_number = serializers.CharField(required=False, allow_blank=True, allow_null=True, validators=[v_number_validator])
    family_name = serializers.CharField(max_length=200)
    given_names = serializers.CharField(max_length=200)
    birth_date = serializers.DateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    nationality = CountryField(required=False, allow_blank=True, default="")

    def validate_birth_date(self, value: datetime.date | None) -> datetime.date | None:
        if value and value > timezone.localdate():
            raise serializers.ValidationError(str(services.DATE_IN_FUTURE))
        return value


class RegistrationCaseSerializer(serializers.Serializer):
    location = serializers.SlugRelatedField(slug_field="slug", queryset=Location.objects.all())
    registered_on = serializers.DateField(required=False, allow_null=True)
    registration_source = serializers.ChoiceField(
        choices=RegistrationSource.choices, required=False, default=RegistrationSource.MUNICIPALITY
    )
    assigned_ngo = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.NGO), required=False, allow_null=True
    )
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    case_types = serializers.ListField(
        child=serializers.ChoiceField(choices=CaseType.choices), required=False, default=list, max_length=20
    )
    prior_departure_procedures = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=999)

    def validate_registered_on(self, value: datetime.date | None) -> datetime.date | None:
        if value and value > timezone.localdate():
            raise serializers.ValidationError(str(services.DATE_IN_FUTURE))
        return value


class RegistrationSerializer(serializers.Serializer):
    person = RegistrationPersonSerializer()
    case = RegistrationCaseSerializer()
    confirm_person = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("Na een 409 possible_match: het id van de getoonde persoon die het is."),
    )
    new_person = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Na een 409 possible_match op naam en geboortedatum: het is een andere persoon."),
    )


MATCH_PERSON = inline_serializer(
    "MatchedPerson",
    {
        "id": serializers.IntegerField(),
        "v_number": serializers.CharField(allow_null=True),
        "family_name": serializers.CharField(),
        "given_names": serializers.CharField(),
        "birth_date": serializers.DateField(allow_null=True),
    },
)
POSSIBLE_MATCH = inline_serializer(
    "PossibleMatch",
    {
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "by_v_number": serializers.BooleanField(),
        "matches": serializers.ListField(child=serializers.DictField()),
    },
)
MATCH_REQUESTED = inline_serializer(
    "MatchRequested",
    {"code": serializers.CharField(), "detail": serializers.CharField(), "match_request": serializers.IntegerField()},
)


def _idempotency_key(request: Request) -> uuid.UUID | None:
    header = request.headers.get("Idempotency-Key")
    if not header:
        return None
    try:
        return uuid.UUID(header.strip())
    except ValueError:
        raise exceptions.ValidationError({"Idempotency-Key": [str(IDEMPOTENCY_INVALID)]}) from None


class RegistrationView(APIView):
    serializer_class = RegistrationSerializer

    @extend_schema(
        summary=str(_("Een persoon en een casus registreren (zoals het aanmeldformulier)")),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description=str(_("Een UUID; hetzelfde verzoek nog eens geeft de eerste casus terug.")),
            )
        ],
        request=RegistrationSerializer,
        responses={
            201: CaseSerializer,
            202: MATCH_REQUESTED,
            400: OpenApiResponse(description=str(_("Ongeldige invoer, per veld."))),
            409: POSSIBLE_MATCH,
        },
        tags=["cases"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        key = _idempotency_key(request)
        serializer = RegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case_fields = dict(data["case"])
        location = case_fields.pop("location")
        if not policy.editable_locations(request.user).filter(pk=location.pk).exists():
            raise exceptions.PermissionDenied(str(NO_LOCATION))
        try:
            case = services.register_intake(
                acting_user=request.user,
                origin=origin(request),
                location=location,
                person_fields=dict(data["person"]),
                case_fields=case_fields,
                intake_key=key,
                confirm_person=data.get("confirm_person"),
                new_person=data.get("new_person", False),
            )
        except services.PossibleMatch as match:
            for person in match.persons:
                record(actor=request.user, action=AccessAction.VIEW, obj=person, origin=origin(request))
            return Response(
                {
                    "code": "possible_match",
                    "detail": str(_("Deze persoon is mogelijk al bekend: bevestig wie het is.")),
                    "by_v_number": match.by_v_number,
                    "matches": [
                        {
                            "id": p.pk,
                            "v_number": p.v_number,
                            "family_name": p.family_name,
                            "given_names": p.given_names,
                            "birth_date": p.birth_date,
                        }
                        for p in match.persons
                    ],
                },
                status=status.HTTP_409_CONFLICT,
            )
        except services.MatchRequested as requested:
            return Response(
                {
                    "code": "match_request",
                    "detail": str(
                        _(
                            "De gegevens komen overeen met een persoon die u niet kunt inzien; er is een "
                            "koppelverzoek vastgelegd."
                        )
                    ),
                    "match_request": requested.request.pk,
                },
                status=status.HTTP_202_ACCEPTED,
            )
        context = {"request": request, "special_category": lambda c: policy.can_view_special_category(request.user, c)}
        response = Response(CaseSerializer(case, context=context).data, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{case.version}"'
        response["Location"] = reverse("api:case-detail", args=[case.pk])
        return response


class MatchRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    location = serializers.CharField(source="location.slug")
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField(source="requested_by.username")
    match_kind = serializers.ChoiceField(choices=MatchKind.choices)
    status = serializers.ChoiceField(choices=MatchRequestStatus.choices)
    person_fields = serializers.DictField(help_text=_("Wat de aanmelder invoerde."))
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution_note = serializers.CharField()
    case = serializers.IntegerField(source="case_id", allow_null=True)


MATCH_REQUEST_PAGE = inline_serializer(
    "PaginatedMatchRequestList",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": MatchRequestSerializer(many=True),
    },
)


class ResolveSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(d, d) for d in services.MATCH_DECISIONS])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


def _match_or_404(request: AuthenticatedRequest, pk: int) -> tuple[MatchRequest, bool]:
    return services.match_request_for(request.user, origin(request), pk)  # NotVisibleError: 404


class MatchRequestListView(APIView):
    serializer_class = MatchRequestSerializer

    @extend_schema(
        operation_id="match_requests_list",
        summary=str(_("Koppelverzoeken die u deed of mag afhandelen")),
        parameters=[OpenApiParameter("status", required=False, enum=list(MatchRequestStatus.values))],
        responses={200: MATCH_REQUEST_PAGE, 400: OpenApiResponse(description=str(_("Onbekende status.")))},
        tags=["cases"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        if not policy.sees_persons(request.user) and not request.user.is_superuser:
            raise exceptions.NotFound()
        requests = match_requests_for(request.user).select_related("location", "requested_by")
        wanted = request.query_params.get("status", "")
        if wanted:
            if wanted not in MatchRequestStatus.values:
                raise exceptions.ValidationError({"status": [str(_("Onbekende status."))]})
            requests = requests.filter(status=wanted)
        paginator = self.paginator
        page = paginator.paginate_queryset(requests.order_by("-requested_at", "-pk"), request, view=self)
        record(actor=request.user, action=AccessAction.LIST, origin=origin(request), object_type="cases.matchrequest")
        return paginator.get_paginated_response(MatchRequestSerializer(page, many=True).data)

    @property
    def paginator(self) -> PageNumberPagination:
        if not hasattr(self, "_paginator"):
            self._paginator = PageNumberPagination()
        return self._paginator


class MatchRequestDetailView(APIView):
    serializer_class = MatchRequestSerializer

    @extend_schema(summary=str(_("Een koppelverzoek")), responses=MatchRequestSerializer, tags=["cases"])
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        match, _resolver = _match_or_404(request, pk)
        record(actor=request.user, action=AccessAction.VIEW, obj=match, origin=origin(request))
        return Response(MatchRequestSerializer(match).data)


class MatchRequestResolveView(APIView):
    serializer_class = ResolveSerializer

    @extend_schema(
        summary=str(_("Een koppelverzoek afhandelen")),
        request=ResolveSerializer,
        responses={200: MatchRequestSerializer},
        tags=["cases"],
    )
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        match, resolver = _match_or_404(request, pk)
        if not resolver:
            errors.deny(request, errors.changing(match), channel=Channel.API)
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with errors.attempting(errors.changing(match)):
            match = services.resolve_match_request(
                acting_user=request.user, origin=origin(request), request=match, **serializer.validated_data
            )
        return Response(MatchRequestSerializer(match).data)


class ReconciliationQuerySerializer(serializers.Serializer):
    location = serializers.SlugRelatedField(slug_field="slug", queryset=Location.objects.all())
    up_to = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


RECONCILIATION = inline_serializer(
    "Reconciliation",
    {
        "location": serializers.CharField(),
        "up_to": serializers.DateField(),
        "partners": serializers.DictField(),
    },
)


def _reconciliation_scope(request: AuthenticatedRequest, body: Any) -> tuple[Location, datetime.date, dict[str, Any]]:
    """The LVV and the date (today at the latest) of a reconciliation request, and its
    validated ``body`` (the query or the data): 404 for a user who sees no persons or who
    does not work for that LVV."""
    if not policy.sees_persons(request.user):
        raise exceptions.NotFound()
    serializer = ReconciliationQuerySerializer(data=body)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    location = data["location"]
    if not selectors.user_locations(request.user).filter(pk=location.pk).exists():
        raise exceptions.NotFound()
    return location, min(data.get("up_to") or timezone.localdate(), timezone.localdate()), data


class ReconciliationView(APIView):
    serializer_class = ReconciliationQuerySerializer

    @extend_schema(
        summary=str(_("Bestendige uitstroom die de IND of de DT&V nog moet bevestigen of betwisten")),
        parameters=[
            OpenApiParameter("location", required=True, description=str(_("De code van de LVV"))),
            OpenApiParameter("up_to", required=False, type=str, description=str(_("Tot en met (JJJJ-MM-DD)"))),
        ],
        responses=RECONCILIATION,
        tags=["cases"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        location, up_to, _query = _reconciliation_scope(request, request.query_params)
        partners = {}
        own = [p for p in ReconciliationPartner.values if request.user.has_role(p)] or ReconciliationPartner.values
        for partner in own:
            items = services.unreconciled_outflows(request.user, location=location, partner=partner, up_to=up_to)
            latest = Reconciliation.objects.filter(location=location, partner=partner).first()
            partners[partner] = {
                "open": items.count(),
                "first_open": [
                    {
                        "case": c.pk,
                        "reference": c.reference,
                        "category": c.outflow.category,
                        "outflow_on": c.outflow.outflow_on,
                    }
                    for c in items[:100]
                ],
                "signed_off_up_to": latest.up_to if latest else None,
            }
        record(
            actor=request.user,
            action=AccessAction.VIEW,
            origin=origin(request),
            object_type="cases.reconciliation",
            detail={"location": location.slug, "up_to": up_to.isoformat()},
        )
        return Response({"location": location.slug, "up_to": up_to, "partners": partners})


class ReconciliationSignOffView(APIView):
    serializer_class = ReconciliationQuerySerializer

    @extend_schema(
        summary=str(_("De afstemming aftekenen (de IND of de DT&V)")),
        request=ReconciliationQuerySerializer,
        responses={
            201: inline_serializer(
                "SignedOff", {"id": serializers.IntegerField(), "outflows": serializers.IntegerField()}
            )
        },
        tags=["cases"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        location, up_to, data = _reconciliation_scope(request, request.data)
        signed = services.sign_off_reconciliation(
            acting_user=request.user,
            origin=origin(request),
            location=location,
            up_to=up_to,
            notes=data["notes"],
        )
        return Response({"id": signed.pk, "outflows": signed.outflows}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("registrations/", RegistrationView.as_view(), name="registrations"),
    path("match-requests/", MatchRequestListView.as_view(), name="match-request-list"),
    path("match-requests/<int:pk>/", MatchRequestDetailView.as_view(), name="match-request-detail"),
    path("match-requests/<int:pk>/resolve/", MatchRequestResolveView.as_view(), name="match-request-resolve"),
    path("reconciliation/", ReconciliationView.as_view(), name="reconciliation"),
    path("reconciliation/sign-off/", ReconciliationSignOffView.as_view(), name="reconciliation-sign-off"),
]
