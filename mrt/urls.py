from django.urls import path

from mrt import views

app_name = "mrt"

urlpatterns = [
    path("", views.escalation_list, name="escalation-list"),
    path("<int:pk>/", views.escalation_detail, name="escalation-detail"),
    path("<int:pk>/position/", views.position, name="position"),
    path("<int:pk>/session/", views.session, name="session"),
    path("<int:pk>/advice/", views.advice, name="advice"),
    path("tasks/<int:task_pk>/done/", views.task_done, name="task-done"),
]
