"""`seed_demo` creates what the contract says, and twice is the same as once."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from cases.models import Case, Person
from lvv.accounts.models import User
from lvv.partners.models import Location, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

LVVS = {"amsterdam": 360, "rotterdam": 117, "utrecht": 235, "eindhoven": 130, "groningen": 300}
ROLES = ["casemanager", "ngo", "lsochair", "dtv", "ind"]


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
