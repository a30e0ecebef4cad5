from django.urls import path

from lvv.audit import views

app_name = "privacy"

urlpatterns = [
    path("access-log/", views.access_log, name="access-log"),
    path("processing-activities/", views.processing_activities, name="processing-activities"),
]
