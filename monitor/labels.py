"""Dutch labels (translatable) for the monitor's keys, shared by the dashboard, the charts
and the exports."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import CaseType, OutflowCategory, Sex
from procedures.models import ApplicationKind

# Every flattened key of one location's figures (monitor.figures.FIGURE_KEYS).
FIGURE_LABELS = {
    "capacity": _("Capaciteit (plaatsen)"),
    "present": _("In de opvang"),
    "ever_sheltered": _("Ooit in de opvang"),
    "scenario_set.departure": _("Scenario vastgesteld: vertrek"),
    "scenario_set.residence": _("Scenario vastgesteld: verblijf"),
    "scenario_set.total": _("Scenario vastgesteld: totaal"),
    "durable_solutions.residence_granted": _("Bestendige oplossing: verblijf verleend"),
    "durable_solutions.departure": _("Bestendige oplossing: vertrek"),
    "durable_solutions.departure_origin": _("Bestendige oplossing: vertrek naar land van herkomst"),
    "durable_solutions.onward_migration": _("Bestendige oplossing: doormigratie"),
    "durable_solutions.total": _("Bestendige oplossingen: totaal"),
    "durable_solutions.verified": _("Bestendige oplossingen: bevestigd door IND of DT&V"),
    **{f"outflow.{c.value}": format_lazy("{}: {}", _("Uitstroom"), c.label) for c in OutflowCategory},
    "outcome_classes.durable": _("Uitkomst: bestendig"),
    "outcome_classes.semi_durable": _("Uitkomst: semi-bestendig"),
    "outcome_classes.none": _("Uitkomst: geen oplossing"),
    "mrt_cases": _("Besproken in het MRT"),
    "waiting_list": _("Op de wachtlijst"),
    "outside_covenant.present": _("Buiten het convenant: in de opvang"),
    "outside_covenant.ever_sheltered": _("Buiten het convenant: ooit in de opvang"),
    # Added in version 2 of the contract.
    **{
        f"procedures_pending.{k.value}": format_lazy("{}: {}", _("Lopende procedure"), k.label) for k in ApplicationKind
    },
    "procedures_pending.total": _("Lopende procedures: personen"),
    "departures_planned": _("Vertrek gepland"),
    "mrt_no_durable_solution": _("MRT: geen bestendige oplossing mogelijk"),
}

OUTCOME_LABELS = {
    "durable": _("bestendig"),
    "semi_durable": _("semi-bestendig"),
    "none": _("geen oplossing"),
}

TREND_LABELS = {
    "present": _("In de opvang (einde maand)"),
    "inflow": _("Instroom (opvang gestart)"),
    "outflow.durable": _("Uitstroom: bestendig"),
    "outflow.semi_durable": _("Uitstroom: semi-bestendig"),
    "outflow.none": _("Uitstroom: geen oplossing"),
    "scenarios_set": _("Scenario's vastgesteld"),
}

DIMENSION_LABELS = {
    "case_type": _("Casustype"),
    "prior_departure_procedures": _("Eerdere vertrekprocedures"),
    "country_of_return": _("Land van terugkeer"),
    "sex": _("Geslacht"),
    "age_band": _("Leeftijd op de peildatum"),
    "nationality": _("Nationaliteit"),
}

MEASURE_LABELS = {
    "registration_to_admission": _("Aanmelding tot toelating"),
    "dossier_to_scenario": _("Compleet dossier tot eerste scenario"),
    "shelter_to_outflow": _("Start opvang tot uitstroom"),
}

TOTAL_LABEL = _("Totaal")
POPULATION_LABEL = _("Personen ooit in de opvang")
UNKNOWN_LABEL = _("onbekend")


def value_label(dimension: str, value: str) -> str:
    """The Dutch label of a breakdown value (a country's name, a case type's label...)."""
    if value == "unknown":
        return str(UNKNOWN_LABEL)
    if dimension == "case_type" and value in CaseType.values:
        return str(CaseType(value).label)
    if dimension == "sex" and value in Sex.values:
        return str(Sex(value).label)
    if dimension in ("nationality", "country_of_return"):
        return str(countries.name(value) or value)
    if dimension == "prior_departure_procedures" and value == ">5":
        return str(_("meer dan 5"))
    if dimension == "age_band":
        return str(_("%(band)s jaar") % {"band": value})
    return value
