from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("cases/<int:pk>/procedures/applications/new/", views.application_new, name="application-new"),
    path("cases/<int:pk>/procedures/applications/<int:application_pk>/", views.application_detail, name="application"),
    path("cases/<int:pk>/procedures/departure-steps/new/", views.departure_step_new, name="departure-step-new"),
    path("cases/<int:pk>/procedures/departure-plans/new/", views.departure_plan_new, name="departure-plan-new"),
    path("procedures/departures/", views.departures, name="departures"),
]
