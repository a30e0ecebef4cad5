"""Types of the API's code (annotations only)."""

from __future__ import annotations

from rest_framework.request import Request

from lvv.accounts.models import User


class AuthenticatedRequest(Request):
    """A request that passed ``IsAuthenticated``, every endpoint's default permission: its
    user is a ``User``, never an anonymous visitor. For annotations only; DRF makes the
    requests."""

    user: User
