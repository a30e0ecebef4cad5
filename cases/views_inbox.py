"""The partner inboxes' pages: ``/inbox/`` (each of the user's inboxes with its count and
first items) and ``/inbox/<key>/`` (one inbox, paged). Included from ``lvv.urls`` as
``inbox:*``. An inbox that is not one of the user's roles answers 404, as does the whole
page for the programme bureau (who never sees a person); the items are cases the user may
see (``cases.inboxes``: every inbox is built on the access policy)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import inboxes
from cases import lists as case_lists
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.export import export_response
from lvv.lists.listing import Listing

PAGE_SIZE = 25


@login_required
@require_GET
def inbox_overview(request):
    if not policy.sees_persons(request.user):
        raise Http404(inboxes.NOT_FOUND)
    sections = inboxes.sections(request)
    record(
        actor=request.user,
        action=AccessAction.LIST,
        origin=Origin.from_request(request),
        object_type="cases.case",
        detail={"inboxes": {section.key: section.count for section in sections}},
    )
    return render(request, "cases/inbox_overview.html", {"inbox_sections": sections, "today": timezone.localdate()})


@login_required
@require_GET
def inbox_detail(request, key):
    try:
        box = inboxes.get_for_user(request.user, key)
    except inboxes.InboxNotFound:
        raise Http404(inboxes.NOT_FOUND) from None
    listing = Listing(request, case_lists.inbox_list(box), default_sort="")
    if listing.export_format:
        return export_response(request, listing, box.items(request.user))
    page = listing.page(box.items(request.user), PAGE_SIZE, object_type="cases.case", inbox=box.key)
    rows = [(case, box.what(case), box.link(case)) for case in page.object_list]
    return render(
        request,
        "cases/inbox_detail.html",
        {
            "inbox": box,
            "page": page,
            "rows": rows,
            "today": timezone.localdate(),
            "listing": listing,
            "query": listing.export_query,
        },
    )


app_name = "inbox"
urlpatterns = [
    path("", inbox_overview, name="overview"),
    path("<slug:key>/", inbox_detail, name="detail"),
]
