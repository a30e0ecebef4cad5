"""Thin Celery wrappers for the LSO: they take ids, are safe to run twice and retry on
transient errors (database or mail server unreachable).

``make_agenda_pack`` is a job task (``lvv.jobs``, docs/adr/0010): acknowledged late and
put back on the queue when its worker dies, with time limits below the broker's
visibility timeout; the pack row's claim makes the rerun safe. ``sweep_stale_packs``
runs every minute (``CELERY_BEAT_SCHEDULE`` in settings).
"""

from __future__ import annotations

from celery import shared_task

from lso import notices
from lvv.jobs import JOB_TASK, RETRY, TRANSIENT_DB_ERRORS, TRANSIENT_MAIL_ERRORS

__all__ = ["send_meeting_notice", "make_agenda_pack", "sweep_stale_packs"]


@shared_task(autoretry_for=(*TRANSIENT_DB_ERRORS, *TRANSIENT_MAIL_ERRORS), **RETRY)
def send_meeting_notice(notice_id: int) -> bool:
    """E-mail one member the notice that a meeting's agenda is published (once)."""
    return notices.send_notice_email(notice_id)


@shared_task(bind=True, autoretry_for=TRANSIENT_DB_ERRORS, **RETRY, **JOB_TASK)
def make_agenda_pack(self, pack_id: int) -> bool:
    """Make one reader's agenda pack (``lso.models.AgendaPack``), recording its progress.
    Safe to run twice: a finished pack is left alone, a crashed run's file replaced."""
    from lso import pdf

    return pdf.build_pack(pack_id, task_id=self.request.id or "", heartbeat=not self.request.is_eager)


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def sweep_stale_packs() -> dict[str, list[int]]:
    """Agenda packs whose worker stopped: queued again once, then failed."""
    from lso import services

    return services.sweep_stale_packs()
