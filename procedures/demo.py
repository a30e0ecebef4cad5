"""Demo procedures and departure preparation (registered with ``lvv.demo`` by
``ProceduresConfig.ready``, after the cases, the LSO and the MRT).

Per LVV, on the first open demo cases in shelter (by external id), through the services as
the LVV's accounts: a pending repeat asylum application; a *buitenschuld* application
waiting long enough to be overdue where the stay allows it; a regular application the IND
granted (the case page then offers the outflow ``residence_granted`` first); an appeal the
court rejected (recorded by the case worker) and a medical application withdrawn; a
departure prepared step by step by the DT&V (one step with the IOM) with a plan made and
made again; and an independent departure planned soon. Deterministic and idempotent: a case
that has any procedure or departure record is left alone.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.models import Case
from cases.workflow import State
from lvv.audit.log import COMMAND
from lvv.demo import DemoContext
from procedures import services
from procedures.models import Application, DeparturePlan, DepartureStep

CASES_PER_LVV = 6


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _on(case: Case, days_ago: int) -> datetime.date:
    """``days_ago`` days before today, but not before the case's admission."""
    return max(case.decided_on or case.registered_on, timezone.localdate() - _days(days_ago))


def _submit(user, case, kind: str, days_ago: int, by: str = "lawyer", notes: str = "") -> Application:
    return services.submit_application(
        acting_user=user,
        origin=COMMAND,
        case=case,
        kind=kind,
        submitted_on=_on(case, days_ago),
        submitted_by=by,
        notes=notes,
    )


def _decide(user, application: Application, outcome: str, days_after: int) -> Application:
    on = min(timezone.localdate(), application.submitted_on + _days(days_after))
    return services.decide_application(
        acting_user=user, origin=COMMAND, application=application, outcome=outcome, decided_on=on
    )


def _prepare_departure(dtv, case: Case) -> None:
    steps = [
        ("identity_established", 70, "dtv", "Met een kopie van een paspoort uit het dossier."),
        ("nationality_established", 60, "dtv", "Taalanalyse bevestigt de nationaliteit."),
        ("embassy_presentation", 45, "dtv", "De ambassade erkent de persoon als onderdaan."),
        ("travel_document_requested", 40, "iom", "Aanvraag laissez-passer, met hulp van de IOM."),
        ("travel_document_received", 12, "dtv", ""),
    ]
    for kind, days_ago, partner, details in steps:
        services.record_departure_step(
            acting_user=dtv,
            origin=COMMAND,
            case=case,
            kind=kind,
            on=_on(case, days_ago),
            partner=partner,
            details=details,
        )
    first = services.plan_departure(
        acting_user=dtv,
        origin=COMMAND,
        case=case,
        made_on=_on(case, 10),
        planned_on=timezone.localdate() + _days(7),
        support="iom",
    )
    services.plan_departure(
        acting_user=dtv,
        origin=COMMAND,
        case=case,
        made_on=_on(case, 2),
        planned_on=timezone.localdate() + _days(21),
        support="iom",
        notes="Vlucht verzet: het reisdocument kwam later.",
        replaces=first.pk,
    )


def _seed_case(ctx: DemoContext, slug: str, number: int, case: Case) -> None:
    worker, ind, dtv = (ctx.users[f"{role}.{slug}"] for role in ("casemanager", "ind", "dtv"))
    if number == 0:
        _submit(worker, case, "asylum_repeat", 40, notes="Nieuwe documenten over de bekering.")
    elif number == 1:
        _submit(worker, case, "no_fault", 200, by="vluchtelingenwerk")
    elif number == 2:
        _decide(ind, _submit(worker, case, "regular", 120, by="person"), "granted", 90)
    elif number == 3:
        rejected = _decide(ind, _submit(worker, case, "asylum_repeat", 300), "rejected", 60)
        appeal = _submit(worker, case, "appeal", max(0, (timezone.localdate() - rejected.decided_on).days - 7))
        _decide(worker, appeal, "rejected", 30)
        # A medical application is special-category data: the IND officer gets the permission
        # on this case (the demo's case workers have it everywhere).
        assign_perm("cases.view_special_category", ind, case)
        _decide(ind, _submit(worker, case, "medical_art64", 20, by="lawyer"), "withdrawn", 10)
    elif number == 4:
        _prepare_departure(dtv, case)
    else:
        services.record_departure_step(
            acting_user=dtv, origin=COMMAND, case=case, kind="identity_established", on=_on(case, 30)
        )
        services.plan_departure(
            acting_user=dtv,
            origin=COMMAND,
            case=case,
            made_on=_on(case, 3),
            planned_on=timezone.localdate() + _days(10),
            support="independent",
        )


def seed_procedures(ctx: DemoContext) -> dict[str, int]:
    for pilot in ctx.pilots:
        cases = Case.objects.filter(
            location=ctx.locations[pilot.slug], external_id__contains="-DEMO-", state=State.SHELTERED
        ).order_by("external_id")[:CASES_PER_LVV]
        for number, case in enumerate(cases):
            if (
                Application.objects.filter(case=case).exists()
                or DepartureStep.objects.filter(case=case).exists()
                or DeparturePlan.objects.filter(case=case).exists()
            ):
                continue
            with transaction.atomic():
                _seed_case(ctx, pilot.slug, number, case)
    return {
        "applications": Application.objects.filter(case__external_id__contains="-DEMO-").count(),
        "departure steps": DepartureStep.objects.filter(case__external_id__contains="-DEMO-").count(),
        "departure plans": DeparturePlan.objects.filter(case__external_id__contains="-DEMO-").count(),
    }
