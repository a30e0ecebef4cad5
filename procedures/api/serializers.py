"""The shapes of the procedures API: what the services take and what the case page shows."""

from __future__ import annotations

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.serializers import _name_of, optional_choice, optional_text, recorded_date
from lvv.params import DATE_TOO_EARLY, DATE_TOO_LATE, EARLIEST_DATE, LATEST_DATE, MAX_ID
from lvv.text import SHORT_TEXT_MAX, TEXT_MAX
from procedures import services
from procedures.models import (
    Application,
    ApplicationKind,
    DeparturePartner,
    DeparturePlan,
    DepartureStep,
    DepartureStepKind,
    DepartureSupport,
    Outcome,
    SubmittedBy,
)

VERSION_MAX = 2_147_483_647


def _planned_date(value: datetime.date) -> None:
    """A planned date: from 2000 to 2099."""
    if value < EARLIEST_DATE:
        raise serializers.ValidationError(str(DATE_TOO_EARLY % {"date": date_format(EARLIEST_DATE)}))
    if value > LATEST_DATE:
        raise serializers.ValidationError(str(DATE_TOO_LATE % {"date": date_format(LATEST_DATE)}))


class ApplicationSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True)
    kind = serializers.ChoiceField(choices=ApplicationKind.choices, help_text=_("Soort aanvraag of procedure."))
    submitted_on = serializers.DateField(
        validators=[recorded_date], help_text=_("Datum van indiening (JJJJ-MM-DD); niet in de toekomst.")
    )
    submitted_by = optional_choice(SubmittedBy.choices, help_text=_("Wie de aanvraag indiende; leeg: onbekend."))
    notes = optional_text(TEXT_MAX, _("Toelichting (ten hoogste 5000 tekens)."))
    decided_on = serializers.DateField(read_only=True, allow_null=True)
    outcome = serializers.CharField(
        read_only=True, help_text=_("`granted`, `rejected` of `withdrawn`; leeg zolang er geen besluit is.")
    )
    pending = serializers.BooleanField(source="is_pending", read_only=True)
    decision_due_on = serializers.SerializerMethodField(
        help_text=_("Zolang er geen besluit is: de datum waarna het besluit als uitgebleven geldt.")
    )
    decided_by_ind = serializers.BooleanField(
        read_only=True, help_text=_("Of de IND het besluit vastlegt (anders de casemanager van de gemeente).")
    )
    recorded_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "case",
            "kind",
            "submitted_on",
            "submitted_by",
            "notes",
            "pending",
            "decided_on",
            "outcome",
            "decision_due_on",
            "decided_by_ind",
            "recorded_by",
            "decided_by",
            "version",
        ]
        read_only_fields = ["version"]

    def get_decision_due_on(self, application: Application) -> datetime.date | None:
        return services.decision_due_on(application)

    def get_recorded_by(self, application: Application) -> str | None:
        return _name_of(application.recorded_by)

    def get_decided_by(self, application: Application) -> str | None:
        return _name_of(application.decided_by)


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, help_text=_("De uitkomst."))
    decided_on = serializers.DateField(
        validators=[recorded_date], help_text=_("Datum van het besluit; op of na de indiening, niet in de toekomst.")
    )
    version = serializers.IntegerField(
        min_value=1,
        max_value=VERSION_MAX,
        help_text=_("De versie van de aanvraag waarop dit besluit is gebaseerd; een verouderde versie geeft 409."),
    )


class DepartureStepSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True)
    kind = serializers.ChoiceField(choices=DepartureStepKind.choices, help_text=_("De stap."))
    on = serializers.DateField(validators=[recorded_date], help_text=_("Datum (JJJJ-MM-DD); niet in de toekomst."))
    details = optional_text(SHORT_TEXT_MAX, _("Hoe, of met welk resultaat (ten hoogste 1000 tekens)."))
    partner = serializers.ChoiceField(
        choices=DeparturePartner.choices,
        required=False,
        default=DeparturePartner.DTV,
        help_text=_("`iom` voor een stap met ondersteuning van de IOM (vastgelegd door de DT&V)."),
    )
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = DepartureStep
        fields = ["id", "case", "kind", "on", "details", "partner", "recorded_by", "recorded_at"]
        read_only_fields = ["recorded_at"]

    def get_recorded_by(self, step: DepartureStep) -> str | None:
        return _name_of(step.recorded_by)


class DeparturePlanSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True)
    made_on = serializers.DateField(
        validators=[recorded_date], help_text=_("Datum waarop het vertrek werd gepland; niet in de toekomst.")
    )
    planned_on = serializers.DateField(
        validators=[_planned_date], help_text=_("De vertrekdatum; op of na de datum van planning.")
    )
    support = serializers.ChoiceField(choices=DepartureSupport.choices, help_text=_("De ondersteuning."))
    notes = optional_text(SHORT_TEXT_MAX, _("Toelichting."))
    replaces = serializers.IntegerField(
        write_only=True,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text=_(
            "Bij opnieuw plannen: het id van de planning die u als de huidige zag; is er intussen een nieuwere, "
            "dan 409."
        ),
    )
    current = serializers.SerializerMethodField(help_text=_("Of dit de planning is die nu telt (de laatste)."))
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = DeparturePlan
        fields = ["id", "case", "made_on", "planned_on", "support", "notes", "replaces", "current", "recorded_by"]

    def get_current(self, plan: DeparturePlan) -> bool:
        return plan.pk == self.context.get("current_plan_id")

    def get_recorded_by(self, plan: DeparturePlan) -> str | None:
        return _name_of(plan.recorded_by)
