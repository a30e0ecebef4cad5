"""Types of the API's code (annotations only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import mixins, viewsets
from rest_framework.request import Request

from lvv.accounts.models import User


class AuthenticatedRequest(Request):
    """A request that passed ``IsAuthenticated``, every endpoint's default permission: its
    user is a ``User``, never an anonymous visitor. For annotations only; DRF makes the
    requests.

    A view's ``request`` attribute and its own actions take it. An override of one of DRF's
    actions (``create``, ``update``, ...) that hands the user to a service takes it too, with
    ``# type: ignore[override]``: DRF declares those for any request, authenticated or not."""

    user: User


if TYPE_CHECKING:
    # What a mixin of list and read views is mixed into, for the type checker; at run time
    # the mixin stands first among the view's bases, so it derives from nothing.
    class ReadViewBase(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
        pass
else:
    ReadViewBase = object
