from django.urls import path

from privacy import views

app_name = "subject-access"

urlpatterns = [
    path("", views.subject_access_page, name="find"),
    path("<int:person_pk>/<str:fmt>/", views.subject_access_download, name="download"),
]
