"""The earlier page addresses that had Dutch words (ADR 0036): each answers with a
permanent redirect to its English address, so bookmarks, links in e-mails sent before the
change and forms opened before it keep working (308 keeps a form's method and body). The
redirect answers before any check: the page it leads to applies the access policy as usual.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import path
from django.views.generic import RedirectView

# (the old route, the name of the page it became)
MOVED: list[tuple[str, str]] = [
    ("organisaties/<int:pk>/logo/<slug:version>/", "partners:logo"),
    ("lijsten/filters/", "lists:save-filter"),
    ("lijsten/filters/<int:pk>/verwijderen/", "lists:delete-filter"),
    ("cases/meldingen/", "cases:notifications:list"),
    ("cases/meldingen/<int:pk>/gelezen/", "cases:notifications:read"),
    ("cases/meldingen/alles-gelezen/", "cases:notifications:read-all"),
    ("cases/meldingen/dagelijkse-email/", "cases:notifications:digest"),
    ("lso/nieuw/", "lso:meeting-create"),
    ("lso/<int:pk>/wijzigen/", "lso:meeting-edit"),
    ("lso/<int:pk>/suggestie/", "lso:add-suggestion"),
    ("lso/<int:pk>/suggesties/", "lso:meeting-suggestions"),
    ("lso/<int:pk>/toevoegen/", "lso:add-manual"),
    ("lso/<int:pk>/publiceren/", "lso:publish"),
    ("lso/<int:pk>/definitief/", "lso:finalize"),
    ("lso/<int:pk>/verslag/", "lso:minutes-print"),
    ("lso/<int:pk>/verslag.pdf", "lso:minutes-pdf"),
    ("lso/<int:pk>/pakket/", "lso:pack-request"),
    ("lso/<int:pk>/pakket/status/", "lso:pack-status"),
    ("lso/<int:pk>/pakket/<int:pack_pk>/", "lso:pack-download"),
    ("lso/<int:pk>/pakket/<int:pack_pk>/opnieuw/", "lso:pack-retry"),
    ("lso/<int:pk>/punten/<int:item_pk>/tijd/", "lso:item-time"),
    ("lso/<int:pk>/punten/<int:item_pk>/verwijderen/", "lso:item-remove"),
    ("lso/<int:pk>/punten/<int:item_pk>/voorbereiding/", "lso:item-note"),
    ("lso/<int:pk>/punten/<int:item_pk>/uitkomst/", "lso:item-outcome"),
    ("lso/<int:pk>/punten/<int:item_pk>/<str:direction>/", "lso:item-move"),
    ("lso/meldingen/<int:notice_pk>/gelezen/", "lso:notice-read"),
    ("lso/toets/", "lso:review-queue"),
    ("lso/toets/casus/<int:case_pk>/", "lso:review-note"),
    ("mrt/<int:pk>/standpunt/", "mrt:position"),
    ("mrt/<int:pk>/sessie/", "mrt:session"),
    ("mrt/<int:pk>/advies/", "mrt:advice"),
    ("mrt/taken/<int:task_pk>/afgerond/", "mrt:task-done"),
    ("monitor/kwaliteit/", "monitor:quality"),
    ("monitor/momentopnamen/", "monitor:snapshots"),
    ("monitor/momentopnamen/vergelijken/", "monitor:snapshot-compare"),
    ("monitor/momentopnamen/<int:pk>/", "monitor:snapshot"),
    ("monitor/momentopnamen/<int:pk>/publiceren/", "monitor:snapshot-publish"),
    ("monitor/exports/<int:pk>/opnieuw/", "monitor:export-retry"),
    ("cases/<int:pk>/procedures/aanvragen/nieuw/", "procedures:application-new"),
    ("cases/<int:pk>/procedures/aanvragen/<int:application_pk>/", "procedures:application"),
    ("cases/<int:pk>/procedures/vertrekstappen/nieuw/", "procedures:departure-step-new"),
    ("cases/<int:pk>/procedures/vertrekplanning/nieuw/", "procedures:departure-plan-new"),
    ("procedures/vertrekken/", "procedures:departures"),
]


class Moved(RedirectView):
    """Django's permanent redirect to a named page, with the query string, but a 308: it keeps
    the method, so a form posted to an old address is posted again to the new one (a 301 would
    turn it into a GET and lose the form)."""

    permanent = True
    query_string = True

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        url = self.get_redirect_url(*args, **kwargs)
        return HttpResponsePermanentRedirect(url, preserve_request=True)


urlpatterns = [path(route, Moved.as_view(pattern_name=name)) for route, name in MOVED]
