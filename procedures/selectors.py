"""Reads of procedures and departure preparation, always scoped by the access policy:
every query starts from the cases the user may see (``Case.objects.visible_to``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from cases.workflow import ADMITTED_STATES
from lvv.access import policy
from lvv.access.policy import Actor
from procedures.models import IND_KINDS, SPECIAL_KINDS, Application, DeparturePlan, DepartureStep


def _visible_case_ids(user: Actor, case: Case | None = None) -> QuerySet[Case, dict[str, Any]]:
    cases = Case.objects.visible_to(user)
    if case is not None:
        cases = cases.filter(pk=case.pk)
    return cases.values("pk")


def case_applications(user: Actor, case: Case, *, special: bool | None = None) -> QuerySet[Application]:
    """The applications of ``case``, newest first, with who recorded and decided them (one
    query). An application on medical grounds exists only for a user who may see special-
    category data of the case (``special``: that answer, when the caller has it)."""
    if special is None:
        special = policy.can_view_special_category(user, case)
    applications = Application.objects.filter(case__in=_visible_case_ids(user, case))
    if not special:
        applications = applications.exclude(kind__in=SPECIAL_KINDS)
    return applications.select_related(
        "recorded_by", "recorded_by_organisation", "decided_by", "decided_by_organisation"
    ).order_by("-submitted_on", "-id")


def get_visible_application(user: Actor, case: Case, pk: int | str, *, special: bool | None = None) -> Application:
    """One application of the case; ``Application.DoesNotExist`` when the user may not see it."""
    return case_applications(user, case, special=special).get(pk=pk)


def case_departure_steps(user: Actor, case: Case) -> QuerySet[DepartureStep]:
    return (
        DepartureStep.objects.filter(case__in=_visible_case_ids(user, case))
        .select_related("recorded_by", "organisation")
        .order_by("-on", "-id")
    )


def get_visible_departure_step(user: Actor, case: Case, pk: int | str) -> DepartureStep:
    return case_departure_steps(user, case).get(pk=pk)


def case_departure_plans(user: Actor, case: Case) -> QuerySet[DeparturePlan]:
    """The departure plans of ``case``, the current one (latest made) first."""
    return (
        DeparturePlan.objects.filter(case__in=_visible_case_ids(user, case))
        .select_related("recorded_by", "organisation")
        .order_by("-made_on", "-id")
    )


def get_visible_departure_plan(user: Actor, case: Case, pk: int | str) -> DeparturePlan:
    return case_departure_plans(user, case).get(pk=pk)


def _later_plan(on: datetime.date | None = None) -> QuerySet[DeparturePlan]:
    """A plan of the same case made after the outer one (on or before ``on``): the outer
    plan is then not the current one (an anti-join on ``departure_plan_latest``)."""
    later = DeparturePlan.objects.filter(case=OuterRef("case")).filter(
        Q(made_on__gt=OuterRef("made_on")) | Q(made_on=OuterRef("made_on"), id__gt=OuterRef("id"))
    )
    if on is not None:
        later = later.filter(made_on__lte=on)
    return later


def planned_departures(user: Actor, *, start: datetime.date, end: datetime.date) -> QuerySet[DeparturePlan]:
    """The current departure plans, of open admitted cases the user may see, with a
    departure date from ``start`` to ``end`` (inclusive), soonest first. Paginate it: the
    page is cut in SQL (index ``departure_plan_date``)."""
    cases = Case.objects.visible_to(user).filter(state__in=ADMITTED_STATES).values("pk")
    return (
        DeparturePlan.objects.filter(case__in=cases, planned_on__gte=start, planned_on__lte=end)
        .filter(~Exists(_later_plan()))
        .select_related("case__person", "case__location", "recorded_by")
        .order_by("planned_on", "case__person__family_name", "id")
    )


def pending_ind_applications(user: Actor | None = None) -> QuerySet[Application]:
    """Undecided applications of the kinds the IND decides (for a subquery on the case); for
    ``user``, the medical ones only where that user may see special-category data of the
    case (the permission, or a grant on that case)."""
    pending = Application.objects.filter(kind__in=IND_KINDS, decided_on__isnull=True)
    if user is None or policy.is_system(user) or user.has_perm(policy.SPECIAL_CATEGORY_PERMISSION):
        return pending
    granted = Q(
        case__in=CaseUserObjectPermission.objects.filter(
            user=user, permission__codename="view_special_category"
        ).values("content_object")
    ) | Q(
        case__in=CaseGroupObjectPermission.objects.filter(
            group__user=user, permission__codename="view_special_category"
        ).values("content_object")
    )
    return pending.filter(~Q(kind__in=SPECIAL_KINDS) | granted)
