from django.urls import path

from monitor import views

app_name = "monitor"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("quality/", views.quality_panel, name="quality"),
    path("snapshots/", views.snapshots, name="snapshots"),
    path("snapshots/compare/", views.snapshot_compare, name="snapshot-compare"),
    path("snapshots/<int:pk>/", views.snapshot_detail, name="snapshot"),
    path("snapshots/<int:pk>/publish/", views.snapshot_publish, name="snapshot-publish"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/", views.export_status, name="export"),
    path("exports/<int:pk>/download/", views.download_export, name="export-download"),
    path("exports/<int:pk>/retry/", views.export_retry, name="export-retry"),
]
