"""The procedures on the case page, through the registries of ``cases.extensions``:

- the section "Procedures en vertrek" (``templates/procedures/includes/case_section.html``):
  the applications with their decisions (an overdue decision marked), the departure
  preparation and the departure plans, with links to the forms for whoever may write;
- a pending repeat asylum application in the case's case types;
- the step hint: a granted residence application (repeat asylum, *buitenschuld*, regular)
  makes the outflow ``residence_granted`` the obvious next step, a granted medical
  postponement the outflow ``postponement_art64``;
- the words of the new timeline events.

The section runs three queries (applications, steps, plans) whatever their number; the
hint one more, only for a case worker who can record the outflow.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import extensions, workflow
from cases.models import EventType, OutflowCategory
from cases.workflow import ADMITTED_STATES
from procedures import selectors, services
from procedures.models import (
    Application,
    ApplicationKind,
    DeparturePartner,
    DepartureStepKind,
    DepartureSupport,
    Outcome,
    SubmittedBy,
)

# A granted application of these kinds makes this outflow the next step.
OUTFLOW_AFTER_GRANT = {
    ApplicationKind.ASYLUM_REPEAT: OutflowCategory.RESIDENCE_GRANTED,
    ApplicationKind.NO_FAULT: OutflowCategory.RESIDENCE_GRANTED,
    ApplicationKind.REGULAR: OutflowCategory.RESIDENCE_GRANTED,
    ApplicationKind.MEDICAL_ART64: OutflowCategory.POSTPONEMENT_ART64,
}
GRANTED_HINT = gettext_lazy("De aanvraag (%(kind)s) is op %(date)s ingewilligd: leg de uitstroom “%(outflow)s” vast.")
PENDING_ASYLUM_REPEAT = gettext_lazy("opvolgende asielaanvraag in behandeling (sinds %(date)s)")


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _grant_hint(application: Application | None):
    if application is None:
        return None
    outflow = OUTFLOW_AFTER_GRANT[application.kind]
    return extensions.StepHint(
        step="record_outflow",
        reason=str(
            GRANTED_HINT
            % {
                "kind": _label(ApplicationKind, application.kind),
                "date": date_format(application.decided_on),
                "outflow": _label(OutflowCategory, outflow),
            }
        ),
        initial={"category": outflow.value},
    )


def _latest_grant(applications) -> Application | None:
    granted = [a for a in applications if a.outcome == Outcome.GRANTED and a.kind in OUTFLOW_AFTER_GRANT]
    return max(granted, key=lambda a: (a.decided_on, a.pk), default=None)


@extensions.register_step_hint
def outflow_after_grant(user, case):
    """The outflow after a granted application, for a user who records outflows, while the
    case is open (one query)."""
    if case.state not in ADMITTED_STATES or not user.has_role(*workflow.STEPS["record_outflow"].roles):
        return None
    granted = selectors.case_applications(user, case).filter(
        outcome=Outcome.GRANTED, kind__in=list(OUTFLOW_AFTER_GRANT)
    )  # a medical one only for a user who may see special-category data
    granted = granted.order_by("-decided_on", "-id").first()
    return _grant_hint(granted)


@extensions.register_section
def case_section(request, case, context: dict) -> dict:
    user = request.user
    today = timezone.localdate()
    can_change = context.get("can_change", False)
    special = context.get("show_special_category")
    applications = list(selectors.case_applications(user, case, special=special))
    steps = list(selectors.case_departure_steps(user, case))
    plans = list(selectors.case_departure_plans(user, case))
    open_case = case.state in ADMITTED_STATES
    is_ind, is_case_worker = user.has_role("ind"), user.has_role("casemanager") and can_change
    for application in applications:
        application.due_on = services.decision_due_on(application)
        application.overdue = application.due_on is not None and application.due_on < today
        by_ind = services.decided_by_ind(application.kind)
        application.may_decide = application.is_pending and (is_ind if by_ind else is_case_worker)
    pending_repeat = [a for a in applications if a.is_pending and a.kind == ApplicationKind.ASYLUM_REPEAT]
    grant = _latest_grant(applications) if open_case else None
    hint = _grant_hint(grant)
    may_submit = open_case and (
        is_ind or is_case_worker or (user.has_role("ngo") and case.assigned_ngo_id == user.organisation_id)
    )
    may_depart = open_case and services.can_record_departure(user, case)
    case_type_notes = (
        [PENDING_ASYLUM_REPEAT % {"date": date_format(min(a.submitted_on for a in pending_repeat))}]
        if pending_repeat
        else []
    )
    return {
        "template": "procedures/includes/case_section.html",
        "anchor": "procedures",
        "nav_label": _("Procedures en vertrek"),
        "applications": applications,
        "departure_steps": steps,
        "departure_plans": plans,
        "current_plan": plans[0] if plans else None,
        "pending_asylum_repeat": pending_repeat,
        "overdue_count": sum(1 for a in applications if a.overdue),
        "due_days": services.decision_due_days(),
        "grant_hint": hint.reason if hint else "",
        "hint_step_offered": any(entry["name"] == "record_outflow" for entry in context.get("step_forms", [])),
        "may_submit": may_submit,
        "may_depart": may_depart,
        "case_type_notes": [str(note) for note in case_type_notes],
    }


@extensions.register_event_details
def event_details(event) -> str | None:
    data = event.data or {}
    if event.type == EventType.APPLICATION_SUBMITTED:
        parts = [_label(ApplicationKind, data.get("kind"))]
        if data.get("submitted_by"):
            parts.append(_("ingediend door %(by)s") % {"by": _label(SubmittedBy, data["submitted_by"])})
    elif event.type == EventType.APPLICATION_DECIDED:
        parts = [_label(ApplicationKind, data.get("kind")), _label(Outcome, data.get("outcome"))]
    elif event.type == EventType.DEPARTURE_STEP:
        parts = [_label(DepartureStepKind, data.get("kind"))]
        if data.get("partner") == DeparturePartner.IOM:
            parts.append(_("met de IOM"))
    elif event.type == EventType.DEPARTURE_PLANNED:
        parts = []
        if data.get("planned_on"):
            parts.append(_("vertrek op %(date)s") % {"date": _iso_date(data["planned_on"])})
        if data.get("support"):
            parts.append(_label(DepartureSupport, data["support"]))
        if data.get("previous"):
            parts.append(_("was: %(date)s") % {"date": _iso_date(data["previous"])})
    else:
        return None
    return "; ".join(part for part in parts if part)


def _iso_date(value: str) -> str:
    try:
        return date_format(datetime.date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)
