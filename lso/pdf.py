"""The agenda pack and the printable minutes, in three steps: context, HTML, PDF.

The pack shows one reader what that reader may see: only the agenda items whose case the
reader sees, and special-category details (``case.health_notes``) only when
``policy.can_view_special_category`` allows it. WeasyPrint never fetches anything over the
network: the URL fetcher serves ``data:`` URIs and refuses everything else.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from cases.models import Deadline, Scenario
from lso import selectors
from lso.models import Action, Meeting
from lvv.access import policy

PACK_TEMPLATE = "pdf/lso_agenda_pack.html"
MINUTES_TEMPLATE = "lso/minutes_print.html"


class RefusedFetch(ValueError):
    """WeasyPrint asked for a URL that is not a ``data:`` URI."""


def data_only_fetcher():
    """A WeasyPrint URL fetcher that serves ``data:`` URIs and refuses everything else."""
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                self.refused.append(url)
                raise RefusedFetch(f"refused to fetch {url!r}: only data: URIs are allowed")
            return super().fetch(url, headers)

    return DataOnlyFetcher()


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
    """Step one: what the pack shows this reader."""
    items = pack_items(meeting, reader)
    special = policy.SpecialCategoryChecker(reader, [item.case for item in items])
    entries = [{"item": item, "case": item.case, "show_special_category": special(item.case)} for item in items]
    return {
        "meeting": meeting,
        "entries": entries,
        "total_minutes": sum(item.minutes_allotted for item in items),
        "reader": reader,
        "generated_at": timezone.localtime(),
    }


def render_pack_html(meeting: Meeting, reader) -> str:
    """Step two: the pack's HTML."""
    return render_to_string(PACK_TEMPLATE, pack_context(meeting, reader))


def html_to_pdf(html: str, *, fetcher=None) -> bytes:
    """Step three: the PDF (no network)."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=fetcher or data_only_fetcher(), base_url=None).write_pdf()


def pack_pdf(meeting: Meeting, reader, *, progress: Callable[[int], None] | None = None) -> tuple[bytes, list[int]]:
    """The pack's PDF and the ids of the cases it names."""
    context = pack_context(meeting, reader)
    if progress:
        progress(40)
    html = render_to_string(PACK_TEMPLATE, context)
    if progress:
        progress(60)
    return html_to_pdf(html), [entry["case"].pk for entry in context["entries"]]


def build_pack(pack_id: int) -> bool:
    """The Celery task's work: make the pack's PDF for its reader and store it, recording
    progress on the row. False when there is nothing (more) to do."""
    from django.core.files.base import ContentFile
    from django.db import DatabaseError

    from lso.models import AgendaPack
    from lvv.audit.log import TASK, Action, record

    pack = AgendaPack.objects.select_related("requested_by").filter(pk=pack_id).first()
    if pack is None or pack.status == AgendaPack.Status.DONE:
        return False
    reader = pack.requested_by

    def progress(percent: int) -> None:
        AgendaPack.objects.filter(pk=pack.pk).update(status=AgendaPack.Status.RUNNING, progress=percent)

    progress(10)
    meeting = selectors.visible_meetings(reader).select_related("location").filter(pk=pack.meeting_id).first()
    if meeting is None:
        AgendaPack.objects.filter(pk=pack.pk).update(status=AgendaPack.Status.FAILED, error="not visible")
        return False
    try:
        data, case_ids = pack_pdf(meeting, reader, progress=progress)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 -- a broken pack is shown as failed, never half-served
        AgendaPack.objects.filter(pk=pack.pk).update(status=AgendaPack.Status.FAILED, error=str(exc)[:300])
        return False
    progress(90)
    pack.refresh_from_db()
    pack.file.save(f"agendapakket-{meeting.pk}-{pack.pk}.pdf", ContentFile(data), save=False)
    pack.status, pack.progress, pack.case_ids = AgendaPack.Status.DONE, 100, case_ids
    pack.meeting_version, pack.finished_at = meeting.version, timezone.now()
    pack.save()
    record(
        actor=policy.SYSTEM,
        action=Action.EXPORT,
        origin=TASK,
        obj=meeting,
        detail={"pack": pack.pk, "reader": reader.pk, "cases": case_ids},
    )
    return True
