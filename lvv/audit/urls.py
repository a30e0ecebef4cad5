from django.urls import path

from lvv.audit import views

app_name = "privacy"

urlpatterns = [
    path("processing-activities/", views.processing_activities, name="processing-activities"),
]
