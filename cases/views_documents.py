"""Case documents on the case page: the Documenten section (one page of the documents the
user may see, newest first, and the upload form), the upload, and the download.

Reads go through ``selectors.case_documents`` (a special document exists only for users who
may see special-category data of the case), writes through ``services.add_document``. Files
are never served from MEDIA_URL or the static server: ``document_download`` checks access,
logs the download and streams the stored bytes.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases import selectors, services
from cases.forms import DOCUMENT_ADDED, DocumentForm
from cases.models import Case, Document
from cases.views import _page_case_or_404, _render_case_page, _visible_case_or_404
from lvv import errors, pages
from lvv.access import policy
from lvv.audit.log import AccessAction, Origin, record
from lvv.params import bounded_int

logger = logging.getLogger(__name__)

DOCUMENTS_PER_PAGE = 10
FILE_UNAVAILABLE = gettext_lazy("Het bestand van dit document is niet beschikbaar.")


def documents_context(request, case: Case, *, special: bool, form: DocumentForm | None = None) -> dict:
    """What the Documenten section of the case page shows: one page of the documents the
    user may see (newest first) and the form to add one; and the files of the dossier parts
    (as ``part.files`` on the case's prefetched dossier parts). One query, whatever the number
    of documents (a page and whether there are older ones, no count), and one more for the
    files of the dossier parts once a part is delivered."""
    page = bounded_int(request.GET.get("documents_page"), default=1)
    documents = selectors.case_documents(request.user, case, special=special)
    offset = (page - 1) * DOCUMENTS_PER_PAGE
    rows = list(documents[offset : offset + DOCUMENTS_PER_PAGE + 1])
    parts = list(case.dossier_parts.all())
    by_part: dict[int, list[Document]] = {}
    if any(part.delivered_on for part in parts):  # only delivered parts have files
        for document in documents.filter(dossier_part__isnull=False):
            by_part.setdefault(document.dossier_part_id, []).append(document)
    for part in parts:
        part.files = by_part.get(part.pk, [])
    return {
        "documents": rows[:DOCUMENTS_PER_PAGE],
        "documents_page": page,
        "documents_more": len(rows) > DOCUMENTS_PER_PAGE,
        "document_form": form if form is not None else DocumentForm(special=special),
    }


@login_required
@require_http_methods(["GET", "POST"])
def case_documents(request, pk):
    """GET: the Documenten section of the case page. POST: add a document (the form's
    file, title, kind and confidentiality; ``services.add_document``)."""
    if request.method == "GET":
        case = _visible_case_or_404(request, pk)
        page = bounded_int(request.GET.get("documents_page"), default=1)
        query = f"?documents_page={page}" if page > 1 else ""
        return redirect(f"{reverse('cases:detail', args=[case.pk])}{query}#documents")
    case = _page_case_or_404(request, pk)
    user = request.user
    origin = Origin.from_request(request)
    form = DocumentForm(request.POST, request.FILES, special=policy.can_view_special_category(user, case))
    outcome = pages.submit(
        request,
        form,
        lambda: services.add_document(acting_user=user, origin=origin, case=case, **form.document_fields()),
        attempt=lambda: document_attempt(case, form.document_fields()["confidentiality"]),
    )
    if outcome.done:
        messages.success(request, DOCUMENT_ADDED)
        return redirect(f"{reverse('cases:detail', args=[case.pk])}#documents")
    # The case page as it is now, with the user's input and errors (the file is chosen again).
    record(actor=user, action=AccessAction.VIEW, obj=case, origin=origin)
    request.document_form = form  # read by documents_context through the case page
    return _render_case_page(request, case, status=outcome.status)


def document_attempt(case: Case, confidentiality: str) -> errors.Attempt:
    """A new document on ``case`` as the access log names it (pages and API alike)."""
    return errors.creating("cases.document", case=case.pk, confidentiality=confidentiality)


def visible_document_or_404(request, case: Case, document_pk) -> Document:
    """The document of the case as the user may see it; 404 (the look-up logged as refused)
    otherwise: absent, of another case, or special without the permission."""
    try:
        return selectors.get_visible_document(request.user, case, document_pk)
    except Document.DoesNotExist:
        raise pages.not_found(request, object_type="cases.document", object_id=document_pk) from None


def file_response(document: Document) -> FileResponse:
    """The stored bytes as an attachment under the original name, with the content type
    found when it was added (never guessed again), not to be sniffed or cached."""
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        logger.error("The stored file of document %s is missing", document.pk)
        raise Http404(FILE_UNAVAILABLE) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name or f"document-{document.pk}",
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def document_download(request, pk, document_pk):
    """Download one document: access checked (404 otherwise), the download logged."""
    origin = Origin.from_request(request)
    case = _visible_case_or_404(request, pk)
    document = visible_document_or_404(request, case, document_pk)
    response = file_response(document)
    record(actor=request.user, action=AccessAction.EXPORT, obj=document, origin=origin, detail={"case": case.pk})
    return response
