"""Background work of the access log: sealing new rows into the hash chain every minute
(``CELERY_BEAT_SCHEDULE`` in settings)."""

from __future__ import annotations

from celery import shared_task

from lvv.audit import chain


@shared_task(name="audit.seal_processing_log")
def seal_processing_log() -> int:
    return chain.seal()
