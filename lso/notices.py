"""The e-mail copy of a meeting notice: built and sent once, after the commit.

The message names the meeting (LVV, date, time, place), never a person: the agenda itself
is read in the application, where access is checked.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from lso.models import MeetingNotice
from lvv.access import policy
from lvv.audit.log import TASK, AccessAction, record

EMAIL_SUBJECT = _("LSO %(location)s op %(date)s: de agenda is gepubliceerd")
EMAIL_GREETING = _("Beste %(name)s,")
EMAIL_DATE = _("Datum: %(date)s, aanvang %(time)s")
EMAIL_PLACE = _("Plaats: %(place)s")
EMAIL_LINK = _("Online: %(link)s")
EMAIL_OPEN = _("De agenda en de voorbereiding per casus vindt u in het LVV-casussysteem: %(url)s")
EMAIL_OPEN_NO_URL = _("De agenda en de voorbereiding per casus vindt u in het LVV-casussysteem.")
EMAIL_PRIVACY = _("Dit bericht noemt bewust geen personen.")


def meeting_url(meeting_id: int) -> str:
    """The meeting's page on the site, when the site's address and the page are known."""
    site = getattr(settings, "LVV_SITE_URL", "")
    if not site:
        return ""
    try:
        return f"{site.rstrip('/')}{reverse('lso:meeting-detail', args=[meeting_id])}"
    except NoReverseMatch:
        return ""


def build_email(notice: MeetingNotice) -> EmailMessage:
    meeting, user = notice.meeting, notice.user
    with translation.override(settings.LANGUAGE_CODE):
        date = date_format(meeting.date)
        subject = str(EMAIL_SUBJECT % {"location": meeting.location.name, "date": date})
        url = meeting_url(meeting.pk)
        lines = [
            str(EMAIL_GREETING % {"name": user.get_full_name() or user.get_username()}),
            "",
            notice.message,
            "",
            str(EMAIL_DATE % {"date": date, "time": time_format(meeting.start_time, "H:i")}),
        ]
        if meeting.place:
            lines.append(str(EMAIL_PLACE % {"place": meeting.place}))
        if meeting.online_link:
            lines.append(str(EMAIL_LINK % {"link": meeting.online_link}))
        lines += ["", str(EMAIL_OPEN % {"url": url}) if url else str(EMAIL_OPEN_NO_URL), str(EMAIL_PRIVACY)]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def _deliver(message: EmailMessage, notice_id: int) -> None:
    """Send after the commit; on failure the notice is unmarked so a retry sends it."""
    try:
        message.send()
    except Exception:
        MeetingNotice.objects.filter(pk=notice_id).update(emailed_at=None)
        raise


def send_notice_email(notice_id: int) -> bool:
    """E-mail one notice; False when it was sent before or its user has no address.
    Safe to run twice."""
    with transaction.atomic():
        notice = (
            MeetingNotice.objects.select_for_update(of=("self",))
            .select_related("user", "meeting__location")
            .filter(pk=notice_id, emailed_at__isnull=True)
            .first()
        )
        if notice is None or not notice.user.is_active or not notice.user.email:
            return False
        message = build_email(notice)
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["emailed_at"])
        record(
            actor=policy.SYSTEM,
            action=AccessAction.EXPORT,
            origin=TASK,
            obj=notice.meeting,
            detail={"notice": notice.pk, "user": notice.user_id},
        )
        transaction.on_commit(partial(_deliver, message, notice.pk))
    return True
