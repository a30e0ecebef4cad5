"""The national monitor: a pure function of the case records and a reference date.

``figures(reference_date, locations=None)`` returns exactly the JSON shape and the
definitions of the monitor contract (per LVV and in total; outside-covenant cases apart).
A fixed number of queries whatever the number of cases: conditional aggregation grouped
by LVV.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, Subquery

from cases.models import Case, EventType, OutflowCategory, Scenario, TimelineEvent
from lvv.partners.models import Location, LocationCapacity

CATEGORIES = [c.value for c in OutflowCategory]
DURABLE = ("residence_granted", "departure_origin", "onward_migration")
SEMI_DURABLE = ("asylum_centre", "postponement_art64")


def empty_location() -> dict:
    return {
        "capacity": 0,
        "present": 0,
        "ever_sheltered": 0,
        "scenario_set": {"departure": 0, "residence": 0, "total": 0},
        "durable_solutions": {
            "residence_granted": 0,
            "departure": 0,
            "departure_origin": 0,
            "onward_migration": 0,
            "total": 0,
            "verified": 0,
        },
        "outflow": dict.fromkeys(CATEGORIES, 0),
        "outcome_classes": {"durable": 0, "semi_durable": 0, "none": 0},
        "mrt_cases": 0,
        "waiting_list": 0,
        "outside_covenant": {"present": 0, "ever_sheltered": 0},
    }


def _conditions(d: datetime.date) -> dict[str, Q]:
    sheltered = Q(shelter_started_on__lte=d)
    gone = Q(outflow__outflow_on__lte=d)
    present = sheltered & ~gone
    within = Q(within_covenant=True)
    return {
        "within": within,
        "present": present,
        "sheltered": sheltered,
        "gone": gone,
        "waiting": Q(waitlisted_on__lte=d)
        & (Q(shelter_started_on__isnull=True) | Q(shelter_started_on__gt=d))
        & ~gone
        & (Q(closed_on__isnull=True) | Q(closed_on__gt=d)),
    }


def figures(reference_date: datetime.date, locations: Iterable[Location] | None = None) -> dict:
    """The monitor at ``reference_date`` for ``locations`` (all LVVs when None)."""
    d = reference_date
    scope = list(locations) if locations is not None else list(Location.objects.order_by("slug"))
    ids = [loc.pk for loc in scope]
    c = _conditions(d)
    latest_direction = Subquery(
        Scenario.objects.filter(case=OuterRef("pk"), set_on__lte=d).order_by("-set_on", "-id").values("direction")[:1]
    )
    discussed = Exists(TimelineEvent.objects.filter(case=OuterRef("pk"), type=EventType.MRT_DISCUSSED, occurred_on__lte=d))
    within, present = c["within"], c["present"]
    aggregates = {
        "present": Count("person", distinct=True, filter=within & present),
        "ever_sheltered": Count("person", distinct=True, filter=within & c["sheltered"]),
        "scenario_departure": Count("person", distinct=True, filter=within & present & Q(direction="departure")),
        "scenario_residence": Count("person", distinct=True, filter=within & present & Q(direction="residence")),
        "verified": Count(
            "pk",
            filter=within & c["gone"] & Q(outflow__category__in=DURABLE, outflow__confirmed_on__lte=d),
        ),
        "mrt_cases": Count("pk", filter=within & Q(mrt=True)),
        "waiting_list": Count("person", distinct=True, filter=within & c["waiting"]),
        "outside_present": Count("person", distinct=True, filter=~within & present),
        "outside_ever": Count("person", distinct=True, filter=~within & c["sheltered"]),
    }
    for category in CATEGORIES:
        aggregates[f"outflow_{category}"] = Count("pk", filter=within & c["gone"] & Q(outflow__category=category))
    rows = (
        Case.objects.filter(location__in=ids)
        .annotate(direction=latest_direction, mrt=discussed)
        .values("location")
        .annotate(**aggregates)
        .order_by()
    )
    by_location = {row["location"]: row for row in rows}
    capacities = _capacities(ids, d)

    result = {"reference_date": d.isoformat(), "locations": {}, "total": empty_location()}
    total = result["total"]
    for location in scope:
        figures_ = _location_figures(by_location.get(location.pk), capacities.get(location.pk, 0))
        result["locations"][location.slug] = figures_
        _add_into(total, figures_)
    # ever_sheltered in total counts distinct persons: a person sheltered in two LVVs once.
    distinct = Case.objects.filter(location__in=ids).aggregate(
        ever=Count("person", distinct=True, filter=within & c["sheltered"]),
        outside_ever=Count("person", distinct=True, filter=~within & c["sheltered"]),
    )
    total["ever_sheltered"] = distinct["ever"]
    total["outside_covenant"]["ever_sheltered"] = distinct["outside_ever"]
    return result


def _capacities(location_ids: list[int], d: datetime.date) -> dict[int, int]:
    rows = (
        LocationCapacity.objects.filter(location__in=location_ids, effective_from__lte=d)
        .order_by("location", "-effective_from")
        .distinct("location")
        .values_list("location", "places")
    )
    return dict(rows)


def _location_figures(row: dict | None, capacity: int) -> dict:
    out = empty_location()
    out["capacity"] = capacity
    if row is None:
        return out
    out["present"] = row["present"]
    out["ever_sheltered"] = row["ever_sheltered"]
    scen = out["scenario_set"]
    scen["departure"], scen["residence"] = row["scenario_departure"], row["scenario_residence"]
    scen["total"] = scen["departure"] + scen["residence"]
    for category in CATEGORIES:
        out["outflow"][category] = row[f"outflow_{category}"]
    flow = out["outflow"]
    durable = out["durable_solutions"]
    durable["residence_granted"] = flow["residence_granted"]
    durable["departure_origin"] = flow["departure_origin"]
    durable["onward_migration"] = flow["onward_migration"]
    durable["departure"] = durable["departure_origin"] + durable["onward_migration"]
    durable["total"] = durable["departure"] + durable["residence_granted"]
    durable["verified"] = row["verified"]
    classes = out["outcome_classes"]
    classes["durable"] = durable["total"]
    classes["semi_durable"] = sum(flow[c] for c in SEMI_DURABLE)
    classes["none"] = sum(flow.values()) - classes["durable"] - classes["semi_durable"]
    out["mrt_cases"] = row["mrt_cases"]
    out["waiting_list"] = row["waiting_list"]
    out["outside_covenant"] = {"present": row["outside_present"], "ever_sheltered": row["outside_ever"]}
    return out


def _add_into(total: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add_into(total[key], value)
        else:
            total[key] += value
