"""The national monitor: a pure function of the case records and a reference date.

``figures(reference_date, locations=None)`` returns exactly the JSON shape and the
definitions of ``contracts/monitor.md``: per LVV and in total, outside-covenant cases
apart. Same records and date, same figures, whenever it runs.

Queries: a fixed number whatever the number of cases (five, plus one to list the LVVs
when ``locations`` is None):

1. one pass over the cases of the scope (left join on the outflow) with conditional
   aggregates grouped by LVV: present, ever sheltered, waiting list, outflow per category,
   verified durable solutions, outside the covenant, and of the present persons those with
   a pending application per kind and with a departure planned (the sets of case ids with a
   pending application and with a departure planned, each read once and hashed);
2. the direction of the latest scenario on D, looked up (index ``scenario_latest``) only
   for the cases present on D, grouped by LVV and direction;
3. the cases discussed in an MRT on or before D: an MRT advice on or before D (the MRT's
   own record), or an imported ``mrt_discussed`` event, distinct cases per LVV; and of
   those the cases where that advice or discussion concluded "no durable solution possible";
4. the distinct persons ever sheltered over the whole scope (the total counts a person
   sheltered in two LVVs once);
5. the capacities on D.

The definitions, with D the reference date (inclusive):
- only cases within the covenant count, except under ``outside_covenant``;
- ``present``: distinct persons whose shelter started on or before D and whose case has
  no outflow on or before D;
- ``ever_sheltered``: distinct persons whose shelter started on or before D;
- ``scenario_set``: of the present persons, those with a scenario set on or before D, by
  the direction of the latest scenario set on or before D (ties on the date: the latest
  recorded); ``total`` = departure + residence;
- ``outflow.<category>``: cases whose outflow on or before D has that category (also
  cases that left from the waiting list, before any shelter);
- ``durable_solutions``: the three durable categories; ``departure`` = origin + onward;
  ``verified``: those confirmed by the chain partner on or before D;
- ``outcome_classes``: durable / semi-durable (asylum centre, art. 64) / none (the rest);
- ``mrt_cases``: distinct cases with an MRT advice, or an imported MRT discussion, on or
  before D (never a bare flag);
- ``waiting_list``: distinct persons admitted on or before D, without shelter and without
  outflow (or other closure) on or before D: everyone admitted without a place is in the
  one queue, whether or not a ``waitlisted`` step was recorded;
- ``total``: the sum over the LVVs of the scope, except ``ever_sheltered`` and
  ``outside_covenant.ever_sheltered``, which count distinct persons over the scope.

Added in version 2 of the contract (the keys above keep their meaning):
- ``procedures_pending.<kind>``: of the present persons, those with an application of that
  kind submitted on or before D and not decided on or before D; ``total``: distinct persons
  with any (one with two pending kinds counts once);
- ``departures_planned``: of the present persons, those whose latest departure plan made
  on or before D (by the date it was made, then the order of recording) has a departure
  date on or after D;
- ``mrt_no_durable_solution``: distinct cases with an MRT advice given on or before D that
  no durable solution is possible, or an imported ``mrt_discussed`` event on or before D
  with that outcome (never a bare flag).
The applications and plans are the records the pages, the API and the import
(``lvv-case/2``) write through ``procedures.services``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q

from cases.models import MRT_NO_DURABLE_SOLUTION, Case, EventType, OutflowCategory, Scenario, TimelineEvent
from lvv.partners.models import Location, LocationCapacity
from mrt.models import Advice
from procedures.models import Application, ApplicationKind, DeparturePlan

CATEGORIES: list[str] = [c.value for c in OutflowCategory]
DURABLE = ("residence_granted", "departure_origin", "onward_migration")
DEPARTURE = ("departure_origin", "onward_migration")
SEMI_DURABLE = ("asylum_centre", "postponement_art64")
NO_SOLUTION = tuple(c for c in CATEGORIES if c not in DURABLE and c not in SEMI_DURABLE)
APPLICATION_KINDS: list[str] = [k.value for k in ApplicationKind]


def outcome_class(category: str) -> str:
    """``durable``, ``semi_durable`` or ``none`` for an outflow category."""
    if category in DURABLE:
        return "durable"
    if category in SEMI_DURABLE:
        return "semi_durable"
    return "none"


def empty_location() -> dict:
    """The figures of one location with every key present and zero (the contract's shape)."""
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
        "procedures_pending": {**dict.fromkeys(APPLICATION_KINDS, 0), "total": 0},
        "departures_planned": 0,
        "mrt_no_durable_solution": 0,
    }


def flatten(figures_: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``, in the contract's key order."""
    flat = {}
    for key, value in figures_.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def unflatten(flat: dict) -> dict:
    """The inverse of ``flatten``."""
    out: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = out
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return out


# Every key of one location's figures, flattened (``durable_solutions.verified``...).
FIGURE_KEYS: list[str] = list(flatten(empty_location()))


def resolve_scope(locations: Iterable[Location] | None) -> list[Location]:
    """The LVVs to report on, in slug order (all LVVs when None)."""
    if locations is None:
        return list(Location.objects.order_by("slug"))
    return sorted(locations, key=lambda location: location.slug)


def _present(d: datetime.date, prefix: str = "") -> Q:
    """Shelter started on or before D and no outflow on or before D."""
    return Q(**{f"{prefix}shelter_started_on__lte": d}) & (
        Q(**{f"{prefix}outflow__isnull": True}) | Q(**{f"{prefix}outflow__outflow_on__gt": d})
    )


def _waiting(d: datetime.date) -> Q:
    """Admitted on or before D, no shelter and no outflow (or other closure) on or before
    D: the one waiting list, whether or not a ``waitlisted`` step was recorded."""
    return (
        Q(decided_on__lte=d)
        & (Q(shelter_started_on__isnull=True) | Q(shelter_started_on__gt=d))
        & (Q(outflow__isnull=True) | Q(outflow__outflow_on__gt=d))
        & (Q(closed_on__isnull=True) | Q(closed_on__gt=d))
    )


def figures(reference_date: datetime.date, locations: Iterable[Location] | None = None) -> dict:
    """The monitor at ``reference_date`` for ``locations`` (all LVVs when None).

    Returns ``{"reference_date": "YYYY-MM-DD", "locations": {slug: figures}, "total":
    figures}``; every key of the contract is present, zero when nothing counts.
    """
    d = reference_date
    scope = resolve_scope(locations)
    ids = [location.pk for location in scope]
    within, sheltered, gone = Q(within_covenant=True), Q(shelter_started_on__lte=d), Q(outflow__outflow_on__lte=d)
    present = _present(d)
    aggregates = {
        "present": Count("person", distinct=True, filter=within & present),
        "ever_sheltered": Count("person", distinct=True, filter=within & sheltered),
        "waiting_list": Count("person", distinct=True, filter=within & _waiting(d)),
        "verified": Count("pk", filter=within & gone & Q(outflow__category__in=DURABLE, outflow__confirmed_on__lte=d)),
        "outside_present": Count("person", distinct=True, filter=~within & present),
        "outside_ever": Count("person", distinct=True, filter=~within & sheltered),
    }
    for category in CATEGORIES:
        aggregates[f"outflow_{category}"] = Count("pk", filter=within & gone & Q(outflow__category=category))
    for kind in APPLICATION_KINDS:
        aggregates[f"pending_{kind}"] = Count(
            "person", distinct=True, filter=within & present & Q(pk__in=_pending_applications(d, kind))
        )
    aggregates["pending_total"] = Count(
        "person", distinct=True, filter=within & present & Q(pk__in=_pending_applications(d))
    )
    aggregates["departures_planned"] = Count(
        "person", distinct=True, filter=within & present & Q(pk__in=_departure_planned(d))
    )
    cases = Case.objects.filter(location__in=ids)
    # Only the cases that can count anywhere (registered-only and rejected cases cannot).
    relevant = sheltered | Q(decided_on__lte=d) | gone
    rows = cases.filter(relevant).values("location").annotate(**aggregates).order_by()
    by_location = {row["location"]: row for row in rows}

    # The latest scenario on D of each case (no later one on or before D: an anti-join on
    # the index scenario_latest), counted for the cases present on D.
    later = Scenario.objects.filter(case=OuterRef("case"), set_on__lte=d).filter(
        Q(set_on__gt=OuterRef("set_on")) | Q(set_on=OuterRef("set_on"), id__gt=OuterRef("id"))
    )
    directions = (
        Scenario.objects.filter(set_on__lte=d, case__location__in=ids, case__within_covenant=True)
        .filter(_present(d, prefix="case__"))
        .filter(~Exists(later))
        .values("case__location", "direction")
        .annotate(persons=Count("case__person", distinct=True))
        .order_by()
    )
    scenario_counts = {(row["case__location"], row["direction"]): row["persons"] for row in directions}

    # Sets of case ids (IN, not a correlated EXISTS): each is read once and hashed, where
    # EXISTS per case probed the timeline once for every case discussed.
    no_solution = Q(pk__in=_mrt_advice(d).filter(no_durable_solution_possible=True)) | Q(
        pk__in=_imported_mrt_discussion(d).filter(data__outcome=MRT_NO_DURABLE_SOLUTION)
    )
    mrt = (
        cases.filter(within)
        .filter(Q(pk__in=_mrt_advice(d)) | Q(pk__in=_imported_mrt_discussion(d)))
        .values("location")
        .annotate(cases=Count("pk"), no_solution=Count("pk", filter=no_solution))
        .order_by()
    )
    mrt_counts = {row["location"]: (row["cases"], row["no_solution"]) for row in mrt}
    capacities = _capacities(ids, d)

    result = {"reference_date": d.isoformat(), "locations": {}, "total": empty_location()}
    total = result["total"]
    for location in scope:
        figures_ = _location_figures(
            by_location.get(location.pk),
            capacity=capacities.get(location.pk, 0),
            departure=scenario_counts.get((location.pk, "departure"), 0),
            residence=scenario_counts.get((location.pk, "residence"), 0),
            mrt=mrt_counts.get(location.pk, (0, 0)),
        )
        result["locations"][location.slug] = figures_
        _add_into(total, figures_)
    # ever_sheltered in total counts distinct persons: a person sheltered in two LVVs once.
    distinct = cases.filter(sheltered).aggregate(
        ever=Count("person", distinct=True, filter=within),
        outside_ever=Count("person", distinct=True, filter=~within),
    )
    total["ever_sheltered"] = distinct["ever"]
    total["outside_covenant"]["ever_sheltered"] = distinct["outside_ever"]
    return result


def _mrt_advice(d: datetime.date):
    """The cases with the MRT's own record: an advice given on or before D."""
    return Advice.objects.filter(given_on__lte=d).values("escalation__case")


def _imported_mrt_discussion(d: datetime.date):
    """The cases with an MRT discussion from imported history (``mrt_discussed`` in
    ``lvv-case``) on or before D."""
    return TimelineEvent.objects.filter(type=EventType.MRT_DISCUSSED, occurred_on__lte=d, data__imported=True).values(
        "case"
    )


def _pending_applications(d: datetime.date, kind: str | None = None):
    """The cases with an application (of ``kind``) submitted on or before D, undecided on D:
    a set of case ids, read once and hashed (a correlated EXISTS probed the applications once
    per present case and kind: 140,000 probes at 100,000 cases)."""
    pending = Application.objects.filter(submitted_on__lte=d).filter(Q(decided_on__isnull=True) | Q(decided_on__gt=d))
    return (pending.filter(kind=kind) if kind else pending).values("case")


def _departure_planned(d: datetime.date):
    """The cases whose latest plan made on or before D (no later one made on or before D: an
    anti-join on ``departure_plan_latest``) has a departure date on or after D: a set of case
    ids, read once and hashed."""
    later = DeparturePlan.objects.filter(case=OuterRef("case"), made_on__lte=d).filter(
        Q(made_on__gt=OuterRef("made_on")) | Q(made_on=OuterRef("made_on"), id__gt=OuterRef("id"))
    )
    return DeparturePlan.objects.filter(made_on__lte=d, planned_on__gte=d).filter(~Exists(later)).values("case")


def _capacities(location_ids: list[int], d: datetime.date) -> dict[int, int]:
    rows = (
        LocationCapacity.objects.filter(location__in=location_ids, effective_from__lte=d)
        .order_by("location", "-effective_from")
        .distinct("location")
        .values_list("location", "places")
    )
    return dict(rows)


def _location_figures(row: dict | None, *, capacity: int, departure: int, residence: int, mrt: tuple[int, int]) -> dict:
    out = empty_location()
    out["capacity"] = capacity
    out["mrt_cases"], out["mrt_no_durable_solution"] = mrt
    scen = out["scenario_set"]
    scen["departure"], scen["residence"] = departure, residence
    scen["total"] = departure + residence
    if row is None:
        return out
    out["present"] = row["present"]
    out["ever_sheltered"] = row["ever_sheltered"]
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
    classes["none"] = sum(flow[c] for c in NO_SOLUTION)
    out["waiting_list"] = row["waiting_list"]
    out["outside_covenant"] = {"present": row["outside_present"], "ever_sheltered": row["outside_ever"]}
    out["procedures_pending"] = {
        **{kind: row[f"pending_{kind}"] for kind in APPLICATION_KINDS},
        "total": row["pending_total"],
    }
    out["departures_planned"] = row["departures_planned"]
    return out


def _add_into(total: dict, part: dict) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add_into(total[key], value)
        else:
            total[key] += value
