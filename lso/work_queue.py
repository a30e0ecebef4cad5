"""The LSO's part of the start page's work queue (registered in ``cases.extensions`` by
``LsoConfig.ready``): the open actions of the user or the user's organisation, and the
unread notices about meetings."""

from __future__ import annotations

from cases import extensions
from lso import selectors

SHOWN = 10


@extensions.register_work_queue
def work_queue(request) -> dict:
    user = request.user
    return {
        "lso_actions": list(selectors.open_actions_for(user)[:SHOWN]),
        "lso_notices": list(selectors.notices_for(user).filter(read_at__isnull=True)[:SHOWN]),
    }
