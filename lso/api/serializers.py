"""Serializers of the LSO API: output shapes, and input that is checked for its form only
(the rules live in ``lso.services``). Coded values come out as ``{"code", "label"}``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import CaseRefSerializer, DateInputSerializer
from cases.models import Case, Confidentiality, Direction, Route
from lso.confidential import WITHHELD_HELP, confidentiality_input, withheld_text
from lso.models import (
    Action,
    AgendaItem,
    Decision,
    EscalationReason,
    ItemOutcome,
    ItemSource,
    Meeting,
    MeetingStatus,
    PartnerPosition,
    PreparationNote,
    Reason,
    ReviewNote,
)
from lso.selectors import Suggestion, SuggestionReason
from lvv.accounts.models import User
from lvv.api.common import VERSION_HELP
from lvv.api.serializers import CodedField, CodedValueSerializer, OrganisationRefSerializer, VersionSerializer
from lvv.partners.models import Location, Organisation
from lvv.text import TEXT_MAX


def _name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


# --- Meetings ---------------------------------------------------------------------------


# OpenAPI's "time" format is RFC 3339's, which needs a UTC offset; a meeting starts at a
# local wall-clock time, so the schema says what the field takes and gives.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": LOCAL_TIME_PATTERN,
        "example": "09:30",
    }
)
class LocalTimeField(serializers.TimeField):
    """A local time of day, ``HH:MM`` or ``HH:MM:SS`` (given as ``HH:MM:SS``)."""


class MeetingSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(slug_field="slug", queryset=Location.objects.all())
    start_time = LocalTimeField(
        label=capfirst(Meeting._meta.get_field("start_time").verbose_name),
        help_text=_("Lokale tijd: UU:MM of UU:MM:SS (het antwoord geeft UU:MM:SS)."),
    )
    location_name = serializers.CharField(source="location.name", read_only=True)
    status = CodedField(MeetingStatus.choices)
    item_count = serializers.SerializerMethodField(help_text=_("Aantal agendapunten."))
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "location",
            "location_name",
            "date",
            "start_time",
            "place",
            "online_link",
            "status",
            "item_count",
            "published_at",
            "finalised_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["published_at", "finalised_at", "created_at", "updated_at"]
        validators: list[Any] = []  # "a place or a link" is the service's rule, with a field-level message

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, Meeting):  # the LVV of a meeting does not change
            self.fields["location"].read_only = True

    @extend_schema_field(OpenApiTypes.INT)
    def get_item_count(self, meeting: Meeting) -> int:
        count = getattr(meeting, "item_count", None)
        if count is None:
            count = meeting.items.count()
        return count


class PreparationNoteSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)
    author = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField(help_text=WITHHELD_HELP)
    confidentiality = CodedField(Confidentiality.choices)

    class Meta:
        model = PreparationNote
        fields = ["id", "organisation", "author", "text", "confidentiality", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_author(self, note: PreparationNote) -> str | None:
        return _name(note.author)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_text(self, note: PreparationNote) -> str | None:
        return withheld_text(note, "text")


class PartnerPositionSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = PartnerPosition
        fields = ["organisation", "text"]


class ActionSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    meeting = serializers.SerializerMethodField()
    owner_organisation = OrganisationRefSerializer(read_only=True)
    owner_user = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = [
            "id",
            "case",
            "item",
            "meeting",
            "description",
            "owner_organisation",
            "owner_user",
            "due_on",
            "done_on",
            "overdue",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_meeting(self, action: Action) -> int | None:
        return action.item.meeting_id if action.item else None

    def get_owner_user(self, action: Action) -> str | None:
        return _name(action.owner_user)

    def get_overdue(self, action: Action) -> bool:
        return action.done_on is None and action.due_on < timezone.localdate()


class ItemActionSerializer(ActionSerializer):
    class Meta(ActionSerializer.Meta):
        fields = ["id", "description", "owner_organisation", "owner_user", "due_on", "done_on", "overdue"]


class OutcomeSerializer(serializers.ModelSerializer):
    decision = CodedField(Decision.choices)
    direction = CodedField(Direction.choices)
    route = CodedField(Route.choices)
    escalation_reason = CodedField(EscalationReason.choices)
    positions = PartnerPositionSerializer(many=True, read_only=True)
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = ItemOutcome
        fields = [
            "decision",
            "notes",
            "direction",
            "route",
            "escalation_reason",
            "escalation_question",
            "agreed",
            "positions",
            "advice_event",
            "advice_followed",
            "advice_not_followed_reason",
            "recorded_by",
            "recorded_at",
        ]

    def get_recorded_by(self, outcome: ItemOutcome) -> str | None:
        return _name(outcome.recorded_by)


class AgendaItemSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    reason = CodedField(Reason.choices)
    source = CodedField(ItemSource.choices)  # type: ignore[assignment]  # a field named "source", not the field's own
    notes = PreparationNoteSerializer(many=True, read_only=True)
    outcome = serializers.SerializerMethodField()
    actions = ItemActionSerializer(many=True, read_only=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "meeting",
            "case",
            "reason",
            "reason_detail",
            "order",
            "minutes_allotted",
            "source",
            "source_event",
            "notes",
            "outcome",
            "actions",
        ]

    @extend_schema_field(OutcomeSerializer(allow_null=True))
    def get_outcome(self, item: AgendaItem) -> Any:
        outcome = getattr(item, "outcome", None)  # a missing one-to-one raises an AttributeError
        return OutcomeSerializer(outcome, context=self.context).data if outcome else None


class MeetingDetailSerializer(MeetingSerializer):
    items = serializers.SerializerMethodField(help_text=_("De agendapunten die u mag zien, in volgorde."))
    may_prepare = serializers.SerializerMethodField()
    may_chair = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "items", "may_prepare", "may_chair"]

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_items(self, meeting: Meeting) -> Any:
        items = getattr(meeting, "visible_items", None)
        return AgendaItemSerializer(items or [], many=True, context=self.context).data

    def get_may_prepare(self, meeting: Meeting) -> bool:
        from lso.services import can_prepare

        request = self.context.get("request")
        return request is not None and can_prepare(request.user, meeting.location) and not meeting.is_final

    def get_may_chair(self, meeting: Meeting) -> bool:
        from lso.services import can_chair

        request = self.context.get("request")
        return request is not None and can_chair(request.user, meeting.location) and not meeting.is_final


# --- Agenda input -----------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class VisibleCaseField(serializers.PrimaryKeyRelatedField):
    """A case id; only cases the user may see exist here (others: "does not exist")."""

    def get_queryset(self) -> QuerySet[Case]:
        request = self.context.get("request")
        if request is None:
            return Case.objects.none()
        return Case.objects.visible_to(request.user)


class AgendaItemCreateSerializer(VersionSerializer):
    case = VisibleCaseField()
    from_suggestion = serializers.BooleanField(
        default=False,
        help_text=_("Waar: de casus is een suggestie; reden en toelichting komen uit de suggestie."),
    )
    reason = serializers.ChoiceField(choices=Reason.choices, default=Reason.MANUAL)
    reason_detail = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX, default="")
    minutes_allotted = serializers.IntegerField(required=False, min_value=1, max_value=240)


class AddSuggestionsSerializer(VersionSerializer):
    cases = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=200)


class AgendaItemUpdateSerializer(VersionSerializer):
    minutes_allotted = serializers.IntegerField(required=False, min_value=1, max_value=240)
    reason_detail = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)


class ReorderSerializer(VersionSerializer):
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=500,
        help_text=_("De id's van alle agendapunten, in de nieuwe volgorde."),
    )


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX)
    confidentiality = confidentiality_input()


class SuggestionReasonSerializer(serializers.Serializer):
    reason = serializers.SerializerMethodField()
    detail = serializers.CharField()
    event = serializers.IntegerField(source="event_id", allow_null=True)

    @extend_schema_field(CodedValueSerializer)
    def get_reason(self, entry: SuggestionReason) -> dict:
        return {"code": entry.reason, "label": entry.label}


class SuggestionSerializer(serializers.Serializer):
    case = CaseRefSerializer()
    reasons = SuggestionReasonSerializer(many=True)
    detail = serializers.CharField()

    def to_representation(self, instance: Suggestion) -> Any:
        return super().to_representation(instance)


# --- Minutes input ----------------------------------------------------------------------


class ActionInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    owner_organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    owner_user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    due_on = serializers.DateField()


class PositionInputSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    text = serializers.CharField(max_length=TEXT_MAX)


class OutcomeInputSerializer(VersionSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX, default="")
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True, default="")
    route = serializers.ChoiceField(choices=Route.choices, required=False, allow_blank=True, default="")
    actions = ActionInputSerializer(many=True, required=False, default=list)
    escalation_reason = serializers.ChoiceField(
        choices=EscalationReason.choices, required=False, allow_blank=True, default=""
    )
    escalation_question = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX, default="")
    agreed = serializers.BooleanField(default=True)
    positions = PositionInputSerializer(many=True, required=False, default=list)
    advice_followed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Verplicht als er een MRT-advies openstaat: volgt het LSO het advies?"),
    )
    advice_not_followed_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, default=""
    )


# --- Actions, requests, reviews -----------------------------------------------------------


class LsoRequestSerializer(DateInputSerializer):
    case = VisibleCaseField()
    reason = serializers.CharField(max_length=300)


class TimelineEventOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    type = serializers.CharField()
    occurred_on = serializers.DateField()
    summary = serializers.CharField()


class ReviewNoteSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    author = serializers.SerializerMethodField()
    organisation = OrganisationRefSerializer(read_only=True)
    text = serializers.SerializerMethodField(help_text=WITHHELD_HELP)
    confidentiality = CodedField(Confidentiality.choices)

    class Meta:
        model = ReviewNote
        fields = [
            "id",
            "case",
            "author",
            "organisation",
            "text",
            "confidentiality",
            "flagged",
            "reviewed_on",
            "event",
            "created_at",
        ]

    def get_author(self, note: ReviewNote) -> str | None:
        return _name(note.author)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_text(self, note: ReviewNote) -> str | None:
        return withheld_text(note, "text")


class ReviewNoteInputSerializer(DateInputSerializer):
    case = VisibleCaseField()
    text = serializers.CharField(max_length=TEXT_MAX)
    flagged = serializers.BooleanField(default=False)
    confidentiality = confidentiality_input()


class QueueScenarioSerializer(serializers.Serializer):
    direction = CodedField(Direction.choices)
    route = CodedField(Route.choices)
    set_on = serializers.DateField()


class ReviewQueueSerializer(serializers.Serializer):
    case = serializers.SerializerMethodField()
    shelter_started_on = serializers.DateField(allow_null=True)
    scenario = serializers.SerializerMethodField()
    open_action_count = serializers.IntegerField()
    overdue_action_count = serializers.IntegerField()
    mrt_pending = serializers.BooleanField()
    max_stay_due_on = serializers.DateField(allow_null=True)
    last_review_on = serializers.DateField(allow_null=True)

    @extend_schema_field(CaseRefSerializer)
    def get_case(self, case: Case) -> Any:
        return CaseRefSerializer(case).data

    @extend_schema_field(QueueScenarioSerializer(allow_null=True))
    def get_scenario(self, case: Any) -> Any:
        if not case.scenario_direction:
            return None
        return QueueScenarioSerializer(
            {"direction": case.scenario_direction, "route": case.scenario_route, "set_on": case.scenario_set_on}
        ).data
