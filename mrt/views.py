"""The MRT pages: escalations, positions, preparation tasks, the session and the advice.

Reads through ``mrt.selectors`` (scoped by the access policy), writes through
``mrt.services``. Hidden escalations answer 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lvv import errors, pages
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.export import export_response
from lvv.lists.listing import Listing
from lvv.pages import require_case_role
from mrt import forms as mrt_forms
from mrt import lists as mrt_lists
from mrt import selectors, services
from mrt.models import Escalation, EscalationStatus, PreparationTask

PER_PAGE = 25


def _escalation_or_404(request, pk) -> Escalation:
    require_case_role(request.user)
    try:
        return selectors.escalation_for_page(request.user, pk)
    except Escalation.DoesNotExist:
        raise Http404 from None


def _detail_url(escalation) -> str:
    return reverse("mrt:escalation-detail", args=[escalation.pk])


@login_required
@require_GET
def escalation_list(request):
    require_case_role(request.user)
    listing = Listing(request, mrt_lists.ESCALATIONS)
    if listing.export_format:
        return export_response(request, listing, selectors.visible_escalations(request.user))
    page = listing.page(selectors.visible_escalations(request.user), PER_PAGE, object_type="mrt.escalation")
    tasks = list(selectors.open_tasks_for(request.user)[:PER_PAGE])
    return render(
        request,
        "mrt/escalation_list.html",
        {"page": page, "tasks": tasks, "listing": listing, "query": listing.export_query},
    )


def _context(request, escalation, **forms) -> dict:
    user = request.user
    location = escalation.case.location
    open_ = escalation.status != EscalationStatus.ADVISED
    coordinate = services.can_coordinate(user, location) and open_
    partner = services.works_for(user.organisation, location) and open_
    advice = getattr(escalation, "advice", None)
    context = {
        "escalation": escalation,
        "case": escalation.case,
        "advice": advice,
        "coordinate": coordinate,
        "user_org": user.organisation_id,
        "version": escalation.version,
    }
    if partner:
        own = next((p for p in escalation.positions.all() if p.organisation_id == user.organisation_id), None)
        context["position_form"] = forms.get("position") or mrt_forms.PositionForm(
            initial={"text": own.text if own else ""}
        )
    if coordinate:
        context["session_form"] = forms.get("session") or mrt_forms.SessionForm(prefix="session")
        context["advice_form"] = forms.get("advice") or mrt_forms.AdviceForm(
            prefix="advice",
            initial={"version": escalation.version},
            special_allowed=policy.can_view_special_category(user, escalation.case),
        )
    return context


@login_required
@require_GET
def escalation_detail(request, pk):
    escalation = _escalation_or_404(request, pk)
    record(actor=request.user, action=AccessAction.VIEW, obj=escalation, origin=Origin.from_request(request))
    return render(request, "mrt/escalation_detail.html", _context(request, escalation))


def _run(request, escalation, key, form, call, success):
    """Run a service for a posted form: a message and a redirect, or the page with the
    form's errors and the status ``lvv.errors`` gives (the refusal logged as a change of the
    escalation, as the API logs it)."""
    outcome = pages.submit(
        request,
        form,
        call,
        attempt=errors.changing(escalation),
        current_version=lambda: Escalation.objects.get(pk=escalation.pk).version,
    )
    if outcome.done:
        messages.success(request, success)
        return redirect(_detail_url(escalation))
    escalation = _escalation_or_404(request, escalation.pk)
    context = _context(request, escalation, **{key: form})
    return render(request, "mrt/escalation_detail.html", context, status=outcome.status)


@login_required
@require_POST
def position(request, pk):
    escalation = _escalation_or_404(request, pk)
    form = mrt_forms.PositionForm(request.POST)
    return _run(
        request,
        escalation,
        "position",
        form,
        lambda: services.save_position(
            acting_user=request.user,
            origin=Origin.from_request(request),
            escalation=escalation,
            text=form.cleaned_data["text"],
        ),
        mrt_forms.POSITION_SAVED,
    )


@login_required
@require_POST
def session(request, pk):
    """Plan a session of the case's LVV and put the escalation on it, in one step."""
    escalation = _escalation_or_404(request, pk)
    form = mrt_forms.SessionForm(request.POST, prefix="session")

    def call():
        planned = services.create_session(
            acting_user=request.user,
            origin=Origin.from_request(request),
            location=escalation.case.location,
            date=form.cleaned_data["date"],
            place=form.cleaned_data.get("place") or "",
            ngo=escalation.case.assigned_ngo,
        )
        services.schedule_escalation(
            acting_user=request.user, origin=Origin.from_request(request), escalation=escalation, session=planned
        )

    return _run(request, escalation, "session", form, call, mrt_forms.SCHEDULED)


@login_required
@require_POST
def advice(request, pk):
    escalation = _escalation_or_404(request, pk)
    special_allowed = policy.can_view_special_category(request.user, escalation.case)
    form = mrt_forms.AdviceForm(request.POST, prefix="advice", special_allowed=special_allowed)

    def call():
        data = form.cleaned_data
        return services.give_advice(
            acting_user=request.user,
            origin=Origin.from_request(request),
            escalation=escalation,
            reasoning=data["reasoning"],
            direction=data.get("direction") or "",
            route=data.get("route") or "",
            no_durable_solution_possible=data.get("no_durable_solution_possible", False),
            due_on=data.get("due_on"),
            expected_version=data.get("version"),
            reasoning_confidentiality=form.confidentiality(),
        )

    return _run(request, escalation, "advice", form, call, mrt_forms.ADVICE_SAVED)


@login_required
@require_POST
def task_done(request, task_pk):
    require_case_role(request.user)
    task = selectors.visible_tasks(request.user).filter(pk=task_pk).first()
    if task is None:
        raise Http404
    outcome = pages.act(
        request,
        lambda: services.complete_preparation_task(
            acting_user=request.user, origin=Origin.from_request(request), task=task
        ),
        attempt=errors.changing(task),
    )
    if outcome.done:
        messages.success(request, mrt_forms.TASK_DONE)
        return redirect(_detail_url(task.escalation))
    # The escalation's page with the refusal's message, as the API answers it.
    escalation = _escalation_or_404(request, task.escalation_id)
    return render(request, "mrt/escalation_detail.html", _context(request, escalation), status=outcome.status)


__all__ = ["PreparationTask"]
