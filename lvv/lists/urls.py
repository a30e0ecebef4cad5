from django.urls import path

from lvv.lists import views

app_name = "lists"

urlpatterns = [
    path("filters/", views.save, name="save-filter"),
    path("filters/<int:pk>/delete/", views.delete, name="delete-filter"),
]
