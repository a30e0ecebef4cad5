"""The "Meldingen" page: the user's notices (deadlines, new inbox items, hand-overs), marking
them read, and the daily digest e-mail switch. Included from ``cases.urls`` as ``cases:notifications:*``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases import inboxes, notifications
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.forms import StyledFormMixin

PAGE_SIZE = 25
NOT_FOUND = gettext_lazy("Deze melding bestaat niet of u hebt er geen toegang toe.")


class DigestForm(StyledFormMixin, forms.Form):
    daily_digest = forms.BooleanField(
        label=gettext_lazy("Stuur mij elke ochtend een e-mail met de termijnen die binnenkort of al verlopen zijn"),
        required=False,
        help_text=gettext_lazy("De e-mail noemt alleen kenmerken van casussen, geen namen."),
    )


def _require_case_role(request) -> None:
    """Only people who work on cases have notifications (the programme bureau never does)."""
    if not policy.sees_persons(request.user):
        raise Http404


def _back_to_list(request):
    page = request.POST.get("page", "")
    url = reverse("cases:notifications:list")
    return redirect(f"{url}?page={int(page)}" if page.isdigit() else url)


@login_required
def notification_list(request):
    _require_case_role(request)
    visible = notifications.user_notifications(request.user)
    paginator = Paginator(visible.select_related("case__person", "deadline").order_by("-created_at", "-id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # A notice about a new inbox item names its inbox and links to it (while it is the user's).
    own_inboxes = {box.key for box in inboxes.for_user(request.user)}
    for notification in page.object_list:
        if notification.inbox:
            notification.inbox_title = inboxes.title_of(notification.inbox)
            if notification.inbox in own_inboxes:
                notification.inbox_url = reverse("inbox:detail", args=[notification.inbox])
    unread = visible.filter(read_at__isnull=True).count()
    record(
        actor=request.user,
        action=AccessAction.LIST,
        origin=Origin.from_request(request),
        object_type="cases.notification",
        detail={"page": page.number, "count": paginator.count},
    )
    return render(
        request,
        "notifications/notification_list.html",
        {
            "page": page,
            "unread": unread,
            "digest_form": DigestForm(initial={"daily_digest": request.user.daily_digest}),
        },
    )


@login_required
@require_POST
def mark_read(request, pk):
    _require_case_role(request)
    if not notifications.mark_read(user=request.user, notification_id=pk):
        raise Http404(NOT_FOUND)
    messages.success(request, notifications.MARKED_READ)
    return _back_to_list(request)


@login_required
@require_POST
def mark_all_read(request):
    _require_case_role(request)
    notifications.mark_all_read(user=request.user)
    messages.success(request, notifications.ALL_MARKED_READ)
    return _back_to_list(request)


@login_required
@require_POST
def digest_setting(request):
    _require_case_role(request)
    form = DigestForm(request.POST)
    form.is_valid()  # a check box: every input is valid; absent means off
    enabled = bool(form.cleaned_data.get("daily_digest"))
    notifications.set_daily_digest(user=request.user, enabled=enabled, origin=Origin.from_request(request))
    messages.success(request, notifications.DIGEST_ON if enabled else notifications.DIGEST_OFF)
    return _back_to_list(request)


app_name = "notifications"
urlpatterns = [
    path("", notification_list, name="list"),
    path("<int:pk>/read/", mark_read, name="read"),
    path("read-all/", mark_all_read, name="read-all"),
    path("daily-email/", digest_setting, name="digest"),
]
