"""Demo MRT data (registered with lvv.demo, after the LSO's): per LVV a past session that
advised on the oldest escalation (its advice goes onto the next LSO agenda), and a
session to come for the newer escalation, which waits for its advice with part of its
preparation done. In Groningen the MRT finds no durable solution possible; elsewhere its
reasoning speaks of health and is marked special (recorded by the case manager).

Through the services, as the LVV's accounts; idempotent (an advised escalation is left
alone, a session is found by its LVV and date) and deterministic.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from cases.models import Confidentiality, Direction, Route
from lso import selectors as lso_selectors
from lso import services as lso_services
from lso.models import AgendaItem, Meeting, MeetingStatus
from lvv.audit.log import COMMAND
from lvv.demo import DemoContext
from lvv.partners.models import OrganisationKind
from mrt import services
from mrt.models import Escalation, EscalationStatus, MrtSession

NO_DURABLE_SOLUTION_PILOT = "groningen"


def _session(ctx: DemoContext, slug: str, date: datetime.date) -> tuple[MrtSession, bool]:
    location = ctx.locations[slug]
    found = MrtSession.objects.filter(location=location, date=date).first()
    if found is not None:
        return found, False
    session = services.create_session(
        acting_user=ctx.users[f"lsochair.{slug}"],
        origin=COMMAND,
        location=location,
        date=date,
        place=f"Stadskantoor {location.name.removeprefix('LVV ')}",
        ngo=ctx.ngos[slug][0],
        ind_specialist=ctx.users[f"ind.{slug}"],
        dtv_specialist=ctx.users[f"dtv.{slug}"],
    )
    return session, True


def _complete_tasks(ctx: DemoContext, slug: str, escalation: Escalation, kinds, on: datetime.date) -> None:
    users = {OrganisationKind.IND: ctx.users[f"ind.{slug}"], OrganisationKind.DTV: ctx.users[f"dtv.{slug}"]}
    for task in escalation.tasks.filter(done_on__isnull=True).select_related("owner_organisation").order_by("pk"):
        kind = task.owner_organisation.kind
        if kind in kinds:
            services.complete_preparation_task(acting_user=users[kind], origin=COMMAND, task=task, on=on)


def _to_next_agenda(ctx: DemoContext, slug: str, escalation: Escalation, today: datetime.date) -> None:
    """The advice goes onto the next LSO agenda (when it is a suggestion there)."""
    chair = ctx.users[f"lsochair.{slug}"]
    nxt = (
        Meeting.objects.filter(
            location=ctx.locations[slug],
            date__gt=today,
            status__in=(MeetingStatus.DRAFT, MeetingStatus.PUBLISHED),
        )
        .order_by("date", "pk")
        .first()
    )
    if nxt is None or AgendaItem.objects.filter(meeting=nxt, case=escalation.case_id).exists():
        return
    if escalation.case_id in {s.case.pk for s in lso_selectors.suggestions(nxt, chair)}:
        lso_services.add_suggested_items(acting_user=chair, origin=COMMAND, meeting=nxt, cases=[escalation.case_id])


def seed_mrt(ctx: DemoContext) -> dict[str, int]:
    today = timezone.localdate()
    counts = {"mrt sessions created": 0, "mrt advice given": 0}
    for pilot in ctx.pilots:
        slug = pilot.slug
        chair = ctx.users[f"lsochair.{slug}"]
        escalations = list(Escalation.objects.filter(case__location=ctx.locations[slug]).order_by("escalated_on", "pk"))
        if not escalations:
            continue
        with transaction.atomic():
            oldest = escalations[0]
            if oldest.status != EscalationStatus.ADVISED:
                session_day = max(today - datetime.timedelta(days=7), oldest.escalated_on)
                session, created = _session(ctx, slug, session_day)
                counts["mrt sessions created"] += created
                _complete_tasks(ctx, slug, oldest, (OrganisationKind.IND, OrganisationKind.DTV), session_day)
                if oldest.status == EscalationStatus.OPEN:
                    oldest = services.schedule_escalation(
                        acting_user=chair, origin=COMMAND, escalation=oldest, session=session
                    )
                # The reasoning speaks of health: special-category data, recorded by the case
                # manager (who may see it); the LSO chair and the partners see the advice without it.
                advice = {
                    "direction": Direction.DEPARTURE,
                    "route": Route.RETURN_TO_ORIGIN,
                    "reasoning_confidentiality": Confidentiality.SPECIAL,
                }
                reasoning = "Vertrek is haalbaar na medische stabilisatie; de DT&V begeleidt het vertrekgesprek."
                adviser = ctx.users[f"casemanager.{slug}"]
                if slug == NO_DURABLE_SOLUTION_PILOT:
                    advice = {"no_durable_solution_possible": True}
                    reasoning = "Geen realistisch perspectief op vertrek of verblijf; humanitaire afweging nodig."
                    adviser = chair
                services.give_advice(
                    acting_user=adviser,
                    origin=COMMAND,
                    escalation=oldest,
                    reasoning=reasoning,
                    on=session_day,
                    **advice,
                )
                counts["mrt advice given"] += 1
                _to_next_agenda(ctx, slug, oldest, today)
            for escalation in escalations[1:]:
                if escalation.status != EscalationStatus.OPEN:
                    continue
                session, created = _session(ctx, slug, today + datetime.timedelta(days=14))
                counts["mrt sessions created"] += created
                _complete_tasks(ctx, slug, escalation, (OrganisationKind.DTV,), escalation.escalated_on)
                services.save_position(
                    acting_user=ctx.users[f"ind.{slug}"],
                    origin=COMMAND,
                    escalation=escalation,
                    text="Een nieuwe asielaanvraag heeft weinig kans; een buitenschuldvergunning wordt onderzocht.",
                )
                services.schedule_escalation(acting_user=chair, origin=COMMAND, escalation=escalation, session=session)
    counts["mrt escalations"] = Escalation.objects.count()
    return counts
