"""The timeline's events in words, for the case page and the case summary (PDF).

One small function per event type reads the event's data (as ``special_types.event_data``
gives it to the reader) and returns its parts; ``event_details`` joins them, adds the words a
higher app registered for its own event types (``cases.extensions``) and the event's summary.
A title or a note's text is never part of it: the timeline is read by everyone who sees the
case.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_countries import countries

from cases import admission, extensions, special_types
from cases.forms import NO_DURABLE_SOLUTION
from cases.models import (
    MRT_NO_DURABLE_SOLUTION,
    CaseType,
    Confidentiality,
    CooperationResult,
    DeadlineKind,
    Direction,
    DocumentKind,
    DossierPartKind,
    EventType,
    ExceptionGround,
    NoteKind,
    OutflowCategory,
    OwnerRole,
    RegistrationSource,
    Route,
    ShelterForm,
    TimelineEvent,
)
from lvv import stored_text

Data = dict[str, Any]
Parts = list[Any]
PARTNERS = {"ind": "IND", "dtv": "DT&V"}


def label(choices: Any, value: Any) -> str:
    """The label of ``value`` among ``choices``; the value itself when it is not one of them
    (a value of an earlier release, kept in the history)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _day(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return date_format(datetime.date.fromisoformat(iso))
    except ValueError:
        return iso


def _registered(data: Data, special: bool) -> Parts:
    source = data.get("source")
    return [_("aangemeld door: %(source)s") % {"source": label(RegistrationSource, source)}] if source else []


def _admission_checked(data: Data, special: bool) -> Parts:
    return [admission.verdict(data.get("grounds", data.get("unmet")) or [])]


def _admitted(data: Data, special: bool) -> Parts:
    ground = data.get("exception")
    return [_("uitzondering: %(ground)s") % {"ground": label(ExceptionGround, ground)}] if ground else []


def _waitlisted(data: Data, special: bool) -> Parts:
    return [_("geen vrije plek")] if data.get("reason") == "full" else []


def _shelter_started(data: Data, special: bool) -> Parts:
    parts: Parts = [label(ShelterForm, data["form"])] if data.get("form") else []
    if data.get("from_waiting_list"):
        parts.append(_("van de wachtlijst"))
    if data.get("out_of_order"):
        parts.append(_("vóór %(count)s langer wachtenden") % {"count": data.get("ahead")})
    return parts


def _dossier_delivered(data: Data, special: bool) -> Parts:
    return [_("deel: %(kind)s") % {"kind": label(DossierPartKind, data["by"])}] if data.get("by") else []


def _scenario_set(data: Data, special: bool) -> Parts:
    parts: Parts = []
    if data.get("direction"):
        parts.append(_("richting: %(direction)s") % {"direction": label(Direction, data["direction"])})
    if data.get("route"):
        parts.append(_("route: %(route)s") % {"route": label(Route, data["route"])})
    if data.get("previous"):
        parts.append(_("was: %(direction)s") % {"direction": label(Direction, data["previous"])})
    return parts


def _cooperation_checked(data: Data, special: bool) -> Parts:
    return [label(CooperationResult, data["result"])] if data.get("result") else []


def _mrt_discussed(data: Data, special: bool) -> Parts:
    return [str(NO_DURABLE_SOLUTION)] if data.get("outcome") == MRT_NO_DURABLE_SOLUTION else []


def _case_types_set(data: Data, special: bool) -> Parts:
    parts: Parts = []
    types = [label(CaseType, value) for value in data.get("case_types") or []]
    if types or special:  # without the permission, "none" could hide a special type
        parts.append(", ".join(types) if types else _("geen casustypen"))
    if data.get("prior_departure_procedures") is not None:
        parts.append(_("eerdere vertrekprocedures: %(count)s") % {"count": data["prior_departure_procedures"]})
    return parts


def _deadline_moved(data: Data, special: bool) -> Parts:
    if not data.get("kind"):
        return []
    parts: Parts = [label(DeadlineKind, data["kind"])]
    if data.get("days"):
        parts.append(_("%(days)s dagen opgeschoven") % {"days": data["days"]})
    return parts


def _outflow(data: Data, special: bool) -> Parts:
    parts: Parts = [label(OutflowCategory, data["category"])] if data.get("category") else []
    if country := data.get("country"):
        parts.append(_("land: %(country)s") % {"country": countries.name(country) or country})
    return parts


def _outflow_corrected(data: Data, special: bool) -> Parts:
    before, after = data.get("previous") or {}, data.get("new") or {}
    return [
        _("was: %(category)s op %(date)s")
        % {"category": label(OutflowCategory, before.get("category")), "date": _day(before.get("on"))},
        _("nu: %(category)s op %(date)s")
        % {"category": label(OutflowCategory, after.get("category")), "date": _day(after.get("on"))},
    ]


def _by_partner(data: Data, special: bool) -> Parts:
    by = data.get("by")
    return [_("door: %(partner)s") % {"partner": PARTNERS.get(by, by)}] if by else []


def _special_mark(data: Data) -> Parts:
    special = data.get("confidentiality") == Confidentiality.SPECIAL
    return [label(Confidentiality, data["confidentiality"])] if special else []


def _document_added(data: Data, special: bool) -> Parts:  # the kind, never the title
    return ([label(DocumentKind, data["kind"])] if data.get("kind") else []) + _special_mark(data)


def _note(data: Data, special: bool) -> Parts:  # the kind, never the text
    parts: Parts = [label(NoteKind, data["kind"])] if data.get("kind") else []
    if data.get("corrects"):
        parts.append(_("correctie van een eerdere notitie"))
    return parts + _special_mark(data)


def _owner_changed(data: Data, special: bool) -> Parts:  # the names as they were then
    parts: Parts = [label(OwnerRole, data["role"])] if data.get("role") else []
    if data.get("cause") == "ngo_changed":
        parts.append(_("%(name)s niet meer: andere ngo toegewezen") % {"name": data.get("from_name") or "—"})
    elif data.get("from_name"):
        parts.append(_("van %(from)s naar %(to)s") % {"from": data["from_name"], "to": data.get("to_name") or "—"})
    else:
        parts.append(_("naar %(to)s") % {"to": data.get("to_name") or "—"})
    return parts


DETAILS: dict[str, Callable[[Data, bool], Parts]] = {
    EventType.REGISTERED: _registered,
    EventType.ADMISSION_CHECKED: _admission_checked,
    EventType.ADMITTED: _admitted,
    EventType.WAITLISTED: _waitlisted,
    EventType.SHELTER_STARTED: _shelter_started,
    EventType.DOSSIER_DELIVERED: _dossier_delivered,
    EventType.SCENARIO_SET: _scenario_set,
    EventType.COOPERATION_CHECKED: _cooperation_checked,
    EventType.MRT_DISCUSSED: _mrt_discussed,
    EventType.CASE_TYPES_SET: _case_types_set,
    EventType.DEADLINE_PAUSED: _deadline_moved,
    EventType.DEADLINE_RESUMED: _deadline_moved,
    EventType.OUTFLOW: _outflow,
    EventType.OUTFLOW_CORRECTED: _outflow_corrected,
    EventType.OUTFLOW_DISPUTED: _by_partner,
    EventType.OUTFLOW_CONFIRMED: _by_partner,
    EventType.DOCUMENT_ADDED: _document_added,
    EventType.NOTE: _note,
    EventType.OWNER_CHANGED: _owner_changed,
}


def event_details(event: TimelineEvent, *, special: bool = False) -> str:
    """The event's data in words (Dutch by default), for the timeline; ``special``: whether
    the reader may see special-category data of the case (the special case types)."""
    describe = DETAILS.get(event.type)
    parts = describe(special_types.event_data(event, special=special), special) if describe else []
    if not parts:  # an event type of a higher app (cases.extensions)
        parts.append(extensions.event_details(event))
    if event.summary:
        parts.append(stored_text.translate(event.summary))
    return "; ".join(str(part) for part in parts if part)
