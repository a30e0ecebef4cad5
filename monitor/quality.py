"""The data-quality panel: cases whose records make the monitor's figures unreliable.

Five findings, each a condition on a case (``CHECKS``):

- ``sheltered_without_admission``: shelter started, but no admission decision recorded;
- ``outflow_unconfirmed``: a durable outflow (residence granted, departure) 30 days ago or
  longer that the chain partner has not confirmed;
- ``over_max_stay``: the maximum stay (safe country) has passed: the deadline is open, not
  paused, and its date lies before today;
- ``scenario_without_dossier``: a scenario was set while the dossier was not complete (the
  IND or the DT&V part not delivered on or before the day the scenario was set);
- ``missing_case_types``: sheltered without any case type (the breakdown counts it as
  unknown).

``counts(locations, today)`` gives the number of cases per finding per LVV and in total in
one query; it is a figure, shown to everyone who reads the monitor. ``cases(user,
locations, today)`` lists the cases with at least one finding, only those the user may
open (``Case.objects.visible_to``): the programme bureau gets none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import (
    DURABLE_CATEGORIES,
    Case,
    DeadlineKind,
    DossierPart,
    DossierPartKind,
    Scenario,
)
from cases.models import Deadline as DeadlineModel
from lvv.access import policy
from lvv.partners.models import Location

UNCONFIRMED_AFTER_DAYS = 30

CHECK_LABELS = {
    "sheltered_without_admission": _("In de opvang zonder besluit tot toelating"),
    "outflow_unconfirmed": _("Bestendige uitstroom na 30 dagen nog niet bevestigd"),
    "over_max_stay": _("Maximale verblijfsduur overschreden"),
    "scenario_without_dossier": _("Scenario vastgesteld zonder compleet dossier"),
    "missing_case_types": _("In de opvang zonder casustype"),
}
CHECKS = tuple(CHECK_LABELS)


def _delivered(kind: str) -> Exists:
    """The dossier part ``kind`` of the scenario's case was delivered on or before the scenario."""
    return Exists(
        DossierPart.objects.filter(
            case=OuterRef("case"), kind=kind, delivered_on__isnull=False, delivered_on__lte=OuterRef("set_on")
        )
    )


def conditions(today: datetime.date) -> dict[str, Q]:
    """Each finding as a condition on ``Case``."""
    early_scenario = Scenario.objects.filter(case=OuterRef("pk")).filter(
        ~_delivered(DossierPartKind.IND) | ~_delivered(DossierPartKind.DTV)
    )
    over_max_stay = DeadlineModel.objects.filter(
        case=OuterRef("pk"),
        kind=DeadlineKind.MAX_STAY,
        resolved_on__isnull=True,
        paused_since__isnull=True,
        due_on__lt=today,
    )
    return {
        "sheltered_without_admission": Q(shelter_started_on__isnull=False, decided_on__isnull=True),
        "outflow_unconfirmed": Q(
            outflow__category__in=[c.value for c in DURABLE_CATEGORIES],
            outflow__confirmed_on__isnull=True,
            outflow__outflow_on__lte=today - datetime.timedelta(days=UNCONFIRMED_AFTER_DAYS),
        ),
        "over_max_stay": Q(Exists(over_max_stay)),
        "scenario_without_dossier": Q(Exists(early_scenario)),
        "missing_case_types": Q(shelter_started_on__isnull=False, case_types=[]),
    }


def _any(found: dict[str, Q]) -> Q:
    combined = Q()
    for condition in found.values():
        combined |= condition
    return combined


def counts(locations: Iterable[Location], today: datetime.date) -> dict:
    """``{"locations": {slug: {check: n}}, "total": {check: n}}``: one query."""
    scope = sorted(locations, key=lambda location: location.slug)
    slug_of = {location.pk: location.slug for location in scope}
    result = {
        "locations": {slug: dict.fromkeys(CHECKS, 0) for slug in slug_of.values()},
        "total": dict.fromkeys(CHECKS, 0),
    }
    if not slug_of:
        return result
    found = conditions(today)
    rows = (
        Case.objects.filter(location__in=list(slug_of))
        .values("location")
        .annotate(**{check: Count("pk", filter=condition) for check, condition in found.items()})
        .order_by()
    )
    for row in rows:
        part = result["locations"][slug_of[row["location"]]]
        for check in CHECKS:
            part[check] = row[check]
            result["total"][check] += row[check]
    return result


def cases(user, locations: Iterable[Location], today: datetime.date) -> QuerySet[Case]:
    """The cases of ``locations`` with at least one finding that ``user`` may open, each
    annotated with a boolean per finding; none for users who never see a person."""
    if not policy.sees_persons(user):
        return Case.objects.none()
    found = conditions(today)
    flags = {
        f"has_{check}": ExpressionWrapper(condition, output_field=BooleanField()) for check, condition in found.items()
    }
    return (
        Case.objects.visible_to(user)
        .filter(location__in=[location.pk for location in locations])
        .filter(_any(found))
        .select_related("person", "location")
        .annotate(**flags)
        .order_by("location__name", "person__family_name", "person__given_names", "pk")
    )


def findings_of(case: Case) -> list[str]:
    """The labels of the findings of a case from ``cases()``."""
    return [str(CHECK_LABELS[check]) for check in CHECKS if getattr(case, f"has_{check}", False)]
