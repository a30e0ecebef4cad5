"""The case journal over the API (contracts/case-file.md, "Notes").

- ``GET /api/v1/cases/{case_id}/notes/``: the notes of the case the user may see, newest
  first (``written_on``, then the time they were written), paginated, filter ``kind``.
- ``POST /api/v1/cases/{case_id}/notes/``: ``written_on``, ``kind``, ``text``,
  ``confidentiality`` and optionally ``corrects`` (the id of the note it corrects): 201.
- ``GET /api/v1/cases/{case_id}/notes/{id}/``.

A case the user may not see answers 404, and so does a special note for a user who may not
see special-category data of the case (it does not exist for that user). Writing a special
note without that permission answers 403. Reads, writes and refusals go to the access log
with channel ``api``. Included by ``lvv.api.urls``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response

from cases import selectors, services
from cases.api.common import CaseRecordsViewSet, add_schema, list_schema, read_schema
from cases.api.serializers import _name_of, confidentiality_field, recorded_date
from cases.models import NOTE_TEXT_MAX_LENGTH, Note, NoteKind
from cases.views_notes import note_attempt
from lvv.api.common import call_service
from lvv.api.types import AuthenticatedRequest

MAX_ID = 2**63 - 1  # the largest id PostgreSQL's bigint holds


class NoteSerializer(serializers.ModelSerializer):
    written_on = serializers.DateField(
        validators=[recorded_date], help_text=_("Datum van het gesprek of contact (JJJJ-MM-DD); niet in de toekomst.")
    )
    kind = serializers.ChoiceField(choices=NoteKind.choices, help_text=_("Soort notitie."))
    text = serializers.CharField(max_length=NOTE_TEXT_MAX_LENGTH, help_text=_("De tekst (ten hoogste 5000 tekens)."))
    confidentiality = confidentiality_field(
        _(
            "`special`: bijzondere persoonsgegevens (art. 9 en 10 AVG), alleen zichtbaar voor wie die gegevens "
            "van de casus mag zien; alleen zij mogen zo'n notitie vastleggen."
        )
    )
    corrects = serializers.IntegerField(
        source="corrects_id",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("De notitie (id) die deze corrigeert; een notitie wordt nooit gewijzigd of verwijderd."),
    )
    corrected_by = serializers.SerializerMethodField(
        help_text=_("De correcties van deze notitie (id's) die u mag zien, oudste eerst.")
    )
    case = serializers.IntegerField(source="case_id", read_only=True)
    author = serializers.SerializerMethodField(help_text=_("Wie de notitie vastlegde."))
    author_organisation = serializers.SerializerMethodField(help_text=_("De organisatie van de auteur toen."))

    class Meta:
        model = Note
        fields = [
            "id",
            "case",
            "written_on",
            "kind",
            "text",
            "confidentiality",
            "corrects",
            "corrected_by",
            "author",
            "author_organisation",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_corrected_by(self, note: Note) -> list[int]:
        return list(note.corrected_by or [])  # type: ignore[attr-defined]  # ``selectors.case_notes`` annotates it

    def get_author(self, note: Note) -> str | None:
        return _name_of(note.author)

    def get_author_organisation(self, note: Note) -> str | None:
        return note.author_organisation.name if note.author_organisation else None


class NoteFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=NoteKind.choices, label=_("Soort notitie"))

    class Meta:
        model = Note
        fields = ["kind"]


@extend_schema_view(
    list=list_schema(
        _("Het journaal van de casus (nieuwste eerst)"),
        _(
            "De notities die u mag zien, nieuwste eerst (op datum, dan op het moment van vastleggen). "
            "Notities met bijzondere persoonsgegevens alleen met de extra autorisatie."
        ),
        NoteSerializer,
    ),
    retrieve=read_schema(
        _("Eén notitie"),
        _("Een notitie met bijzondere persoonsgegevens bestaat alleen voor wie die gegevens mag zien (anders 404)."),
        NoteSerializer,
    ),
    create=add_schema(
        _("Een notitie toevoegen"),
        _(
            "Iedereen die de casus mag zien, mag er notities bij schrijven; een notitie met bijzondere "
            "persoonsgegevens alleen wie die gegevens mag zien (anders 403). Een correctie is een nieuwe "
            "notitie met `corrects`."
        ),
        NoteSerializer,
    ),
)
@extend_schema(tags=["notes"])
class NoteViewSet(mixins.CreateModelMixin, CaseRecordsViewSet):
    """The notes of one case: list, read and add (never change or delete)."""

    serializer_class = NoteSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = NoteFilter
    queryset = Note.objects.none()  # for the schema; the real one is records()'s
    object_type = "cases.note"
    logged_filters = ("kind",)

    def records(self) -> QuerySet[Note]:
        return selectors.case_notes(self.request.user, self.case, special=self.special)

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        case = self.case  # 404 (logged) first: nothing is said about the body of a hidden case
        data = self.validated()
        note = call_service(
            request,
            services.add_note,
            attempt=note_attempt(case, data["confidentiality"], data.get("corrects_id")),
            case=case,
            written_on=data["written_on"],
            kind=data["kind"],
            text=data["text"],
            confidentiality=data["confidentiality"],
            corrects=data.get("corrects_id"),
        )
        return self.created(note)  # with its author and corrections, as a read gives it


notes = NoteViewSet.as_view({"get": "list", "post": "create"})
note = NoteViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("cases/<int:case_id>/notes/", notes, name="case-notes"),
    path("cases/<int:case_id>/notes/<int:pk>/", note, name="case-note"),
]
