"""Login lockout: per username and address, and per account across addresses, each with its
own limit; a cool-off ends it; the user is told by e-mail once; a new password lifts it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

USERNAME = "casemanager.amsterdam"
# Documentation addresses (RFC 5737): only strings in REMOTE_ADDR, nothing is sent.
ADDRESSES = [f"192.0.2.{n}" for n in range(1, 20)]


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


WRONG = "fout"


def login(client, address: str, password: str = WRONG, username: str = USERNAME):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


# 3 failures for a username on one address, 5 for the account over all addresses.
limits = override_settings(AXES_FAILURE_LIMIT=3, LOGIN_ACCOUNT_FAILURE_LIMIT=5)


@limits
def test_failures_spread_over_addresses_lock_the_account_everywhere(client, world, django_capture_on_commit_callbacks):
    # Two failures on each of two addresses: below the limit of one address (3) every time.
    with django_capture_on_commit_callbacks(execute=True):
        for address in ADDRESSES[:2]:
            for _ in range(2):
                assert login(client, address).status_code == 200
        # The fifth, from a third address, reaches the account's limit (5).
        assert login(client, ADDRESSES[2]).status_code == 429
    # Now a fresh address with the right password is refused too.
    response = login(client, ADDRESSES[10], PASSWORD)
    assert response.status_code == 429
    assert "tijdelijk geblokkeerd" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Someone else on those addresses is not affected.
    assert login(client, ADDRESSES[0], PASSWORD, username="ind.amsterdam").status_code == 302


@limits
def test_one_address_locks_only_that_address_below_the_account_limit(client, world):
    for _ in range(3):
        login(client, ADDRESSES[0])
    assert login(client, ADDRESSES[0], PASSWORD).status_code == 429
    # 3 failures in all: below the account's 5, so another address still gets in.
    assert login(client, ADDRESSES[1], PASSWORD).status_code == 302


@limits
def test_the_lockout_ends_after_the_cool_off_and_is_not_extended_by_attempts_during_it(client, world):
    for address in ADDRESSES[:5]:
        login(client, address)
    assert login(client, ADDRESSES[6], PASSWORD).status_code == 429
    last_failure = AccessAttempt.objects.order_by("-attempt_time").first().attempt_time
    # Hammering during the lockout is not counted, so it does not push the end back.
    for address in ADDRESSES[7:12]:
        assert login(client, address).status_code == 429
    assert AccessAttempt.objects.order_by("-attempt_time").first().attempt_time == last_failure
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 5

    # The cool-off (LOGIN_LOCKOUT_MINUTES, 15 by default) after the last failure, it is over.
    AccessAttempt.objects.update(attempt_time=last_failure - timedelta(minutes=16))
    assert login(client, ADDRESSES[6], PASSWORD).status_code == 302


@limits
def test_the_user_gets_one_email_after_commit(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for address in ADDRESSES[:5]:
            login(client, address)
    assert mail.outbox == []  # nothing before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [f"{USERNAME}@lvv.example"]
    assert "tijdelijk geblokkeerd" in message.subject
    assert USERNAME in message.body and "/accounts/password-reset/" in message.body

    # More refused attempts during the same lockout send nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        for address in ADDRESSES[5:9]:
            login(client, address)
    assert len(mail.outbox) == 1


@limits
def test_no_email_for_an_unknown_username(client, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for address in ADDRESSES[:6]:
            login(client, address, username="bestaat.niet")
    assert mail.outbox == []


@limits
def test_a_new_password_lifts_the_lockout(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for address in ADDRESSES[:5]:
            login(client, address)
    assert login(client, ADDRESSES[6], PASSWORD).status_code == 429
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/)", mail.outbox[0].body).group(1)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(link, {"email": f"{USERNAME}@lvv.example"})
    reset_link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)
    form_page = client.get(reset_link, follow=True)
    new_password = "Een-nieuw-lang-wachtwoord-9"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=USERNAME).exists()
    assert login(client, ADDRESSES[6], new_password).status_code == 302


def test_the_default_limits(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_ACCOUNT_FAILURE_LIMIT == 20
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"], "username"]
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is False
