from django.urls import path

from mrt import views

app_name = "mrt"

urlpatterns = [
    path("", views.escalation_list, name="escalation-list"),
    path("<int:pk>/", views.escalation_detail, name="escalation-detail"),
    path("<int:pk>/standpunt/", views.position, name="position"),
    path("<int:pk>/sessie/", views.session, name="session"),
    path("<int:pk>/advies/", views.advice, name="advice"),
    path("taken/<int:task_pk>/afgerond/", views.task_done, name="task-done"),
]
