"""Project-wide pages: the start page and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from cases.models import Case
from lvv.access import policy
from lvv.partners.models import Location, LocationCapacity, locations_of


@login_required
def home(request):
    """Start page: the user's LVVs with today's capacity and, for case roles, their cases."""
    user = request.user
    today = timezone.localdate()
    locations = Location.objects.all() if not policy.sees_persons(user) else locations_of(user.organisation)
    capacity = LocationCapacity.objects.filter(location=OuterRef("pk"), effective_from__lte=today).order_by(
        "-effective_from"
    )
    locations = locations.annotate(capacity_today=Subquery(capacity.values("places")[:1])).order_by("name")
    case_counts = {}
    if policy.sees_persons(user):
        case_counts = dict(
            Case.objects.visible_to(user).values_list("location").annotate(n=Count("pk")).values_list("location", "n")
        )
    rows = [
        {"location": loc, "capacity": loc.capacity_today or 0, "cases": case_counts.get(loc.pk, 0)} for loc in locations
    ]
    return render(request, "home.html", {"rows": rows, "today": today, "sees_persons": policy.sees_persons(user)})


@never_cache
def healthz(request):
    """200 when the database answers; used by the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
