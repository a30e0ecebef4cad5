from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("cases/<int:pk>/procedures/aanvragen/nieuw/", views.application_new, name="application-new"),
    path("cases/<int:pk>/procedures/aanvragen/<int:application_pk>/", views.application_detail, name="application"),
    path("cases/<int:pk>/procedures/vertrekstappen/nieuw/", views.departure_step_new, name="departure-step-new"),
    path("cases/<int:pk>/procedures/vertrekplanning/nieuw/", views.departure_plan_new, name="departure-plan-new"),
    path("procedures/vertrekken/", views.departures, name="departures"),
]
