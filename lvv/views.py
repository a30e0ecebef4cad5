"""Project-wide pages: the health check. The start page is the cases app's
(``cases.views_home``)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """200 when the database answers; used by the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
