"""The agenda pack and the printable minutes, in three steps: context, HTML, PDF.

The pack shows one reader what that reader may see: only the agenda items whose case the
reader sees, and special-category details (``case.health_notes``) only when
``policy.can_view_special_category`` allows it. WeasyPrint never fetches anything over the
network: the URL fetcher serves ``data:`` URIs and refuses everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_noop

from cases.models import Deadline, Scenario
from lso import presenters, selectors
from lso.models import Action, Meeting
from lvv import jobs
from lvv.access import policy
from lvv.pdf import html_to_pdf

logger = logging.getLogger(__name__)

PACK_TEMPLATE = "pdf/lso_agenda_pack.html"
MINUTES_TEMPLATE = "lso/minutes_print.html"
# Stored on the pack as Dutch source text, translated when shown.
PACK_FAILED = gettext_noop("Het maken van het agendapakket is mislukt. Probeer het opnieuw.")
PACK_NOT_VISIBLE = gettext_noop("U ziet deze vergadering niet meer; er is geen agendapakket gemaakt.")


def pack_items(meeting: Meeting, reader) -> list:
    """The items the reader sees, each case with its open deadlines, scenario history and
    open actions (a fixed number of queries)."""
    return list(
        selectors.item_queryset(reader)
        .filter(meeting=meeting)
        .prefetch_related(
            Prefetch(
                "case__scenarios", queryset=Scenario.objects.order_by("-set_on", "-pk"), to_attr="scenario_history"
            ),
            Prefetch(
                "case__deadlines",
                queryset=Deadline.objects.filter(resolved_on__isnull=True).order_by("due_on", "pk"),
                to_attr="open_deadlines",
            ),
            Prefetch(
                "case__lso_actions",
                queryset=Action.objects.filter(done_on__isnull=True)
                .select_related("owner_organisation", "owner_user")
                .order_by("due_on", "pk"),
                to_attr="open_actions",
            ),
        )
    )


def pack_context(meeting: Meeting, reader) -> dict:
    """Step one: what the pack shows this reader: the agenda as the meeting page builds it
    (``lso.presenters.agenda``), each entry with its case's details."""
    items = pack_items(meeting, reader)
    return {
        "meeting": meeting,
        "entries": presenters.agenda(items, reader),
        "total_minutes": presenters.total_minutes(items),
        "reader": reader,
        "generated_at": timezone.localtime(),
    }


def render_pack_html(meeting: Meeting, reader) -> str:
    """Step two: the pack's HTML."""
    return render_to_string(PACK_TEMPLATE, pack_context(meeting, reader))


def pack_pdf(meeting: Meeting, reader, *, progress: Callable[[int], None] | None = None) -> tuple[bytes, list[int]]:
    """The pack's PDF and the ids of the cases it names."""
    context = pack_context(meeting, reader)
    if progress:
        progress(40)
    html = render_to_string(PACK_TEMPLATE, context)
    if progress:
        progress(60)
    return html_to_pdf(html), [entry.case.pk for entry in context["entries"]]


def build_pack(pack_id: int, *, task_id: str = "", heartbeat: bool = False) -> bool:
    """The Celery task's work: make the pack's PDF for its reader and store it, recording
    progress and a heartbeat on the row (``heartbeat``: also from a thread, in a worker).
    False when there is nothing (more) to do. Claimed through ``lvv.jobs``: a second run
    of a finished pack does nothing, a rerun after a crash replaces the partial file."""
    from lso.models import AgendaPack

    return bool(
        jobs.run_claimed(
            AgendaPack, pack_id, _build_pack, name="agenda pack", task_id=task_id, heartbeat_thread=heartbeat
        )
    )


def _build_pack(run: jobs.Run, pack) -> bool:
    from django.db import DatabaseError

    from lvv.audit.log import TASK, AccessAction, record

    reader = pack.requested_by
    run.beat(10)
    meeting = selectors.visible_meetings(reader).select_related("location").filter(pk=pack.meeting_id).first()
    if meeting is None:
        run.fail(PACK_NOT_VISIBLE)
        return False
    try:
        data, case_ids = pack_pdf(meeting, reader, progress=run.beat)
    except (DatabaseError, jobs.Superseded):
        raise
    except Exception:  # a broken pack is shown as failed, never half-served
        logger.exception("agenda pack %s failed", pack.pk)
        run.fail(PACK_FAILED)
        return False
    run.beat(90)
    # The file and the row's "done" in one locked step: written once, by this run only.
    with run.finishing() as done:
        jobs.replace_file(done.file, f"agendapakket-{meeting.pk}-{done.pk}.pdf", data)
        done.status, done.progress, done.case_ids = done.Status.DONE, 100, case_ids
        done.meeting_version, done.error = meeting.version, ""
        done.finished_at = done.heartbeat_at = timezone.now()
        done.save()
        record(
            actor=policy.SYSTEM,
            action=AccessAction.EXPORT,
            origin=TASK,
            obj=meeting,
            detail={"pack": done.pk, "reader": reader.pk, "cases": case_ids},
        )
    return True
