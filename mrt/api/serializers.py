"""Serializers of the MRT API (output shapes; input checked for its form only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import CaseRefSerializer, DateInputSerializer
from cases.models import Confidentiality, Direction, Route
from lso.confidential import WITHHELD_HELP, confidentiality_input, withheld_text
from lso.models import EscalationReason
from lvv.accounts.models import User
from lvv.api.serializers import CodedField, OrganisationRefSerializer, VersionSerializer
from lvv.partners.models import Location, Organisation, OrganisationKind
from lvv.text import TEXT_MAX
from mrt import selectors
from mrt.models import Advice, Escalation, EscalationStatus, MrtSession, Position, PreparationTask


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    class Meta:
        ref_name = "UserRef"

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()


class MrtSessionSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Location.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Code van de LVV; leeg of null: een landelijke sessie."),
    )
    municipality = OrganisationRefSerializer(read_only=True)
    ngo = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.NGO), allow_null=True, required=False
    )
    ind_specialist = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), allow_null=True, required=False
    )
    dtv_specialist = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), allow_null=True, required=False
    )
    national = serializers.BooleanField(source="is_national", read_only=True)

    class Meta:
        model = MrtSession
        fields = [
            "id",
            "location",
            "national",
            "date",
            "place",
            "municipality",
            "ngo",
            "ind_specialist",
            "dtv_specialist",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class PositionSerializer(serializers.ModelSerializer):
    organisation = OrganisationRefSerializer(read_only=True)

    class Meta:
        model = Position
        fields = ["organisation", "text", "updated_at"]


class TaskSerializer(serializers.ModelSerializer):
    owner_organisation = OrganisationRefSerializer(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = PreparationTask
        fields = ["id", "escalation", "owner_organisation", "description", "due_on", "done_on", "overdue"]

    def get_overdue(self, task: PreparationTask) -> bool:
        return task.done_on is None and task.due_on < timezone.localdate()


class TaskWithCaseSerializer(TaskSerializer):
    case = CaseRefSerializer(source="escalation.case", read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "case"]


class AdviceSerializer(serializers.ModelSerializer):
    direction = CodedField(Direction.choices)
    route = CodedField(Route.choices)
    reasoning = serializers.SerializerMethodField(help_text=WITHHELD_HELP)
    reasoning_confidentiality = CodedField(Confidentiality.choices)
    followed_up = serializers.SerializerMethodField(help_text=_("Het LSO heeft het advies besproken."))

    class Meta:
        model = Advice
        fields = [
            "id",
            "escalation",
            "session",
            "direction",
            "route",
            "no_durable_solution_possible",
            "reasoning",
            "reasoning_confidentiality",
            "given_on",
            "due_on",
            "event",
            "followed_up",
        ]

    def get_followed_up(self, advice: Advice) -> bool:
        return bool(getattr(advice, "followed_up", False))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reasoning(self, advice: Advice) -> str | None:
        return withheld_text(advice, "reasoning")


class AdviceWithCaseSerializer(AdviceSerializer):
    case = CaseRefSerializer(source="escalation.case", read_only=True)

    class Meta(AdviceSerializer.Meta):
        fields = [*AdviceSerializer.Meta.fields, "case"]


class EscalationSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    meeting = serializers.SerializerMethodField()
    reason = CodedField(EscalationReason.choices)
    status = CodedField(EscalationStatus.choices)
    positions = PositionSerializer(many=True, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)
    advice = serializers.SerializerMethodField()
    followed_up = serializers.BooleanField(read_only=True)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "case",
            "agenda_item",
            "meeting",
            "reason",
            "question",
            "status",
            "escalated_on",
            "advice_due_on",
            "session",
            "positions",
            "tasks",
            "advice",
            "followed_up",
            "version",
        ]

    def get_meeting(self, escalation: Escalation) -> int | None:
        return escalation.agenda_item.meeting_id if escalation.agenda_item else None

    @extend_schema_field(AdviceSerializer(allow_null=True))
    def get_advice(self, escalation: Escalation) -> Any:
        advice = getattr(escalation, "advice", None)
        if advice is None:
            return None
        advice.followed_up = getattr(escalation, "followed_up", False)
        return AdviceSerializer(advice).data


class EscalationListSerializer(EscalationSerializer):
    class Meta(EscalationSerializer.Meta):
        fields = [f for f in EscalationSerializer.Meta.fields if f not in ("positions", "tasks")]


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX)


class TaskInputSerializer(serializers.Serializer):
    owner_organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    description = serializers.CharField(max_length=500)
    due_on = serializers.DateField()


@extend_schema_field(OpenApiTypes.INT)
class VisibleSessionField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[MrtSession]:
        request = self.context.get("request")
        return selectors.visible_sessions(request.user) if request else MrtSession.objects.none()


class ScheduleSerializer(VersionSerializer):
    session = VisibleSessionField()


class AdviceInputSerializer(VersionSerializer, DateInputSerializer):
    reasoning = serializers.CharField(max_length=TEXT_MAX)
    reasoning_confidentiality = confidentiality_input()
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, allow_blank=True, default="")
    route = serializers.ChoiceField(choices=Route.choices, required=False, allow_blank=True, default="")
    no_durable_solution_possible = serializers.BooleanField(default=False)
    session = VisibleSessionField(required=False, allow_null=True, default=None)
    due_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("Uiterlijk besproken in het LSO op.")
    )
