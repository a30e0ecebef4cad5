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
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors as case_selectors
from cases.models import Case
from lvv.access import policy
from lvv.audit.log import Action, Origin, Result, record
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
        record(
            actor=request.user,
            action=Action.VIEW,
            result=Result.DENIED,
            origin=_origin(request),
            object_type="cases.case",
            object_id=pk,
        )
        raise Http404(_("Deze casus bestaat niet of u hebt er geen toegang toe.")) from None


def _deny(request, case: Case, object_type: str) -> None:
    record(
        actor=request.user,
        action=Action.CREATE,
        result=Result.DENIED,
        origin=_origin(request),
        object_type=object_type,
        detail={"case": case.pk},
    )
    raise PermissionDenied


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk]) + "#procedures"


def _save(request, form, call) -> bool:
    """Run the service; put its errors on the form. True when it was recorded."""
    try:
        call()
    except services.NotVisibleError:
        raise Http404 from None
    except services.StaleVersionError:
        form.add_error(None, forms.STALE)
    except ValidationError as exc:
        form.add_service_errors(exc)
    else:
        return True
    return False


def _form_page(request, case, form, *, title: str, intro: str = "", status: int = 200, **extra):
    return render(
        request,
        "procedures/form.html",
        {"case": case, "form": form, "title": title, "intro": intro, **extra},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_new(request, pk):
    case = _case_or_404(request, pk)
    if not services.can_submit(request.user, case):
        _deny(request, case, "procedures.application")
    special = policy.can_view_special_category(request.user, case)
    form = forms.ApplicationForm(request.POST or None, special=special)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.submit_application(
                acting_user=request.user,
                origin=_origin(request),
                case=case,
                kind=data["kind"],
                submitted_on=data["submitted_on"],
                submitted_by=data["submitted_by"],
                notes=data["notes"],
            ),
        ):
            messages.success(request, APPLICATION_RECORDED)
            return redirect(_case_url(case))
    return _form_page(request, case, form, title=_("Aanvraag vastleggen"))


def _application_or_404(request, case: Case, application_pk) -> Application:
    try:
        return selectors.get_visible_application(request.user, case, application_pk)
    except Application.DoesNotExist:
        record(
            actor=request.user,
            action=Action.VIEW,
            result=Result.DENIED,
            origin=_origin(request),
            object_type="procedures.application",
            object_id=application_pk,
        )
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def application_detail(request, pk, application_pk):
    """One application with its decision; the form to record the decision for whoever may."""
    case = _case_or_404(request, pk)
    application = _application_or_404(request, case, application_pk)
    may_decide = application.is_pending and services.can_decide(request.user, case, application.kind)
    if request.method == "POST" and not services.can_decide(request.user, case, application.kind):
        _deny(request, case, "procedures.application")
    form = forms.DecisionForm(request.POST or None, application=application) if may_decide else None
    if request.method == "POST":
        if form is None:  # decided meanwhile: say so on the page
            form = forms.DecisionForm(request.POST, application=application)
            form.is_valid()
            form.add_error(None, services.ALREADY_DECIDED)
        elif form.is_valid():
            data = form.cleaned_data
            if _save(
                request,
                form,
                lambda: services.decide_application(
                    acting_user=request.user,
                    origin=_origin(request),
                    case=case,
                    application=application,
                    outcome=data["outcome"],
                    decided_on=data["decided_on"],
                    expected_version=data["version"],
                ),
            ):
                messages.success(request, DECISION_RECORDED)
                return redirect(_case_url(case))
    else:
        record(actor=request.user, action=Action.VIEW, obj=application, origin=_origin(request))
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
    )


@login_required
@require_http_methods(["GET", "POST"])
def departure_step_new(request, pk):
    case = _case_or_404(request, pk)
    if not services.can_record_departure(request.user, case):
        _deny(request, case, "procedures.departurestep")
    form = forms.DepartureStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.record_departure_step(
                acting_user=request.user,
                origin=_origin(request),
                case=case,
                kind=data["kind"],
                on=data["on"],
                partner=data["partner"],
                details=data["details"],
            ),
        ):
            messages.success(request, STEP_RECORDED)
            return redirect(_case_url(case))
    return _form_page(request, case, form, title=_("Stap in de vertrekvoorbereiding vastleggen"))


@login_required
@require_http_methods(["GET", "POST"])
def departure_plan_new(request, pk):
    case = _case_or_404(request, pk)
    if not services.can_record_departure(request.user, case):
        _deny(request, case, "procedures.departureplan")
    current = services.current_plan(case)
    form = forms.DeparturePlanForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _save(
            request,
            form,
            lambda: services.plan_departure(
                acting_user=request.user,
                origin=_origin(request),
                case=case,
                made_on=data["made_on"],
                planned_on=data["planned_on"],
                support=data["support"],
                notes=data["notes"],
                replaces=data["replaces"],
            ),
        ):
            messages.success(request, PLAN_RECORDED)
            return redirect(_case_url(case))
    intro = ""
    if current is not None:
        intro = str(REPLANNING) % {"date": date_format(current.planned_on)}
    return _form_page(
        request,
        case,
        form,
        title=_("Vertrek plannen") if current is None else _("Vertrek opnieuw plannen"),
        intro=intro,
    )


@login_required
@require_GET
def departures(request):
    """The departures planned in the coming weeks, of the open cases the user may see (the
    current plan of each case), soonest first, a page at a time."""
    if not policy.sees_persons(request.user):
        record(
            actor=request.user,
            action=Action.LIST,
            result=Result.DENIED,
            origin=_origin(request),
            object_type="procedures.departureplan",
        )
        raise Http404
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
        action=Action.LIST,
        origin=_origin(request),
        object_type="procedures.departureplan",
        detail={"weeks": weeks, "page": page.number, "count": page.paginator.count},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/departures.html",
        {"form": form, "page": page, "weeks": weeks, "today": today, "end": end, "query": query.urlencode()},
    )
