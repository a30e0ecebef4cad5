"""The printable case summary (``cases.summary``): a PDF of what the case page shows the
reader, with the same access rule (404 for a case the user may not see) and the same
special-category rule; every summary made is written to the access log as an export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from cases import special_types, summary
from cases.views import _page_case_or_404
from lvv.audit.log import AccessAction, Origin, record


@login_required
@require_GET
def case_summary(request, pk):
    case = _page_case_or_404(request, pk)  # the case page's query; logs a refusal and answers 404
    special = special_types.may_see_special(request.user, case)
    pdf = summary.summary_pdf(request.user, case, special=special)
    record(
        actor=request.user,
        action=AccessAction.EXPORT,
        obj=case,
        origin=Origin.from_request(request),
        detail={"summary": "pdf", "special_category": special},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="samenvatting-{case.reference}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
