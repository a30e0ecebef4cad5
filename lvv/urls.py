from django.contrib import admin
from django.urls import include, path

from lvv import views

admin.site.site_header = "LVV Casussysteem – functioneel beheer"
admin.site.site_title = "LVV beheer"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("lvv.accounts.urls")),
    path("cases/", include("cases.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("lvv.api.urls")),
]
