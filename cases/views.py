"""Pages for persons and cases. Thin: reads through selectors, writes through services."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cases import admission, extensions, selectors, services, special_types, workflow
from cases import lists as case_lists
from cases.forms import (
    OTHER_OPEN_CASE,
    STEP_DONE,
    STEP_FORMS,
    CaseEditForm,
    DeadlineForm,
    PersonEditForm,
    StepForm,
    step_html_id,
)
from cases.models import Case, CaseType, DeadlineKind, DossierPartKind, EventType
from cases.timeline_text import event_details, label
from cases.workflow import State
from lvv import errors, pages
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.export import export_response
from lvv.lists.listing import RESERVED, SORT_PARAM, Listing, query_without
from lvv.params import bounded_int


def _changeable_case(request, pk) -> Case:
    """A visible case the user may change; 404 when hidden, 403 (logged) when read-only."""
    case = _visible_case_or_404(request, pk)
    if not policy.can_change_case(request.user, case):
        errors.deny(request, errors.changing(case))
    return case


def _visible_case_or_404(request, pk) -> Case:
    try:
        return selectors.get_visible_case(request.user, pk)
    except Case.DoesNotExist:
        raise pages.not_found(request, object_type="cases.case", object_id=pk) from None


@login_required
def case_list(request):
    if not policy.sees_persons(request.user):
        raise Http404
    data = _with_mine_default(request)
    case_filter = selectors.CaseFilter(data, queryset=selectors.case_list(request.user), request=request)
    waiting = (
        case_filter.is_bound
        and case_filter.form.is_valid()
        and case_filter.form.cleaned_data.get("state") in (State.WAITLISTED, State.ADMITTED, selectors.WAITING)
    )
    # The waiting list in its own order by default (the queue), the others by name; both
    # sortable, exportable and with the same saved filters.
    listing = Listing(request, case_lists.WAITING_LIST if waiting else case_lists.CASES, data=data, saved_key="cases")
    if listing.export_format:
        return export_response(request, listing, case_filter.qs)
    paginator = Paginator(listing.order(case_filter.qs), 25)
    page = paginator.get_page(request.GET.get("page"))
    for case in page.object_list:
        case.next_deadline_label = label(DeadlineKind, case.next_deadline_kind) if case.next_deadline_kind else ""
    record(
        actor=request.user,
        action=AccessAction.LIST,
        origin=Origin.from_request(request),
        object_type="cases.case",
        detail={"filters": {k: v for k, v in data.items() if k != "page" and v}, "count": paginator.count},
    )
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": case_filter,
            "page": page,
            "query": query_without(request.GET, "page"),
            "can_register": policy.may_register(request.user),
            "filtered": any(v for k, v in request.GET.items() if k not in ("page", "mine", SORT_PARAM)),
            "listing": listing,
            "waiting": waiting,
            **_mine_context(request, data),
            **_deadline_context(),
        },
    )


# "My cases" (case owners): the case list shows the cases where the user is the case manager
# or the NGO guide by default to the roles that own cases, all cases to the others; the
# filter's "mine" says which, and a link switches. A link from elsewhere with filters of its
# own (the work queue's waiting list) shows all cases.


def _with_mine_default(request):
    """The list's filter data, with ``mine`` filled in when the address does not say."""
    if "mine" in request.GET:
        return request.GET
    data = request.GET.copy()
    bare = not any(key not in RESERVED for key in request.GET)  # page, sort or export only
    data["mine"] = selectors.MINE if bare and selectors.owns_cases(request.user) else selectors.ALL
    return data


def _mine_context(request, data) -> dict:
    mine = data.get("mine") == selectors.MINE
    switched = data.copy()
    switched.pop("page", None)
    switched["mine"] = selectors.ALL if mine else selectors.MINE
    return {
        "mine": mine,
        "owns_cases": selectors.owns_cases(request.user),
        "mine_switch_query": switched.urlencode(),
    }


@login_required
def case_detail(request, pk):
    case = _page_case_or_404(request, pk)
    record(actor=request.user, action=AccessAction.VIEW, obj=case, origin=Origin.from_request(request))
    return _render_case_page(request, case)


@login_required
@require_http_methods(["GET", "POST"])
def case_step(request, pk, step):
    """One step on the case (``workflow.STEPS``): the form posts here, the service decides."""
    form_class = STEP_FORMS.get(step)
    if form_class is None:
        raise Http404
    case = _page_case_or_404(request, pk)
    if request.method == "GET":
        if request.htmx and not request.htmx.history_restore_request:
            return _step_fragment(request, case, step)  # the case page opens a step's form on demand
        return redirect(f"{reverse('cases:detail', args=[case.pk])}?step={step}#step-{step}")
    # Pausing and resuming take one deadline each: its kind tells the forms apart.
    key = request.POST.get("kind", "") if issubclass(form_class, DeadlineForm) else ""
    form = form_class(
        request.POST,
        files=request.FILES,  # a step may take a file (a dossier part's)
        case=case,
        user=request.user,
        key=key if key in DeadlineKind.values else "",
    )
    origin = Origin.from_request(request)
    outcome = pages.submit(
        request,
        form,
        lambda: form.run(acting_user=request.user, origin=origin),
        attempt=errors.changing(case, step=step),
        current_version=lambda: case.version,  # the page shows the newest data: a new attempt is based on it
    )
    if outcome.done:
        messages.success(request, STEP_DONE % {"step": workflow.STEPS[step].label})
        return redirect(_after_step_url(case, step))
    # The page as it is now, with the user's form, input and errors.
    record(actor=request.user, action=AccessAction.VIEW, obj=case, origin=origin)
    return _render_case_page(request, case, posted=form, status=outcome.status)


@login_required
def case_edit(request, pk):
    case = _changeable_case(request, pk)
    special = policy.can_view_special_category(request.user, case)
    initial = {"version": case.version}
    form = CaseEditForm(request.POST or None, instance=case, initial=initial, show_special_category=special)
    return _save_versioned(request, form, _("Casus wijzigen"), services.update_case, of=case, case=case)


@login_required
def person_edit(request, pk):
    case = _changeable_case(request, pk)
    person = case.person
    form = PersonEditForm(request.POST or None, instance=person, initial={"version": person.version})
    title = _("Persoonsgegevens wijzigen")
    return _save_versioned(request, form, title, services.update_person, of=case, person=person)


def _save_versioned(request, form, title, service, *, of: Case, **target):
    """The edit page of a versioned record of case ``of`` (the case or its person): on a
    valid post ``service`` with ``target``, the changed fields and the version the form was
    based on."""
    case = of
    status = 200
    if request.method == "POST":
        outcome = pages.submit(
            request,
            form,
            lambda: service(
                acting_user=request.user,
                origin=Origin.from_request(request),
                expected_version=form.cleaned_data["version"],
                **target,
                **{name: value for name, value in form.cleaned_data.items() if name != "version"},
            ),
            attempt=errors.changing(form.instance),
        )
        if outcome.done:
            messages.success(request, _("De wijzigingen zijn opgeslagen."))
            return redirect("cases:detail", pk=case.pk)
        status = outcome.status
    # The edit form shows the record (health notes included, for those who may): a read.
    record(
        actor=request.user,
        action=AccessAction.VIEW,
        obj=form.instance,
        origin=Origin.from_request(request),
        detail={"case": case.pk, "page": "edit"},
    )
    return render(request, "cases/case_edit.html", {"form": form, "case": case, "title": title}, status=status)


def attach_errors(exc: ValidationError, *forms) -> None:
    """Put a service's validation errors on the form that has the field; keep the input."""
    found = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages_ in found.items():
        target = next((f for f in forms if field in f.fields), forms[0])
        for message in messages_:
            target.add_error(field if field in target.fields else None, message)


# --- The case page -----------------------------------------------------------------------

TIMELINE_PAGE_SIZE = 25

# The step to open first, by the state of the case (the natural next step).
NEXT_STEPS = {
    "record_admission_check": "admit",
    "admit": "start_shelter",
    "waitlist": "start_shelter",
    "start_shelter": "request_dossier",
}

DEADLINE_STATUS = {
    "overdue": gettext_lazy("te laat"),
    "due_soon": gettext_lazy("binnenkort"),
    "open": gettext_lazy("loopt"),
    "paused": gettext_lazy("gepauzeerd"),
    "resolved": gettext_lazy("afgehandeld"),
}


def _page_case_or_404(request, pk) -> Case:
    try:
        return selectors.case_for_page(request.user, pk)
    except Case.DoesNotExist:
        return _visible_case_or_404(request, pk)  # logs the refusal and answers 404


def _after_step_url(case: Case, step: str) -> str:
    url = reverse("cases:detail", args=[case.pk])
    following = NEXT_STEPS.get(step)
    return f"{url}?step={following}#step-{following}" if following else f"{url}#steps"


def _deadline_context() -> dict:
    today = timezone.localdate()
    programme = selectors.programme_settings()
    return {
        "today": today,
        "due_soon_until": today + datetime.timedelta(days=programme.due_soon_days),
        "due_soon_days": programme.due_soon_days,
    }


def _suggested_step(case: Case, user) -> str:
    state = case.state
    if state == State.REGISTERED:
        return "admit" if _admission_check(case) else "record_admission_check"
    if state in (State.ADMITTED, State.WAITLISTED):
        return "start_shelter"
    parts = {part.kind: part for part in case.dossier_parts.all()}
    if user.has_role(Role.IND) and parts.get(DossierPartKind.IND) and not parts[DossierPartKind.IND].delivered_on:
        return "deliver_dossier_ind"
    if user.has_role(Role.DTV) and parts.get(DossierPartKind.DTV) and not parts[DossierPartKind.DTV].delivered_on:
        return "deliver_dossier_dtv"
    if state == State.SHELTERED and not parts:
        return "request_dossier"
    if state == State.CLOSED:
        return "confirm_outflow"
    return ""


def _admission_check(case: Case):
    try:
        return case.admission_check
    except Case.admission_check.RelatedObjectDoesNotExist:
        return None


def _outflow(case: Case):
    try:
        return case.outflow
    except Case.outflow.RelatedObjectDoesNotExist:
        return None


def _step_forms(request, case: Case, *, can_change: bool, posted: StepForm | None) -> list[dict]:
    """The steps the user may take on the case now, each with its own URL. Only the step that
    is open (the one posted, asked for or suggested) carries its form: the others load theirs
    when the user opens them (``_step_fragment``), so that the page does not draw a dozen forms
    nobody looks at. Without JavaScript their link opens the page with that step."""
    user = request.user
    entries = [(step.name, key) for step, key in selectors.available_steps(user, case, can_change=can_change)]
    if posted is not None and (posted.step_name, posted.key) not in entries:
        entries.append((posted.step_name, posted.key))  # a step not offered: show why it failed
    wanted = posted.step_name if posted is not None else (request.GET.get("step") or _suggested_step(case, user))
    steps = []
    for name, key in entries:
        is_posted = posted is not None and (name, key) == (posted.step_name, posted.key)
        is_open = name == wanted and (posted is None or is_posted)
        form = posted if is_posted else (STEP_FORMS[name](case=case, user=user, key=key) if is_open else None)
        steps.append(_step_entry(case, name, key, form, is_open=is_open))
    return steps


def _step_entry(case: Case, name: str, key: str, form: StepForm | None, *, is_open: bool) -> dict:
    title = str(workflow.STEPS[name].label)
    if key:
        title = f"{title}: {DeadlineKind(key).label}" if key in DeadlineKind.values else title
    url = reverse("cases:step", args=[case.pk, name])
    return {
        "form": form,
        "name": name,
        "key": key,
        "html_id": step_html_id(name, key),
        "title": title,
        "url": url,
        "form_url": f"{url}?{urlencode({'key': key})}" if key else url,
        "open": is_open,
    }


def _step_context(case: Case, names) -> dict:
    """What the forms of the steps ``names`` say above their fields: the admission check's
    verdict (admit; the case page has it already) and the LVV's free places today (start shelter)."""
    context = {}
    if "admit" in names:
        check = _admission_check(case)
        context["unmet_criteria"] = check.unmet_criteria(case.location) if check else []
    if "start_shelter" in names:
        context["free_places"] = services.free_places(case.location, timezone.localdate())
    return context


def _step_fragment(request, case: Case, step: str):
    """One step's form, for the case page to show when the user opens the step (htmx). A step
    that is no longer on offer (the case moved on) says so instead."""
    user = request.user
    key = request.GET.get("key", "")
    offered = {
        (s.name, k) for s, k in selectors.available_steps(user, case, can_change=policy.can_change_case(user, case))
    }
    record(actor=user, action=AccessAction.VIEW, obj=case, origin=Origin.from_request(request))
    context: dict = {"case": case}
    if (step, key) in offered:
        form = STEP_FORMS[step](case=case, user=user, key=key)
        context.update(_step_context(case, [step]), entry=_step_entry(case, step, key, form, is_open=True))
    response = render(request, "cases/includes/step_form_body.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


def _render_case_page(
    request, case: Case, *, posted: StepForm | None = None, status: int = 200, note_form=None, owner_form=None
):
    from cases.views_documents import documents_context  # that module imports this one
    from cases.views_notes import journal_context  # the journal's module imports this one
    from cases.views_owners import owners_context  # so does the owners' module

    user = request.user
    context = _deadline_context()
    special = special_types.may_see_special(user, case)  # policy.can_view_special_category, kept for the forms
    today, due_soon_days = context["today"], context["due_soon_days"]
    can_change = policy.can_change_case(user, case)
    deadlines = []
    for deadline in case.deadlines.all():
        status_ = deadline.status_on(today, due_soon_days)
        deadlines.append({"deadline": deadline, "status": status_, "label": DEADLINE_STATUS[status_]})
    running = [row for row in deadlines if row["status"] in ("overdue", "due_soon", "open")]
    timeline_page = bounded_int(request.GET.get("timeline"), default=1)
    events, more_events = selectors.timeline_slice(
        user, case, offset=(timeline_page - 1) * TIMELINE_PAGE_SIZE, limit=TIMELINE_PAGE_SIZE, special=special
    )
    other_locations = selectors.other_open_case_locations(case)
    admission_check = _admission_check(case)
    outflow = _outflow(case)
    step_forms = _step_forms(request, case, can_change=can_change, posted=posted)
    context.update(
        {
            "case": case,
            "person": case.person,
            "state_label": State(case.state).label,
            "show_special_category": special,
            "can_change": can_change,
            "warnings": [OTHER_OPEN_CASE % {"location": name} for name in other_locations],
            "next_deadline": running[0] if running else None,
            "deadlines": deadlines,
            "step_forms": step_forms,
            "unmet_criteria": admission_check.unmet_criteria(case.location) if admission_check else [],
            **_step_context(
                case, ["start_shelter"] if any(e["form"] and e["name"] == "start_shelter" for e in step_forms) else []
            ),
            "case_type_labels": [
                label(CaseType, value) for value in special_types.case_types_for(user, case, special=special)
            ],
            "timeline": _timeline_rows(events, special=special),
            "timeline_page": timeline_page,
            "timeline_more": more_events,
            "admission_check": admission_check,
            "admission_checklist": admission.checklist(admission_check, case.location) if admission_check else [],
            "scenarios": list(case.scenarios.all()),
            "dossier_parts": list(case.dossier_parts.all()),
            "cooperation_checks": list(case.cooperation_checks.all()),
            "outflow": outflow,
            "outflow_partner": {"ind": "IND", "dtv": "DT&V"}.get(outflow.confirming_partner) if outflow else None,
            **journal_context(request, case, special=special, form=note_form),
            # A refused upload shows the page again with its form (views_documents.case_documents).
            **documents_context(request, case, special=special, form=getattr(request, "document_form", None)),
            **owners_context(request, case, can_change=can_change, form=owner_form),
        }
    )
    # Sections and step hints of higher apps (cases.extensions; the procedures app's).
    context.update(
        extensions.page_context(
            request,
            case,
            context,
            make_form=lambda name, initial: STEP_FORMS[name](case=case, user=user, initial=initial),
        )
    )
    return render(request, "cases/case_detail.html", context, status=status)


def _timeline_rows(events, *, special: bool) -> list[dict]:
    """The timeline's rows: each event with its type's label and its details in words. The
    labels are translated once per page (``get_type_display`` builds a mapping of every event
    type, translating each, for every row)."""
    labels = {value: str(label) for value, label in EventType.choices}
    return [
        {"event": e, "label": labels.get(e.type, e.type), "details": event_details(e, special=special)} for e in events
    ]
