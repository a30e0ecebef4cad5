"""Logins, failed logins and logouts go to the access log."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from lvv.audit.log import AccessAction, Origin, Result, record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(actor=user, action=AccessAction.LOGIN, origin=Origin.from_request(request), obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action=AccessAction.LOGOUT, origin=Origin.from_request(request), obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    record(
        actor=None,
        action=AccessAction.LOGIN_FAILED,
        result=Result.DENIED,
        origin=Origin.from_request(request),
        object_type="accounts.user",
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
