from django.urls import path

from lso import views

app_name = "lso"

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("nieuw/", views.meeting_create, name="meeting-create"),
    path("<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("<int:pk>/wijzigen/", views.meeting_edit, name="meeting-edit"),
    path("<int:pk>/suggestie/", views.add_suggestion, name="add-suggestion"),
    path("<int:pk>/suggesties/", views.meeting_suggestions, name="meeting-suggestions"),
    path("<int:pk>/toevoegen/", views.add_manual, name="add-manual"),
    path("<int:pk>/publiceren/", views.publish, name="publish"),
    path("<int:pk>/definitief/", views.finalize, name="finalize"),
    path("<int:pk>/verslag/", views.minutes_print, name="minutes-print"),
    path("<int:pk>/verslag.pdf", views.minutes_pdf, name="minutes-pdf"),
    path("<int:pk>/pakket/", views.pack_request, name="pack-request"),
    path("<int:pk>/pakket/status/", views.pack_status, name="pack-status"),
    path("<int:pk>/pakket/<int:pack_pk>/", views.pack_download, name="pack-download"),
    path("<int:pk>/pakket/<int:pack_pk>/opnieuw/", views.pack_retry, name="pack-retry"),
    path("<int:pk>/punten/<int:item_pk>/tijd/", views.item_time, name="item-time"),
    path("<int:pk>/punten/<int:item_pk>/verwijderen/", views.item_remove, name="item-remove"),
    path("<int:pk>/punten/<int:item_pk>/voorbereiding/", views.item_note, name="item-note"),
    path("<int:pk>/punten/<int:item_pk>/uitkomst/", views.item_outcome, name="item-outcome"),
    path("<int:pk>/punten/<int:item_pk>/<str:direction>/", views.move_item, name="item-move"),
    path("meldingen/<int:notice_pk>/gelezen/", views.notice_read, name="notice-read"),
    path("toets/", views.review_queue, name="review-queue"),
    path("toets/casus/<int:case_pk>/", views.review_note, name="review-note"),
]
