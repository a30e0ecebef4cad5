"""The outcome form's sections per decision as the server renders them: every section
shows (the script hides the others), each heading says which decision it belongs to, and
an error stands in the section of its field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lso import services
from lso.models import Decision
from tests.html_parts import find
from tests.lso.helpers import chair, published, sheltered_case

pytestmark = pytest.mark.django_db


def section(html: str, name: str):
    return find(html, data_testid=f"outcome-section-{name}")


def post_outcome(world, client, **fields) -> tuple[str, str]:
    """Post an outcome with these fields (and the version) for the one item of a new
    meeting, as its chair: the page again with the errors (nothing saved), and the form's
    prefix."""
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    client.force_login(chair(ams))
    prefix = f"outcome-{item.pk}"
    fields["version"] = meeting.version
    response = client.post(
        reverse("lso:item-outcome", args=[meeting.pk, item.pk]),
        {f"{prefix}-{name}": value for name, value in fields.items()},
    )
    assert response.status_code in (200, 400)
    return response.content.decode(), prefix


def test_every_section_shows_without_script_and_names_its_decision(world, client):
    ams = world.ams
    meeting = published(ams, [sheltered_case(ams)])
    item = meeting.items.get()
    client.force_login(chair(ams))
    url = reverse("lso:meeting-detail", args=[meeting.pk])
    # Without JavaScript the page links to itself with the form open (ADR 0029).
    page = client.get(url).content.decode()
    assert f'href="?outcome={item.pk}#outcome-{item.pk}"' in page
    assert 'data-testid="outcome-section-scenario"' not in page
    html = client.get(url, {"outcome": item.pk}).content.decode()
    name = f"outcome-{item.pk}-decision"
    expected = {
        "scenario": ("scenario", Decision.SCENARIO.label),
        "escalate": ("escalate", Decision.ESCALATE.label),
    }
    for key, (values, label) in expected.items():
        fieldset = section(html, key)
        assert fieldset.tag == "fieldset"
        assert not fieldset.has("hidden") and not fieldset.has("disabled")
        assert fieldset.attrs["data-show-name"] == name
        assert fieldset.attrs["data-show-for"] == values
        assert f"‘{label}’" in fieldset.part(tag="legend").text
    positions = section(html, "positions")
    assert positions.attrs["data-show-name"] == f"outcome-{item.pk}-agreed"
    assert positions.attrs["data-show-for"] == "no"
    actions = section(html, "actions")
    assert not actions.has("data-show-for")  # actions go with every decision
    assert f"‘{Decision.ACTIONS.label}’" in actions.parts(tag="legend")[0].text
    # Only the first action row is open; the others wait behind "Meer vervolgacties".
    more = actions.part(tag="details")
    assert not more.has("open")
    assert more.part(id=f"id_outcome-{item.pk}-action_2_description")
    assert not more.parts(id=f"id_outcome-{item.pk}-action_1_description")


def test_errors_stand_in_the_section_of_the_chosen_decision(world, client):
    html, prefix = post_outcome(world, client, decision="escalate", agreed="yes")
    escalate = section(html, "escalate")
    assert str(services.ESCALATION_REASON_REQUIRED) in escalate.text
    assert str(services.ESCALATION_QUESTION_REQUIRED) in escalate.text
    assert str(services.ESCALATION_REASON_REQUIRED) not in section(html, "scenario").text
    summary = find(html, data_testid="error-summary")
    assert summary.part(tag="a", href=f"#id_{prefix}-escalation_reason_field")


def test_an_error_in_a_later_action_row_opens_its_row(world, client):
    html, _prefix = post_outcome(world, client, decision="actions", agreed="yes", action_2_description="Gesprek")
    more = section(html, "actions").part(tag="details")
    assert more.has("open")
    assert "Vul bij een actie" in more.text
