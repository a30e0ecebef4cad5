from django.urls import include, path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/person/edit/", views.person_edit, name="person-edit"),
    path("meldingen/", include(("cases.views_notifications", "notifications"))),
    path("<int:pk>/steps/<slug:step>/", views.case_step, name="step"),
]
