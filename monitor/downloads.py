"""Serving an export's file, to the user who asked for it and nobody else.

``download_export(request, pk)`` is a plain view function; the pages wire its URL. Any
other user, an anonymous one, a job that is not ready, or a user who may no longer read
the figures gets 404 (the job's existence is not revealed), and the refusal is logged.
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from lvv import pages
from lvv.audit.log import AccessAction, Origin, record
from monitor.exports import CONTENT_TYPES
from monitor.models import ExportJob, ExportStatus
from monitor.scope import may_read_figures


def download_export(request, pk):
    user = request.user
    job = None
    if user.is_authenticated and may_read_figures(user):
        job = ExportJob.objects.filter(pk=pk, requested_by=user, status=ExportStatus.DONE).exclude(file="").first()
    if job is None:
        raise pages.not_found(
            request, action=AccessAction.EXPORT, object_type=ExportJob._meta.label_lower, object_id=pk
        )
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    origin = Origin.from_request(request)
    record(actor=user, action=AccessAction.EXPORT, origin=origin, obj=job, detail={"download": job.filename})
    response = FileResponse(handle, as_attachment=True, filename=job.filename, content_type=CONTENT_TYPES[job.format])
    response["Cache-Control"] = "private, no-store"
    return response
