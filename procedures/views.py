"""The procedures pages: the forms that record an application, its decision, a departure
step and a departure plan (the case page shows them all, ``procedures.page``), a page per
application, and the DT&V's list of departures planned in the coming weeks.

Thin: reads through ``procedures.selectors`` (scoped by the access policy), writes through
``procedures.services``. A case the user may not see answers 404; a form the user may not
use 403; both are logged.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors as case_selectors
from cases.models import Case
from lvv import errors, pages
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.listing import query_without
from procedures import forms, selectors, services
from procedures.models import Application

PER_PAGE = 25
DEFAULT_WEEKS = 6

APPLICATION_RECORDED = gettext_lazy("De aanvraag is vastgelegd.")
DECISION_RECORDED = gettext_lazy("Het besluit is vastgelegd.")
STEP_RECORDED = gettext_lazy("De stap in de vertrekvoorbereiding is vastgelegd.")
PLAN_RECORDED = gettext_lazy("Het vertrek is gepland.")
REPLANNING = gettext_lazy(
    "Het vertrek staat nu gepland op %(date)s. Een nieuwe planning vervangt die; de eerdere blijft zichtbaar."
)


def _origin(request) -> Origin:
    return Origin.from_request(request)


def _case_or_404(request, pk) -> Case:
    try:
        return case_selectors.get_visible_case(request.user, pk)
    except Case.DoesNotExist:
        raise pages.not_found(request, object_type="cases.case", object_id=pk) from None


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk]) + "#procedures"


def _record_page(request, case, form, service, *, allowed: bool, object_type: str, success, title, intro=""):
    """A form that records something on the case (an application, a departure step or
    plan): refused (403, logged) for a user who may not; on a valid post the service, then
    a message and the case page, else the form again with the status ``lvv.errors`` gives
    (the refusal logged as the API logs it). ``service`` takes the form's fields."""
    attempt = errors.creating(object_type, case=case.pk)
    if not allowed:
        errors.deny(request, attempt)
    status = 200
    if request.method == "POST":
        outcome = pages.submit(
            request,
            form,
            lambda: service(acting_user=request.user, origin=_origin(request), case=case, **form.cleaned_data),
            attempt=attempt,
        )
        if outcome.done:
            messages.success(request, success)
            return redirect(_case_url(case))
        status = outcome.status
    return render(
        request,
        "procedures/form.html",
        {"case": case, "form": form, "title": title, "intro": intro},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request, pk):
    case = _case_or_404(request, pk)
    form = forms.ApplicationForm(request.POST or None, special=policy.can_view_special_category(request.user, case))
    return _record_page(
        request,
        case,
        form,
        services.submit_application,
        allowed=services.can_submit(request.user, case),
        object_type="procedures.application",
        success=APPLICATION_RECORDED,
        title=_("Aanvraag vastleggen"),
    )


def _application_or_404(request, case: Case, application_pk) -> Application:
    try:
        return selectors.get_visible_application(request.user, case, application_pk)
    except Application.DoesNotExist:
        raise pages.not_found(request, object_type="procedures.application", object_id=application_pk) from None


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request, pk, application_pk):
    """One application with its decision; the form to record the decision for whoever may."""
    case = _case_or_404(request, pk)
    application = _application_or_404(request, case, application_pk)
    may_decide = application.is_pending and services.can_decide(request.user, case, application.kind)
    attempt = errors.changing(application, case=case.pk)
    if request.method == "POST" and not services.can_decide(request.user, case, application.kind):
        errors.deny(request, attempt)
    form = forms.DecisionForm(request.POST or None, application=application) if may_decide else None
    status = 200
    if request.method == "POST":
        if form is None:  # decided meanwhile: say so on the page
            form = forms.DecisionForm(request.POST, application=application)
            form.is_valid()
            form.add_error(None, services.ALREADY_DECIDED)
            status = pages.INVALID  # as the service answers it (a field error, 400)
        else:
            outcome = pages.submit(
                request,
                form,
                lambda: services.decide_application(
                    acting_user=request.user,
                    origin=_origin(request),
                    case=case,
                    application=application,
                    outcome=form.cleaned_data["outcome"],
                    decided_on=form.cleaned_data["decided_on"],
                    expected_version=form.cleaned_data["version"],
                ),
                attempt=attempt,
            )
            if outcome.done:
                messages.success(request, DECISION_RECORDED)
                return redirect(_case_url(case))
            status = outcome.status
    else:
        record(actor=request.user, action=AccessAction.VIEW, obj=application, origin=_origin(request))
    application.due_on = services.decision_due_on(application)
    application.overdue = application.due_on is not None and application.due_on < timezone.localdate()
    return render(
        request,
        "procedures/application_detail.html",
        {
            "case": case,
            "application": application,
            "form": form,
            "decided_by_ind": services.decided_by_ind(application.kind),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def departure_step_new(request, pk):
    case = _case_or_404(request, pk)
    form = forms.DepartureStepForm(request.POST or None)
    return _record_page(
        request,
        case,
        form,
        services.record_departure_step,
        allowed=services.can_record_departure(request.user, case),
        object_type="procedures.departurestep",
        success=STEP_RECORDED,
        title=_("Stap in de vertrekvoorbereiding vastleggen"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def departure_plan_new(request, pk):
    case = _case_or_404(request, pk)
    current = services.current_plan(case)
    form = forms.DeparturePlanForm(request.POST or None, current=current)
    return _record_page(
        request,
        case,
        form,
        services.plan_departure,
        allowed=services.can_record_departure(request.user, case),
        object_type="procedures.departureplan",
        success=PLAN_RECORDED,
        title=_("Vertrek plannen") if current is None else _("Vertrek opnieuw plannen"),
        intro=str(REPLANNING) % {"date": date_format(current.planned_on)} if current is not None else "",
    )


@login_required
@require_GET
def departures(request):
    """The departures planned in the coming weeks, of the open cases the user may see (the
    current plan of each case), soonest first, a page at a time."""
    if not policy.sees_persons(request.user):
        raise pages.not_found(request, action=AccessAction.LIST, object_type="procedures.departureplan")
    form = forms.DeparturesFilterForm(request.GET or None)
    weeks = DEFAULT_WEEKS
    if form.is_bound and form.is_valid() and form.cleaned_data["weeks"]:
        weeks = form.cleaned_data["weeks"]
    today = timezone.localdate()
    end = today + datetime.timedelta(weeks=weeks)
    plans = selectors.planned_departures(request.user, start=today, end=end)
    page = Paginator(plans, PER_PAGE).get_page(request.GET.get("page"))
    record(
        actor=request.user,
        action=AccessAction.LIST,
        origin=_origin(request),
        object_type="procedures.departureplan",
        detail={"weeks": weeks, "page": page.number, "count": page.paginator.count},
    )
    return render(
        request,
        "procedures/departures.html",
        {
            "form": form,
            "page": page,
            "weeks": weeks,
            "today": today,
            "end": end,
            "query": query_without(request.GET, "page"),
        },
    )
