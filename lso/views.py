"""The LSO pages: meetings, the agenda, the pack, the minutes, the DT&V's review queue.

Thin: reads through ``lso.selectors``, the meeting page is built by ``lso.presenters``,
writes go through ``lso.services``. Hidden meetings and items answer 404; the programme
bureau never sees a meeting.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Case
from lso import forms as lso_forms
from lso import lists as lso_lists
from lso import pdf, presenters, selectors, services
from lso.models import AgendaItem, AgendaPack, Meeting, MeetingNotice
from lso.presenters import PREPARE_STATES
from lvv import errors, pages
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.export import export_response
from lvv.lists.listing import SORT_PARAM, Listing, query_without
from lvv.pages import require_case_role
from lvv.partners.models import Location, locations_of

MEETINGS_PER_PAGE = 20
SUGGESTIONS_PARAM = "suggestions"
QUEUE_PER_PAGE = 25
REFERENCE = re.compile(r"^\s*LVV-(\d+)\s*$", re.IGNORECASE)


def _meeting_or_404(request, pk) -> Meeting:
    require_case_role(request.user)
    try:
        return selectors.meeting_for_page(request.user, pk)
    except Meeting.DoesNotExist:
        raise Http404(lso_forms.NOT_FOUND) from None


def _plain_meeting_or_404(request, pk) -> Meeting:
    require_case_role(request.user)
    meeting = selectors.visible_meetings(request.user).select_related("location").filter(pk=pk).first()
    if meeting is None:
        raise Http404(lso_forms.NOT_FOUND)
    return meeting


def _item_or_404(request, pk, item_pk) -> tuple[Meeting, AgendaItem]:
    """The meeting and one of its items, both visible to the user."""
    meeting = _plain_meeting_or_404(request, pk)
    item = selectors.visible_items(request.user).filter(pk=item_pk, meeting=meeting).select_related("case").first()
    if item is None:
        raise Http404
    return meeting, item


def _preparable_locations(user):
    return [
        loc for loc in locations_of(user.organisation).select_related("municipality") if services.can_prepare(user, loc)
    ]


def _meeting_url(meeting, anchor: str = "") -> str:
    url = reverse("lso:meeting-detail", args=[meeting.pk])
    return f"{url}#{anchor}" if anchor else url


# --- Meetings -------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request):
    require_case_role(request.user)
    listing = Listing(request, lso_lists.MEETINGS)
    if listing.export_format:
        return export_response(request, listing, selectors.meeting_list(request.user))
    page = listing.page(selectors.meeting_list(request.user), MEETINGS_PER_PAGE, object_type="lso.meeting")
    return render(
        request,
        "lso/meeting_list.html",
        {
            "page": page,
            "can_create": bool(_preparable_locations(request.user)),
            "listing": listing,
            "query": listing.export_query,
        },
    )


@login_required
def meeting_create(request):
    require_case_role(request.user)
    locations = _preparable_locations(request.user)
    if not locations:
        raise Http404
    queryset = Location.objects.filter(pk__in=[loc.pk for loc in locations]).order_by("name")
    form = lso_forms.MeetingForm(request.POST or None, locations=queryset)
    return _meeting_form(
        request,
        form,
        None,
        lambda: services.create_meeting(
            acting_user=request.user,
            origin=Origin.from_request(request),
            location=form.cleaned_data["location"],
            date=form.cleaned_data["date"],
            start_time=form.cleaned_data["start_time"],
            place=form.cleaned_data.get("place") or "",
            online_link=form.cleaned_data.get("online_link") or "",
        ),
        lso_forms.MEETING_CREATED,
        attempt=lambda: meeting_attempt(form.cleaned_data["location"]),
    )


def _meeting_form(request, form, meeting: Meeting | None, call, success, *, attempt, current_version=None):
    """The form of a new (``meeting`` None) or an existing meeting: on a POST, ``call`` the
    service (``lvv.pages.submit``), then a message and the meeting's page; else the form
    again, with its errors and the status ``lvv.errors`` gives."""
    status = 200
    if request.method == "POST":
        outcome = pages.submit(request, form, call, attempt=attempt, current_version=current_version)
        if outcome.done:
            messages.success(request, success)
            return redirect(_meeting_url(meeting or outcome.value))
        status = outcome.status
    return render(request, "lso/meeting_form.html", {"form": form, "meeting": meeting}, status=status)


def meeting_attempt(location: Location) -> errors.Attempt:
    """A new meeting of ``location`` as the access log names it (pages and API alike)."""
    return errors.creating("lso.meeting", location=location.slug)


@login_required
def meeting_edit(request, pk):
    meeting = _plain_meeting_or_404(request, pk)
    if not services.can_prepare(request.user, meeting.location) or meeting.status not in PREPARE_STATES:
        raise Http404
    form = lso_forms.MeetingForm(
        request.POST or None, instance=meeting, locations=None, initial={"version": meeting.version}
    )
    return _meeting_form(
        request,
        form,
        meeting,
        lambda: services.update_meeting(
            acting_user=request.user,
            origin=Origin.from_request(request),
            meeting=Meeting.objects.get(pk=meeting.pk),
            expected_version=form.cleaned_data.get("version"),
            **{
                name: form.cleaned_data.get(name) or ("" if name in ("place", "online_link") else None)
                for name in services.MEETING_FIELDS
            },
        ),
        lso_forms.MEETING_SAVED,
        attempt=errors.changing(meeting),
        current_version=lambda: Meeting.objects.get(pk=meeting.pk).version,
    )


def _latest_pack(user, meeting) -> AgendaPack | None:
    """The user's newest pack of the meeting, after the check for a stopped worker."""
    pack = AgendaPack.objects.filter(meeting=meeting, requested_by=user).order_by("-created_at", "-pk").first()
    return services.check_pack(pack)


def _suggestions_page(request) -> int:
    """The part of the suggestions asked for (``?suggestions=N``, 1 when absent or not a number)."""
    value = request.GET.get(SUGGESTIONS_PARAM, "")
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return max(1, int(value))
    return 1


def _opened(request) -> str:
    """The item's form asked for open (``?note=``, ``?time=`` or ``?outcome=`` with the item's
    id: the page without JavaScript), as its key; "" for none."""
    for kind in presenters.ITEM_FORMS:
        value = request.GET.get(kind, "")
        if value.isascii() and value.isdigit() and len(value) <= 12:
            return presenters.item_form_key(kind, int(value))
    return ""


def _meeting_context(request, meeting: Meeting, posted: tuple[str, Form] | None = None) -> dict:
    """The meeting page (``lso.presenters.meeting_page``) for this request: the user's newest
    pack, the search and the part of the suggestions asked for, the posted form with its
    errors, the item's form asked for open (``_opened``)."""
    return presenters.meeting_page(
        meeting,
        request.user,
        pack=_latest_pack(request.user, meeting),
        query=(request.GET.get("q") or "").strip(),
        suggestions=_suggestions_page(request),
        posted=posted,
        opened=_opened(request),
    ).context()


@login_required
@require_GET
def meeting_detail(request, pk):
    meeting = _meeting_or_404(request, pk)
    record(actor=request.user, action=AccessAction.VIEW, obj=meeting, origin=Origin.from_request(request))
    return render(request, "lso/meeting_detail.html", _meeting_context(request, meeting))


@login_required
@require_GET
def meeting_suggestions(request, pk):
    """The next part of the suggestions as table rows, appended under those shown ("meer
    tonen" through htmx); without htmx, the meeting page with that part."""
    meeting = _plain_meeting_or_404(request, pk)
    page = _suggestions_page(request)
    if not request.htmx or request.htmx.history_restore_request:
        query = f"?{urlencode({SUGGESTIONS_PARAM: page})}" if page > 1 else ""
        return redirect(f"{_meeting_url(meeting)}{query}#suggestions")
    if not services.can_prepare(request.user, meeting.location) or meeting.status not in PREPARE_STATES:
        raise Http404
    part = presenters.suggestions_part(meeting, request.user, page, appended=True)
    record(
        actor=request.user,
        action=AccessAction.LIST,
        origin=Origin.from_request(request),
        obj=meeting,
        detail={"view": "suggestions", "page": page, "cases": [s.case.pk for s in part.rows]},
    )
    context = {"meeting": meeting, "version": meeting.version, **part.context()}
    response = render(request, "lso/includes/suggestion_rows.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


def _rerender(request, meeting_pk, key, form, status=200):
    meeting = _meeting_or_404(request, meeting_pk)
    return render(request, "lso/meeting_detail.html", _meeting_context(request, meeting, (key, form)), status=status)


def _run(request, meeting_pk, key, form, service, success, anchor="", *, target=None, arguments=None, **fixed):
    """Run ``service`` for a posted form (with ``fixed`` and ``arguments(cleaned_data)`` as its
    arguments): a message and a redirect, or the page with the form's errors and the status
    ``lvv.errors`` gives (the refusal logged as a change of ``target``, the meeting or one of
    its items, as the API logs it)."""
    outcome = pages.submit(
        request,
        form,
        lambda: service(
            acting_user=request.user,
            origin=Origin.from_request(request),
            **fixed,
            **(arguments(form.cleaned_data) if arguments else {}),
        ),
        attempt=errors.changing(target or Meeting(pk=meeting_pk)),
        current_version=lambda: Meeting.objects.get(pk=meeting_pk).version,
    )
    if not outcome.done:
        return _rerender(request, meeting_pk, key, form, status=outcome.status)
    messages.success(request, success)
    return redirect(_meeting_url(Meeting(pk=meeting_pk), anchor))


def _run_on_item(request, item, key, form, service, success, arguments, anchor=""):
    """``_run`` for a form posted on one agenda item: the item is the service's argument and
    the refusal's target; back at the item unless ``anchor`` says otherwise."""
    return _run(
        request,
        item.meeting_id,
        key,
        form,
        service,
        success,
        anchor or f"item-{item.pk}",
        target=item,
        item=item,
        arguments=arguments,
    )


def _versioned(data) -> dict:
    return {"expected_version": data.get("version")}


@login_required
@require_POST
def add_suggestion(request, pk):
    meeting = _plain_meeting_or_404(request, pk)
    form = lso_forms.SuggestionForm(request.POST)
    return _run(
        request,
        pk,
        "step",
        form,
        services.add_suggested_items,
        lso_forms.ITEMS_ADDED,
        "agenda",
        meeting=meeting,
        arguments=lambda data: {"cases": [data["case"]], **_versioned(data)},
    )


def _find_case(user, meeting, text: str):
    candidates = selectors.suggestion_candidates(meeting, user)
    match = REFERENCE.match(text)
    if match:
        return candidates.filter(pk=int(match.group(1))).first()
    if text.isdigit():
        found = candidates.filter(pk=int(text)).first()
        if found:
            return found
    return candidates.filter(external_id__iexact=text.strip()).first()


@login_required
@require_POST
def add_manual(request, pk):
    meeting = _plain_meeting_or_404(request, pk)
    form = lso_forms.ManualAddForm(request.POST)
    case = None
    if form.is_valid():
        case = _find_case(request.user, meeting, form.cleaned_data["case"])
        if case is None:
            form.add_error("case", lso_forms.CASE_NOT_FOUND)  # the page again, 400
    return _run(
        request,
        pk,
        "manual",
        form,
        services.add_item,
        lso_forms.ITEMS_ADDED,
        "agenda",
        meeting=meeting,
        case=case,
        arguments=lambda data: {"minutes_allotted": data["minutes_allotted"], **_versioned(data)},
    )


@login_required
@require_POST
def move_item(request, pk, item_pk, direction):
    if direction not in ("up", "down"):
        raise Http404
    meeting, item = _item_or_404(request, pk, item_pk)
    ids = list(AgendaItem.objects.filter(meeting=meeting).order_by("order", "pk").values_list("pk", flat=True))
    index = ids.index(item.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    form = lso_forms.MeetingStepForm(request.POST)
    return _run(
        request,
        pk,
        "step",
        form,
        services.reorder_items,
        lso_forms.ORDER_SAVED,
        f"item-{item.pk}",
        meeting=meeting,
        item_ids=ids,
        arguments=_versioned,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_time(request, pk, item_pk):
    """GET: the item's time form, when opened (``_item_form``). POST: save the item's time."""
    meeting, item = _item_or_404(request, pk, item_pk)
    if request.method == "GET":
        return _item_form(request, meeting, item, "time")
    form = presenters.time_form(meeting, item, data=request.POST)
    return _run_on_item(
        request,
        item,
        form.prefix,
        form,
        services.update_item,
        lso_forms.ITEM_SAVED,
        lambda data: {"minutes_allotted": data["minutes_allotted"], **_versioned(data)},
    )


@login_required
@require_POST
def item_remove(request, pk, item_pk):
    _meeting, item = _item_or_404(request, pk, item_pk)
    form = lso_forms.MeetingStepForm(request.POST)
    return _run_on_item(
        request, item, "step", form, services.remove_item, lso_forms.ITEM_REMOVED, _versioned, anchor="agenda"
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_note(request, pk, item_pk):
    """GET: the form of the user's organisation's preparation note, when opened
    (``_item_form``). POST: save the note."""
    meeting, item = _item_or_404(request, pk, item_pk)
    if request.method == "GET":
        return _item_form(request, meeting, item, "note")
    key = presenters.item_form_key("note", item.pk)
    special_allowed = policy.can_view_special_category(request.user, item.case)
    form = lso_forms.NoteForm(request.POST, prefix=key, special_allowed=special_allowed)
    return _run_on_item(
        request,
        item,
        key,
        form,
        services.save_preparation_note,
        lso_forms.NOTE_SAVED,
        lambda data: {"text": data["text"], "confidentiality": form.confidentiality()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_outcome(request, pk, item_pk):
    """GET: the item's outcome form, when opened (``_item_form``). POST: record the outcome."""
    meeting, item = _item_or_404(request, pk, item_pk)
    if request.method == "GET":
        return _item_form(request, meeting, item, "outcome")
    pending = selectors.pending_advice_event(item.case)
    organisations = selectors.lvv_organisations(meeting.location)
    form = presenters.outcome_form(meeting, item, organisations, advice_pending=pending is not None, data=request.POST)
    key = form.prefix
    return _run_on_item(
        request, item, key, form, services.record_outcome, lso_forms.OUTCOME_SAVED, lambda data: form.service_kwargs()
    )


def _item_form(request, meeting: Meeting, item: AgendaItem, kind: str):
    """One of the item's forms (``presenters.ITEM_FORMS``), for the meeting page to show when
    the user opens it (htmx; logged as a view of the meeting with the item's case); without
    htmx the meeting page with that form open (``?<kind>=<item>``). ADR 0029."""
    key = presenters.item_form_key(kind, item.pk)
    if not request.htmx or request.htmx.history_restore_request:
        return redirect(f"{_meeting_url(meeting)}?{urlencode({kind: item.pk})}#{key}")
    entry = presenters.item_form_entry(meeting, item.pk, request.user, kind)
    record(
        actor=request.user,
        action=AccessAction.VIEW,
        origin=Origin.from_request(request),
        obj=meeting,
        detail={"view": f"{kind}_form", "cases": [item.case_id]},
    )
    response = render(request, f"lso/includes/{kind}_form_body.html", {"meeting": meeting, "entry": entry})
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


def _meeting_step(request, pk, service, success):
    meeting = _plain_meeting_or_404(request, pk)
    form = lso_forms.MeetingStepForm(request.POST)
    return _run(request, pk, "step", form, service, success, meeting=meeting, arguments=_versioned)


@login_required
@require_POST
def publish(request, pk):
    return _meeting_step(request, pk, services.publish_meeting, lso_forms.PUBLISHED)


@login_required
@require_POST
def finalize(request, pk):
    return _meeting_step(request, pk, services.finalize_minutes, lso_forms.FINALISED)


# --- The agenda pack ---------------------------------------------------------------------


@login_required
@require_POST
def pack_request(request, pk):
    meeting = _plain_meeting_or_404(request, pk)
    services.request_agenda_pack(acting_user=request.user, origin=Origin.from_request(request), meeting=meeting)
    messages.info(request, lso_forms.PACK_REQUESTED)
    return redirect(_meeting_url(meeting, "pack"))


@login_required
@require_GET
def pack_status(request, pk):
    """The pack's progress (htmx polls this part every 2 s while it is being made)."""
    meeting = _plain_meeting_or_404(request, pk)
    return render(
        request, "lso/includes/pack_status.html", {"meeting": meeting, "pack": _latest_pack(request.user, meeting)}
    )


@login_required
@require_POST
def pack_retry(request, pk, pack_pk):
    """Try a failed pack again (a new pack for the same reader)."""
    meeting = _plain_meeting_or_404(request, pk)
    pack = AgendaPack.objects.filter(pk=pack_pk, meeting=meeting, requested_by=request.user).first()
    if pack is None:
        raise Http404
    outcome = pages.act(
        request,
        lambda: services.retry_agenda_pack(acting_user=request.user, origin=Origin.from_request(request), pack=pack),
        attempt=errors.changing(meeting),
    )
    if not outcome.done:  # the meeting page with the refusal's message
        meeting = _meeting_or_404(request, pk)
        return render(request, "lso/meeting_detail.html", _meeting_context(request, meeting), status=outcome.status)
    messages.info(request, lso_forms.PACK_REQUESTED)
    return redirect(_meeting_url(meeting, "pack"))


@login_required
@require_GET
def pack_download(request, pk, pack_pk):
    meeting = _plain_meeting_or_404(request, pk)
    pack = AgendaPack.objects.filter(pk=pack_pk, meeting=meeting, requested_by=request.user).first()
    if pack is None or not pack.is_ready:
        raise Http404
    ids = set(pack.case_ids)
    if len(set(Case.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))) != len(ids):
        raise Http404
    record(
        actor=request.user,
        action=AccessAction.EXPORT,
        obj=meeting,
        origin=Origin.from_request(request),
        detail={"pack": pack.pk, "step": "download", "cases": sorted(ids)},
    )
    filename = f"agendapakket-lso-{meeting.location.slug}-{meeting.date:%Y-%m-%d}.pdf"
    return FileResponse(pack.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")


@login_required
@require_GET
def minutes_print(request, pk):
    meeting = _meeting_or_404(request, pk)
    record(
        actor=request.user,
        action=AccessAction.VIEW,
        obj=meeting,
        origin=Origin.from_request(request),
        detail={"print": True},
    )
    return render(request, "lso/minutes_print.html", {"meeting": meeting, "items": meeting.visible_items})


@login_required
@require_GET
def minutes_pdf(request, pk):
    """The minutes as a PDF (same content as the print view, for this reader)."""
    meeting = _meeting_or_404(request, pk)
    record(
        actor=request.user,
        action=AccessAction.EXPORT,
        obj=meeting,
        origin=Origin.from_request(request),
        detail={"pdf": True},
    )
    html = render_to_string("pdf/lso_minutes.html", {"meeting": meeting, "items": meeting.visible_items}, request)
    response = HttpResponse(pdf.html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="verslag-lso-{meeting.location.slug}-{meeting.date:%Y-%m-%d}.pdf"'
    )
    return response


# --- Notices -------------------------------------------------------------------------------


@login_required
@require_POST
def notice_read(request, notice_pk):
    notice = selectors.notices_for(request.user).filter(pk=notice_pk).first()
    if notice is None:
        raise Http404
    services.mark_notice_read(acting_user=request.user, notice=notice)
    return redirect(_meeting_url(notice.meeting))


# --- DT&V review queue ---------------------------------------------------------------------


def _require_dtv(user) -> None:
    from lvv.accounts.models import Role

    require_case_role(user)
    if not user.has_role(Role.DTV):
        raise Http404


@login_required
@require_GET
def review_queue(request):
    _require_dtv(request.user)
    queue_filter = selectors.ReviewQueueFilter(
        request.GET or None, queryset=selectors.review_queue(request.user), request=request
    )
    listing = Listing(request, lso_lists.REVIEW_QUEUE)
    if listing.export_format:
        return export_response(request, listing, queue_filter.qs)
    page = listing.page(queue_filter.qs, QUEUE_PER_PAGE, object_type="cases.case", review_queue=True)
    return render(
        request,
        "lso/review_queue.html",
        {
            "filter": queue_filter,
            "page": page,
            "query": query_without(request.GET, "page"),
            "today": timezone.localdate(),
            "filtered": any(v for k, v in request.GET.items() if k not in ("page", SORT_PARAM)),
            "listing": listing,
        },
    )


@login_required
def review_note(request, case_pk):
    _require_dtv(request.user)
    case = Case.objects.visible_to(request.user).select_related("person", "location").filter(pk=case_pk).first()
    if case is None:
        raise Http404
    special_allowed = policy.can_view_special_category(request.user, case)
    form = lso_forms.ReviewNoteForm(request.POST or None, special_allowed=special_allowed)
    status = 200
    if request.method == "POST":
        outcome = pages.submit(
            request,
            form,
            lambda: services.add_review_note(
                acting_user=request.user,
                origin=Origin.from_request(request),
                case=case,
                text=form.cleaned_data["text"],
                flagged=form.cleaned_data["flagged"],
                confidentiality=form.confidentiality(),
            ),
            attempt=errors.creating("lso.reviewnote", case=case.pk),
        )
        if outcome.done:
            messages.success(request, lso_forms.REVIEW_SAVED)
            return redirect("lso:review-queue")
        status = outcome.status
    notes = list(selectors.visible_review_notes(request.user).filter(case=case)[:10])
    record(
        actor=request.user,
        action=AccessAction.VIEW,
        obj=case,
        origin=Origin.from_request(request),
        detail={"page": "review_note", "notes": [note.pk for note in notes]},
    )
    return render(request, "lso/review_note.html", {"case": case, "form": form, "notes": notes}, status=status)


__all__ = ["MeetingNotice"]
