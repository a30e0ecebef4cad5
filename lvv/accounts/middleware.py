"""Two-factor login: when required, a logged-in user must pass TOTP before anything else."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device

# Paths a half-logged-in user may still reach: the 2FA pages, logout, language, static files.
ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/")
TWO_FACTOR_REQUIRED = _("Tweestapsverificatie is vereist: log in via de website en voltooi de verificatie.")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.LVV_REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": str(TWO_FACTOR_REQUIRED)}, status=403)
            target = "accounts:otp-verify" if user_has_device(user, confirmed=True) else "accounts:otp-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
