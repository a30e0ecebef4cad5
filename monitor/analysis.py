"""The dashboard's figures beside the contract's table: trends, breakdowns, durations.

Each function takes a scope (a list of ``Location`` objects, all LVVs when None) and
returns plain JSON-ready data, per LVV (by slug) and in total, with a fixed number of
queries whatever the number of cases. Like ``monitor.figures``, only cases within the
covenant count, and every count is of what the records say on the dates involved.

- ``trends(start, end, locations)``: per calendar month, persons in shelter at the month's
  end, inflow, outflow by outcome class, scenarios set.
- ``breakdowns(d, locations)``: the persons sheltered on or before D by case type, earlier
  departure procedures, country of return, sex, age band at D and nationality.
- ``durations(d, locations)``: registration to admission, complete dossier to first
  scenario, shelter to outflow: count, median, 25th and 75th percentile in days.

Labels for all of these are in ``monitor.labels``.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth

from cases.models import Case, CaseType, DossierPart, Outflow, Scenario, Sex
from cases.workflow import State
from lvv.partners.models import Location
from monitor.figures import DEPARTURE, outcome_class, resolve_scope

# --- trends ------------------------------------------------------------------------------------

OUTCOME_CLASSES = ("durable", "semi_durable", "none")


def month_starts(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first day of every calendar month from ``start``'s month to ``end``'s month."""
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def month_end(first: datetime.date, end: datetime.date) -> datetime.date:
    """The month's last day, or ``end`` when the month runs past it."""
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return min(last, end)


def _empty_month(first: datetime.date, end: datetime.date) -> dict:
    return {
        "month": first.strftime("%Y-%m"),
        "date": month_end(first, end).isoformat(),
        "present": 0,
        "inflow": 0,
        "outflow": dict.fromkeys(OUTCOME_CLASSES, 0),
        "scenarios_set": 0,
    }


def _per_month(queryset: QuerySet, date_field: str, location_field: str = "location", *more: str) -> QuerySet:
    """The rows of ``queryset`` counted (``n``) per LVV, per month of ``date_field``
    (``month``) and per ``more`` fields: one query."""
    return (
        queryset.annotate(month=TruncMonth(date_field))
        .values(location_field, "month", *more)
        .annotate(n=Count("pk"))
        .order_by()
    )


def trends(start: datetime.date, end: datetime.date, locations: Iterable[Location] | None = None) -> dict:
    """Month by month from ``start``'s month to ``end``'s month (whole months; the last
    one stops at ``end``), per LVV and in total:

    - ``present``: persons in shelter on the month's ``date`` (its last day, or ``end``),
      the same number as ``figures(date)["present"]``;
    - ``inflow``: cases whose shelter started in the month;
    - ``outflow``: cases whose outflow fell in the month, by outcome class (``durable``,
      ``semi_durable``, ``none``, as ``figures``' ``outcome_classes``);
    - ``scenarios_set``: scenarios set in the month (a changed scenario counts again).

    Returns ``{"start", "end", "months": ["YYYY-MM", ...], "locations": {slug: [month,
    ...]}, "total": [month, ...]}``. Four queries.
    """
    if end < start:
        start, end = end, start
    scope = resolve_scope(locations)
    ids = [location.pk for location in scope]
    firsts = month_starts(start, end)
    begin = firsts[0]
    ends = [month_end(first, end) for first in firsts]
    slug_of = {location.pk: location.slug for location in scope}
    series = {slug: [_empty_month(first, end) for first in firsts] for slug in slug_of.values()}
    index = {first: number for number, first in enumerate(firsts)}

    cases = Case.objects.filter(location__in=ids, within_covenant=True)
    # In shelter at each month's end: one conditional aggregate per month, one query.
    present = {
        f"m{number}": Count(
            "person",
            distinct=True,
            filter=Q(shelter_started_on__lte=day) & (Q(outflow__isnull=True) | Q(outflow__outflow_on__gt=day)),
        )
        for number, day in enumerate(ends)
    }
    rows = (
        cases.filter(shelter_started_on__lte=end)
        .filter(Q(outflow__isnull=True) | Q(outflow__outflow_on__gte=begin))
        .values("location")
        .annotate(**present)
        .order_by()
    )
    for row in rows:
        for number in range(len(firsts)):
            series[slug_of[row["location"]]][number]["present"] = row[f"m{number}"]

    inflow = _per_month(cases.filter(shelter_started_on__gte=begin, shelter_started_on__lte=end), "shelter_started_on")
    for row in inflow:
        series[slug_of[row["location"]]][index[row["month"]]]["inflow"] = row["n"]

    outflow = _per_month(
        Outflow.objects.filter(
            case__location__in=ids, case__within_covenant=True, outflow_on__gte=begin, outflow_on__lte=end
        ),
        "outflow_on",
        "case__location",
        "category",
    )
    for row in outflow:
        month = series[slug_of[row["case__location"]]][index[row["month"]]]
        month["outflow"][outcome_class(row["category"])] += row["n"]

    scenarios = _per_month(
        Scenario.objects.filter(case__location__in=ids, case__within_covenant=True, set_on__gte=begin, set_on__lte=end),
        "set_on",
        "case__location",
    )
    for row in scenarios:
        series[slug_of[row["case__location"]]][index[row["month"]]]["scenarios_set"] = row["n"]

    total = [_empty_month(first, end) for first in firsts]
    for months in series.values():
        for number, month in enumerate(months):
            target = total[number]
            for key in ("present", "inflow", "scenarios_set"):
                target[key] += month[key]
            for key in OUTCOME_CLASSES:
                target["outflow"][key] += month["outflow"][key]
    return {
        "start": begin.isoformat(),
        "end": end.isoformat(),
        "months": [first.strftime("%Y-%m") for first in firsts],
        "locations": series,
        "total": total,
    }


# --- breakdowns --------------------------------------------------------------------------------

UNKNOWN = "unknown"
DIMENSIONS = ("case_type", "prior_departure_procedures", "country_of_return", "sex", "age_band", "nationality")
PROCEDURE_BANDS = (("0", 0, 0), ("1", 1, 1), ("2-5", 2, 5), (">5", 6, None))
AGE_BANDS = (("<18", 0, 17), ("18-29", 18, 29), ("30-44", 30, 44), ("45-64", 45, 64), ("65+", 65, None))
# Dimensions whose values split the population (each person exactly once); case types may
# be several per case, and the country of return covers only those who departed.
PARTITIONS = ("prior_departure_procedures", "sex", "age_band", "nationality")


def _years_before(d: datetime.date, years: int) -> datetime.date:
    """The last birth date of someone who is ``years`` old on ``d`` (29 February: the 28th)."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def _fixed_values(dimension: str) -> list[str]:
    if dimension == "case_type":
        return [*CaseType.values, UNKNOWN]
    if dimension == "prior_departure_procedures":
        return [band for band, _low, _high in PROCEDURE_BANDS] + [UNKNOWN]
    if dimension == "sex":
        return [*Sex.values, UNKNOWN]
    if dimension == "age_band":
        return [band for band, _low, _high in AGE_BANDS] + [UNKNOWN]
    return []


def _conditional_counts(d: datetime.date) -> dict:
    """One aggregate per value of the dimensions with a fixed set of values."""
    counts = {"population": Count("pk")}
    for value in CaseType.values:
        counts[f"case_type:{value}"] = Count("pk", filter=Q(case_types__contains=[value]))
    counts[f"case_type:{UNKNOWN}"] = Count("pk", filter=Q(case_types=[]))
    for band, low, high in PROCEDURE_BANDS:
        condition = Q(prior_departure_procedures__gte=low)
        if high is not None:
            condition &= Q(prior_departure_procedures__lte=high)
        counts[f"prior_departure_procedures:{band}"] = Count("pk", filter=condition)
    counts[f"prior_departure_procedures:{UNKNOWN}"] = Count("pk", filter=Q(prior_departure_procedures__isnull=True))
    for value in Sex.values:
        counts[f"sex:{value}"] = Count("pk", filter=Q(person__sex=value))
    counts[f"sex:{UNKNOWN}"] = Count("pk", filter=Q(person__sex=""))
    for band, low, high in AGE_BANDS:
        # age >= low  <=>  born on or before D minus low years; age <= high  <=>  born after
        # D minus (high + 1) years.
        condition = Q(person__birth_date__lte=_years_before(d, low))
        if high is not None:
            condition &= Q(person__birth_date__gt=_years_before(d, high + 1))
        counts[f"age_band:{band}"] = Count("pk", filter=condition)
    counts[f"age_band:{UNKNOWN}"] = Count("pk", filter=Q(person__birth_date__isnull=True) | Q(person__birth_date__gt=d))
    return counts


def _empty_breakdown() -> dict:
    out: dict = {"population": 0}
    for dimension in DIMENSIONS:
        out[dimension] = dict.fromkeys(_fixed_values(dimension), 0)
    return out


def breakdowns(reference_date: datetime.date, locations: Iterable[Location] | None = None) -> dict:
    """The persons sheltered on or before D (within the covenant), per LVV and in total, by
    ``case_type``, ``prior_departure_procedures`` (0, 1, 2-5, >5), ``country_of_return``
    (the country of a departure outflow on or before D), ``sex``, ``age_band`` (age on D:
    <18, 18-29, 30-44, 45-64, 65+) and ``nationality``; ``unknown`` where not recorded.

    ``population`` is the number of persons (per LVV: ``figures``' ``ever_sheltered``; in
    total a person sheltered in two LVVs counts once). A person with several cases is
    described by the latest one (latest shelter start; per LVV the latest in that LVV).
    A case may have several case types, so that dimension does not add up to the
    population; ``country_of_return`` counts only persons whose case ended in a departure.

    Returns ``{"reference_date", "dimensions", "values": {dimension: [value, ...]},
    "locations": {slug: {"population", dimension: {value: count}}}, "total": {...}}``; every
    value listed in ``values`` is present (zero when nothing counts). Six queries.
    """
    d = reference_date
    scope = resolve_scope(locations)
    ids = [location.pk for location in scope]
    slug_of = {location.pk: location.slug for location in scope}
    sheltered = Case.objects.filter(location__in=ids, within_covenant=True, shelter_started_on__lte=d)
    # The latest sheltered case of each person: per LVV, and over the whole scope.
    later_here = sheltered.filter(person=OuterRef("person"), location=OuterRef("location")).filter(
        Q(shelter_started_on__gt=OuterRef("shelter_started_on"))
        | Q(shelter_started_on=OuterRef("shelter_started_on"), pk__gt=OuterRef("pk"))
    )
    later_anywhere = sheltered.filter(person=OuterRef("person")).filter(
        Q(shelter_started_on__gt=OuterRef("shelter_started_on"))
        | Q(shelter_started_on=OuterRef("shelter_started_on"), pk__gt=OuterRef("pk"))
    )
    per_location = sheltered.filter(~Exists(later_here))
    national = sheltered.filter(~Exists(later_anywhere))

    result = {
        "reference_date": d.isoformat(),
        "dimensions": list(DIMENSIONS),
        "values": {},
        "locations": {slug: _empty_breakdown() for slug in slug_of.values()},
        "total": _empty_breakdown(),
    }
    counts = _conditional_counts(d)
    for row in per_location.values("location").annotate(**counts).order_by():
        _fill(result["locations"][slug_of[row["location"]]], row)
    _fill(result["total"], national.aggregate(**counts))

    departed = Q(outflow__outflow_on__lte=d, outflow__category__in=DEPARTURE)
    open_dimensions = {"nationality": "person__nationality", "country_of_return": "outflow__country"}
    for dimension, field in open_dimensions.items():
        condition = departed if dimension == "country_of_return" else Q()
        for row in per_location.filter(condition).values("location", field).annotate(n=Count("pk")).order_by():
            values = result["locations"][slug_of[row["location"]]].setdefault(dimension, {})
            values[row[field] or UNKNOWN] = row["n"]
        for row in national.filter(condition).values(field).annotate(n=Count("pk")).order_by():
            result["total"].setdefault(dimension, {})[row[field] or UNKNOWN] = row["n"]

    for dimension in DIMENSIONS:
        values = _fixed_values(dimension)
        if not values:  # every value seen in any LVV; the most frequent first, unknown last
            parts = (*result["locations"].values(), result["total"])
            seen = {value for part in parts for value in part[dimension]}
            national, anywhere = result["total"][dimension], {}
            for part in result["locations"].values():
                for value, count in part[dimension].items():
                    anywhere[value] = anywhere.get(value, 0) + count
            values = sorted(
                seen, key=lambda value: (value == UNKNOWN, -national.get(value, 0), -anywhere.get(value, 0), value)
            )
        result["values"][dimension] = values
        for part in (*result["locations"].values(), result["total"]):
            part[dimension] = {value: part[dimension].get(value, 0) for value in values}
    return result


def _fill(target: dict, row: dict) -> None:
    target["population"] = row["population"]
    for key, value in row.items():
        if ":" in key:
            dimension, name = key.split(":", 1)
            target[dimension][name] = value


# --- durations ---------------------------------------------------------------------------------

MEASURES = ("registration_to_admission", "dossier_to_scenario", "shelter_to_outflow")


def _empty_measure() -> dict:
    return {"count": 0, "median": None, "p25": None, "p75": None}


def durations(reference_date: datetime.date, locations: Iterable[Location] | None = None) -> dict:
    """How long the steps took, for cases within the covenant, per LVV and in total:

    - ``registration_to_admission``: registration to the admission decision, for the cases
      admitted on or before D;
    - ``dossier_to_scenario``: the complete dossier (the later of the IND and DT&V parts,
      both delivered on or before D) to the first scenario (set on or before D), for the
      cases where the first scenario came on or after the complete dossier (a scenario
      set before the dossier was complete is a data-quality finding, not a duration);
    - ``shelter_to_outflow``: shelter start to outflow, both on or before D.

    Each: ``count``, ``median``, ``p25``, ``p75`` in days (interpolated percentiles,
    rounded to one decimal; None when the count is zero). One query.
    """
    d = reference_date
    scope = resolve_scope(locations)
    slug_of = {location.pk: location.slug for location in scope}
    result = {
        "reference_date": d.isoformat(),
        "measures": list(MEASURES),
        "locations": {slug: {m: _empty_measure() for m in MEASURES} for slug in slug_of.values()},
        "total": {m: _empty_measure() for m in MEASURES},
    }
    if not slug_of:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            DURATIONS_SQL.format(
                case=Case._meta.db_table,
                outflow=Outflow._meta.db_table,
                part=DossierPart._meta.db_table,
                scenario=Scenario._meta.db_table,
            ),
            {"d": d, "ids": list(slug_of), "rejected": State.REJECTED.value},
        )
        columns = [column.name for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            if row["grouped"]:  # the ROLLUP's total row
                _fill_measures(result["total"], row)
            else:
                _fill_measures(result["locations"][slug_of[row["location_id"]]], row)
    return result


# One pass: the cases of the scope with their complete-dossier date and first scenario
# (each aggregated once over its own table), the three spans in days (date minus date is an
# integer in PostgreSQL), then count and percentiles per LVV plus the total (ROLLUP).
# Raw SQL because the ORM would repeat the per-case subqueries inside every aggregate.
DURATIONS_SQL = """
WITH dossier AS (
    SELECT case_id, MAX(delivered_on) AS complete_on
    FROM {part} WHERE delivered_on <= %(d)s
    GROUP BY case_id HAVING COUNT(DISTINCT kind) = 2
), first_scenario AS (
    SELECT case_id, MIN(set_on) AS first_on FROM {scenario} WHERE set_on <= %(d)s GROUP BY case_id
), spans AS (
    SELECT c.location_id,
        CASE WHEN c.decided_on <= %(d)s AND c.state <> %(rejected)s
            THEN c.decided_on - c.registered_on END AS registration_to_admission,
        CASE WHEN f.first_on >= dz.complete_on THEN f.first_on - dz.complete_on END AS dossier_to_scenario,
        CASE WHEN c.shelter_started_on <= %(d)s AND o.outflow_on <= %(d)s
            THEN o.outflow_on - c.shelter_started_on END AS shelter_to_outflow
    FROM {case} c
    LEFT JOIN {outflow} o ON o.case_id = c.id
    LEFT JOIN dossier dz ON dz.case_id = c.id
    LEFT JOIN first_scenario f ON f.case_id = c.id
    WHERE c.location_id = ANY(%(ids)s) AND c.within_covenant
)
SELECT location_id, GROUPING(location_id) = 1 AS grouped,
    COUNT(registration_to_admission) AS "registration_to_admission:count",
    percentile_cont(0.5) WITHIN GROUP (ORDER BY registration_to_admission) AS "registration_to_admission:median",
    percentile_cont(0.25) WITHIN GROUP (ORDER BY registration_to_admission) AS "registration_to_admission:p25",
    percentile_cont(0.75) WITHIN GROUP (ORDER BY registration_to_admission) AS "registration_to_admission:p75",
    COUNT(dossier_to_scenario) AS "dossier_to_scenario:count",
    percentile_cont(0.5) WITHIN GROUP (ORDER BY dossier_to_scenario) AS "dossier_to_scenario:median",
    percentile_cont(0.25) WITHIN GROUP (ORDER BY dossier_to_scenario) AS "dossier_to_scenario:p25",
    percentile_cont(0.75) WITHIN GROUP (ORDER BY dossier_to_scenario) AS "dossier_to_scenario:p75",
    COUNT(shelter_to_outflow) AS "shelter_to_outflow:count",
    percentile_cont(0.5) WITHIN GROUP (ORDER BY shelter_to_outflow) AS "shelter_to_outflow:median",
    percentile_cont(0.25) WITHIN GROUP (ORDER BY shelter_to_outflow) AS "shelter_to_outflow:p25",
    percentile_cont(0.75) WITHIN GROUP (ORDER BY shelter_to_outflow) AS "shelter_to_outflow:p75"
FROM spans
GROUP BY ROLLUP (location_id)
"""


def _fill_measures(target: dict, row: dict) -> None:
    for measure in MEASURES:
        count = row[f"{measure}:count"] or 0
        target[measure]["count"] = count
        for key in ("median", "p25", "p75"):
            value = row[f"{measure}:{key}"]
            target[measure][key] = round(value, 1) if count and value is not None else None
