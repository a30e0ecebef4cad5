"""`seed_demo` creates what the contract says, and twice is the same as once."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from cases import tasks
from cases.models import (
    Case,
    CooperationCheck,
    Deadline,
    DeadlineKind,
    Notification,
    Outflow,
    Person,
    Scenario,
    TimelineEvent,
)
from cases.workflow import State
from lvv.accounts.models import User
from lvv.demo import PILOT_START
from lvv.partners.models import Location, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

LVVS = {"amsterdam": 360, "rotterdam": 117, "utrecht": 235, "eindhoven": 130, "groningen": 300}
ROLES = ["casemanager", "ngo", "lsochair", "dtv", "ind", "privacy_officer"]


def snapshot():
    return (
        sorted(Location.objects.values_list("slug", flat=True)),
        sorted(Organisation.objects.values_list("name", "kind")),
        sorted(User.objects.values_list("username", "organisation__name", "roles")),
        sorted(Case.objects.values_list("external_id", "location__slug", "assigned_ngo__name", "person__v_number")),
        Person.objects.count(),
    )


@override_settings(DEBUG=True)
def test_seed_demo_per_contract_and_idempotent():
    call_command("seed_demo", "--cases", "4", "--password", "pw-demo")
    first = snapshot()
    for slug, places in LVVS.items():
        location = Location.objects.get(slug=slug)
        assert location.capacity_on(datetime.date(2019, 4, 1)) == places
        assert Organisation.objects.filter(kind=OrganisationKind.NGO, service_links__location=location).exists()
        assert Case.objects.filter(location=location).count() == 4
        for role in ROLES:
            user = User.objects.get(username=f"{role}.{slug}")
            assert user.roles == [role]
            assert user.check_password("pw-demo")
    assert User.objects.get(username="bureau").roles == ["bureau"]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    for kind in (OrganisationKind.IND, OrganisationKind.DTV, OrganisationKind.PROGRAMME_BUREAU):
        assert Organisation.objects.filter(kind=kind).exists()

    call_command("seed_demo", "--cases", "4", "--password", "pw-demo")
    assert snapshot() == first


@override_settings(DEBUG=True)
def test_default_password_is_demo():
    call_command("seed_demo", "--cases", "0")
    assert User.objects.get(username="casemanager.utrecht").check_password("demo")


@override_settings(DEBUG=False)
def test_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--cases", "0")
    call_command("seed_demo", "--cases", "0", "--force")
    assert User.objects.filter(username="admin").exists()


def trajectory_snapshot():
    """The demo's trajectory: states, records, timeline, deadlines and notifications."""
    return (
        sorted(Case.objects.values_list("external_id", "state", "registered_on", "shelter_started_on", "closed_on")),
        sorted(Deadline.objects.values_list("case__external_id", "kind", "due_on", "resolved_on")),
        sorted(TimelineEvent.objects.values_list("case__external_id", "type", "occurred_on")),
        sorted(Outflow.objects.values_list("case__external_id", "category", "confirmed_on")),
        Notification.objects.count(),
    )


@override_settings(DEBUG=True)
def test_seed_demo_spreads_cases_over_every_stage():
    call_command("seed_demo", "--cases", "4", "--password", "pw-demo")
    today = timezone.localdate()
    # Every state but "waitlisted", which means no place is left: the demo's LVVs have room,
    # so the admitted wait in the one queue as "admitted" until a place is offered.
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values) - {State.WAITLISTED}
    queue = Case.objects.filter(state=State.ADMITTED, shelter_started_on__isnull=True, closed_on__isnull=True)
    assert queue.exists() and not queue.filter(waitlisted_on__isnull=True).exists()
    assert Deadline.objects.filter(resolved_on__isnull=True, due_on__lt=today).exists()  # overdue items
    # Dates are in the past (the services refuse future dates), from the pilots' start on.
    assert not TimelineEvent.objects.filter(occurred_on__gt=today).exists()
    assert not TimelineEvent.objects.filter(occurred_on__lt=PILOT_START).exists()
    # The stages between the states: dossiers, rest period, scenarios, checks, MRT, outflow.
    sheltered = Case.objects.filter(state=State.SHELTERED)
    assert sheltered.filter(dossier_parts__delivered_on__isnull=True, dossier_parts__requested_on__isnull=False)
    assert Deadline.objects.filter(kind=DeadlineKind.REST_PERIOD_END, resolved_on__isnull=True, due_on__gte=today)
    assert Deadline.objects.filter(kind=DeadlineKind.REST_PERIOD_END, resolved_on__isnull=True, due_on__lt=today)
    assert set(Scenario.objects.values_list("direction", flat=True)) == {"departure", "residence"}
    assert CooperationCheck.objects.filter(result="insufficient").exists()
    assert TimelineEvent.objects.filter(type="mrt_discussed").exists()
    assert Outflow.objects.values("category").distinct().count() >= 5
    assert Outflow.objects.filter(confirmed_on__isnull=False).exists()
    assert Notification.objects.exists()
    # The nightly job finds nothing to change: the services computed every deadline.
    assert tasks.recompute_cases() == 0

    first = trajectory_snapshot()
    call_command("seed_demo", "--cases", "4", "--password", "pw-demo")
    assert trajectory_snapshot() == first


@override_settings(DEBUG=True)
def test_seed_demo_is_deterministic():
    call_command("seed_demo", "--cases", "6", "--password", "pw-demo")
    first = trajectory_snapshot(), snapshot()
    Notification.objects.all().delete()
    Case.objects.all().delete()
    Person.objects.all().delete()
    call_command("seed_demo", "--cases", "6", "--password", "pw-demo")
    assert (trajectory_snapshot(), snapshot()) == first
