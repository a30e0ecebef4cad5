from django.urls import path

from lso import views

app_name = "lso"

urlpatterns = [
    path("", views.meeting_list, name="meeting-list"),
    path("new/", views.meeting_create, name="meeting-create"),
    path("<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("<int:pk>/suggestion/", views.add_suggestion, name="add-suggestion"),
    path("<int:pk>/suggestions/", views.meeting_suggestions, name="meeting-suggestions"),
    path("<int:pk>/add/", views.add_manual, name="add-manual"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/finalize/", views.finalize, name="finalize"),
    path("<int:pk>/minutes/", views.minutes_print, name="minutes-print"),
    path("<int:pk>/minutes.pdf", views.minutes_pdf, name="minutes-pdf"),
    path("<int:pk>/pack/", views.pack_request, name="pack-request"),
    path("<int:pk>/pack/status/", views.pack_status, name="pack-status"),
    path("<int:pk>/pack/<int:pack_pk>/", views.pack_download, name="pack-download"),
    path("<int:pk>/pack/<int:pack_pk>/retry/", views.pack_retry, name="pack-retry"),
    path("<int:pk>/items/<int:item_pk>/time/", views.item_time, name="item-time"),
    path("<int:pk>/items/<int:item_pk>/remove/", views.item_remove, name="item-remove"),
    path("<int:pk>/items/<int:item_pk>/preparation/", views.item_note, name="item-note"),
    path("<int:pk>/items/<int:item_pk>/outcome/", views.item_outcome, name="item-outcome"),
    path("<int:pk>/items/<int:item_pk>/<str:direction>/", views.move_item, name="item-move"),
    path("notices/<int:notice_pk>/read/", views.notice_read, name="notice-read"),
    path("review/", views.review_queue, name="review-queue"),
    path("review/case/<int:case_pk>/", views.review_note, name="review-note"),
]
