"""The register of processing activities: what the LVV case system processes, why, on which
legal basis and under whose responsibility, per LVV. Open to every signed-in user (it holds
no personal data)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from lvv.audit.activities import ACTIVITIES, CONTROLLER, LEGAL_BASIS, MANDATED, SPECIAL_BASIS
from lvv.partners.models import Location


@login_required
def processing_activities(request):
    locations = list(Location.objects.select_related("municipality").order_by("name"))
    per_lvv = [activity for activity in ACTIVITIES if activity.per_lvv]
    national = [activity for activity in ACTIVITIES if not activity.per_lvv]
    context = {
        "lvvs": [
            {"location": location, "executed_by": MANDATED % {"municipality": location.municipality.name}}
            for location in locations
        ],
        "per_lvv": per_lvv,
        "national": national,
        "controller": CONTROLLER,
        "legal_basis": LEGAL_BASIS,
        "special_basis": SPECIAL_BASIS,
    }
    return render(request, "audit/processing_activities.html", context)
