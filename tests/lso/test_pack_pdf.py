"""The agenda pack: the HTML step shows the reader's cases and hides special categories
without the permission; the Celery task (eager) makes a real PDF; the file is served only
to its reader while every case in it is still visible."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from lso import pdf
from lso.models import AgendaPack
from lvv import pdf as lvv_pdf
from lvv.accounts.models import Role
from tests.lso.helpers import chair, published, sheltered_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

HEALTH = "Diabetes, insuline dagelijks"


def with_health(case):
    case.health_notes = HEALTH
    case.save(update_fields=["health_notes"])
    return case


def grant_special_category(user):
    user.user_permissions.add(Permission.objects.get(codename="view_special_category"))
    return type(user).objects.get(pk=user.pk)


def test_html_shows_the_readers_cases_and_hides_health_without_permission(world):
    ams = world.ams
    meeting = published(ams, [with_health(ams.assigned), with_health(ams.unassigned)])
    reader = chair(ams)
    html = pdf.render_pack_html(meeting, reader)
    assert ams.assigned.reference in html and ams.unassigned.reference in html
    assert HEALTH not in html
    html = pdf.render_pack_html(meeting, grant_special_category(reader))
    assert html.count(HEALTH) == 2
    # The NGO sees only the case assigned to it.
    ngo_html = pdf.render_pack_html(meeting, ams.users[Role.NGO])
    assert ams.assigned.reference in ngo_html and ams.unassigned.reference not in ngo_html
    # Another LVV's reader sees nothing of it.
    assert [entry.case for entry in pdf.pack_context(meeting, world.rot.users[Role.LSO_CHAIR])["entries"]] == []


def test_fetcher_refuses_the_network():
    fetcher = lvv_pdf.data_only_fetcher()
    with pytest.raises(lvv_pdf.RefusedFetch):
        fetcher.fetch("https://example.org/x.png")


def test_task_makes_a_pdf_and_the_page_offers_it(world, client, django_capture_on_commit_callbacks):
    ams = world.ams
    case = sheltered_case(ams)
    meeting = published(ams, [case])
    client.force_login(chair(ams))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("lso:pack-request", args=[meeting.pk]))
    assert response.status_code == 302
    pack = AgendaPack.objects.get(meeting=meeting)
    assert pack.status == AgendaPack.Status.DONE and pack.progress == 100
    assert pack.case_ids == [case.pk]
    page = client.get(reverse("lso:meeting-detail", args=[meeting.pk]))
    assert b'data-testid="pack-download"' in page.content
    download = client.get(reverse("lso:pack-download", args=[meeting.pk, pack.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Only its reader gets it; another LVV gets 404.
    for user in (ams.users[Role.CASEMANAGER], world.rot.users[Role.LSO_CHAIR], world.bureau):
        client.force_login(user)
        assert client.get(reverse("lso:pack-download", args=[meeting.pk, pack.pk])).status_code == 404


def test_download_is_refused_when_a_case_is_no_longer_visible(world, client):
    ams = world.ams
    ngo = ams.users[Role.NGO]
    meeting = published(ams, [ams.assigned])
    pack = AgendaPack.objects.create(meeting=meeting, requested_by=ngo)
    assert pdf.build_pack(pack.pk)
    client.force_login(ngo)
    assert client.get(reverse("lso:pack-download", args=[meeting.pk, pack.pk])).status_code == 200
    ams.assigned.assigned_ngo = ams.ngo_b
    ams.assigned.save(update_fields=["assigned_ngo"])
    assert client.get(reverse("lso:pack-download", args=[meeting.pk, pack.pk])).status_code == 404


def test_progress_is_polled_while_the_pack_is_made(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    AgendaPack.objects.create(meeting=meeting, requested_by=chair(ams), status=AgendaPack.Status.RUNNING, progress=40)
    client.force_login(chair(ams))
    part = client.get(reverse("lso:pack-status", args=[meeting.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in part and 'value="40"' in part
    assert "Vernieuwen" in part
