"""The sentences the case app stores in Dutch (notices, owner changes), known to
``lvv.stored_text`` so that an English reader gets them in English."""

from __future__ import annotations

from cases import inboxes, notifications, services
from cases.models import DeadlineKind, OwnerRole
from lvv import stored_text


def _inbox_title(value: str) -> str | None:
    for box in inboxes.all_inboxes():
        if stored_text.dutch(box.title) == value:
            return str(box.title)
    return value  # an inbox that is gone: its title as stored


for _message in (notifications.DUE_SOON_MESSAGE, notifications.OVERDUE_MESSAGE):
    stored_text.register(
        _message, deadline=stored_text.choice(DeadlineKind.choices, capitalised=True), date=stored_text.date
    )
stored_text.register(inboxes.ARRIVAL_MESSAGE, inbox=_inbox_title)
stored_text.register(inboxes.ARRIVAL_MESSAGE_DUE, inbox=_inbox_title, date=stored_text.date)
stored_text.register(services.HANDED_OVER_MESSAGE, role=stored_text.choice(OwnerRole.choices))
