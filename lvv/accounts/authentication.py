"""``Authorization: Token <key>`` for the API: django-rest-knox, with the access log.

DRF makes one instance per request. A request with a valid token costs one look-up of the
token (with its user) and one access-log row; an expired token is refused, deleted and
logged once.
"""

from __future__ import annotations

from django.utils import timezone
from knox import auth

from lvv.accounts import tokens
from lvv.audit.log import Channel, Origin


class TokenAuthentication(auth.TokenAuthentication):
    _request = None

    def authenticate(self, request):
        self._request = request
        result = super().authenticate(request)
        if result is not None:
            tokens.record_use(result[1], request)
        return result

    def _cleanup_token(self, auth_token) -> bool:
        # Knox also walks every other token of the user here; only this one matters now
        # (expired tokens are purged when their user issues a new one or opens the token page).
        if auth_token.expiry > timezone.now():
            return False
        origin = Origin.from_request(self._request, Channel.API) if self._request is not None else None
        tokens.expire(auth_token, origin=origin or Origin(channel=Channel.API))
        return True
