"""The printable case summary (PDF), in three steps: context, HTML, PDF (``lvv.pdf``).

It shows one reader what the case page shows that reader, and nothing more: the case comes
through the access policy (``selectors.case_for_page``), and the notes, the documents, the
timeline's events and the case types through the same selectors and the same special-
category rule (``special``: ``special_types.may_see_special``). Contents: the person, the
trajectory's steps with their dates, the owners, the open deadlines, the procedures, the
LSO's and the MRT's outcomes (from the timeline, as the case page words them), the notes
and the documents' names (never their contents). A summary is a read of the person's file:
the view writes it to the access log as an export.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from cases import admission, selectors, special_types
from cases.models import Case, CaseType, EventType, related_or_none
from cases.timeline_text import event_details
from cases.workflow import State
from lvv.partners.logos import data_uri
from lvv.pdf import html_to_pdf

SUMMARY_TEMPLATE = "pdf/case_summary.html"
# At most this many notes and documents (newest first); the summary says when there are more.
NOTES_MAX = 100
DOCUMENTS_MAX = 200
PROCEDURE_EVENTS = (
    EventType.APPLICATION_SUBMITTED,
    EventType.APPLICATION_DECIDED,
    EventType.DEPARTURE_STEP,
    EventType.DEPARTURE_PLANNED,
)
MEETING_EVENTS = (
    EventType.LSO_DISCUSSED,
    EventType.LSO_POSTPONED,
    EventType.MRT_ESCALATED,
    EventType.MRT_ADVICE,
    EventType.MRT_DISCUSSED,
)


def _newest(queryset, limit: int) -> tuple[list, bool]:
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def _events(user, case: Case, *, special: bool) -> tuple[list[dict], list[dict]]:
    """The procedures' and the meetings' events, oldest first, described as on the case page."""
    events = (
        selectors.visible_timeline(user, case, special=special)
        .filter(type__in=[*PROCEDURE_EVENTS, *MEETING_EVENTS])
        .order_by("occurred_on", "id")
    )
    labels = dict(EventType.choices)
    procedures, meetings = [], []
    for event in events:
        row = {
            "event": event,
            "label": labels.get(event.type, event.type),
            "details": event_details(event, special=special),
        }
        (procedures if event.type in PROCEDURE_EVENTS else meetings).append(row)
    return procedures, meetings


def _trajectory(case: Case) -> list[dict]:
    """The trajectory's steps that happened, in order, each with its date."""
    check = related_or_none(case, "admission_check")  # loaded with the case (select_related)
    steps = [
        {"label": State.REGISTERED.label, "on": case.registered_on, "details": case.get_registration_source_display()}
    ]
    if check is not None:
        steps.append(
            {
                "label": check._meta.verbose_name,
                "on": check.checked_on,
                "details": admission.verdict(admission.unmet_grounds(check, case.location)),
            }
        )
    if case.state == State.REJECTED:
        steps.append({"label": State.REJECTED.label, "on": case.decided_on, "details": case.rejection_reason})
    elif case.decided_on:
        steps.append({"label": State.ADMITTED.label, "on": case.decided_on, "details": ""})
    if case.waitlisted_on and case.shelter_started_on != case.waitlisted_on:
        steps.append({"label": State.WAITLISTED.label, "on": case.waitlisted_on, "details": ""})
    if case.shelter_started_on:
        steps.append(
            {"label": State.SHELTERED.label, "on": case.shelter_started_on, "details": case.get_shelter_form_display()}
        )
    outflow = related_or_none(case, "outflow")
    if outflow is not None:
        steps.append(
            {"label": outflow._meta.verbose_name, "on": outflow.outflow_on, "details": outflow.get_category_display()}
        )
    return steps


def summary_context(user, case: Case, *, special: bool) -> dict:
    """Step one: what the summary shows this reader (``case`` from ``selectors.case_for_page``)."""
    procedures, meetings = _events(user, case, special=special)
    notes, more_notes = _newest(selectors.case_notes(user, case, special=special), NOTES_MAX)
    documents, more_documents = _newest(
        selectors.case_documents(user, case, special=special)
        .select_related(None)
        .only("pk", "case_id", "title", "kind", "confidentiality", "uploaded_at"),
        DOCUMENTS_MAX,
    )
    case_types = [
        str(CaseType(value).label) if value in CaseType.values else value
        for value in special_types.case_types_for(user, case, special=special)
    ]
    return {
        "case": case,
        "person": case.person,
        "state_label": State(case.state).label,
        "show_special_category": special,
        "case_type_labels": case_types,
        "trajectory": _trajectory(case),
        "scenarios": list(case.scenarios.all()),
        "cooperation_checks": list(case.cooperation_checks.all()),
        "dossier_parts": list(case.dossier_parts.all()),
        "open_deadlines": [d for d in case.deadlines.all() if d.resolved_on is None],
        "procedures": procedures,
        "meetings": meetings,
        "notes": notes,
        "more_notes": more_notes,
        "documents": documents,
        "more_documents": more_documents,
        "logo": data_uri(case.location.municipality),
        "reader": user,
        "generated_at": timezone.localtime(),
    }


def render_summary_html(user, case: Case, *, special: bool) -> str:
    """Step two: the summary's HTML."""
    return render_to_string(SUMMARY_TEMPLATE, summary_context(user, case, special=special))


def summary_pdf(user, case: Case, *, special: bool) -> bytes:
    """Step three: the PDF (WeasyPrint, no network)."""
    return html_to_pdf(render_summary_html(user, case, special=special))
