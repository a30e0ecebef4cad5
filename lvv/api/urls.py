from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("imports/", include("cases.api.imports")),
    path("", include("cases.api.registration")),
    path("", include("cases.api.notes")),
    path("", include("cases.api.documents")),
    path("", include("cases.api.owners")),
    path("", include("cases.api.inbox")),
    path("", include("monitor.api.urls")),
    path("", include("lso.api.urls")),
    path("", include("mrt.api.urls")),
    path("", include("procedures.api.views")),
    path("", include("privacy.api")),
    path("", include("cases.api.urls")),  # the router of persons and cases: last
]
