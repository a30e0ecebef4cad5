"""Shared by the tests that need journal notes (the journal itself, the person page, the
case summary)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases import services
from cases.models import Note, NoteKind
from lvv.audit.log import COMMAND


def add_note(
    user,
    case,
    text: str = "Gesprek gevoerd.",
    *,
    kind: str = NoteKind.CONVERSATION,
    written_on: datetime.date | None = None,
    **kwargs,
) -> Note:
    """A note written through the service: a conversation, today, unless told otherwise."""
    return services.add_note(
        acting_user=user,
        origin=COMMAND,
        case=case,
        written_on=written_on or timezone.localdate(),
        kind=kind,
        text=text,
        **kwargs,
    )
