"""Login with two-factor verification (TOTP), enrolment by QR code, logout; the user's API tokens."""

from __future__ import annotations

from base64 import b32encode
from functools import wraps
from io import BytesIO
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from lvv.accounts import lockout, tokens
from lvv.accounts.forms import ApiTokenForm, LoginForm, StyledPasswordResetForm, StyledSetPasswordForm, TokenForm
from lvv.accounts.models import ApiToken
from lvv.audit.log import Origin

DEVICE_NAME = "authenticator"


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    form_class = StyledPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = StyledSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.lift(form.user.get_username())  # a new password ends a lockout at once
        return response


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse_lazy("home")


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@login_required
def otp_setup(request):
    """First login with 2FA required: enrol an authenticator app by QR code."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("accounts:otp-verify")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": DEVICE_NAME}
    )
    form = TokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        messages.success(request, _("Tweestapsverificatie is ingesteld."))
        return redirect(_next_url(request))
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": _qr_svg(device.config_url), "secret": _base32(device), "next": _next_url(request)},
    )


@login_required
def otp_verify(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("accounts:otp-setup")
    form = TokenForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return redirect(_next_url(request))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


def _base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def verified_required(view):
    """Logged in and, where two-factor login is required, past the TOTP step.

    The 2FA middleware lets every /accounts/ page through (login and the TOTP pages live
    there), so pages here that need the second step say so themselves."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if settings.LVV_REQUIRE_2FA and not request.user.is_verified():
            target = "accounts:otp-verify" if user_has_device(request.user, confirmed=True) else "accounts:otp-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': reverse('accounts:api-tokens')})}")
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@verified_required
def api_tokens(request):
    """The user's API tokens: issue one (its key shown once, on this response only), list, revoke."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = tokens.issue(
            request.user, origin=Origin.from_request(request), name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens.purge_expired(request.user)
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": tokens.active_tokens(request.user),
            "lifetime_hours": int(tokens.lifetime().total_seconds() // 3600),
        },
    )


@require_POST
@verified_required
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke(token, actor=request.user, origin=Origin.from_request(request))
    messages.success(request, _("Het token is ingetrokken; het werkt niet meer."))
    return redirect("accounts:api-tokens")
