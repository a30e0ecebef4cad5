"""The demo's procedures and departure preparation: every kind and outcome somewhere, a
granted residence application, a pending repeat asylum application, steps and plans of the
DT&V with a re-planning; deterministic, and twice is the same as once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from procedures.models import Application, DeparturePlan, DepartureStep


def snapshot():
    return (
        sorted(
            Application.objects.values_list(
                "case__external_id", "kind", "submitted_on", "submitted_by", "decided_on", "outcome"
            )
        ),
        sorted(DepartureStep.objects.values_list("case__external_id", "kind", "on", "partner")),
        sorted(DeparturePlan.objects.values_list("case__external_id", "made_on", "planned_on", "support")),
    )


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_demo_procedures_and_departures_idempotent():
    call_command("seed_demo", "--cases", "12", "--password", "pw-demo")
    first = snapshot()
    applications, steps, plans = first
    assert {row[1] for row in applications} == {
        "asylum_repeat",
        "no_fault",
        "regular",
        "medical_art64",
        "appeal",
    }
    assert {row[5] for row in applications} == {"", "granted", "rejected", "withdrawn"}
    assert Application.objects.filter(kind="asylum_repeat", decided_on__isnull=True).exists()
    assert Application.objects.filter(kind="regular", outcome="granted").exists()
    assert {row[1] for row in steps} >= {"identity_established", "embassy_presentation", "travel_document_received"}
    assert {row[3] for row in steps} == {"dtv", "iom"}
    assert {row[3] for row in plans} == {"iom", "independent"}
    # The IND recorded its decisions, the case worker the court's.
    deciders = Application.objects.exclude(decided_by=None).values_list("kind", "decided_by__roles")
    assert {(kind, tuple(roles)) for kind, roles in deciders} == {
        ("appeal", ("casemanager",)),
        ("regular", ("ind",)),
        ("asylum_repeat", ("ind",)),
        ("medical_art64", ("ind",)),
    }
    call_command("seed_demo", "--cases", "12", "--password", "pw-demo")
    assert snapshot() == first
