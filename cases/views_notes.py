"""The case journal on the case page: the notes (filtered and paged through htmx), the form
that adds one, and one note with its corrections and the form that corrects it.

Reads go through ``selectors.case_notes`` (a special note exists only for users who may see
special-category data of the case), writes through ``services.add_note``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods
from django_htmx.http import push_url

from cases import selectors, services
from cases.forms import NOTE_ADDED, NOTE_CORRECTION_ADDED, NoteForm
from cases.models import Case, Note, NoteKind
from cases.views import _page_case_or_404, _render_case_page, _visible_case_or_404
from lvv import errors, pages
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record

NOTES_PER_PAGE = 10
# The element htmx swaps when the user filters or pages through the journal.
JOURNAL_TARGET = "journal-notes"


def _kind(request) -> str:
    value = request.GET.get("note_kind", "")
    return value if value in NoteKind.values else ""


def _page_number(request) -> int:
    value = request.GET.get("notes_page", "")
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return max(1, int(value))
    return 1


def journal_context(request, case: Case, *, special: bool, form: NoteForm | None = None) -> dict:
    """What the journal section of the case page shows: one page of the notes the user may
    see (newest first, of the chosen kind) and the form to add one. One query, like the
    timeline beside it: a page and whether there are older notes, no count."""
    kind = _kind(request)
    page = _page_number(request)
    notes = selectors.case_notes(request.user, case, kind=kind, special=special)
    offset = (page - 1) * NOTES_PER_PAGE
    rows = list(notes[offset : offset + NOTES_PER_PAGE + 1])
    return {
        "journal_notes": rows[:NOTES_PER_PAGE],
        "journal_page": page,
        "journal_more": len(rows) > NOTES_PER_PAGE,
        "journal_kind": kind,
        "journal_kinds": NoteKind.choices,
        "journal_query": urlencode({"note_kind": kind}) if kind else "",
        "journal_target": JOURNAL_TARGET,
        "note_form": form if form is not None else NoteForm(special=special),
        "note_special": special,
    }


def _journal_params(request) -> str:
    """The journal's own query parameters, checked (for the case page's address)."""
    params = {}
    if kind := _kind(request):
        params["note_kind"] = kind
    if (page := _page_number(request)) > 1:
        params["notes_page"] = page
    return urlencode(params)


@login_required
@require_http_methods(["GET", "POST"])
def case_notes(request, pk):
    """GET: the journal's notes as a partial page (htmx); the case page otherwise.
    POST: add a note (``services.add_note``)."""
    if request.method == "POST":
        return _add_note(request, pk)
    case = _visible_case_or_404(request, pk)
    params = _journal_params(request)
    page_url = f"{reverse('cases:detail', args=[case.pk])}{'?' + params if params else ''}"
    if not request.htmx or request.htmx.history_restore_request:
        return redirect(f"{page_url}#journal")
    special = policy.can_view_special_category(request.user, case)
    context = {"case": case, **journal_context(request, case, special=special)}
    record(
        actor=request.user,
        action=AccessAction.LIST,
        origin=Origin.from_request(request),
        object_type="cases.note",
        detail={"case": case.pk, "filters": {"kind": context["journal_kind"]} if context["journal_kind"] else {}},
    )
    response = render(request, "cases/includes/journal_notes.html", context)
    # The address bar shows the case page with the same filter and page (a reload shows them).
    push_url(response, page_url)
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


def _add_note(request, pk):
    case = _page_case_or_404(request, pk)
    form = NoteForm(request.POST, special=policy.can_view_special_category(request.user, case))
    outcome = submit_note(request, case, form)
    if outcome.done:
        messages.success(request, NOTE_ADDED)
        return redirect(f"{reverse('cases:detail', args=[case.pk])}#journal")
    # The case page as it is now, with the user's note, input and errors.
    record(actor=request.user, action=AccessAction.VIEW, obj=case, origin=Origin.from_request(request))
    return _render_case_page(request, case, note_form=form, status=outcome.status)


def submit_note(request, case: Case, form: NoteForm, *, corrects: Note | None = None) -> pages.Outcome:
    """Add the form's note to the case (a correction of ``corrects``); a refusal is logged
    as the API logs it (``cases.api.notes``)."""
    return pages.submit(
        request,
        form,
        lambda: services.add_note(
            acting_user=request.user,
            origin=Origin.from_request(request),
            case=case,
            corrects=corrects,
            **form.note_fields(),
        ),
        attempt=lambda: note_attempt(case, form.note_fields()["confidentiality"], corrects and corrects.pk),
    )


def note_attempt(case: Case, confidentiality: str, corrects: int | None) -> errors.Attempt:
    """A new note on ``case`` as the access log names it (pages and API alike)."""
    detail = {"case": case.pk, "confidentiality": confidentiality}
    if corrects:
        detail["corrects"] = corrects
    return errors.creating("cases.note", **detail)


@login_required
@require_http_methods(["GET", "POST"])
def note_detail(request, pk, note_pk):
    """One note: what it says, the note it corrects and its corrections. POST corrects it
    (a new note that refers to this one)."""
    case = _visible_case_or_404(request, pk)
    user = request.user
    origin = Origin.from_request(request)
    special = policy.can_view_special_category(user, case)
    try:
        note = selectors.get_visible_note(user, case, note_pk, special=special)
    except Note.DoesNotExist:
        raise pages.not_found(request, object_type="cases.note", object_id=note_pk) from None
    initial = {"written_on": note.written_on, "kind": note.kind, "confidentiality": note.confidentiality}
    form = NoteForm(request.POST or None, special=special, initial=initial)
    status = 200
    if request.method == "POST":
        outcome = submit_note(request, case, form, corrects=note)
        if outcome.done:
            messages.success(request, NOTE_CORRECTION_ADDED)
            return redirect(f"{reverse('cases:note', args=[case.pk, note.pk])}#corrections")
        status = outcome.status
    record(actor=user, action=AccessAction.VIEW, obj=note, origin=origin, detail={"case": case.pk})
    context = {
        "case": case,
        "person": case.person,
        "note": note,
        "corrections": list(selectors.case_notes(user, case, special=special).filter(corrects=note).reverse()),
        "form": form,
        "form_open": request.method == "POST",
    }
    return render(request, "cases/note_detail.html", context, status=status)
