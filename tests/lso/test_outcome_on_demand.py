"""The meeting page draws no outcome form up front: each comes when the chair opens its item's
"Uitkomst vastleggen" (htmx GET on the item's outcome URL), or, without JavaScript, with the
page asked again for that item (``?outcome=``). ADR 0029, as the case page's steps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lso.models import Decision
from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from tests.lso.helpers import chair, chair_records, published, sheltered_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def outcome_url(meeting, item):
    return reverse("lso:item-outcome", args=[meeting.pk, item.pk])


def test_the_page_draws_the_disclosures_and_no_outcome_form(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams) for _ in range(3)])
    client.force_login(chair(ams))
    page = client.get(reverse("lso:meeting-detail", args=[meeting.pk])).content.decode()
    for item in meeting.items.all():
        assert f'hx-get="{outcome_url(meeting, item)}"' in page
        assert f'href="?outcome={item.pk}#outcome-{item.pk}"' in page
        assert f'name="outcome-{item.pk}-decision"' not in page
    assert page.count('data-testid="outcome-form"') == 3


def test_the_chair_opens_one_form(world, client, django_assert_max_num_queries):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    client.force_login(chair(ams))
    with django_assert_max_num_queries(20):
        response = client.get(outcome_url(meeting, item), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{outcome_url(meeting, item)}"' in html
    assert f'name="outcome-{item.pk}-decision"' in html
    assert f'name="outcome-{item.pk}-version" value="{meeting.version}"' in html
    assert "<html" not in html  # the fragment, not the page
    assert response["Vary"].count("HX-Request") == 1
    entry = AccessLogEntry.objects.filter(object_type="lso.meeting", object_id=str(meeting.pk)).latest("pk")
    assert entry.detail == {"view": "outcome_form", "cases": [item.case_id]}


def test_without_htmx_the_page_comes_with_the_form_open(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    client.force_login(chair(ams))
    response = client.get(outcome_url(meeting, item))
    expected = f"{reverse('lso:meeting-detail', args=[meeting.pk])}?outcome={item.pk}#outcome-{item.pk}"
    assert response.status_code == 302 and response["Location"] == expected
    page = client.get(expected).content.decode()
    assert f'name="outcome-{item.pk}-decision"' in page
    assert f'id="outcome-{item.pk}" open' in page


def test_no_form_where_the_outcome_cannot_be_recorded(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams), sheltered_case(ams)])
    done, open_ = meeting.items.order_by("pk")
    chair_records(ams, done, Decision.POSTPONE)
    client.force_login(chair(ams))
    html = client.get(outcome_url(meeting, done), **HTMX).content.decode()
    assert 'data-testid="outcome-not-open"' in html and "<form" not in html
    # The NGO guide sees the item of its case but does not chair the meeting.
    client.force_login(ams.users[Role.NGO])
    html = client.get(outcome_url(meeting, open_), **HTMX).content.decode()
    assert 'data-testid="outcome-not-open"' in html and "<form" not in html


def test_other_lvv_other_ngo_and_bureau_get_404(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    for user in (world.rot.users[Role.LSO_CHAIR], ams.users["ngo_b"], world.bureau):
        client.force_login(user)
        assert client.get(outcome_url(meeting, item), **HTMX).status_code == 404, user
        assert client.get(outcome_url(meeting, item)).status_code == 404, user
