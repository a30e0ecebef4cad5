"""Pages anyone may read without logging in: the accessibility statement."""

from __future__ import annotations

import datetime

from django.shortcuts import render
from django.views.decorators.http import require_GET

# When the statement was last established, and the evaluation it rests on.
STATEMENT_DATE = datetime.date(2026, 11, 30)
EVALUATION_DATE = datetime.date(2026, 11, 30)


@require_GET
def accessibility_statement(request):
    """The accessibility statement, in the structure of the Dutch government's model
    statement (Besluit digitale toegankelijkheid overheid): scope, status, evidence,
    known issues with the measures taken, contact and the enforcement procedure."""
    return render(
        request,
        "accessibility.html",
        {"statement_date": STATEMENT_DATE, "evaluation_date": EVALUATION_DATE},
    )
