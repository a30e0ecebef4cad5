"""The start page: the work queue for the case roles (what is due, new registrations, the
waiting lists, the user's own cases, the partner inboxes, and what the higher apps add through
``cases.extensions``); the LVVs and their capacity for everyone else (the programme bureau
sees figures, never a person)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from cases import extensions, inboxes, selectors
from cases.models import Case
from lvv.access import policy
from lvv.partners.models import Location, LocationCapacity, locations_of

DEADLINES_PER_PAGE = 20
REGISTRATIONS_SHOWN = 10
WAITING_SHOWN = 10
MY_CASES_SHOWN = 10  # "Mijn casussen": the user's own open cases (case owners)


@login_required
def home(request):
    """Start page: the work queue for the case roles; the LVVs and their capacity for others
    (the programme bureau sees figures, never a person)."""
    if policy.sees_persons(request.user):
        return _work_queue(request)
    return _overview(request)


def _overview(request):
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


def _work_queue(request):
    """What needs doing: due and overdue deadlines, new registrations and the waiting lists
    of the cases the user can see, in a fixed number of queries."""
    user = request.user
    today = timezone.localdate()
    due_soon_days = selectors.programme_settings().due_soon_days
    deadlines = Paginator(
        selectors.due_deadlines(user, today=today, due_soon_days=due_soon_days), DEADLINES_PER_PAGE
    ).get_page(request.GET.get("deadlines_page"))
    registrations = list(selectors.newest_registrations(user)[: REGISTRATIONS_SHOWN + 1])
    owns_cases = selectors.owns_cases(user)
    my_cases = list(selectors.my_open_cases(user)[: MY_CASES_SHOWN + 1]) if owns_cases else []
    context = {
        "today": today,
        "due_until": today + datetime.timedelta(days=due_soon_days),
        "due_soon_days": due_soon_days,
        "deadline_page": deadlines,
        "registrations": registrations[:REGISTRATIONS_SHOWN],
        "more_registrations": len(registrations) > REGISTRATIONS_SHOWN,
        "owns_cases": owns_cases,
        "my_cases": my_cases[:MY_CASES_SHOWN],
        "more_my_cases": len(my_cases) > MY_CASES_SHOWN,
        "waiting_lists": selectors.waiting_lists(user, today=today, per_location=WAITING_SHOWN),
        "can_register": policy.may_register(user),
        "disputed": list(selectors.disputed_outflows(user)[:REGISTRATIONS_SHOWN]),
        "work_queue": True,
        # Parts of higher apps (the LSO's actions and notices), through cases.extensions.
        **extensions.work_queue_context(request),
        # Partner inboxes (IND, DT&V, LSO chair): counts in one query, first items per inbox;
        # lazy, so that htmx paging through the deadlines does not compute them.
        "inbox_sections": SimpleLazyObject(lambda: inboxes.sections(request)),
    }
    # htmx asks for the deadlines section alone when the user pages through it.
    partial = bool(request.htmx) and request.htmx.target == "work-deadlines"
    response = render(request, "includes/work_deadlines.html" if partial else "home.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
