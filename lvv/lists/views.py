"""Saving and deleting saved filters (POST), for the users who see the lists.

A saved filter is applied by the list page itself (a link with its query string), so there
is no page that shows a filter's rows here. Everything answers 404 for a user who sees no
list (the programme bureau, the privacy officer), and for another user's filter.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lvv.access import policy
from lvv.lists import services
from lvv.lists.forms import SavedFilterForm

NEXT_MAX = 500


def _require_lists(user) -> None:
    if not policy.sees_persons(user):
        raise Http404


def _next(request, value: str | None) -> str:
    """A path on this site to go back to (the list page), or the home page."""
    value = (value or "").strip()[:NEXT_MAX]
    if (
        value.startswith("/")
        and not value.startswith("//")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value.split("?", 1)[0]
    return "/"


@login_required
@require_POST
def save(request):
    _require_lists(request.user)
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_filter(
                user=request.user, list_name=data["list_name"], name=data["name"], querystring=data["querystring"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Filter “%(name)s” is bewaard.") % {"name": saved.name})
            target = _next(request, data["next"])
            return redirect(f"{target}?{saved.querystring}" if saved.querystring else target)
    back = _next(request, request.POST.get("savedfilter-next"))
    query = QueryDict(request.POST.get("savedfilter-querystring", "")[:2000]).urlencode()
    return render(request, "lists/saved_filter_form.html", {"form": form, "back": back, "query": query}, status=400)


@login_required
@require_POST
def delete(request, pk: int):
    _require_lists(request.user)
    if not services.delete_filter(user=request.user, pk=pk):
        raise Http404
    messages.success(request, _("Het bewaarde filter is verwijderd."))
    return redirect(_next(request, request.POST.get("next")))
