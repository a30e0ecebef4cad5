"""The LSO's pages and API answer a refusal the same way (lvv.errors, docs/adr/0025): the same
status, the same access-log row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lso.models import Meeting, MeetingStatus
from lvv.accounts.models import Role
from tests.lso.helpers import chair, meeting_for
from tests.refusals import assert_same_refusal, assert_stale_on_both

pytestmark = pytest.mark.django_db


def test_a_stale_version_is_409_on_the_page_and_in_the_api_with_one_log_row(client, api_client, world):
    ams = world.ams
    meeting = meeting_for(ams)
    client.force_login(chair(ams))
    api_client.force_authenticate(chair(ams))
    stale = {"version": meeting.version + 5}
    page = client.post(reverse("lso:publish", args=[meeting.pk]), stale)
    api = api_client.post(f"/api/v1/meetings/{meeting.pk}/publish/", stale, format="json")
    row = assert_stale_on_both(page, api)
    assert (row["action"], row["object_type"], row["object_id"]) == ("update", "lso.meeting", str(meeting.pk))
    # The page's form now carries the version it shows: a second try is based on it.
    assert page.context["step_form"].data["version"] == meeting.version
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.DRAFT


def test_a_refusal_writes_the_same_row_on_the_page_and_in_the_api(client, api_client, world):
    ams = world.ams
    meeting = meeting_for(ams)
    ind = ams.users[Role.IND]  # sees the meeting, may not prepare it
    client.force_login(ind)
    api_client.force_authenticate(ind)
    page = client.post(reverse("lso:publish", args=[meeting.pk]), {"version": meeting.version})
    api = api_client.post(f"/api/v1/meetings/{meeting.pk}/publish/", {"version": meeting.version}, format="json")
    assert page.status_code == api.status_code == 403
    row = assert_same_refusal("denied", "permission_denied")
    assert (row["action"], row["object_type"], row["object_id"]) == ("update", "lso.meeting", str(meeting.pk))
