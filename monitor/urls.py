from django.urls import path

from monitor import views

app_name = "monitor"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kwaliteit/", views.quality_panel, name="quality"),
    path("momentopnamen/", views.snapshots, name="snapshots"),
    path("momentopnamen/vergelijken/", views.snapshot_compare, name="snapshot-compare"),
    path("momentopnamen/<int:pk>/", views.snapshot_detail, name="snapshot"),
    path("momentopnamen/<int:pk>/publiceren/", views.snapshot_publish, name="snapshot-publish"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/", views.export_status, name="export"),
    path("exports/<int:pk>/download/", views.download_export, name="export-download"),
    path("exports/<int:pk>/opnieuw/", views.export_retry, name="export-retry"),
]
