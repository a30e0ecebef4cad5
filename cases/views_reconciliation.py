"""Reconciliation before publication: per LVV, the durable outflows that the IND (grants)
and the DT&V (departures) have neither confirmed nor disputed, and their sign-off."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases import selectors, services
from cases.models import Reconciliation, ReconciliationPartner
from lvv import errors, pages
from lvv.accounts.models import Role
from lvv.audit.log import AccessAction, Origin, record
from lvv.forms import StyledFormMixin

PAGE_SIZE = 25
SIGNED = _("De afstemming is afgetekend.")
READERS = (Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV)


class ReconciliationForm(StyledFormMixin, forms.Form):
    location = forms.ModelChoiceField(label=_("LVV"), queryset=None, to_field_name="slug", empty_label=None)
    up_to = forms.DateField(label=_("Tot en met"), widget=forms.DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.user_locations(user).order_by("name")


class SignOffForm(StyledFormMixin, forms.Form):
    notes = forms.CharField(
        label=_("Toelichting"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _partners(user) -> list[str]:
    """The partners whose lists the user reads: the own one for the IND and the DT&V, both
    for the municipality."""
    own = [p for p in ReconciliationPartner.values if user.has_role(p)]
    return own or list(ReconciliationPartner.values)


def _require_reader(user) -> None:
    if not user.has_role(*READERS):
        raise Http404


@login_required
def reconciliation(request):
    _require_reader(request.user)
    today = timezone.localdate()
    locations = selectors.user_locations(request.user).order_by("name")
    first = locations.first()
    if first is None:
        raise Http404
    form = ReconciliationForm(request.GET or {"location": first.slug, "up_to": today}, user=request.user)
    if not form.is_valid():
        form = ReconciliationForm({"location": first.slug, "up_to": today}, user=request.user)
        form.is_valid()
    location, up_to = form.cleaned_data["location"], min(form.cleaned_data["up_to"], today)
    sections = []
    for partner in _partners(request.user):
        items = services.unreconciled_outflows(request.user, location=location, partner=partner, up_to=up_to)
        page = Paginator(items, PAGE_SIZE).get_page(request.GET.get(f"page_{partner}"))
        latest = Reconciliation.objects.filter(location=location, partner=partner).select_related("signed_by").first()
        sections.append(
            {
                "partner": partner,
                "label": ReconciliationPartner(partner).label,
                "page": page,
                "page_param": f"page_{partner}",
                "latest": latest,
                "can_sign": request.user.has_role(partner),
            }
        )
    record(
        actor=request.user,
        action=AccessAction.VIEW,
        origin=Origin.from_request(request),
        object_type="cases.reconciliation",
        detail={"location": location.slug, "up_to": up_to.isoformat()},
    )
    query = urlencode({"location": location.slug, "up_to": up_to.isoformat()})
    return render(
        request,
        "cases/reconciliation.html",
        {
            "form": form,
            "location": location,
            "up_to": up_to,
            "sections": sections,
            "query": query,
            "sign_form": SignOffForm(),
        },
    )


@login_required
@require_POST
def sign_off(request):
    _require_reader(request.user)
    form = ReconciliationForm(request.POST, user=request.user)
    notes = SignOffForm(request.POST)
    if not (form.is_valid() and notes.is_valid()):
        raise Http404
    location, up_to = form.cleaned_data["location"], form.cleaned_data["up_to"]
    outcome = pages.act(
        request,
        lambda: services.sign_off_reconciliation(
            acting_user=request.user,
            origin=Origin.from_request(request),
            location=location,
            up_to=up_to,
            notes=notes.cleaned_data["notes"],
        ),
        attempt=errors.creating("cases.reconciliation", location=location.slug, up_to=up_to.isoformat()),
    )
    if outcome.status == errors.ANSWERS[PermissionDenied].status:  # logged as refused; the 403 page
        raise PermissionDenied
    if outcome.done:
        messages.success(request, SIGNED)
    return redirect(
        f"{reverse('cases:reconciliation')}?{urlencode({'location': location.slug, 'up_to': up_to.isoformat()})}"
    )


def default_up_to() -> datetime.date:
    return timezone.localdate()
