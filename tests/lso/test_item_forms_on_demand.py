"""The meeting page draws none of an agenda item's forms up front (the time, the partner's
preparation, the outcome): each comes when the user opens its disclosure ("Tijd wijzigen",
"Voorbereiding vastleggen", "Uitkomst vastleggen": htmx GET on the item's URL), or, without
JavaScript, with the page asked again for that item (``?time=``, ``?note=``, ``?outcome=``);
a form posted with errors comes back open. ADR 0029, as the case page's steps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lso import services
from lso.models import Decision, PreparationNote
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.lso.helpers import chair, chair_records, published, sheltered_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# The form's URL name and the name of one of its fields.
FORMS = {
    "time": ("lso:item-time", "minutes_allotted"),
    "note": ("lso:item-note", "text"),
    "outcome": ("lso:item-outcome", "decision"),
}


def form_url(kind, meeting, item):
    return reverse(FORMS[kind][0], args=[meeting.pk, item.pk])


def field(kind, item):
    return f'name="{kind}-{item.pk}-{FORMS[kind][1]}"'


@pytest.mark.parametrize("kind", FORMS)
def test_the_page_draws_the_disclosures_and_no_form(world, client, kind):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams) for _ in range(3)])
    client.force_login(chair(ams))
    page = client.get(reverse("lso:meeting-detail", args=[meeting.pk])).content.decode()
    for item in meeting.items.all():
        assert f'hx-get="{form_url(kind, meeting, item)}"' in page
        assert f'href="?{kind}={item.pk}#{kind}-{item.pk}"' in page
        assert field(kind, item) not in page
    assert page.count(f'data-testid="{kind}-form"') == 3


@pytest.mark.parametrize("kind", FORMS)
def test_opening_one_form(world, client, kind, django_assert_max_num_queries):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    services.save_preparation_note(acting_user=chair(ams), origin=COMMAND, item=item, text="Gemeente: in gesprek")
    client.force_login(chair(ams))
    with django_assert_max_num_queries(20):
        response = client.get(form_url(kind, meeting, item), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{form_url(kind, meeting, item)}"' in html and field(kind, item) in html
    assert "<html" not in html  # the fragment, not the page
    assert response["Vary"].count("HX-Request") == 1
    if kind == "note":
        assert "Gemeente: in gesprek" in html  # the organisation's note as it stands
    else:
        assert f'name="{kind}-{item.pk}-version" value="{meeting.version}"' in html
    if kind == "time":
        assert f'value="{item.minutes_allotted}"' in html
    entry = AccessLogEntry.objects.filter(object_type="lso.meeting", object_id=str(meeting.pk)).latest("pk")
    assert entry.detail == {"view": f"{kind}_form", "cases": [item.case_id]}


@pytest.mark.parametrize("kind", FORMS)
def test_without_htmx_the_page_comes_with_the_form_open(world, client, kind):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    client.force_login(chair(ams))
    response = client.get(form_url(kind, meeting, item))
    expected = f"{reverse('lso:meeting-detail', args=[meeting.pk])}?{kind}={item.pk}#{kind}-{item.pk}"
    assert response.status_code == 302 and response["Location"] == expected
    page = client.get(expected).content.decode()
    assert field(kind, item) in page and f'id="{kind}-{item.pk}" open' in page


def test_a_form_posted_with_errors_comes_back_open(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams), sheltered_case(ams)])
    first, second = meeting.items.order_by("order", "pk")
    client.force_login(chair(ams))
    response = client.post(
        form_url("time", meeting, first),
        {f"time-{first.pk}-minutes_allotted": "", f"time-{first.pk}-version": meeting.version},
    )
    assert response.status_code == 400  # the page with the form's errors
    page = response.content.decode()
    assert f'id="time-{first.pk}" open' in page
    assert field("time", first) in page and field("time", second) not in page
    response = client.post(form_url("note", meeting, second), {f"note-{second.pk}-text": ""})
    page = response.content.decode()
    assert response.status_code == 400 and f'id="note-{second.pk}" open' in page
    assert field("note", second) in page and field("note", first) not in page
    assert not PreparationNote.objects.exists()


def test_no_form_where_it_cannot_be_used(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    # The NGO guide prepares the item but does not build the agenda.
    client.force_login(ams.users[Role.NGO])
    page = client.get(reverse("lso:meeting-detail", args=[meeting.pk])).content.decode()
    assert f'hx-get="{form_url("time", meeting, item)}"' not in page
    assert f'hx-get="{form_url("note", meeting, item)}"' in page
    html = client.get(form_url("time", meeting, item), **HTMX).content.decode()
    assert 'data-testid="time-not-open"' in html and "<form" not in html
    # Once the minutes are final, nothing can be changed.
    client.force_login(chair(ams))
    chair_records(ams, item, Decision.POSTPONE)
    services.finalize_minutes(acting_user=chair(ams), origin=COMMAND, meeting=meeting)
    for kind in FORMS:
        html = client.get(form_url(kind, meeting, item), **HTMX).content.decode()
        assert f'data-testid="{kind}-not-open"' in html and "<form" not in html


def test_no_outcome_form_once_recorded_or_for_who_does_not_chair(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams), sheltered_case(ams)])
    done, open_ = meeting.items.order_by("pk")
    chair_records(ams, done, Decision.POSTPONE)
    client.force_login(chair(ams))
    html = client.get(form_url("outcome", meeting, done), **HTMX).content.decode()
    assert 'data-testid="outcome-not-open"' in html and "<form" not in html
    # The NGO guide sees the item of its case but does not chair the meeting.
    client.force_login(ams.users[Role.NGO])
    html = client.get(form_url("outcome", meeting, open_), **HTMX).content.decode()
    assert 'data-testid="outcome-not-open"' in html and "<form" not in html


@pytest.mark.parametrize("kind", FORMS)
def test_other_lvv_other_ngo_and_bureau_get_404(world, client, kind):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    for user in (world.rot.users[Role.LSO_CHAIR], ams.users["ngo_b"], world.bureau):
        client.force_login(user)
        assert client.get(form_url(kind, meeting, item), **HTMX).status_code == 404, user
        assert client.get(form_url(kind, meeting, item)).status_code == 404, user
