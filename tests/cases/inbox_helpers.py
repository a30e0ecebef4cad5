"""Shared by the tests of the partner inboxes (pages and API)."""

from __future__ import annotations

import datetime

from cases import services
from cases.models import Case
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory

REGISTERED = datetime.date(2020, 1, 6)


def requested(lvv, n: int = 1, **kwargs) -> list[Case]:
    """``n`` admitted cases of ``lvv`` whose dossier the case worker requested."""
    cases = []
    for _ in range(n):
        case = CaseFactory(location=lvv.location, admitted=True, **kwargs)
        services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=case, on=REGISTERED)
        cases.append(case)
    return cases
