"""Periodic jobs on deadlines: thin Celery wrappers around ``cases.deadlines`` and
``cases.notifications``. Every task takes ids (or nothing), is safe to run twice and
retries on transient errors (database or mail server unreachable).

Schedule (``CELERY_BEAT_SCHEDULE`` in settings): ``recompute_deadlines`` daily at 02:00
Europe/Amsterdam, followed by ``notify_deadlines``; ``send_daily_digests`` in the morning.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import partial

from celery import shared_task
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases import deadlines, notifications
from cases.models import Case, Deadline
from cases.workflow import OPEN_STATES
from lvv.access import policy
from lvv.audit.log import TASK, AccessAction, record
from lvv.jobs import RETRY, TRANSIENT_DB_ERRORS, TRANSIENT_MAIL_ERRORS
from lvv.partners.models import ProgrammeSettings

BATCH_SIZE = 200

__all__ = [
    "recompute_cases",
    "recompute_deadlines",
    "notify_deadlines",
    "send_daily_digests",
    "send_digest",
]


def cases_to_recompute(case_ids: Iterable[int] | None = None):
    """Open cases, and any other case that still has an unresolved deadline."""
    unresolved = Deadline.objects.filter(case=OuterRef("pk"), resolved_on__isnull=True)
    cases = Case.objects.filter(Q(state__in=OPEN_STATES) | Exists(unresolved))
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    return cases


def recompute_cases(
    case_ids: Iterable[int] | None = None, *, today: datetime.date | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Recompute the deadlines of the cases in batches; returns the deadline rows changed.

    Per batch: one locking query for the cases (with their LVV), four prefetches, and one
    write per changed row only. Cases are locked (in id order) so that a service changing
    the same case at the same time cannot interleave with the recomputation.
    """
    today = today or timezone.localdate()
    programme = ProgrammeSettings.current()
    pks = list(cases_to_recompute(case_ids).order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            batch = (
                Case.objects.filter(pk__in=pks[start : start + batch_size])
                .select_for_update(of=("self",))
                .select_related("location")
                .prefetch_related("dossier_parts", "scenarios", "cooperation_checks", "deadlines")
                .order_by("pk")
            )
            for case in batch:
                rows = deadlines.recompute(case, today=today, programme=programme)
                if rows:
                    changed += rows
                    record(
                        actor=policy.SYSTEM,
                        action=AccessAction.UPDATE,
                        origin=TASK,
                        obj=case,
                        detail={"step": "recompute_deadlines", "rows": rows},
                    )
    return changed


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def recompute_deadlines(case_ids: list[int] | None = None, then_notify: bool = False) -> int:
    """Bring the stored deadlines in line with the records (all open cases, or ``case_ids``).

    Returns the number of deadline rows changed; a second run returns 0. With
    ``then_notify`` (the nightly schedule) ``notify_deadlines`` is queued afterwards.
    """
    changed = recompute_cases(case_ids)
    if then_notify:
        transaction.on_commit(notify_deadlines.delay)
    return changed


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def notify_deadlines() -> int:
    """Create in-app notices for due-soon and overdue deadlines; returns how many are new."""
    return notifications.notify_deadlines()


@shared_task(autoretry_for=TRANSIENT_DB_ERRORS, **RETRY)
def send_daily_digests() -> int:
    """Queue one digest e-mail per user who wants one and has unread due items; returns how many."""
    day = timezone.localdate()
    user_ids = list(notifications.digest_recipients(day).values_list("pk", flat=True))
    for user_id in user_ids:
        transaction.on_commit(partial(send_digest.delay, user_id, day.isoformat()))
    return len(user_ids)


@shared_task(autoretry_for=(*TRANSIENT_DB_ERRORS, *TRANSIENT_MAIL_ERRORS), **RETRY)
def send_digest(user_id: int, day: str | None = None) -> bool:
    """Send one user's digest for ``day`` (ISO date); nothing when it was already sent."""
    return notifications.send_digest(
        user_id=user_id, day=datetime.date.fromisoformat(day) if day else timezone.localdate()
    )
