"""``GET /api/v1/monitor/?date=YYYY-MM-DD[&lvv=slug...]``: the figures of the monitor.

The same JSON as ``manage.py monitor --format json`` (``monitor.figures.figures``, kept in
the cache while the records stay the same: ``monitor.cache``). The
programme bureau gets every LVV; municipality users (case workers, LSO chairs) get their
own LVV(s), in ``locations`` and in ``total``. Every other user gets 403: the monitor is
not an object whose existence could be hidden, and no figure is shown. A missing date is
today; an invalid or future date, or an LVV outside the user's scope, answers 400 with a
field error.
"""

from __future__ import annotations

from typing import NoReturn

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, Channel, Origin, Result, record
from monitor import cache
from monitor.api.serializers import MonitorSerializer
from monitor.scope import NO_FIGURES, may_read_figures, select_locations
from monitor.services import parse_date


class ReadsFigures(permissions.BasePermission):
    message = NO_FIGURES

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and may_read_figures(request.user))


class MonitorView(APIView):
    permission_classes = [permissions.IsAuthenticated, ReadsFigures]

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> NoReturn:
        if request.user and request.user.is_authenticated:
            record(
                actor=request.user,
                action=AccessAction.VIEW,
                result=Result.DENIED,
                origin=Origin.from_request(request, channel=Channel.API),
                object_type="monitor.figures",
            )
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        operation_id="monitor_figures",
        summary=_("De monitor op een peildatum"),
        description=__doc__,
        tags=["monitor"],
        parameters=[
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                description=_("Peildatum JJJJ-MM-DD (standaard: vandaag); niet in de toekomst."),
            ),
            OpenApiParameter(
                "lvv",
                OpenApiTypes.STR,
                many=True,
                explode=True,
                description=_("Alleen deze LVV's (codes), binnen wat u mag zien."),
            ),
        ],
        responses={
            200: MonitorSerializer,
            400: OpenApiResponse(description=_("Ongeldige datum of LVV (foutmelding per veld).")),
            403: OpenApiResponse(description=_("Geen toegang tot de cijfers.")),
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        user = request.user
        try:
            raw = request.query_params.get("date")
            d = parse_date(raw, field="date") if raw else timezone.localdate()
            locations = select_locations(user, request.query_params.getlist("lvv"), field="lvv")
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        data = cache.analyses(d, locations).figures
        record(
            actor=user,
            action=AccessAction.VIEW,
            origin=Origin.from_request(request, channel=Channel.API),
            object_type="monitor.figures",
            object_id=d.isoformat(),
            detail={"locations": list(data["locations"])},
        )
        return Response(data)
