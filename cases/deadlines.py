"""Deadlines follow from the records: ``recompute`` derives them for one case.

Idempotent: running it twice changes nothing. A paused deadline keeps its pause; the
paused days are added to its due date when it resumes.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases.models import CaseType, Deadline, DeadlineKind, DossierPartKind
from cases.workflow import OPEN_STATES, State
from lvv.partners.models import ProgrammeSettings, RestPeriodTrigger, SafeCountry

DOSSIER_DEADLINES = {DossierPartKind.IND: DeadlineKind.DOSSIER_IND, DossierPartKind.DTV: DeadlineKind.DOSSIER_DTV}


def rest_period_start(case, parts, programme: ProgrammeSettings, scenarios=()) -> datetime.date | None:
    """The day the rest period starts, by the programme's trigger: the complete dossier
    (both parts; the default), the start of the shelter, or the complete dossier and a
    scenario set (the later of the two)."""
    if programme.rest_period_trigger == RestPeriodTrigger.SHELTER_START:
        return case.shelter_started_on
    delivered = [p.delivered_on for p in parts if p.delivered_on]
    if len(delivered) != len(DossierPartKind.values):
        return None
    complete = max(delivered)
    if programme.rest_period_trigger == RestPeriodTrigger.DOSSIER_AND_SCENARIO:
        first_scenario = min((s.set_on for s in scenarios), default=None)
        return max(complete, first_scenario) if first_scenario else None
    return complete


def safe_country_on(case, day: datetime.date, safe_countries=None) -> bool:
    """A safe-country case: marked so by hand, or the person's nationality was on the
    programme's list of safe countries of origin on ``day``."""
    if CaseType.SAFE_COUNTRY in case.case_types:
        return True
    nationality = case.person.nationality.code if case.person.nationality else ""
    if not nationality:
        return False
    if safe_countries is None:
        return SafeCountry.objects.listed_on(day).filter(country=nationality).exists()
    return any(
        c.country.code == nationality and c.listed_from <= day and (c.listed_until is None or day <= c.listed_until)
        for c in safe_countries
    )


def desired_deadlines(
    case, programme: ProgrammeSettings, *, today: datetime.date | None = None, safe_countries=None
) -> dict[str, datetime.date]:
    """The base due date of every deadline that applies to ``case`` now."""
    today = today or timezone.localdate()
    if case.state not in OPEN_STATES:
        return {}
    due: dict[str, datetime.date] = {}
    parts = list(case.dossier_parts.all())
    for part in parts:
        if part.requested_on and not part.delivered_on:
            due[DOSSIER_DEADLINES[part.kind]] = part.requested_on + datetime.timedelta(
                days=programme.dossier_delivery_days
            )
    scenarios = list(case.scenarios.all())
    latest_scenario = max(scenarios, key=lambda s: (s.set_on, s.id), default=None)
    start = rest_period_start(case, parts, programme, scenarios)
    if start and programme.rest_period_trigger == RestPeriodTrigger.DOSSIER_AND_SCENARIO:
        # The rest period follows the scenario: a deadline while it runs.
        end = start + datetime.timedelta(days=programme.rest_period_days)
        if end >= today:
            due[DeadlineKind.REST_PERIOD_END] = end
    elif start and latest_scenario is None:
        due[DeadlineKind.REST_PERIOD_END] = start + datetime.timedelta(days=programme.rest_period_days)
    if latest_scenario is not None:
        due[DeadlineKind.SCENARIO_REVIEW] = latest_scenario.set_on + datetime.timedelta(
            days=programme.scenario_review_days
        )
    if case.state == State.SHELTERED and case.shelter_started_on:
        if not case.location.voluntary_participation:  # voluntary: no cooperation deadlines
            checks = [c.checked_on for c in case.cooperation_checks.all()]
            last = max([case.shelter_started_on, *checks])
            due[DeadlineKind.COOPERATION_CHECK] = last + datetime.timedelta(weeks=case.location.cooperation_check_weeks)
        max_days = case.location.safe_country_max_stay_days
        if max_days and safe_country_on(case, case.shelter_started_on, safe_countries):
            due[DeadlineKind.MAX_STAY] = case.shelter_started_on + datetime.timedelta(days=max_days)
    return due


def recompute(case, *, today: datetime.date | None = None, programme: ProgrammeSettings | None = None) -> int:
    """Bring the stored deadlines of ``case`` in line with its records; returns rows changed."""
    today = today or timezone.localdate()
    programme = programme or ProgrammeSettings.current()
    desired = desired_deadlines(case, programme, today=today)
    existing = {d.kind: d for d in case.deadlines.all()}
    changed = 0
    for kind, base in desired.items():
        row = existing.get(kind)
        if row is None:
            Deadline.objects.create(case=case, kind=kind, base_due_on=base, due_on=base)
            changed += 1
            continue
        due_on = base + datetime.timedelta(days=row.paused_days)
        if (row.base_due_on, row.due_on, row.resolved_on) != (base, due_on, None):
            row.base_due_on, row.due_on, row.resolved_on = base, due_on, None
            row.save(update_fields=["base_due_on", "due_on", "resolved_on"])
            changed += 1
    for kind, row in existing.items():
        if kind not in desired and row.resolved_on is None:
            row.resolved_on = today
            row.paused_since = None
            row.save(update_fields=["resolved_on", "paused_since"])
            changed += 1
    return changed


def pause(deadline: Deadline, *, on: datetime.date, reason: str) -> None:
    deadline.paused_since = on
    deadline.pause_reason = reason
    deadline.save(update_fields=["paused_since", "pause_reason"])


def resume(deadline: Deadline, *, on: datetime.date) -> int:
    """Resume; the days paused are added to the due date. Returns the days added."""
    days = max(0, (on - deadline.paused_since).days)
    deadline.paused_days += days
    deadline.due_on = deadline.base_due_on + datetime.timedelta(days=deadline.paused_days)
    deadline.paused_since = None
    deadline.save(update_fields=["paused_days", "due_on", "paused_since"])
    return days
