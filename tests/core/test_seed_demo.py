"""`seed_demo` without cases: the default password, and no demo data without DEBUG unless
forced. What the demo creates per contract, twice the same as once: tests/test_demo_data.py."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from lvv.accounts.models import User

pytestmark = pytest.mark.django_db


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
