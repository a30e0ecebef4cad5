"""API tokens: issue, use, revoke. Each step goes to the access log.

A token is a django-rest-knox token (``ApiToken``): the key is shown once, when it is
issued, and only its digest is kept. It expires after ``REST_KNOX["TOKEN_TTL"]``
(``API_TOKEN_HOURS``) and is never renewed. Its user can revoke it on the token page,
a functional manager in the admin. Tokens are issued to their own user only: in the
browser (after the TOTP step where two-factor login is required) and by the operator's
command ``drf_create_token``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from knox.settings import knox_settings

from lvv.accounts.models import ApiToken
from lvv.audit.log import AccessAction, Channel, Origin, Result, record

OBJECT_TYPE = ApiToken._meta.label_lower

# Events in the access log (``detail.event``); the actions are the log's own: a token is
# created, used to log in to the API, and ended (logout) by revocation or expiry.
ISSUED = "api_token_issued"
USED = "api_token_used"
REVOKED = "api_token_revoked"
EXPIRED = "api_token_expired"


def lifetime():
    return knox_settings.TOKEN_TTL


def _detail(token: ApiToken, event: str, **extra) -> dict:
    return {"event": event, "user": token.user.get_username(), "token": token.token_key, **extra}


@transaction.atomic
def issue(user, *, origin: Origin, name: str = "", actor=None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the key (shown once, stored nowhere)."""
    purge_expired(user)
    token, key = ApiToken.objects.create(user=user, expiry=lifetime(), name=name.strip()[:100])
    record(
        actor=actor or user,
        action=AccessAction.CREATE,
        origin=origin,
        object_type=OBJECT_TYPE,
        object_id=token.pk,
        detail=_detail(token, ISSUED, expiry=token.expiry.isoformat(), name=token.name),
    )
    return token, key


def record_use(token: ApiToken, request) -> None:
    """Log one API request made with ``token``: at most once per token and request."""
    http_request = getattr(request, "_request", request)
    seen = http_request.__dict__.setdefault("_lvv_api_tokens_logged", set())
    if token.pk in seen:
        return
    seen.add(token.pk)
    record(
        actor=token.user,
        action=AccessAction.LOGIN,
        origin=Origin.from_request(request, Channel.API),
        object_type=OBJECT_TYPE,
        object_id=token.pk,
        detail=_detail(token, USED, path=http_request.path[:200], method=http_request.method),
    )


@transaction.atomic
def revoke(token: ApiToken, *, actor, origin: Origin) -> None:
    record(
        actor=actor,
        action=AccessAction.LOGOUT,
        origin=origin,
        object_type=OBJECT_TYPE,
        object_id=token.pk,
        detail=_detail(token, REVOKED),
    )
    token.delete()


def expire(token: ApiToken, *, origin: Origin) -> None:
    """A request came with an expired token: refuse it (the caller does), delete it, log it."""
    record(
        actor=None,
        action=AccessAction.LOGIN_FAILED,
        result=Result.DENIED,
        origin=origin,
        object_type=OBJECT_TYPE,
        object_id=token.pk,
        detail=_detail(token, EXPIRED, expiry=token.expiry.isoformat()),
    )
    token.delete()


def purge_expired(user=None) -> int:
    """Delete expired tokens (of one user, or all); they no longer work anyway."""
    tokens = ApiToken.objects.filter(expiry__lte=timezone.now())
    if user is not None:
        tokens = tokens.filter(user=user)
    deleted, _per_model = tokens.delete()
    return deleted


def active_tokens(user):
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created", "-id")
