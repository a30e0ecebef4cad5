"""The case page draws the form of the open step only; the others come when the user opens them.

A closed step is a ``<details>`` that asks its form from the step's URL (htmx) when opened, and
links to the page with that step open for a browser without JavaScript. The form's request goes
through the access policy like the page, and is logged like it.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def step_url(case, step) -> str:
    return reverse("cases:step", args=[case.pk, step])


def test_the_page_draws_the_open_steps_form_and_offers_the_others_on_demand(client, world):
    case = world.ams.unassigned  # registered: the admission check is suggested
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("cases:detail", args=[case.pk]))
    html = response.content.decode()
    offered = [entry["name"] for entry in response.context["step_forms"]]
    assert offered == ["record_admission_check", "admit", "reject", "waitlist", "set_case_types"]
    drawn = [entry["name"] for entry in response.context["step_forms"] if entry["form"] is not None]
    assert drawn == ["record_admission_check"]
    assert len(re.findall(r'<form method="post" action="/cases/\d+/steps/', html)) == 1
    assert f'action="{step_url(case, "record_admission_check")}"' in html
    # A closed step: its form comes from its URL when opened, or from the page with it open.
    admit = re.search(r'<details class="app-step" id="step-admit"[^>]*>', html).group(0)
    assert f'hx-get="{step_url(case, "admit")}"' in admit
    assert 'hx-trigger="toggle once"' in admit and " open" not in admit
    assert 'href="?step=admit#step-admit"' in html
    assert f'action="{step_url(case, "admit")}"' not in html


def test_the_page_with_a_step_asked_for_draws_that_steps_form(client, world):
    case = world.ams.unassigned
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(reverse("cases:detail", args=[case.pk]), {"step": "reject"})
    drawn = [entry["name"] for entry in response.context["step_forms"] if entry["form"] is not None]
    assert drawn == ["reject"]
    assert re.search(r'<details class="app-step" id="step-reject"[^>]*\bopen\b', response.content.decode())


def test_an_opened_step_gets_its_form_and_the_view_is_logged(client, world, django_assert_max_num_queries):
    case = world.ams.unassigned
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    client.get(reverse("cases:detail", args=[case.pk]))  # the session and the page's own reads
    before = AccessLogEntry.objects.filter(actor=user, object_id=str(case.pk), action="view").count()
    with django_assert_max_num_queries(20):
        response = client.get(step_url(case, "reject"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{step_url(case, "reject")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html and f'name="version" value="{case.version}"' in html
    assert "<html" not in html  # the part only, not a page
    assert "HX-Request" in response["Vary"]
    assert AccessLogEntry.objects.filter(actor=user, object_id=str(case.pk), action="view").count() == before + 1


def test_an_opened_step_that_is_no_longer_offered_says_so(client, world):
    case = world.ams.unassigned
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(step_url(case, "start_shelter"), **HTMX)  # not admitted yet
    assert response.status_code == 200
    assert 'data-testid="step-gone"' in response.content.decode()
    assert "<form" not in response.content.decode()
    response = client.get(step_url(case, "admit") + "?key=nonsense", **HTMX)
    assert 'data-testid="step-gone"' in response.content.decode()


def test_a_reader_without_the_right_to_change_gets_no_form(client, world):
    case = world.ams.assigned
    client.force_login(world.ams.users[Role.NGO])  # sees the case, takes no registration steps
    response = client.get(step_url(case, "admit"), **HTMX)
    assert response.status_code == 200
    assert 'data-testid="step-gone"' in response.content.decode()


def test_the_step_url_without_htmx_still_opens_the_page_at_the_step(client, world):
    case = world.ams.unassigned
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.get(step_url(case, "admit"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "?step=admit#step-admit"


@pytest.mark.parametrize("who", [Role.CASEMANAGER, Role.NGO, "ngo_b"])
def test_another_lvvs_or_ngos_user_gets_404_for_a_steps_form(client, world, who):
    case = world.ams.unassigned if who != "ngo_b" else world.ams.assigned
    user = world.rot.users[who] if who != "ngo_b" else world.ams.users["ngo_b"]
    client.force_login(user)
    response = client.get(step_url(case, "admit"), **HTMX)
    assert response.status_code == 404
    assert f'action="{step_url(case, "admit")}"' not in response.content.decode()
