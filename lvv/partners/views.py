"""An organisation's logo for the page header (``lvv.partners.logos``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.urls import path
from django.views.decorators.http import require_GET

from lvv.partners import logos
from lvv.partners.models import Organisation

# A logo's URL names its version (a new logo, a new URL), so browsers may keep it a while.
CACHE_SECONDS = 7 * 24 * 3600


@login_required
@require_GET
def logo(request, pk: int, version: str):
    """The logo's bytes for any signed-in user (a logo is not personal data; not logged)."""
    organisation = Organisation.objects.filter(pk=pk).exclude(logo="").only("pk", "logo").first()
    if organisation is None or organisation.logo_version != version:
        raise Http404
    content_type = logos.content_type_of(organisation.logo.name)
    if content_type is None:
        raise Http404
    try:
        file = organisation.logo.open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(file, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


app_name = "partners"
urlpatterns = [
    path("<int:pk>/logo/<slug:version>/", logo, name="logo"),
]
