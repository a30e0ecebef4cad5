"""API tokens: issued in the browser only after the TOTP step, hashed at rest, expiring,
revocable by their user and by a functional manager (who cannot make one), logged."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from rest_framework.test import APIRequestFactory

from lvv.accounts import tokens
from lvv.accounts.authentication import TokenAuthentication
from lvv.accounts.models import ApiToken, Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN_PAGE = "/accounts/tokens/"


def token_events(event: str):
    return AccessLogEntry.objects.filter(object_type="accounts.apitoken", detail__event=event)


def issue_in_browser(client, name: str = "") -> str:
    response = client.post(reverse("accounts:api-tokens"), {"name": name})
    assert response.status_code == 200, response
    assert "no-store" in response["Cache-Control"]
    return response.context["new_key"]


def table_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        return repr(cursor.fetchall())


def test_the_key_is_shown_once_and_only_its_hash_is_stored(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    key = issue_in_browser(client, name="importscript")
    assert len(key) == 64

    token = ApiToken.objects.get(user=user)
    assert key not in table_text()
    assert token.digest == hash_token(key) and token.token_key == key[:15] and token.name == "importscript"
    # The page never shows it again.
    assert key not in client.get(TOKEN_PAGE).content.decode()
    entry = token_events(tokens.ISSUED).get()
    assert entry.actor == user and entry.channel == "web" and entry.object_id == str(token.pk)
    assert key not in repr(entry.detail)


def test_the_token_works_and_each_request_is_logged_once(client, api_client, world):
    user = world.ams.users[Role.IND]
    client.force_login(user)
    key = issue_in_browser(client)

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/cases/").status_code == 200
    assert api_client.get("/api/v1/cases/").status_code == 200
    used = token_events(tokens.USED)
    assert used.count() == 2
    assert {e.channel for e in used} == {"api"} and {e.actor_id for e in used} == {user.pk}

    # Authenticating the same request again does not add a row.
    request = APIRequestFactory().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}")
    for _ in range(3):
        assert TokenAuthentication().authenticate(request)[0] == user
    assert token_events(tokens.USED).count() == 3


def test_a_wrong_key_is_refused(api_client, world):
    tokens.issue(world.ams.users[Role.IND], origin=COMMAND)
    api_client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert api_client.get("/api/v1/cases/").status_code in (401, 403)


def test_tokens_expire_after_the_configured_lifetime(api_client, world):
    user = world.ams.users[Role.IND]
    token, key = tokens.issue(user, origin=COMMAND)
    assert settings.REST_KNOX["TOKEN_TTL"] == timedelta(hours=8)
    assert abs((token.expiry - timezone.now()) - timedelta(hours=8)) < timedelta(minutes=1)

    with override_settings(REST_KNOX={**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=1)}):
        short, _key = tokens.issue(user, origin=COMMAND)
    assert abs((short.expiry - timezone.now()) - timedelta(hours=1)) < timedelta(minutes=1)

    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/cases/").status_code in (401, 403)
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    refused = token_events(tokens.EXPIRED).get()
    assert refused.result == "denied" and refused.detail["user"] == user.username
    # Using it again changes nothing: it is gone.
    assert api_client.get("/api/v1/cases/").status_code in (401, 403)
    assert token_events(tokens.EXPIRED).count() == 1


def test_the_user_revokes_a_token_on_the_page(client, api_client, world):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    key = issue_in_browser(client)
    token = ApiToken.objects.get(user=user)
    page = client.get(TOKEN_PAGE).content.decode()
    assert token.token_key in page and reverse("accounts:api-token-revoke", args=[token.pk]) in page

    assert client.get(reverse("accounts:api-token-revoke", args=[token.pk])).status_code == 405
    response = client.post(reverse("accounts:api-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/cases/").status_code in (401, 403)
    revoked = token_events(tokens.REVOKED).get()
    assert revoked.actor == user and revoked.action == "logout"


def test_a_user_cannot_revoke_someone_elses_token(client, world):
    other, _key = tokens.issue(world.ams.users[Role.IND], origin=COMMAND)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert client.post(reverse("accounts:api-token-revoke", args=[other.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()
    assert other.token_key not in client.get(TOKEN_PAGE).content.decode()


@override_settings(LVV_REQUIRE_2FA=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_in_the_browser_a_token_comes_only_after_the_totp_step(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert "_auth_user_id" in client.session

    # Password only: the page and the form send the user to the second step; nothing is issued.
    for response in (client.get(TOKEN_PAGE), client.post(TOKEN_PAGE, {"name": "x"})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:otp-verify"))
    assert not ApiToken.objects.exists()
    assert not token_events(tokens.ISSUED).exists()

    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client.post(reverse("accounts:otp-verify"), {"token": code})
    key = issue_in_browser(client)
    assert ApiToken.objects.get(user=user).digest == hash_token(key)


@override_settings(LVV_REQUIRE_2FA=True)
def test_without_an_authenticator_the_user_enrols_first(client, world):
    client.post(reverse("accounts:login"), {"username": "ind.amsterdam", "password": PASSWORD})
    response = client.post(TOKEN_PAGE)
    assert response["Location"].startswith(reverse("accounts:otp-setup"))
    assert not ApiToken.objects.exists()


def test_the_page_needs_a_login(client, db):
    response = client.get(TOKEN_PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.fixture
def manager(db):
    return UserFactory(username="beheerder", roles=[Role.ADMIN], is_staff=True, is_superuser=True)


def test_a_manager_revokes_tokens_in_the_admin_but_cannot_make_one(client, manager, world):
    user = world.ams.users[Role.NGO]
    token, key = tokens.issue(user, origin=COMMAND)
    client.force_login(manager)

    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert token.token_key in html and key not in html and token.digest not in html
    # No way to make a token for someone else (knox's own admin is gone, too).
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert "accounts/apitoken/add/" not in html
    with pytest.raises(NoReverseMatch):
        reverse("admin:knox_authtoken_add")
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert key not in detail and token.digest not in detail

    response = client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    revoked = token_events(tokens.REVOKED).get()
    assert revoked.actor == manager and revoked.detail["user"] == user.username


def test_a_manager_revokes_all_tokens_of_a_user(client, manager, world):
    user = world.ams.users[Role.NGO]
    tokens.issue(user, origin=COMMAND)
    tokens.issue(user, origin=COMMAND)
    kept, _key = tokens.issue(world.ams.users[Role.IND], origin=COMMAND)
    client.force_login(manager)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "revoke_api_tokens", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    assert list(ApiToken.objects.all()) == [kept]
    assert token_events(tokens.REVOKED).count() == 2


def test_drf_create_token_prints_a_hashed_expiring_key(api_client, world):
    user = world.ams.users[Role.DTV]
    out, err = io.StringIO(), io.StringIO()
    call_command("drf_create_token", user.username, stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert len(key) == 64 and "\n" not in key
    token = ApiToken.objects.get(user=user)
    assert token.digest == hash_token(key) and key not in table_text()
    assert token.expiry > timezone.now() + timedelta(hours=7)
    assert "Geldig tot" in err.getvalue()
    entry = token_events(tokens.ISSUED).get()
    assert entry.actor_username == "system" and entry.channel == "command"

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/cases/").status_code == 200

    with pytest.raises(CommandError):
        call_command("drf_create_token", "niemand", stdout=io.StringIO(), stderr=io.StringIO())


def test_drf_authtoken_is_gone(db):
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token')")
        assert cursor.fetchone()[0] is None
