"""Thin Celery wrappers for the LSO: they take ids, are safe to run twice and retry on
transient errors (database or mail server unreachable)."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from lso import notices

__all__ = ["send_meeting_notice"]

TRANSIENT_ERRORS = (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError)
RETRY = {"retry_backoff": 30, "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}


@shared_task(autoretry_for=TRANSIENT_ERRORS, **RETRY)
def send_meeting_notice(notice_id: int) -> bool:
    """E-mail one member the notice that a meeting's agenda is published (once)."""
    return notices.send_notice_email(notice_id)


@shared_task(autoretry_for=(OperationalError, InterfaceError), **RETRY)
def make_agenda_pack(pack_id: int) -> bool:
    """Make one reader's agenda pack (``lso.models.AgendaPack``), recording its progress.
    Safe to run twice: a finished pack is left alone."""
    from lso import pdf

    return pdf.build_pack(pack_id)


__all__ += ["make_agenda_pack"]
