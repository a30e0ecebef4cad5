from django.urls import include, path

from cases import (
    views,
    views_documents,
    views_intake,
    views_notes,
    views_owners,
    views_reconciliation,
    views_summary,
)

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views_intake.case_create, name="create"),
    path("match-requests/", views_intake.match_request_list, name="match-requests"),
    path("match-requests/<int:pk>/", views_intake.match_request_detail, name="match-request"),
    path("match-requests/<int:pk>/resolve/", views_intake.match_request_resolve, name="match-request-resolve"),
    path("reconciliation/", views_reconciliation.reconciliation, name="reconciliation"),
    path("reconciliation/sign-off/", views_reconciliation.sign_off, name="reconciliation-sign-off"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/summary.pdf", views_summary.case_summary, name="summary"),
    path("<int:pk>/person/edit/", views.person_edit, name="person-edit"),
    path("notifications/", include(("cases.views_notifications", "notifications"))),
    path("<int:pk>/steps/<slug:step>/", views.case_step, name="step"),
    path("<int:pk>/notes/", views_notes.case_notes, name="notes"),
    path("<int:pk>/notes/<int:note_pk>/", views_notes.note_detail, name="note"),
    path("<int:pk>/documents/", views_documents.case_documents, name="documents"),
    path(
        "<int:pk>/documents/<int:document_pk>/download/",
        views_documents.document_download,
        name="document-download",
    ),
    # Case owners and the person page.
    path("<int:pk>/hand-over/<slug:role>/", views_owners.hand_over, name="hand-over"),
    path("persons/<int:person_pk>/", views_owners.person_detail, name="person"),
]
