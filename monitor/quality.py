"""The data-quality panel: cases whose records make the monitor's figures unreliable.

Ten findings, each a condition on a case (``CHECKS``):

- ``sheltered_without_admission``: shelter started, but no admission decision recorded;
- ``outflow_unconfirmed``: a durable outflow (residence granted, departure) 30 days ago or
  longer that the chain partner has not confirmed;
- ``over_max_stay``: the maximum stay (safe country) has passed: the deadline is open, not
  paused, and its date lies before today;
- ``scenario_without_dossier``: a scenario was set while the dossier was not complete (the
  IND or the DT&V part not delivered on or before the day the scenario was set);
- ``missing_case_types``: sheltered without any case type (the breakdown counts it as
  unknown);
- ``waiting_order_breach``: shelter started while someone admitted earlier in the same LVV
  was still waiting, without a reason recorded (a reason makes it a choice, not a breach);
- ``forced_without_check``: a forced termination without an insufficient cooperation
  check or an LSO decision on record (imported history, or recorded before the rule);
- ``admitted_never_sheltered``: admitted, still without a place, longer than the
  programme's signal period (``ProgrammeSettings.admitted_waiting_days``);
- ``two_places``: the person's shelter in this case overlaps a shelter in another case;
- ``mrt_without_record``: an MRT discussion on the timeline without an MRT advice behind
  it and not from an import (the monitor does not count it).

``counts(locations, today)`` gives the number of cases per finding per LVV and in total in
one query, each finding a set of cases computed once for all of them (``finding_sets``);
it is a figure, shown to everyone who reads the monitor. ``cases(user,
locations, today)`` lists the cases with at least one finding, only those the user may
open (``Case.objects.visible_to``): the programme bureau gets none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from cases import special_types
from cases.models import (
    DURABLE_CATEGORIES,
    Case,
    CooperationCheck,
    CooperationResult,
    DeadlineKind,
    DossierPart,
    DossierPartKind,
    EventType,
    OutflowCategory,
    Scenario,
    TimelineEvent,
)
from cases.models import Deadline as DeadlineModel
from cases.workflow import QUEUE_STATES
from lvv.access import policy
from lvv.partners.models import Location, ProgrammeSettings
from mrt.models import Advice

UNCONFIRMED_AFTER_DAYS = 30

CHECK_LABELS = {
    "sheltered_without_admission": _("In de opvang zonder besluit tot toelating"),
    "outflow_unconfirmed": _("Bestendige uitstroom na 30 dagen nog niet bevestigd"),
    "over_max_stay": _("Maximale verblijfsduur overschreden"),
    "scenario_without_dossier": _("Scenario vastgesteld zonder compleet dossier"),
    "missing_case_types": _("In de opvang zonder casustype"),
    "waiting_order_breach": _("Plek gegeven vóór wie langer wachtte, zonder reden"),
    "forced_without_check": _("Gedwongen beëindigd zonder medewerkingstoets of LSO-besluit"),
    "admitted_never_sheltered": _("Toegelaten en na de signaaltermijn nog zonder plek"),
    "two_places": _("Eén persoon op twee plekken tegelijk"),
    "mrt_without_record": _("MRT-bespreking zonder MRT-advies"),
}
CHECKS = tuple(CHECK_LABELS)


def _delivered(kind: str) -> Exists:
    """The dossier part ``kind`` of the scenario's case was delivered on or before the scenario."""
    return Exists(
        DossierPart.objects.filter(
            case=OuterRef("case"), kind=kind, delivered_on__isnull=False, delivered_on__lte=OuterRef("set_on")
        )
    )


def _waiting_order_breach() -> Q:
    """Someone admitted earlier in the same LVV still waited on the day this shelter
    started, and the start has no reason on record."""
    start = OuterRef("shelter_started_on")
    waited_longer = (
        Case.objects.filter(location=OuterRef("location"), waitlisted_on__isnull=False)
        .filter(Q(waitlisted_on__lt=OuterRef("waitlisted_on")))
        .filter(Q(shelter_started_on__isnull=True) | Q(shelter_started_on__gt=start))
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=start))
    )
    with_reason = TimelineEvent.objects.filter(
        case=OuterRef("pk"), type=EventType.SHELTER_STARTED, data__out_of_order=True
    )
    return (
        Q(shelter_started_on__isnull=False, waitlisted_on__isnull=False)
        & Q(Exists(waited_longer))
        & ~Q(Exists(with_reason))
    )


def _forced_without_check() -> Q:
    insufficient = CooperationCheck.objects.filter(
        case=OuterRef("pk"), result=CooperationResult.INSUFFICIENT, checked_on__lte=OuterRef("outflow__outflow_on")
    )
    lso_decision = TimelineEvent.objects.filter(
        case=OuterRef("pk"), type=EventType.LSO_DISCUSSED, data__decision="terminate"
    )
    return Q(outflow__category=OutflowCategory.FORCED_TERMINATION) & ~Q(Exists(insufficient)) & ~Q(Exists(lso_decision))


def _two_places() -> Q:
    """Another case of the same person whose shelter overlaps this one (inclusive; an open
    stay runs on)."""
    open_end = Value(datetime.date.max)
    other = (
        Case.objects.filter(person=OuterRef("person"), shelter_started_on__isnull=False)
        .exclude(pk=OuterRef("pk"))
        .filter(shelter_started_on__lte=Coalesce(OuterRef("closed_on"), open_end))
        .annotate(end=Coalesce("closed_on", open_end))
        .filter(end__gte=OuterRef("shelter_started_on"))
    )
    return Q(shelter_started_on__isnull=False) & Q(Exists(other))


def _mrt_without_record() -> Q:
    bare = TimelineEvent.objects.filter(case=OuterRef("pk"), type=EventType.MRT_DISCUSSED).exclude(data__imported=True)
    advice = Advice.objects.filter(escalation__case=OuterRef("pk"))
    return Q(Exists(bare)) & ~Q(Exists(advice))


def conditions(today: datetime.date) -> dict[str, Q]:
    """Each finding as a condition on ``Case``."""
    # The programme's signal period, read inside the same query (no query of its own).
    waiting_days = Coalesce(
        Subquery(ProgrammeSettings.objects.filter(pk=1).values("admitted_waiting_days")[:1]),
        Value(ProgrammeSettings._meta.get_field("admitted_waiting_days").default),
    )
    waited_too_long = GreaterThan(
        ExpressionWrapper(Value(today) - F("decided_on"), output_field=DurationField()),
        ExpressionWrapper(waiting_days * Value(datetime.timedelta(days=1)), output_field=DurationField()),
    )
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
        "waiting_order_breach": _waiting_order_breach(),
        "forced_without_check": _forced_without_check(),
        "admitted_never_sheltered": Q(state__in=QUEUE_STATES, decided_on__isnull=False) & Q(waited_too_long),
        "two_places": _two_places(),
        "mrt_without_record": _mrt_without_record(),
    }


def _any(found: dict[str, Q]) -> Q:
    combined = Q()
    for condition in found.values():
        combined |= condition
    return combined


# --- the counts, set-based --------------------------------------------------------------------
#
# ``conditions`` says per case whether it has a finding, with subqueries that refer to the
# case (fine for one page of cases). For the counts over every case the same findings are
# sets of cases, each computed once for all cases: plain conditions, joins and
# aggregates, a running maximum over the waiting lists, and semi- and anti-joins (an EXISTS in a
# WHERE clause, which PostgreSQL runs as a hash join over the two sets, never per case).
# tests/monitor/test_quality_counts.py proves the counts equal to those of ``conditions``.


def _scenario_without_dossier(location_ids: list[int]) -> QuerySet:
    """The case's first scenario came before both dossier parts were delivered (or one of
    them never was): a part delivered on or before a scenario is one delivered on or before
    the first scenario, so the earliest dates per case decide."""
    first = (
        Case.objects.filter(location__in=location_ids)
        .annotate(
            first_scenario=Min("scenarios__set_on"),
            ind_on=Min("dossier_parts__delivered_on", filter=Q(dossier_parts__kind=DossierPartKind.IND)),
            dtv_on=Min("dossier_parts__delivered_on", filter=Q(dossier_parts__kind=DossierPartKind.DTV)),
        )
        .filter(first_scenario__isnull=False)
    )
    early = first.filter(
        Q(ind_on__isnull=True)
        | Q(dtv_on__isnull=True)
        | Q(first_scenario__lt=F("ind_on"))
        | Q(first_scenario__lt=F("dtv_on"))
    )
    return Case.objects.filter(pk__in=early.values("pk"))


# Per LVV and day of waitlisting, the latest end of waiting (a place, or closure) of those
# waitlisted that day; then, over the days in order, the latest of the days before (a
# running maximum, computed in one pass); a case whose shelter started before that passed
# someone who waited longer.
_PASSED_ON_THE_WAITING_LIST = """
SELECT c.id FROM {case} c
JOIN (
    SELECT location_id, waitlisted_on,
        MAX(day_end) OVER (
            PARTITION BY location_id ORDER BY waitlisted_on ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS earlier_end
    FROM (
        SELECT location_id, waitlisted_on,
            MAX(LEAST(COALESCE(shelter_started_on, 'infinity'::date), COALESCE(closed_on, 'infinity'::date))) AS day_end
        FROM {case}
        WHERE waitlisted_on IS NOT NULL AND location_id = ANY(%s)
        GROUP BY location_id, waitlisted_on
    ) days
) waited ON waited.location_id = c.location_id AND waited.waitlisted_on = c.waitlisted_on
WHERE c.shelter_started_on < waited.earlier_end
"""


def _waiting_order_breach_set(location_ids: list[int]) -> QuerySet:
    """Someone waitlisted strictly earlier in the same LVV still waited on the day this
    shelter started, and the start has no reason on record."""
    sql = _PASSED_ON_THE_WAITING_LIST.format(case=Case._meta.db_table)  # a table name; the ids are parameters
    passed = RawSQL(sql, [location_ids])  # noqa: S611
    with_reason = TimelineEvent.objects.filter(
        case=OuterRef("pk"), type=EventType.SHELTER_STARTED, data__out_of_order=True
    )
    return Case.objects.filter(pk__in=passed).filter(~Exists(with_reason))


def _forced_without_check_set() -> QuerySet:
    insufficient = CooperationCheck.objects.filter(
        case=OuterRef("pk"), result=CooperationResult.INSUFFICIENT, checked_on__lte=OuterRef("outflow__outflow_on")
    )
    lso_decision = TimelineEvent.objects.filter(
        case=OuterRef("pk"), type=EventType.LSO_DISCUSSED, data__decision="terminate"
    )
    return Case.objects.filter(outflow__category=OutflowCategory.FORCED_TERMINATION).filter(
        ~Exists(insufficient), ~Exists(lso_decision)
    )


def _mrt_without_record_set() -> QuerySet:
    bare = TimelineEvent.objects.filter(type=EventType.MRT_DISCUSSED).exclude(data__imported=True)
    advice = Advice.objects.filter(escalation__case=OuterRef("pk"))
    return Case.objects.filter(pk__in=bare.values("case")).filter(~Exists(advice))


def finding_sets(today: datetime.date, location_ids: list[int]) -> dict[str, QuerySet]:
    """Each finding as a set of cases (a queryset without per-case subqueries)."""
    found = conditions(today)
    over_max_stay = DeadlineModel.objects.filter(
        kind=DeadlineKind.MAX_STAY, resolved_on__isnull=True, paused_since__isnull=True, due_on__lt=today
    )
    return {
        "sheltered_without_admission": Case.objects.filter(found["sheltered_without_admission"]),
        "outflow_unconfirmed": Case.objects.filter(found["outflow_unconfirmed"]),
        "over_max_stay": Case.objects.filter(pk__in=over_max_stay.values("case")),
        "scenario_without_dossier": _scenario_without_dossier(location_ids),
        "missing_case_types": Case.objects.filter(found["missing_case_types"]),
        "waiting_order_breach": _waiting_order_breach_set(location_ids),
        "forced_without_check": _forced_without_check_set(),
        "admitted_never_sheltered": Case.objects.filter(found["admitted_never_sheltered"]),
        "two_places": Case.objects.filter(found["two_places"]),
        "mrt_without_record": _mrt_without_record_set(),
    }


def counts(locations: Iterable[Location], today: datetime.date) -> dict:
    """``{"locations": {slug: {check: n}}, "total": {check: n}}``: one query, the findings'
    sets counted per LVV and put together with UNION ALL."""
    scope = sorted(locations, key=lambda location: location.slug)
    slug_of = {location.pk: location.slug for location in scope}
    result = {
        "locations": {slug: dict.fromkeys(CHECKS, 0) for slug in slug_of.values()},
        "total": dict.fromkeys(CHECKS, 0),
    }
    if not slug_of:
        return result
    ids = list(slug_of)
    parts = [
        found.filter(location__in=ids)
        .order_by()
        .values("location")
        .annotate(check=Value(check, output_field=CharField()), n=Count("pk"))
        for check, found in finding_sets(today, ids).items()
    ]
    for row in parts[0].union(*parts[1:], all=True):
        result["locations"][slug_of[row["location"]]][row["check"]] = row["n"]
        result["total"][row["check"]] += row["n"]
    return result


def cases(user, locations: Iterable[Location], today: datetime.date) -> QuerySet[Case]:
    """The cases of ``locations`` with at least one finding that ``user`` may open, each
    annotated with a boolean per finding; none for users who never see a person. The finding
    ``missing_case_types`` only on cases whose special-category data the user may see."""
    if not policy.sees_persons(user):
        return Case.objects.none()
    found = conditions(today)
    # "No case type" only where the user may see the special case types too: elsewhere its
    # absence would tell that a case with no type in view has a special one (cases.special_types).
    found["missing_case_types"] &= special_types.readable_rule(user)
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
