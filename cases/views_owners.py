"""Case owners on the pages: the case page's "Eigenaren" block (the case manager, the NGO
guide, the forms that hand them over and the history), and the person page: everything the
user may see about one person (the person, the person's visible cases, the journal notes of
those cases and their documents).

Reads go through the selectors (``selectors.owner_history``, ``selectors.person_cases``,
``selectors.person_notes``), writes through ``services.hand_over``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cases import selectors, services
from cases.forms import HANDED_OVER, HandOverForm, owner_label
from cases.models import Case, OwnerRole
from cases.views import _page_case_or_404, _render_case_page
from lvv import errors, pages
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.params import bounded_int

OWNERS_PAGE_PARAM = "owners_page"
PERSON_NOTES_PER_PAGE = 10
PERSON_NOTES_PARAM = "notes_page"


# --- The case page's owners ------------------------------------------------------------------


def owners_context(request, case: Case, *, can_change: bool, form: HandOverForm | None = None) -> dict:
    """What the case page's "Eigenaren" block shows: the owners, one form per role the user
    may hand over (with the eligible colleagues) and a page of the history, newest first.
    Two queries: the history and the colleagues (none when the user may hand over nothing)."""
    user = request.user
    roles = [role for role in OwnerRole.values if policy.can_hand_over(user, case, role, can_change=can_change)]
    if case.assigned_ngo_id is None and OwnerRole.NGO_GUIDE in roles:
        roles.remove(OwnerRole.NGO_GUIDE)  # no NGO, no guide to hand over
    choices = selectors.eligible_owner_choices(case, roles)
    forms = []
    for role in roles:
        role_form = form if form is not None and form.role == role else HandOverForm(case=case, role=role)
        role_form.set_choices(choices[role])
        forms.append(role_form)
    page = bounded_int(request.GET.get(OWNERS_PAGE_PARAM), default=1)
    size = selectors.OWNER_HISTORY_PAGE_SIZE
    history, more = selectors.owner_history_slice(user, case, offset=(page - 1) * size, limit=size)
    return {
        "owner_forms": forms,
        "owner_history": history,
        "owner_history_page": page,
        "owner_history_more": more,
    }


@login_required
@require_POST
def hand_over(request, pk, role):
    """Hand the case manager or the NGO guide of the case over (``services.hand_over``)."""
    if role not in OwnerRole.values:
        raise Http404
    case = _page_case_or_404(request, pk)  # 404 (logged) when hidden
    user = request.user
    attempt = errors.changing(case, step="hand_over", role=role)
    if not policy.can_hand_over(user, case, role):
        errors.deny(request, attempt, services.HAND_OVER_NOT_ALLOWED)
    form = HandOverForm(request.POST, case=case, role=role)
    outcome = pages.submit(
        request,
        form,
        lambda: services.hand_over(
            acting_user=user,
            origin=Origin.from_request(request),
            case=case,
            role=role,
            to_user=form.cleaned_data["to_user"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
        attempt=attempt,
        current_version=lambda: case.version,  # a new attempt is based on what the page shows now
    )
    if outcome.done:
        new_owner = getattr(outcome.value, role)
        messages.success(request, HANDED_OVER % {"name": owner_label(new_owner), "role": OwnerRole(role).label})
        return redirect(f"{reverse('cases:detail', args=[case.pk])}#owners")
    # The case page as it is now, with the user's form, input and errors.
    record(actor=user, action=AccessAction.VIEW, obj=case, origin=Origin.from_request(request))
    return _render_case_page(request, case, owner_form=form, status=outcome.status)


# --- The person page ----------------------------------------------------------------------------


PERSON_DOCUMENTS_PER_PAGE = 10
PERSON_DOCUMENTS_PARAM = "documents_page"


def person_documents(request, cases: list[Case], *, special_cases: set[int]) -> dict:
    """The documents of the person's visible cases, newest first, a page at a time (special
    documents only of cases whose special-category data the user may see). One query."""
    page = bounded_int(request.GET.get(PERSON_DOCUMENTS_PARAM), default=1)
    offset = (page - 1) * PERSON_DOCUMENTS_PER_PAGE
    documents = selectors.person_documents(request.user, cases, special_cases=special_cases)
    rows = list(documents[offset : offset + PERSON_DOCUMENTS_PER_PAGE + 1])
    return {
        "person_documents": rows[:PERSON_DOCUMENTS_PER_PAGE],
        "documents_page": page,
        "documents_more": len(rows) > PERSON_DOCUMENTS_PER_PAGE,
    }


@login_required
def person_detail(request, person_pk):
    """Everything the user may see about one person: the person's data, the person's cases
    the user may see (other LVVs only where the user sees them), the journal notes of those
    cases (newest first, paged; special notes only where allowed) and their documents. A
    person with no case the user may see does not exist for the user (404, logged)."""
    user = request.user
    origin = Origin.from_request(request)
    cases = list(selectors.person_cases(user, person_pk)) if policy.sees_persons(user) else []
    if not cases:
        raise pages.not_found(request, object_type="cases.person", object_id=person_pk)
    person = cases[0].person
    special = policy.SpecialCategoryChecker(user, cases)
    special_cases = {case.pk for case in cases if special(case)}
    page = bounded_int(request.GET.get(PERSON_NOTES_PARAM), default=1)
    offset = (page - 1) * PERSON_NOTES_PER_PAGE
    rows = list(
        selectors.person_notes(user, cases, special_cases=special_cases)[offset : offset + PERSON_NOTES_PER_PAGE + 1]
    )
    record(
        actor=user,
        action=AccessAction.VIEW,
        obj=person,
        origin=origin,
        detail={"cases": [case.pk for case in cases]},
    )
    context = {
        "person": person,
        "cases": cases,
        "notes": rows[:PERSON_NOTES_PER_PAGE],
        "notes_page": page,
        "notes_more": len(rows) > PERSON_NOTES_PER_PAGE,
        **person_documents(request, cases, special_cases=special_cases),
    }
    return render(request, "cases/person_detail.html", context)
