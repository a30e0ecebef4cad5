"""Notifications about deadlines: who is told, what the in-app notice says, the daily digest.

``notify_deadlines`` creates one in-app ``Notification`` per user, deadline, kind of notice
(due soon, overdue) and due date, for the users who should act on the deadline and can
see the case. ``send_digest`` sends one user the daily e-mail with the unread items.
Both are safe to run twice. The Celery tasks in ``cases.tasks`` wrap them.

Notices without a deadline (``due_on`` may be empty) come from elsewhere: a new item in a
partner inbox (kind ``inbox``, ``cases.inboxes``) and a hand-over (kind ``handed_over``,
``services.hand_over``). The page lists them with the others; the digest mails each of them
once, while it is unread and, for an inbox notice, while the case is still in that inbox.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases import inboxes
from cases.models import Case, Deadline, DeadlineKind, Notification
from cases.workflow import OPEN_STATES
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.audit.log import TASK, AccessAction, Origin, record
from lvv.partners.models import Location, ProgrammeSettings, ServiceLink

# The in-app messages (Dutch, stored on the notification when it is created).
DUE_SOON_MESSAGE = _("%(deadline)s van casus %(case)s verloopt op %(date)s.")
OVERDUE_MESSAGE = _("%(deadline)s van casus %(case)s is verlopen op %(date)s.")
MESSAGES = {Notification.Kind.DUE_SOON: DUE_SOON_MESSAGE, Notification.Kind.OVERDUE: OVERDUE_MESSAGE}

DIGEST_ON = _("U ontvangt voortaan elke ochtend een e-mail met de termijnen die uw aandacht vragen.")
DIGEST_OFF = _("U ontvangt geen dagelijkse e-mail met termijnen meer.")
MARKED_READ = _("De melding is als gelezen gemarkeerd.")
ALL_MARKED_READ = _("Alle meldingen zijn als gelezen gemarkeerd.")

# Who acts on a deadline besides the case workers of the case's LVV (all kinds).
EXTRA_ROLES = {
    DeadlineKind.COOPERATION_CHECK: Role.NGO,  # the NGO the case is assigned to
    DeadlineKind.DOSSIER_IND: Role.IND,
    DeadlineKind.DOSSIER_DTV: Role.DTV,
}
NOTIFIED_ROLES = (Role.CASEMANAGER, *EXTRA_ROLES.values())


def notice_kind(deadline: Deadline, today: datetime.date) -> str:
    return Notification.Kind.OVERDUE if deadline.due_on < today else Notification.Kind.DUE_SOON


def build_message(deadline: Deadline, kind: str) -> str:
    """The Dutch text of a notice; it names the case by its reference only, not the person."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(MESSAGES[kind]) % {
            "deadline": capfirst(str(deadline.get_kind_display())),
            "case": deadline.case.reference,
            "date": date_format(deadline.due_on),
        }


def should_act(user, deadline: Deadline, user_locations: set[int]) -> bool:
    """Whether ``user`` is one of the people who act on ``deadline`` (visibility aside)."""
    case = deadline.case
    if case.location_id not in user_locations:
        return False
    if user.has_role(Role.CASEMANAGER):
        return True
    role = EXTRA_ROLES.get(deadline.kind)
    if role is None or not user.has_role(role):
        return False
    if role == Role.NGO:
        return case.assigned_ngo_id is not None and case.assigned_ngo_id == user.organisation_id
    return True


def due_deadlines(today: datetime.date, programme: ProgrammeSettings) -> QuerySet[Deadline]:
    """Open, running deadlines of open cases that are due soon or overdue on ``today``."""
    horizon = today + datetime.timedelta(days=programme.due_soon_days)
    return Deadline.objects.filter(
        resolved_on__isnull=True,
        paused_since__isnull=True,
        due_on__lte=horizon,
        case__state__in=OPEN_STATES,
    )


def _locations_by_organisation(location_ids: set[int]) -> dict[int, set[int]]:
    """Organisation id -> the LVVs (among ``location_ids``) it works for (two queries)."""
    result: dict[int, set[int]] = defaultdict(set)
    for location_id, municipality_id in Location.objects.filter(pk__in=location_ids).values_list(
        "pk", "municipality_id"
    ):
        result[municipality_id].add(location_id)
    for organisation_id, location_id in ServiceLink.objects.filter(location__in=location_ids).values_list(
        "organisation_id", "location_id"
    ):
        result[organisation_id].add(location_id)
    return result


@transaction.atomic
def notify_deadlines(*, today: datetime.date | None = None) -> int:
    """Create the missing notices for due-soon and overdue deadlines; returns how many.

    Queries: a fixed number, plus one visibility query per candidate user (the users with
    a notified role in an LVV that has a due deadline), never one per deadline.
    """
    today = today or timezone.localdate()
    programme = ProgrammeSettings.current()
    due_qs = due_deadlines(today, programme)
    due = list(due_qs.select_related("case"))
    if not due:
        return 0
    location_ids = {d.case.location_id for d in due}
    org_locations = _locations_by_organisation(location_ids)
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, organisation__in=list(org_locations), roles__overlap=[str(r) for r in NOTIFIED_ROLES]
        )
        .order_by("pk")
    )
    existing = set(
        Notification.objects.filter(deadline__in=due_qs).values_list("user_id", "deadline_id", "kind", "due_on")
    )
    case_ids = due_qs.values("case_id")
    new: list[Notification] = []
    for user in users:
        candidates = [d for d in due if should_act(user, d, org_locations[user.organisation_id])]
        if not candidates:
            continue
        # Never a notice about a case the user cannot see (the policy decides, with grants).
        visible = set(Case.objects.visible_to(user).filter(pk__in=case_ids).values_list("pk", flat=True))
        for deadline in candidates:
            if deadline.case_id not in visible:
                continue
            kind = notice_kind(deadline, today)
            if (user.pk, deadline.pk, kind, deadline.due_on) in existing:
                continue
            new.append(
                Notification(
                    user=user,
                    case_id=deadline.case_id,
                    deadline=deadline,
                    kind=kind,
                    due_on=deadline.due_on,
                    message=build_message(deadline, kind),
                )
            )
    # ignore_conflicts: a concurrent run that created the same notice wins, nothing doubles.
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


# --- Reading and marking, for the "Meldingen" page ---------------------------------------


def user_notifications(user) -> QuerySet[Notification]:
    """The user's own notifications whose case the user can still see."""
    if policy.is_system(user) or not policy.sees_persons(user):
        return Notification.objects.none()
    return Notification.objects.filter(user=user, case__in=Case.objects.visible_to(user))


def mark_read(*, user, notification_id: int) -> bool:
    """Mark one of the user's notifications as read; False when it does not exist for the user."""
    notifications = user_notifications(user).filter(pk=notification_id)
    if not notifications.exists():
        return False
    notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return True


def mark_all_read(*, user) -> int:
    return user_notifications(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def set_daily_digest(*, user, enabled: bool, origin: Origin) -> None:
    if user.daily_digest == enabled:
        return
    user.daily_digest = enabled
    user.save(update_fields=["daily_digest"])
    record(actor=user, action=AccessAction.UPDATE, obj=user, origin=origin, detail={"daily_digest": enabled})


# --- The daily digest --------------------------------------------------------------------


def digest_items(user) -> list[Notification]:
    """What the user's digest lists: the deadline notices (``deadline_items``), then the
    notices without a deadline (``event_items``)."""
    return deadline_items(user) + event_items(user)


def deadline_items(user) -> list[Notification]:
    """The user's unread notices about deadlines that are still open and still due on the
    date the notice was about (a moved deadline gets a new notice): per deadline the latest
    notice (overdue after due soon), when the user has not read it yet."""
    rows = (
        user_notifications(user)
        .filter(
            deadline__isnull=False,
            deadline__resolved_on__isnull=True,
            deadline__paused_since__isnull=True,
            due_on=F("deadline__due_on"),
            case__state__in=OPEN_STATES,
        )
        .select_related("case", "deadline")
        .order_by("due_on", "case_id", "deadline_id")
    )
    latest: dict[int, Notification] = {}
    for row in rows:
        current = latest.get(row.deadline_id)
        if current is None or (current.kind, current.pk) < (row.kind, row.pk):  # "overdue" > "due_soon"
            latest[row.deadline_id] = row
    return [row for row in latest.values() if row.read_at is None]


# --- Notices without a deadline (partner inboxes, hand-overs) ------------------------------


def _undated_unmailed() -> Q:
    """A notice without a deadline that no digest has listed yet."""
    return Q(deadline__isnull=True, digest_sent_on__isnull=True)


def event_items(user) -> list[Notification]:
    """The user's unread notices without a deadline (a new inbox item, a hand-over) that no
    digest listed yet, oldest first; an inbox notice only while its case is still in that
    inbox (``inboxes.still_open``: one query per inbox among them)."""
    rows = list(
        user_notifications(user)
        .filter(_undated_unmailed(), read_at__isnull=True)
        .select_related("case")
        .order_by("created_at", "id")
    )
    open_inbox = inboxes.still_open(user, rows)
    return [row for row in rows if row.kind != Notification.Kind.INBOX or row.pk in open_inbox]


def digest_recipients(day: datetime.date) -> QuerySet:
    """Users who want the digest, have an e-mail address and unread open items, and did not
    get a digest on ``day`` yet (visibility is checked again when the e-mail is built)."""
    unread = Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True).filter(
        Q(deadline__isnull=False, deadline__resolved_on__isnull=True) | _undated_unmailed()
    )
    sent = Notification.objects.filter(user=OuterRef("pk"), digest_sent_on=day)
    return (
        get_user_model()
        .objects.filter(is_active=True, daily_digest=True)
        .exclude(Q(email="") | Q(email__isnull=True))
        .filter(Exists(unread))
        .exclude(Exists(sent))
        .order_by("pk")
    )


def _digest_email(user, items: list[Notification], day: datetime.date) -> EmailMultiAlternatives:
    site = getattr(settings, "LVV_SITE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):

        def lines(kind: str) -> list[dict]:
            return [
                {"message": n.message, "link": f"{site}{reverse('cases:detail', args=[n.case_id])}" if site else ""}
                for n in items
                if n.kind == kind
            ]

        # Notices without a deadline, one section per kind (a new inbox item, a hand-over).
        deadline_kinds = (Notification.Kind.OVERDUE, Notification.Kind.DUE_SOON)
        other_kinds = [kind for kind in dict.fromkeys(n.kind for n in items) if kind not in deadline_kinds]
        others = [
            {"heading": capfirst(str(Notification.Kind(kind).label)), "items": lines(kind)}
            for kind in other_kinds
            if kind in Notification.Kind.values
        ]
        context = {
            "user": user,
            "day": day,
            "overdue": lines(Notification.Kind.OVERDUE),
            "due_soon": lines(Notification.Kind.DUE_SOON),
            "others": others,
            "count": len(items),
            "notifications_url": f"{site}{reverse('cases:notifications:list')}" if site else "",
        }
        subject = " ".join(render_to_string("notifications/digest_subject.txt", context).split())
        body = render_to_string("notifications/digest_email.txt", context)
        html = render_to_string("notifications/digest_email.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def _deliver(message: EmailMultiAlternatives, notification_ids: list[int], day: datetime.date) -> None:
    """Send after the commit; on failure, undo the "sent" mark so a retry sends it again."""
    try:
        message.send()
    except Exception:
        Notification.objects.filter(pk__in=notification_ids, digest_sent_on=day).update(digest_sent_on=None)
        raise


def send_digest(*, user_id: int, day: datetime.date | None = None) -> bool:
    """Build and send one user's daily digest (after commit). False when there is nothing
    to send, the user switched it off, or the digest for ``day`` was already sent."""
    day = day or timezone.localdate()
    with transaction.atomic():
        user = (
            get_user_model()
            .objects.select_for_update()
            .filter(pk=user_id, is_active=True, daily_digest=True)
            .exclude(email="")
            .first()
        )
        if user is None or Notification.objects.filter(user=user, digest_sent_on=day).exists():
            return False
        items = digest_items(user)
        if not items:
            return False
        message = _digest_email(user, items, day)
        ids = [n.pk for n in items]
        Notification.objects.filter(pk__in=ids).update(digest_sent_on=day)
        record(
            actor=policy.SYSTEM,
            action=AccessAction.EXPORT,
            origin=TASK,
            obj=user,
            detail={"digest": day.isoformat(), "cases": sorted({n.case_id for n in items})},
        )
        transaction.on_commit(partial(_deliver, message, ids, day))
    return True
