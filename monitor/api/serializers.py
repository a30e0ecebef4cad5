"""The shapes of the monitor API (for the OpenAPI schema; the data comes from
``monitor.figures.figures`` as it is)."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import OutflowCategory
from procedures.models import ApplicationKind


class ScenarioSetSerializer(serializers.Serializer):
    departure = serializers.IntegerField()
    residence = serializers.IntegerField()
    total = serializers.IntegerField()


class DurableSolutionsSerializer(serializers.Serializer):
    residence_granted = serializers.IntegerField()
    departure = serializers.IntegerField(help_text="departure_origin + onward_migration")
    departure_origin = serializers.IntegerField()
    onward_migration = serializers.IntegerField()
    total = serializers.IntegerField()
    verified = serializers.IntegerField(help_text="Bevestigd door de IND (verblijf) of de DT&V (vertrek) op of voor D.")


OutflowSerializer = type(
    "OutflowSerializer",
    (serializers.Serializer,),
    {category.value: serializers.IntegerField(help_text=str(category.label)) for category in OutflowCategory},
)


class OutcomeClassesSerializer(serializers.Serializer):
    durable = serializers.IntegerField()
    semi_durable = serializers.IntegerField(help_text="asylum_centre + postponement_art64")
    none = serializers.IntegerField()


class OutsideCovenantSerializer(serializers.Serializer):
    present = serializers.IntegerField()
    ever_sheltered = serializers.IntegerField()


ProceduresPendingSerializer = type(
    "ProceduresPendingSerializer",
    (serializers.Serializer,),
    {
        **{kind.value: serializers.IntegerField(help_text=str(kind.label)) for kind in ApplicationKind},
        "total": serializers.IntegerField(help_text="Verschillende personen (twee lopende soorten: één keer)."),
    },
)


class LocationFiguresSerializer(serializers.Serializer):
    capacity = serializers.IntegerField(help_text="Gefinancierde plaatsen op D.")
    present = serializers.IntegerField(
        help_text="Personen met opvang gestart op of voor D, zonder uitstroom op of voor D."
    )
    ever_sheltered = serializers.IntegerField(help_text="Verschillende personen met opvang gestart op of voor D.")
    scenario_set = ScenarioSetSerializer()
    durable_solutions = DurableSolutionsSerializer()
    outflow = OutflowSerializer()
    outcome_classes = OutcomeClassesSerializer()
    mrt_cases = serializers.IntegerField(help_text="Verschillende casussen besproken in het MRT op of voor D.")
    waiting_list = serializers.IntegerField(help_text="Toegelaten personen op de wachtlijst op D.")
    outside_covenant = OutsideCovenantSerializer()
    procedures_pending = ProceduresPendingSerializer(
        help_text="Van de personen in de opvang: met een aanvraag van die soort ingediend op of voor D, zonder besluit "
        "op of voor D (versie 2)."
    )
    departures_planned = serializers.IntegerField(
        help_text="Van de personen in de opvang: de laatste vertrekplanning op of voor D heeft een vertrekdatum op of "
        "na D (versie 2)."
    )
    mrt_no_durable_solution = serializers.IntegerField(
        help_text="Verschillende casussen waarvan een MRT-advies of -bespreking op of voor D concludeerde dat geen "
        "bestendige oplossing mogelijk is (versie 2)."
    )


class MonitorSerializer(serializers.Serializer):
    reference_date = serializers.DateField()
    locations = serializers.DictField(child=LocationFiguresSerializer(), help_text="Per LVV, op code.")
    total = LocationFiguresSerializer(
        help_text="De som van de LVV's, behalve ever_sheltered: verschillende personen (een persoon in twee LVV's "
        "telt één keer)."
    )
