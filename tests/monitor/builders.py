"""Cases with chosen dates, built through the services (as the system principal)."""

from __future__ import annotations

import datetime

from cases import services
from cases.models import Case
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND
from monitor.figures import figures
from tests.factories import CaseFactory, PersonFactory

D = datetime.date(2020, 6, 15)  # the reference date of most tests (a Monday)
DAY = datetime.timedelta(days=1)


def build(
    location,
    *,
    person=None,
    registered: datetime.date | None = None,
    admitted: datetime.date | None = None,
    exception: bool = False,
    waitlisted: datetime.date | None = None,
    sheltered: datetime.date | None = None,
    scenarios=(),
    mrt=(),
    outflow: tuple | None = None,
    confirmed: datetime.date | None = None,
    case_types=None,
    prior_departure_procedures=None,
    dossier: tuple | None = None,
) -> Case:
    """A case in ``location`` that went through the steps on the dates given: history, as
    the import brings it (no capacity or procedure guards; MRT discussions as imported).

    ``scenarios``: ``[(date, "departure"|"residence"), ...]``; ``mrt``: dates;
    ``outflow``: ``(date, category)`` or ``(date, category, country)``; ``dossier``:
    ``(ind_date, dtv_date)``.
    """
    first = min(
        day
        for day in (
            registered,
            admitted,
            waitlisted,
            sheltered,
            *(on for on, _direction in scenarios),
            *mrt,
            outflow[0] if outflow else None,
        )
        if day
    )
    registered = registered or first
    case = CaseFactory(location=location, person=person or PersonFactory(), registered_on=registered)
    kw = {"acting_user": SYSTEM, "origin": COMMAND}
    if case_types is not None or prior_departure_procedures is not None:
        case = services.set_case_types(
            **kw,
            case=case,
            case_types=case_types or [],
            prior_departure_procedures=prior_departure_procedures,
            on=registered,
        )
    admitted = admitted or (min(day for day in (waitlisted, sheltered) if day) if (waitlisted or sheltered) else None)
    if admitted is None and (outflow or scenarios or mrt):
        admitted = registered
    if admitted:
        case = services.admit(
            **kw,
            case=case,
            on=admitted,
            require_check=False,
            waitlist_when_full=False,
            exception="humanitarian" if exception else "",
            exception_reason="Humanitaire noodsituatie." if exception else "",
        )
    if waitlisted:
        case = services.waitlist(**kw, case=case, on=waitlisted, enforce_capacity=False)
    # Steps in date order: shelter, dossier, scenarios and MRT discussions, then the outflow.
    steps = []
    if sheltered:
        steps.append((sheltered, 0, "shelter", None))
    if dossier:
        steps.append((dossier[0], 1, "dossier", "IND"))
        steps.append((dossier[1], 1, "dossier", "DTV"))
    steps += [(on, 2, "scenario", direction) for on, direction in scenarios]
    steps += [(on, 2, "mrt", None) for on in mrt]
    for on, _order, kind, detail in sorted(steps, key=lambda step: (step[0], step[1])):
        if kind == "shelter":
            until = outflow[0] if outflow else None  # the stay as the history gives it
            case = services.start_shelter(**kw, case=case, on=on, enforce_capacity=False, place_until=until)
        elif kind == "dossier":
            if not case.dossier_parts.exists():
                case = services.request_dossier(**kw, case=case, on=min(dossier))
            case = services.deliver_dossier_part(**kw, case=case, kind=detail, on=on)
        elif kind == "scenario":
            route = "return_to_origin" if detail == "departure" else ""
            case = services.set_scenario(**kw, case=case, direction=detail, route=route, on=on)
        else:
            case = services.record_mrt_discussion(**kw, case=case, on=on, imported=True)
    if outflow:
        on, category, *rest = outflow
        country = rest[0] if rest else ("MA" if category in ("departure_origin", "onward_migration") else "")
        case = services.record_outflow(
            **kw, case=case, category=category, country=country, on=on, enforce_procedure=False
        )
    if confirmed:
        case = services.confirm_outflow(**kw, case=case, on=confirmed)
    case.refresh_from_db()
    return case


def at(day: datetime.date, *locations) -> dict:
    """The monitor's figures on ``day``: of the locations given, or of all."""
    return figures(day, list(locations) if locations else None)
