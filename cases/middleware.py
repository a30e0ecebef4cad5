"""A user's own change renews the inbox count in their navigation (``inboxes.nav_counts``)."""

from __future__ import annotations

from cases import inboxes

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class InboxCountsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method not in SAFE_METHODS and user is not None and user.is_authenticated:
            inboxes.forget_nav_counts(user)
        return response
