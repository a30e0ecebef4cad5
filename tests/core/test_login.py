"""Login, two-factor verification (TOTP) with enrolment, lockout, logout, password reset."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def current_token(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_login_page_is_dutch(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="nl"' in html and "Inloggen" in html and "Direct naar de inhoud" in html


def test_wrong_password_gives_a_dutch_message_and_is_logged(client, world):
    response = client.post(reverse("accounts:login"), {"username": "casemanager.amsterdam", "password": "fout"})
    assert response.status_code == 200
    assert "Gebruikersnaam of wachtwoord klopt niet" in response.content.decode()
    assert AccessLogEntry.objects.filter(action="login_failed", detail__username="casemanager.amsterdam").exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account(client, world):
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "casemanager.amsterdam", "password": "fout"})
    response = client.post(reverse("accounts:login"), {"username": "casemanager.amsterdam", "password": PASSWORD})
    assert response.status_code == 429
    assert "tijdelijk geblokkeerd" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_without_2fa_when_not_required(client, world):
    response = client.post(reverse("accounts:login"), {"username": "casemanager.amsterdam", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("cases:list")).status_code == 200
    assert AccessLogEntry.objects.filter(action="login", actor_username="casemanager.amsterdam").exists()


@override_settings(LVV_REQUIRE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_first_login_enrols_totp_by_qr_code_then_verifies(client, world):
    client.post(reverse("accounts:login"), {"username": "casemanager.amsterdam", "password": PASSWORD})
    # Nothing is reachable before the second step, the API included.
    response = client.get(reverse("cases:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp-setup"))
    assert client.get("/api/v1/cases/").status_code == 403
    setup = client.get(reverse("accounts:otp-setup"))
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user__username="casemanager.amsterdam", confirmed=False)
    wrong = client.post(reverse("accounts:otp-setup"), {"token": "000000"})
    assert "Deze code klopt niet" in wrong.content.decode()
    response = client.post(reverse("accounts:otp-setup"), {"token": current_token(device), "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("cases:list")).status_code == 200

    # Next login: verify with the enrolled device.
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": "casemanager.amsterdam", "password": PASSWORD})
    response = client.get(reverse("cases:list"))
    assert response["Location"].startswith(reverse("accounts:otp-verify"))
    device.last_t = -1  # allow the same time step once more in this test
    device.save()
    client.post(reverse("accounts:otp-verify"), {"token": current_token(device)})
    assert client.get(reverse("cases:list")).status_code == 200


def test_logout_needs_post_and_ends_the_session(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("cases:list")).status_code == 302


@override_settings(SESSION_COOKIE_AGE=1800, SESSION_SAVE_EVERY_REQUEST=True)
def test_session_expires_after_inactivity(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    client.get(reverse("home"))
    assert 1700 < client.session.get_expiry_age() <= 1800


def test_password_reset_sends_a_dutch_mail_with_a_working_link(client, world, django_capture_on_commit_callbacks):
    user = UserFactory(username="reset.me", email="reset@lvv.example", roles=[])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "reset@lvv.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Nieuw wachtwoord" in message.subject
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Een-nieuw-lang-wachtwoord-9", "new_password2": "Een-nieuw-lang-wachtwoord-9"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Een-nieuw-lang-wachtwoord-9")


def test_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "niemand@lvv.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0


def test_role_must_fit_the_organisation(world):

    user = UserFactory(username="wrong", organisation=world.ams.ngo_a, roles=[Role.CASEMANAGER])
    with pytest.raises(ValidationError) as exc:
        user.full_clean()
    assert "past niet bij" in str(exc.value)
