"""The navigation's inbox count is kept per user for ``INBOX_NAV_SECONDS``.

Another user's change may show there a little later; the inbox page always counts anew and
renews the badge; the user's own change (a post) renews it at once. With ``0`` it is counted
on every page (what the other tests run with).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

REGISTERED = datetime.date(2020, 1, 6)
CASES = reverse("cases:list")


@pytest.fixture
def kept(settings):
    settings.INBOX_NAV_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def requested(lvv):
    """An admitted case of ``lvv`` whose dossier the case worker requested: one item in the
    IND's and one in the DT&V's inbox."""
    case = CaseFactory(location=lvv.location, admitted=True)
    return services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=case, on=REGISTERED)


def badge(client, url=CASES) -> int:
    html = client.get(url).content.decode()
    nav = html[html.index('data-testid="nav-inbox"') :]
    found = re.search(r'aria-hidden="true">(\d+)</span>', nav[: nav.index("</a>")])
    return int(found.group(1)) if found else 0


def test_another_users_change_shows_after_the_inbox_page_counted_anew(client, world, kept):
    requested(world.ams)
    requested(world.ams)
    client.force_login(world.ams.users[Role.DTV])
    assert badge(client) == 2
    requested(world.ams)  # by someone else
    assert badge(client) == 2  # the kept count
    assert badge(client, reverse("inbox:overview")) == 3  # the inbox page counts anew
    assert badge(client) == 3  # and the badge keeps that


def test_the_users_own_change_renews_the_badge_at_once(client, world, kept):
    case = requested(world.ams)
    requested(world.ams)
    user = world.ams.users[Role.DTV]
    client.force_login(user)
    assert badge(client) == 2
    payload = {"version": case.version, "on": timezone.localdate().isoformat()}
    response = client.post(reverse("cases:step", args=[case.pk, "deliver_dossier_dtv"]), payload)
    assert response.status_code == 302
    assert badge(client) == 1


def test_kept_counts_save_the_count_query_and_stay_per_user(client, world, kept):
    requested(world.ams)
    client.force_login(world.ams.users[Role.DTV])
    client.get(CASES)
    with CaptureQueriesContext(connection) as first:
        client.get(CASES)
    cache.clear()
    with CaptureQueriesContext(connection) as counted:
        client.get(CASES)
    assert len(counted) == len(first) + 1  # the count, once the kept one is gone
    client.force_login(world.ams.users[Role.IND])  # another user: their own count
    assert badge(client) == 1
    client.force_login(world.rot.users[Role.DTV])  # another LVV: nothing of Amsterdam's
    assert badge(client) == 0


def test_with_zero_seconds_every_page_counts(client, world, settings):
    settings.INBOX_NAV_SECONDS = 0
    cache.clear()
    requested(world.ams)
    client.force_login(world.ams.users[Role.DTV])
    assert badge(client) == 1
    requested(world.ams)
    assert badge(client) == 2
