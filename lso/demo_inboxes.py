"""Demo: something for every LSO chair to prepare (``lso_prepare``, ``cases.inboxes``).

The LSO's demo (``lso.demo``) puts its partners' requests and the DT&V's flags on the
upcoming agendas, which leaves the chair's inbox empty. After it, in each LVV, the IND asks
the LSO to discuss one more case that is on no agenda yet (through
``services.request_lso_discussion``, so the chair is told after the commit). Registered with
``lvv.demo`` by ``LsoConfig.ready``, after the LSO's own seeder; idempotent (once per LVV, by
the request's text) and deterministic (the first case by external id).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef

from cases.models import Case, EventType, TimelineEvent
from cases.workflow import ADMITTED_STATES
from lso import services
from lso.models import AgendaItem
from lvv.audit.log import COMMAND
from lvv.demo import DemoContext

LATE_REQUEST = "Nieuwe informatie over de verblijfsrechtelijke situatie; graag in het volgende LSO bespreken."


def seed_late_requests(ctx: DemoContext) -> dict[str, int]:
    created = 0
    for pilot in ctx.pilots:
        location = ctx.locations[pilot.slug]
        done = TimelineEvent.objects.filter(
            case__location=location, type=EventType.LSO_REQUESTED, summary=LATE_REQUEST
        ).exists()
        if done:
            continue
        on_agenda = AgendaItem.objects.filter(case=OuterRef("pk"), outcome__isnull=True)
        # Not a case before the MRT: the MRT's demo puts its advice on the next agenda.
        escalated = TimelineEvent.objects.filter(case=OuterRef("pk"), type=EventType.MRT_ESCALATED)
        case = (
            Case.objects.filter(location=location, state__in=ADMITTED_STATES, external_id__contains="-DEMO-")
            .filter(~Exists(on_agenda), ~Exists(escalated))
            .order_by("external_id", "pk")
            .first()
        )
        if case is None:
            continue
        with transaction.atomic():
            services.request_lso_discussion(
                acting_user=ctx.users[f"ind.{pilot.slug}"], origin=COMMAND, case=case, reason=LATE_REQUEST
            )
        created += 1
    return {"lso requests to prepare": created}
