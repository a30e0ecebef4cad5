"""Login lockout (django-axes): per username and address, and per account on every address.

``AXES_LOCKOUT_PARAMETERS`` lists the two counts (``[["username", "ip_address"], "username"]``);
axes compares the largest with one limit, so ``LockoutHandler`` gives each its own:
``AXES_FAILURE_LIMIT`` (``LOGIN_FAILURE_LIMIT``) for a username on one address,
``LOGIN_ACCOUNT_FAILURE_LIMIT`` for the account over all addresses. Either way the lockout
ends ``AXES_COOLOFF_TIME`` after the last counted failure, attempts during the lockout do
not extend it, and the account's user gets one e-mail per lockout (after the request's
transaction commits, through the Celery mail task) saying until when, with the link to
choose a new password; a password reset lifts the lockout at once.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.dispatch import receiver
from django.template import loader
from django.urls import reverse
from django.utils import timezone

from lvv.accounts.tasks import send_email

ACCOUNT_WIDE = ("username", ["username"], ("username",))


def limit_for(parameters, address_limit: int) -> int:
    """The failure limit of one lockout parameter set."""
    return settings.LOGIN_ACCOUNT_FAILURE_LIMIT if parameters in ACCOUNT_WIDE else address_limit


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures that count, scaled to ``AXES_FAILURE_LIMIT``: a set at its own limit
        gives that limit (locked); below it, the same share of the way there (not locked)."""
        limit = get_failure_limit(request, credentials)
        parameter_sets = get_lockout_parameters(request, credentials)
        worst = 0
        for parameters, attempts in zip(parameter_sets, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            own_limit = limit_for(parameters, limit)
            worst = max(worst, limit if failures >= own_limit else failures * limit // own_limit)
        return worst


def _mail_key(username: str) -> str:
    return f"lvv:lockout-mail:{username}"


@receiver(user_locked_out, dispatch_uid="lvv.accounts.lockout.notify")
def notify_locked_out_user(sender, request, username, ip_address, **kwargs):
    """One e-mail per lockout to the account's owner, if the account exists and has an address."""
    if not username:
        return
    user = get_user_model().objects.filter(username=username, is_active=True).exclude(email="").first()
    if user is None:
        return
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else None
    if not cache.add(_mail_key(username), True, timeout=seconds or 3600):
        return  # already told about this lockout
    context = {
        "user": user,
        "minutes": (seconds or 0) // 60,
        "until": timezone.localtime(timezone.now() + cool_off) if cool_off else None,
        "reset_url": _absolute(request, reverse("accounts:password_reset")),
    }
    subject = "".join(loader.render_to_string("accounts/lockout_email_subject.txt", context).splitlines())
    body = loader.render_to_string("accounts/lockout_email.txt", context)
    to = [user.email]
    transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=to))


def _absolute(request, path: str) -> str:
    site = settings.LVV_SITE_URL.rstrip("/")
    return f"{site}{path}" if site else request.build_absolute_uri(path)


def lift(username: str) -> None:
    """End every lockout of ``username`` (after the user chose a new password)."""
    from axes.utils import reset

    reset(username=username)
    cache.delete(_mail_key(username))
