"""The LSO over the API: meetings, agenda items, suggestions, preparation notes, minutes,
actions, LSO requests and the DT&V's reviews. The same selectors, services and policy as
the pages: hidden objects 404, forbidden changes 403, bad input 400, stale versions 409/412.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from lso import lists as lso_lists
from lso import selectors, services
from lso.api import serializers as s
from lso.models import Action, AgendaItem, Meeting, MeetingStatus, ReviewNote
from lso.views import meeting_attempt
from lvv import errors
from lvv.access.policy import Actor
from lvv.api.common import (
    ERRORS,
    AuditedReadViewSet,
    call_service,
    expected_version,
    object_step,
    operation_schema,
    ordering_parameter,
    origin,
    read_schemas,
    without_version,
)
from lvv.api.pagination import PageNumberPagination
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, record
from lvv.lists import api as list_api
from lvv.lists.api import ListOrderingFilter
from lvv.params import IdFilter
from lvv.partners.models import Location

TAG_LSO = "lso"
TAG_REVIEW = "dtv-review"


class PageFirstPaginator(Paginator):
    """A paginator over a ``selectors.SuggestionList`` that asks for the page before the
    count: the page's query also counts the rows (a window), so a page costs one ordering
    query instead of a count and a page."""

    def page(self, number: int | str) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 0
        if wanted >= 1:
            bottom = (wanted - 1) * self.per_page
            _page = self.object_list[bottom : bottom + self.per_page + self.orphans]
        return super().page(number)


class SuggestionPagination(PageNumberPagination):
    django_paginator_class = PageFirstPaginator


class MeetingFilter(filters.FilterSet):
    location = filters.ModelChoiceFilter(field_name="location", to_field_name="slug", queryset=Location.objects.all())
    status = filters.ChoiceFilter(choices=MeetingStatus.choices)
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["location", "status", "date_from", "date_to"]


@extend_schema_view(
    **read_schemas(
        s.MeetingDetailSerializer,
        _("LSO-vergaderingen van uw LVV's"),
        _("Een vergadering met de agendapunten die u mag zien"),
    ),
    create=operation_schema(_("Vergadering aanmaken (concept)"), s.MeetingDetailSerializer, 201),
    update=operation_schema(_("Datum, tijd, plaats of link wijzigen"), s.MeetingDetailSerializer, versioned=True),
    partial_update=operation_schema(
        _("Datum, tijd, plaats of link wijzigen"), s.MeetingDetailSerializer, versioned=True
    ),
)
@extend_schema(tags=[TAG_LSO])
class MeetingViewSet(AuditedReadViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    object_type = "lso.meeting"
    service_argument = "meeting"
    filterset_class = MeetingFilter
    # ``?ordering=``: the meeting list's sort keys (``lso.lists.MEETINGS``) and these fields.
    filter_backends = [filters.DjangoFilterBackend, ListOrderingFilter]
    list_definition = lso_lists.MEETINGS
    ordering_fields = ["date", "created_at"]

    def get_queryset(self) -> QuerySet[Meeting]:
        user = self.request.user
        queryset = selectors.meeting_list(user)
        if self.action == "list":
            return queryset
        queryset = queryset.select_related("location__municipality")
        # The items only for the meeting as it is read; the other actions read the meeting
        # again, with its items, after their change (``_detail``); the suggestions need none.
        return self._with_items(queryset) if self.action == "retrieve" else queryset

    def _with_items(self, queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
        return queryset.prefetch_related(_items_prefetch(self.request.user))

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "list":
            return s.MeetingSerializer
        return s.MeetingDetailSerializer

    def _detail(self, meeting: Meeting, status_code: int = 200) -> Response:
        meeting = self._with_items(self.get_queryset()).get(pk=meeting.pk)
        return self.respond(meeting, status_code, s.MeetingDetailSerializer)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = without_version(self.validated(s.MeetingSerializer))
        meeting = call_service(request, services.create_meeting, attempt=meeting_attempt(data["location"]), **data)
        return self._detail(meeting, 201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        meeting = self.get_object()
        version = expected_version(request, required=True)
        data = self.validated(s.MeetingSerializer, instance=meeting, partial=kwargs.get("partial", False))
        changes = {k: v for k, v in data.items() if k in services.MEETING_FIELDS}
        meeting = self.change(services.update_meeting, meeting, expected_version=version, **changes)
        return self._detail(meeting)

    def _meeting_step(self, service: Callable[..., Meeting]) -> Response:
        meeting = self.change_from_body(service, self.get_object(), s.VersionSerializer, versioned=True, required=True)
        return self._detail(meeting)

    @object_step(
        _("Agenda publiceren (de leden krijgen een melding en een e-mail)"),
        request=s.VersionSerializer,
        response=s.MeetingDetailSerializer,
        versioned=True,
    )
    def publish(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        return self._meeting_step(services.publish_meeting)

    @object_step(
        _("Verslag definitief maken (daarna verandert er niets meer)"),
        request=s.VersionSerializer,
        response=s.MeetingDetailSerializer,
        versioned=True,
    )
    def finalize(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        return self._meeting_step(services.finalize_minutes)

    @extend_schema(
        summary=str(_("Suggesties voor de agenda, elk met de redenen")),
        description=str(
            _(
                "De meest urgente eerst: gesorteerd op de dringendste reden (in de volgorde van de redenen), "
                "dan op het kenmerk van de casus. Gepagineerd; de pagina's samen geven de hele lijst."
            )
        ),
        responses={200: s.SuggestionSerializer(many=True), 404: ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        serializer_class=s.SuggestionSerializer,
        pagination_class=SuggestionPagination,
    )
    def suggestions(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        meeting = self.get_object()
        # (DRF pages any list that can be sliced and counted; the stubs say a queryset.)
        page: list[selectors.Suggestion] | None = self.paginate_queryset(
            selectors.SuggestionList(meeting, request.user)  # type: ignore[arg-type]
        )
        paginator = self.paginator  # this action's, which has paged
        assert page is not None and isinstance(paginator, SuggestionPagination) and paginator.page is not None
        record(
            actor=request.user,
            action=AccessAction.LIST,
            origin=origin(request),
            obj=meeting,
            detail={"view": "suggestions", "page": paginator.page.number, "cases": [x.case.pk for x in page]},
        )
        return self.get_paginated_response(s.SuggestionSerializer(page, many=True).data)

    @object_step(
        _("Casus op de agenda zetten (als suggestie of handmatig)"),
        request=s.AgendaItemCreateSerializer,
        response=s.AgendaItemSerializer,
        status=201,
        versioned=True,
    )
    def items(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = self.validated(s.AgendaItemCreateSerializer)
        version = expected_version(request, required=False)
        common = {"meeting": meeting, "expected_version": version}
        # The service speaks of "cases"; this body has "case".
        attempt = errors.Attempt(AccessAction.UPDATE, obj=meeting, fields={"cases": "case"})
        if data["from_suggestion"]:
            [item] = call_service(
                request, services.add_suggested_items, cases=[data["case"]], attempt=attempt, **common
            )
        else:
            item = call_service(
                request,
                services.add_item,
                attempt=attempt,
                case=data["case"],
                reason=data["reason"],
                reason_detail=data["reason_detail"],
                minutes_allotted=data.get("minutes_allotted"),
                **common,
            )
        item = selectors.item_queryset(request.user).get(pk=item.pk)
        return Response(s.AgendaItemSerializer(item, context=self.get_serializer_context()).data, status=201)

    @object_step(
        _("Meerdere suggesties tegelijk op de agenda zetten"),
        request=s.AddSuggestionsSerializer,
        response=s.AgendaItemSerializer(many=True),
        status=201,
        versioned=True,
        url_path="add-suggestions",
    )
    def add_suggestions(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        items = self.change_from_body(
            services.add_suggested_items, self.get_object(), s.AddSuggestionsSerializer, versioned=True
        )
        rows = selectors.item_queryset(request.user).filter(pk__in=[i.pk for i in items])
        return Response(s.AgendaItemSerializer(rows, many=True, context=self.get_serializer_context()).data, status=201)

    @object_step(
        _("Volgorde van de agenda vastleggen"),
        request=s.ReorderSerializer,
        response=s.MeetingDetailSerializer,
        versioned=True,
    )
    def reorder(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        meeting = self.get_object()
        data = self.validated(s.ReorderSerializer)
        version = expected_version(request, required=False)
        self.change(services.reorder_items, meeting, item_ids=data["items"], expected_version=version)
        return self._detail(meeting)


def _items_prefetch(user: Actor) -> Prefetch:
    return Prefetch("items", queryset=selectors.item_queryset(user), to_attr="visible_items")


class AgendaItemFilter(filters.FilterSet):
    meeting = IdFilter(field_name="meeting")
    case = IdFilter(field_name="case")

    class Meta:
        model = AgendaItem
        fields = ["meeting", "case"]


@extend_schema_view(
    **read_schemas(s.AgendaItemSerializer, _("Agendapunten die u mag zien"), _("Een agendapunt")),
    partial_update=operation_schema(
        _("Tijd of toelichting van een agendapunt wijzigen"),
        s.AgendaItemSerializer,
        versioned=True,
        request=s.AgendaItemUpdateSerializer,
    ),
    destroy=operation_schema(
        _("Agendapunt verwijderen (niet als de uitkomst is vastgelegd)"), None, 204, versioned=True
    ),
)
@extend_schema(tags=[TAG_LSO])
class AgendaItemViewSet(AuditedReadViewSet):
    """Agenda items; the version in a change is the meeting's (the agenda is part of it)."""

    object_type = "lso.agendaitem"
    service_argument = "item"
    serializer_class = s.AgendaItemSerializer
    filterset_class = AgendaItemFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[AgendaItem]:
        return selectors.item_queryset(self.request.user)

    def _respond_item(self, item: AgendaItem, status_code: int = 200) -> Response:
        item = self.get_queryset().get(pk=item.pk)
        return Response(s.AgendaItemSerializer(item, context=self.get_serializer_context()).data, status=status_code)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        data = self.validated(s.AgendaItemUpdateSerializer)
        version = expected_version(request, required=False)
        item = self.change(
            services.update_item,
            item,
            minutes_allotted=data.get("minutes_allotted"),
            reason_detail=data.get("reason_detail"),
            expected_version=version,
        )
        return self._respond_item(item)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        version = expected_version(request, required=False)
        self.change(services.remove_item, item, expected_version=version)
        return Response(status=204)

    @object_step(
        _("Voorbereiding van uw organisatie op dit agendapunt schrijven (of herschrijven)"),
        request=s.NoteInputSerializer,
        response=s.PreparationNoteSerializer,
        status=201,
    )
    def notes(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        note = self.change_from_body(services.save_preparation_note, self.get_object(), s.NoteInputSerializer)
        note = selectors.preparation_notes(request.user).get(pk=note.pk)  # as a read gives it
        return Response(s.PreparationNoteSerializer(note).data, status=201)

    @object_step(
        _("Uitkomst vastleggen en op de casus toepassen (in één stap)"),
        description=_(
            "Scenario (richting, route), vervolgacties, voorleggen aan het MRT, uitstellen of geen besluit; of de "
            "partners het eens waren en zo niet het standpunt van elke afwijkende partner; bij een openstaand "
            "MRT-advies of het LSO het volgt, en zo niet waarom. Alleen de LSO-voorzitter."
        ),
        request=s.OutcomeInputSerializer,
        response=s.AgendaItemSerializer,
        status=201,
        versioned=True,
    )
    def outcome(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        item = self.get_object()
        self.change_from_body(services.record_outcome, item, s.OutcomeInputSerializer, versioned=True)
        return self._respond_item(item, 201)


class ActionFilter(filters.FilterSet):
    scope = filters.ChoiceFilter(
        choices=[("mine", _("mijn open acties")), ("all", _("alle acties van zichtbare casussen"))],
        method="filter_scope",
        empty_label=None,
        help_text=_("mine (standaard): open acties van uw organisatie of van u; all: alle acties die u mag zien."),
    )
    case = IdFilter(field_name="case")
    open = filters.BooleanFilter(field_name="done_on", lookup_expr="isnull")

    class Meta:
        model = Action
        fields = ["scope", "case", "open"]

    def filter_scope(self, queryset: QuerySet[Action], name: str, value: str) -> QuerySet[Action]:
        return queryset


@extend_schema_view(
    **read_schemas(s.ActionSerializer, _("Acties: uw werkvoorraad (standaard) of alle zichtbare"), _("Een actie"))
)
@extend_schema(tags=[TAG_LSO])
class ActionViewSet(AuditedReadViewSet):
    object_type = "lso.action"
    service_argument = "action"
    serializer_class = s.ActionSerializer
    filterset_class = ActionFilter
    ordering_fields = ["due_on"]

    def get_queryset(self) -> QuerySet[Action]:
        user = self.request.user
        if self.action == "list" and self.request.query_params.get("scope", "mine") == "mine":
            return selectors.open_actions_for(user)
        return selectors.visible_actions(user)

    @object_step(_("Actie afronden"), request=s.DateInputSerializer, response=s.ActionSerializer)
    def done(self, request: AuthenticatedRequest, pk: str | None = None) -> Response:
        done = self.change_from_body(services.mark_action_done, self.get_object(), s.DateInputSerializer)
        return Response(s.ActionSerializer(self.get_queryset().get(pk=done.pk)).data)


@extend_schema_view(
    create=operation_schema(
        _("Bespreking van een casus in het LSO aanvragen"),
        s.TimelineEventOutSerializer,
        201,
        request=s.LsoRequestSerializer,
    )
)
@extend_schema(tags=[TAG_LSO])
class LsoRequestViewSet(viewsets.GenericViewSet):
    serializer_class = s.LsoRequestSerializer

    def get_queryset(self) -> QuerySet[Meeting]:  # only create exists; nothing is listed
        return Meeting.objects.none()

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        serializer = s.LsoRequestSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = call_service(
            request, services.request_lso_discussion, case=data["case"], reason=data["reason"], on=data.get("on")
        )
        return Response(s.TimelineEventOutSerializer(event).data, status=201)


class ReviewNoteFilter(filters.FilterSet):
    case = IdFilter(field_name="case")
    flagged = filters.BooleanFilter()

    class Meta:
        model = ReviewNote
        fields = ["case", "flagged"]


@extend_schema_view(
    **read_schemas(s.ReviewNoteSerializer, _("Beoordelingen door de DT&V"), _("Een beoordeling")),
    create=operation_schema(
        _("Beoordeling vastleggen (gemarkeerd: op de agenda van het volgende LSO)"),
        s.ReviewNoteSerializer,
        201,
        request=s.ReviewNoteInputSerializer,
    ),
)
@extend_schema(tags=[TAG_REVIEW])
class ReviewNoteViewSet(AuditedReadViewSet, mixins.CreateModelMixin):
    object_type = "lso.reviewnote"
    serializer_class = s.ReviewNoteSerializer
    filterset_class = ReviewNoteFilter

    def get_queryset(self) -> QuerySet[Any]:
        if self.action == "queue":
            return selectors.review_queue(self.request.user)
        return selectors.visible_review_notes(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "queue":
            return s.ReviewQueueSerializer
        return s.ReviewNoteSerializer

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        data = self.validated(s.ReviewNoteInputSerializer)
        note = call_service(
            request,
            services.add_review_note,
            attempt=errors.creating("lso.reviewnote", case=data["case"].pk),
            case=data["case"],
            text=data["text"],
            flagged=data["flagged"],
            on=data.get("on"),
            confidentiality=data["confidentiality"],
        )
        return self.respond(selectors.visible_review_notes(request.user).get(pk=note.pk), 201)

    @extend_schema(
        summary=str(_("Werkvoorraad van de DT&V: trajecten in uw LVV's, met filters")),
        parameters=[
            OpenApiParameter("no_scenario_days", int, description=str(_("Geen scenario na zo veel dagen traject."))),
            OpenApiParameter("departure_without_progress", bool),
            OpenApiParameter("overdue_actions", bool),
            OpenApiParameter("mrt_pending", bool),
            OpenApiParameter("near_max_stay", bool),
            OpenApiParameter("location", str, description=str(_("Code van de LVV."))),
            ordering_parameter(_("Sorteren op: %(keys)s; met - ervoor aflopend."), lso_lists.REVIEW_QUEUE),
        ],
        responses={
            200: s.ReviewQueueSerializer(many=True),
            400: OpenApiResponse(description=str(_("Ongeldig filter."))),
        },
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def queue(self, request: AuthenticatedRequest) -> Response:
        filterset = selectors.ReviewQueueFilter(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        record(
            actor=request.user,
            action=AccessAction.LIST,
            origin=origin(request),
            object_type="lso.review_queue",
            detail={"filters": {k: v for k, v in request.query_params.items() if v}},
        )
        queue = list_api.order(filterset.qs, request.query_params.get(list_api.PARAM), lso_lists.REVIEW_QUEUE)
        page = self.paginate_queryset(queue)
        return self.get_paginated_response(s.ReviewQueueSerializer(page, many=True).data)
