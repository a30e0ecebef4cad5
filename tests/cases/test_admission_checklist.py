"""The admission check on the case page and the timeline: each criterion with its own symbol
and word (an exclusion ground that applies is never shown with the tick of a condition that
is met), and the grounds outside the target group named without a double negative, in the
reader's language."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases import admission, services
from cases.models import EventType, TimelineEvent
from cases.timeline_text import event_details
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory
from tests.html_parts import find, find_all

pytestmark = pytest.mark.django_db


def requiring(lvv, **conditions) -> None:
    """Set which conditions ``lvv`` requires: ``regional_ties``, ``shown_willingness``."""
    for name, required in conditions.items():
        setattr(lvv.location, f"requires_{name}", required)
    lvv.location.save()


def checked(lvv, **checklist):
    case = CaseFactory(location=lvv.location, registered_on=timezone.localdate() - datetime.timedelta(days=1))
    return services.record_admission_check(
        acting_user=lvv.users[Role.CASEMANAGER], origin=COMMAND, case=case, **checklist
    )


def rows(html: str) -> dict[str, tuple[str, str]]:
    """``code: (outcome, visible text)`` of each checklist row."""
    return {
        row.attrs["data-code"]: (row.attrs["data-outcome"], row.text)
        for row in find_all(html, data_testid="admission-row")
    }


def case_page(client, case) -> str:
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_criterion_has_its_own_symbol_and_word(client, world):
    ams = world.ams
    requiring(ams, regional_ties=True, shown_willingness=False)
    case = checked(ams, eu_citizen=True, regional_ties=False, shown_willingness=True)
    client.force_login(ams.users[Role.CASEMANAGER])
    html = case_page(client, case)

    found = rows(html)
    assert found["eu_citizen"] == ("excluded", "✗ EU-burger: uitgesloten")
    assert found["entry_ban"] == ("does-not-apply", "— zwaar inreisverbod (10 jaar of meer): niet van toepassing")
    assert found["regional_ties"] == ("fails", "✗ aantoonbare regiobinding: voldoet niet")
    assert found["shown_willingness"] == ("not-required", "— bereidheid tot meewerken getoond: niet vereist")
    assert len(found) == 7
    # The symbol is decoration; the word says it to a screen reader.
    for symbol in find_all(find(html, data_testid="admission-check").html, tag="span", **{"aria-hidden": "true"}):
        assert symbol.text in {"✓", "✗", "—"}
    verdict = find(html, data_testid="admission-verdict").text
    assert "buiten de doelgroep: EU-burger, geen aantoonbare regiobinding" in verdict
    assert "voldoet niet aan" not in html


def test_a_met_condition_has_a_tick_and_an_applying_ground_does_not(client, world):
    ams = world.ams
    requiring(ams, regional_ties=True, shown_willingness=True)
    case = checked(ams, dublin_claimant=True, regional_ties=True, shown_willingness=False)
    client.force_login(ams.users[Role.CASEMANAGER])
    found = rows(case_page(client, case))
    assert found["regional_ties"] == ("meets", "✓ aantoonbare regiobinding: voldoet")
    assert found["dublin_claimant"][0] == "excluded" and not found["dublin_claimant"][1].startswith("✓")
    assert found["shown_willingness"] == ("fails", "✗ bereidheid tot meewerken getoond: voldoet niet")


def test_all_met(client, world):
    ams = world.ams
    case = checked(ams, regional_ties=True, shown_willingness=True)
    client.force_login(ams.users[Role.CASEMANAGER])
    html = case_page(client, case)
    assert "voldoet aan alle criteria" in find(html, data_testid="admission-verdict").text
    assert {outcome for outcome, _text in rows(html).values()} <= {"does-not-apply", "meets", "not-required"}


def test_the_admit_step_and_its_refusal_name_the_grounds_plainly(client, world):
    ams = world.ams
    requiring(ams, regional_ties=True)
    case = checked(ams, regional_ties=False)
    client.force_login(ams.users[Role.CASEMANAGER])
    html = case_page(client, case)
    assert "De toelatingstoets geeft: buiten de doelgroep (geen aantoonbare regiobinding)." in html
    case.refresh_from_db()
    response = client.post(
        reverse("cases:step", args=[case.pk, "admit"]),
        {"version": case.version, "on": timezone.localdate().isoformat()},
    )
    assert "De persoon valt buiten de doelgroep (geen aantoonbare regiobinding)." in response.content.decode()


def test_the_timeline_stores_codes_and_shows_them_in_the_readers_language(world):
    ams = world.ams
    requiring(ams, regional_ties=True)
    case = checked(ams, eu_citizen=True, regional_ties=False)
    event = TimelineEvent.objects.get(case=case, type=EventType.ADMISSION_CHECKED)
    assert event.data["grounds"] == ["eu_citizen", "regional_ties"]
    assert event.data["unmet"] == ["EU-burger", "geen aantoonbare regiobinding"]  # Dutch, whatever the language
    assert event_details(event) == "buiten de doelgroep: EU-burger, geen aantoonbare regiobinding"
    with translation.override("en"):
        english = event_details(event)
    assert "EU citizen" in english and "no demonstrable regional connection" in english
    assert "EU-burger" not in english


def test_older_events_with_dutch_texts_are_translated_too(world):
    case = CaseFactory(location=world.ams.location)
    event = TimelineEvent(case=case, type=EventType.ADMISSION_CHECKED, data={"unmet": ["EU-burger", "iets onbekends"]})
    with translation.override("en"):
        assert admission.ground_label("EU-burger") == "EU citizen"
        assert "EU citizen" in event_details(event)
        assert "iets onbekends" in event_details(event)  # unknown texts as stored
    assert admission.verdict([]) == "voldoet aan alle criteria"
