"""The partner inboxes over the API (``cases.inboxes``).

- ``GET /api/v1/inbox/``: the user's inboxes (by role: the IND, the DT&V, the LSO chair)
  with the number of open items each; an empty list for other case roles.
- ``GET /api/v1/inbox/{key}/``: the items of one inbox, most urgent first, paginated: the
  case's id and reference, what waits, since when, and the date it is due (if any). Never a
  person's name.

An inbox that is not one of the user's answers 404, and so does everything here for the
programme bureau (who never sees a person). Reads and refusals go to the access log with
channel ``api``. Included by ``lvv.api.urls``.
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases import inboxes
from cases import lists as case_lists
from cases.models import Case
from lvv.access import policy
from lvv.api.common import DETAIL, ordering_parameter, origin
from lvv.api.pagination import PageNumberPagination
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, Result, record
from lvv.lists import api as list_api

TAG = "inbox"
KEY_MAX_LENGTH = 40  # Notification.inbox


class InboxSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("De sleutel van de inbox, bijvoorbeeld `ind_dossier`."))
    title = serializers.CharField(help_text=_("De naam van de inbox."))
    description = serializers.CharField(help_text=_("Wat erin staat en wanneer een zaak eruit verdwijnt."))
    count = serializers.IntegerField(help_text=_("Het aantal openstaande zaken."))
    url = serializers.CharField(help_text=_("Het adres van de zaken van deze inbox in de API."))


class InboxItemSerializer(serializers.Serializer):
    case = serializers.IntegerField(source="pk", help_text=_("Het id van de casus."))
    reference = serializers.CharField(help_text=_("Het kenmerk van de casus."))
    location = serializers.CharField(source="location.slug", help_text=_("De code van de LVV."))
    what = serializers.SerializerMethodField(help_text=_("Wat er wacht."))
    since = serializers.DateField(source="inbox_since", allow_null=True, help_text=_("Sinds wanneer het wacht."))
    due_on = serializers.DateField(
        source="inbox_due", allow_null=True, help_text=_("De uiterste datum, als die er is.")
    )

    def get_what(self, case: Case) -> str:
        return self.context["inbox"].what(case)


# For the schema only: a page of a list, before its ``results``. (No docstring: the schema
# would show it as the description of each page.)
class _Page(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class _ItemsPage(_Page):
    """For the schema only: the paginated answer of one inbox."""

    results = InboxItemSerializer(many=True)


class _InboxPage(_Page):
    results = InboxSerializer(many=True)


def _log(request: Request, action: str, result: str = Result.ALLOWED, **detail: Any) -> None:
    record(actor=request.user, action=action, result=result, origin=origin(request), object_type="cases.case", **detail)


def _require_case_role(request: Request) -> None:
    if not policy.sees_persons(request.user):
        _log(request, AccessAction.LIST, Result.DENIED, detail={"inbox": True})
        raise exceptions.NotFound()


class InboxList(generics.GenericAPIView):
    """The user's inboxes with their counts (one query for all counts)."""

    serializer_class = InboxSerializer
    pagination_class = None

    @extend_schema(
        operation_id="inbox_list",
        summary=str(_("Uw inboxen met het aantal openstaande zaken")),
        description=str(
            _(
                "Per rol: de IND (opgevraagde dossierdelen, te bevestigen inwilligingen), de DT&V (opgevraagde "
                "dossierdelen, te bevestigen vertrek, te beoordelen trajecten) en de LSO-voorzitter (MRT-adviezen, "
                "voor te bereiden besprekingen). Andere rollen krijgen een lege lijst."
            )
        ),
        responses={200: _InboxPage, 404: OpenApiResponse(DETAIL)},
        tags=[TAG],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        _require_case_role(request)
        boxes = inboxes.for_user(request.user)
        numbers = inboxes.counts(request.user, boxes)
        results = [
            {
                "key": box.key,
                "title": str(box.title),
                "description": str(box.done),
                "count": numbers.get(box.key, 0),
                "url": request.build_absolute_uri(reverse("api:inbox-detail", args=[box.key])),
            }
            for box in boxes
        ]
        _log(request, AccessAction.LIST, detail={"inboxes": numbers})
        return Response({"count": len(results), "next": None, "previous": None, "results": results})


class InboxDetail(generics.GenericAPIView):
    """The items of one of the user's inboxes, most urgent first, paginated."""

    serializer_class = InboxItemSerializer
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="inbox_items",
        summary=str(_("De zaken in één inbox, de dringendste eerst")),
        description=str(
            _(
                "De vroegste uiterste datum eerst, dan wat het langst wacht. Een inbox die niet bij uw rol hoort, "
                "antwoordt 404."
            )
        ),
        parameters=[
            OpenApiParameter("key", str, OpenApiParameter.PATH, description=str(_("De sleutel van de inbox."))),
            ordering_parameter(
                _("Sorteren op: %(keys)s; met - ervoor aflopend. Zonder: de dringendste eerst."), case_lists.INBOX
            ),
        ],
        responses={200: _ItemsPage, 404: OpenApiResponse(DETAIL)},
        tags=[TAG],
    )
    def get(self, request: AuthenticatedRequest, key: str) -> Response:
        _require_case_role(request)
        try:
            box = inboxes.get_for_user(request.user, key[:KEY_MAX_LENGTH])
        except inboxes.InboxNotFound:
            _log(request, AccessAction.LIST, Result.DENIED, detail={"inbox": key[:KEY_MAX_LENGTH]})
            raise exceptions.NotFound() from None
        items = list_api.order(box.items(request.user), request.query_params.get(list_api.PARAM), case_lists.INBOX)
        page = self.paginate_queryset(items)
        data = InboxItemSerializer(page, many=True, context={"inbox": box, "request": request}).data
        paginator = self.paginator  # this view's, which has paged
        assert isinstance(paginator, PageNumberPagination) and paginator.page is not None
        _log(request, AccessAction.LIST, detail={"inbox": box.key, "count": paginator.page.paginator.count})
        return self.get_paginated_response(data)


urlpatterns = [
    path("inbox/", InboxList.as_view(), name="inbox-list"),
    path("inbox/<str:key>/", InboxDetail.as_view(), name="inbox-detail"),
]
