from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cases import views_home
from lvv import views, views_public

admin.site.site_header = _("LVV Casussysteem – functioneel beheer")
admin.site.site_title = _("LVV beheer")

urlpatterns = [
    path("", views_home.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views_public.accessibility_statement, name="accessibility"),
    path("accounts/", include("lvv.accounts.urls")),
    path("organisations/", include("lvv.partners.views")),
    path("cases/", include("cases.urls")),
    path("inbox/", include("cases.views_inbox")),
    path("lists/", include("lvv.lists.urls")),
    path("lso/", include("lso.urls")),
    path("mrt/", include("mrt.urls")),
    path("", include("procedures.urls")),
    path("monitor/", include("monitor.urls")),
    path("privacy/", include("lvv.audit.urls")),
    path("privacy/subject-access/", include("privacy.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("lvv.api.urls")),
    # The earlier page addresses with Dutch words, redirected (ADR 0036).
    path("", include("lvv.legacy_urls")),
]
