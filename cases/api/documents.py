"""Case documents over the API (contracts/case-file.md, "Documents").

- ``GET /api/v1/cases/{case_id}/documents/``: the documents of the case the user may see,
  newest first, paginated, filter ``kind``.
- ``POST /api/v1/cases/{case_id}/documents/`` as ``multipart/form-data`` with ``file``,
  ``title``, ``kind`` and ``confidentiality``: 201. The type is recognised by the content
  (PDF, JPEG, PNG, DOCX, XLSX, ODT) and must agree with the file name's extension; an
  empty file, another type or a mismatch is a 400 field error on ``file``, and so is a
  file over ``DOCUMENT_MAX_BYTES``; a request body that cannot fit under the maximum is
  refused before it is read (413).
- ``GET /api/v1/cases/{case_id}/documents/{id}/``.
- ``GET /api/v1/cases/{case_id}/documents/{id}/content/``: the bytes exactly as uploaded,
  with their content type and ``Content-Disposition: attachment``; every download is logged.

A case the user may not see answers 404, and so does a special document for a user who may
not see special-category data of the case. Adding a special document without that
permission answers 403. Reads, writes, downloads and refusals go to the access log with
channel ``api``. Included by ``lvv.api.urls``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, renderers, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases import documents as document_files
from cases import selectors, services
from cases.api.common import CaseRecordsViewSet, add_schema, list_schema, read_schema
from cases.api.serializers import _name_of, confidentiality_field, document_file_field
from cases.models import Document, DocumentKind
from cases.views_documents import document_attempt, file_response
from lvv.api.common import DETAIL, call_service
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, Result

TITLE_MAX = Document._meta.get_field("title").max_length


class UploadTooLarge(exceptions.APIException):
    """413: the request body is larger than any allowed document can make it."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self, size: int):
        super().__init__({"file": [str(document_files.too_large_message(size))]})


class DocumentSerializer(serializers.ModelSerializer):
    file = document_file_field(
        _(
            "Het bestand: PDF, JPEG, PNG, DOCX, XLSX of ODT, herkend aan de inhoud en passend bij de extensie "
            "van de bestandsnaam; niet leeg en niet groter dan het ingestelde maximum (standaard 25 MB)."
        ),
        write_only=True,
    )
    # (The model's title has a maximum length; the stubs type a field's as optional.)
    title = serializers.CharField(max_length=TITLE_MAX, help_text=_("De titel (ten hoogste 200 tekens)."))  # type: ignore[arg-type]
    kind = serializers.ChoiceField(
        choices=DocumentKind.choices,
        help_text=_(
            "Soort document. `dossier_ind` en `dossier_dtv` komen met de levering van een dossierdeel "
            "(`deliver-dossier`), niet hier."
        ),
    )
    confidentiality = confidentiality_field(
        _(
            "`special`: bijzondere persoonsgegevens (art. 9 en 10 AVG), alleen zichtbaar voor wie die gegevens "
            "van de casus mag zien; alleen zij mogen zo'n document toevoegen."
        )
    )
    case = serializers.IntegerField(source="case_id", read_only=True)
    original_name = serializers.CharField(read_only=True, help_text=_("De bestandsnaam zoals die werd geüpload."))
    content_type = serializers.CharField(read_only=True, help_text=_("Het type, herkend aan de inhoud."))
    size = serializers.IntegerField(read_only=True, help_text=_("Grootte in bytes."))
    sha256 = serializers.CharField(read_only=True, help_text=_("SHA-256 van de inhoud (hexadecimaal)."))
    uploaded_by = serializers.SerializerMethodField(help_text=_("Wie het document toevoegde."))
    uploaded_by_organisation = serializers.SerializerMethodField(help_text=_("De organisatie van die gebruiker."))
    dossier_part = serializers.SerializerMethodField(
        help_text=_("Het dossierdeel (IND of DTV) waarmee het document werd geleverd, anders leeg.")
    )
    content = serializers.SerializerMethodField(help_text=_("Het adres van de inhoud (download)."))

    class Meta:
        model = Document
        fields = [
            "id",
            "case",
            "title",
            "kind",
            "confidentiality",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_by_organisation",
            "uploaded_at",
            "dossier_part",
            "content",
        ]
        read_only_fields = ["uploaded_at"]

    def get_uploaded_by(self, document: Document) -> str | None:
        return _name_of(document.uploaded_by)

    def get_uploaded_by_organisation(self, document: Document) -> str | None:
        return document.uploaded_by_organisation.name if document.uploaded_by_organisation else None

    def get_dossier_part(self, document: Document) -> str | None:
        return document.dossier_part.kind if document.dossier_part else None

    def get_content(self, document: Document) -> str:
        url = reverse("api:case-document-content", args=[document.case_id, document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class DocumentFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=DocumentKind.choices, label=_("Soort document"))

    class Meta:
        model = Document
        fields = ["kind"]


class ContentRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file's own type (``Accept: application/pdf``); the bytes
    themselves go out as a ``FileResponse``, errors as JSON."""

    media_type = "*/*"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


CONTENT_RESPONSES = {(200, content_type): OpenApiTypes.BINARY for content_type in document_files.DOCUMENT_TYPES}


@extend_schema_view(
    list=list_schema(
        _("De documenten van de casus (nieuwste eerst)"),
        _(
            "De documenten die u mag zien, nieuwste eerst. Documenten met bijzondere persoonsgegevens alleen "
            "met de extra autorisatie."
        ),
        DocumentSerializer,
    ),
    retrieve=read_schema(
        _("Eén document (de gegevens; de inhoud via `content`)"),
        _("Een document met bijzondere persoonsgegevens bestaat alleen voor wie die gegevens mag zien (anders 404)."),
        DocumentSerializer,
    ),
    create=add_schema(
        _("Een document toevoegen (multipart/form-data)"),
        _(
            "Iedereen die de casus mag zien, mag er documenten bij voegen; een document met bijzondere "
            "persoonsgegevens alleen wie die gegevens mag zien (anders 403). Toegestaan: PDF, JPEG, PNG, DOCX, "
            "XLSX en ODT, herkend aan de inhoud; een ander type, een inhoud die niet past bij de extensie, een "
            "leeg of te groot bestand geeft 400 met een melding bij `file`. Een verzoek dat groter is dan elk "
            "toegestaan document geeft 413."
        ),
        DocumentSerializer,
        {413: OpenApiResponse(description=str(_("Het verzoek is groter dan het maximum voor een document.")))},
    ),
)
@extend_schema(tags=["documents"])
class DocumentViewSet(mixins.CreateModelMixin, CaseRecordsViewSet):
    """The documents of one case: list, read, add and download (never change or delete)."""

    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser]
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = DocumentFilter
    queryset = Document.objects.none()  # for the schema; the real one is records()'s
    object_type = "cases.document"
    logged_filters = ("kind",)

    def records(self) -> QuerySet[Document]:
        return selectors.case_documents(self.request.user, self.case, special=self.special)

    def create(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        case = self.case  # 404 (logged) first: nothing is said about the body of a hidden case
        if document_files.request_too_large(request):  # before the body is read
            self.log(AccessAction.CREATE, Result.INVALID, object_type="cases.document", detail={"case": case.pk})
            raise UploadTooLarge(int(request.META["CONTENT_LENGTH"]))
        data = self.validated()
        document = call_service(
            request,
            services.add_document,
            attempt=document_attempt(case, data["confidentiality"]),
            case=case,
            file=data["file"],
            title=data["title"],
            kind=data["kind"],
            confidentiality=data["confidentiality"],
        )
        return self.created(document)  # as a read gives it

    @extend_schema(
        summary=str(_("De inhoud van een document (download)")),
        description=str(
            _(
                "De bytes precies zoals ze werden toegevoegd, met hun type en `Content-Disposition: attachment`. "
                "Elke download komt in het toegangslogboek."
            )
        ),
        responses={**CONTENT_RESPONSES, 404: OpenApiResponse(DETAIL)},
    )
    def content(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        document = self.get_record(kwargs["pk"])
        try:
            response = file_response(document)
        except Http404:
            raise exceptions.NotFound() from None
        self.log(AccessAction.EXPORT, obj=document, detail={"case": self.case.pk})
        return response


documents = DocumentViewSet.as_view({"get": "list", "post": "create"})
document = DocumentViewSet.as_view({"get": "retrieve"})
document_content = DocumentViewSet.as_view(
    {"get": "content"}, renderer_classes=[renderers.JSONRenderer, ContentRenderer], pagination_class=None
)

urlpatterns = [
    path("cases/<int:case_id>/documents/", documents, name="case-documents"),
    path("cases/<int:case_id>/documents/<int:pk>/", document, name="case-document"),
    path("cases/<int:case_id>/documents/<int:pk>/content/", document_content, name="case-document-content"),
]
