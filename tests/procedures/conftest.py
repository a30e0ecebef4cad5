from __future__ import annotations

import pytest

from tests.procedures.helpers import sheltered


@pytest.fixture
def case(world):
    """The Amsterdam case assigned to NGO A, admitted and in shelter."""
    return sheltered(world.ams.assigned)
