from django.urls import path

from monitor.api.views import MonitorView

urlpatterns = [
    path("monitor/", MonitorView.as_view(), name="monitor"),
]
