"""``{% inbox_nav %}``: the navigation's "Inbox" entry with the number of open items.

Rendered by ``base.html`` for users with an inbox (the IND, the DT&V, the LSO chair); the
counts come from ``cases.inboxes.nav_counts``: the page's own when it shows the inboxes too,
else kept per user for ``INBOX_NAV_SECONDS`` (one query when they are counted anew).
Nothing for other roles (no query).
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from cases import inboxes

register = template.Library()


@register.inclusion_tag("includes/inbox_nav.html", takes_context=True)
def inbox_nav(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    boxes = inboxes.for_user(user)
    if not boxes:
        return {"show": False}
    numbers = inboxes.nav_counts(request)
    parts = [(box.title, numbers.get(box.key, 0)) for box in boxes]
    namespace = getattr(getattr(request, "resolver_match", None), "namespace", "")
    return {
        "show": True,
        "url": reverse("inbox:overview"),
        "total": sum(n for _title, n in parts),
        "parts": parts,
        "current": namespace == "inbox",
    }
