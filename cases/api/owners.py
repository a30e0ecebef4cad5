"""Case owners and one person over the API.

- ``POST /api/v1/cases/{case_id}/hand-over/`` with ``role`` (``case_manager`` or
  ``ngo_guide``), ``to_user`` (a user id), ``reason`` (required when the role had an owner)
  and ``version`` (or ``If-Match``): ``services.hand_over``; 200 with the case and its ETag.
- ``GET /api/v1/cases/{case_id}/owner-changes/``: the hand-over history, newest first,
  paginated.
- ``GET /api/v1/persons/{id}/`` (``cases.api.views.PersonViewSet``) adds the person's cases
  the user may see (``PersonDetailSerializer``); ``GET /api/v1/persons/{person_id}/notes/``
  pages through the journal notes of those cases, newest first, and
  ``GET /api/v1/persons/{person_id}/documents/`` through their documents (special notes and
  documents only where the user may see special-category data of the case).
- The case serializer shows ``case_manager`` and ``ngo_guide``; ``GET /api/v1/cases/?mine=true``
  lists the cases where the user is either (``selectors.CaseFilter``).

Errors as everywhere: 400 field errors, 403 visible but not allowed, 404 hidden (logged),
409 stale ``version``, 412 stale If-Match. Included by ``lvv.api.urls``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors, services
from cases.api.common import CaseRecordsMixin, list_schema
from cases.api.notes import MAX_ID, NoteSerializer
from cases.api.serializers import (
    CaseSerializer,
    OwnerSerializer,
    PersonSerializer,
    VersionedSerializer,
    _name_of,
    version_field,
)
from cases.models import Case, CaseOwnerChange, Confidentiality, Document, DocumentKind, Note, OwnerRole, Person
from cases.workflow import State
from lvv import errors
from lvv.access import policy
from lvv.api.common import DETAIL, FIELD_ERRORS, IF_MATCH, if_match_version, log_not_found, origin, versioned
from lvv.api.pagination import PageNumberPagination
from lvv.api.types import AuthenticatedRequest
from lvv.audit.log import AccessAction, record
from lvv.text import SHORT_TEXT_MAX

# --- Serializers ------------------------------------------------------------------------------


class HandOverSerializer(VersionedSerializer):
    """Hand the case manager or the NGO guide of the case over to a colleague."""

    role = serializers.ChoiceField(
        choices=OwnerRole.choices, help_text=_("`case_manager`: de casusregisseur; `ngo_guide`: de begeleider ngo.")
    )
    to_user = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text=_(
            "De nieuwe eigenaar (id van een gebruiker): een actieve casemanager van de gemeente van de LVV, of een "
            "begeleider van de toegewezen ngo, die de casus mag zien."
        ),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SHORT_TEXT_MAX,
        help_text=_("Verplicht als de rol al een eigenaar had."),
    )
    version = version_field()


class OwnerChangeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=OwnerRole.choices, read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    from_user = OwnerSerializer(read_only=True, allow_null=True, help_text=_("De vorige eigenaar (leeg: geen)."))
    to_user = OwnerSerializer(
        read_only=True, allow_null=True, help_text=_("De nieuwe eigenaar (leeg: de rol vervalt, andere ngo).")
    )
    changed_by = OwnerSerializer(read_only=True, allow_null=True, help_text=_("Wie overdroeg (leeg: het systeem)."))

    class Meta:
        model = CaseOwnerChange
        fields = ["id", "role", "role_label", "from_user", "to_user", "reason", "changed_by", "changed_at"]
        read_only_fields = fields


class PersonCaseSerializer(serializers.ModelSerializer):
    """One case of the person, as the person's page lists it."""

    reference = serializers.CharField(read_only=True)
    location = serializers.CharField(source="location.slug", read_only=True)
    state = serializers.ChoiceField(choices=State.choices, read_only=True)
    case_manager = OwnerSerializer(read_only=True, allow_null=True)
    ngo_guide = OwnerSerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "location",
            "assigned_ngo",
            "state",
            "registered_on",
            "closed_on",
            "case_manager",
            "ngo_guide",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, case: Case) -> str:
        return reverse("api:case-detail", args=[case.pk])


class PersonDetailSerializer(PersonSerializer):
    """A person with everything the user may see: the person's cases (other LVVs only where
    the user sees them) and where the journal notes of those cases are."""

    cases = serializers.SerializerMethodField(help_text=_("De casussen van de persoon die u mag zien, nieuwste eerst."))
    notes_url = serializers.SerializerMethodField(
        help_text=_("Het journaal van die casussen (nieuwste eerst, per pagina).")
    )
    documents_url = serializers.SerializerMethodField(
        help_text=_("De documenten van die casussen (nieuwste eerst, per pagina).")
    )

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "cases", "notes_url", "documents_url"]

    @extend_schema_field(PersonCaseSerializer(many=True))
    def get_cases(self, person: Person) -> Any:
        request = self.context["request"]
        cases = selectors.person_cases(request.user, person.pk)
        return PersonCaseSerializer(cases, many=True, context=self.context).data

    def get_notes_url(self, person: Person) -> str:
        return reverse("api:person-notes", args=[person.pk])

    def get_documents_url(self, person: Person) -> str:
        return reverse("api:person-documents", args=[person.pk])


class PersonDocumentSerializer(serializers.ModelSerializer):
    """A document of one of the person's cases (contracts/case-file.md, "Documents"); its
    bytes are at ``content_url``."""

    case = serializers.IntegerField(source="case_id", read_only=True)
    kind = serializers.ChoiceField(choices=DocumentKind.choices, read_only=True)
    confidentiality = serializers.ChoiceField(choices=Confidentiality.choices, read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    content_url = serializers.SerializerMethodField(help_text=_("De inhoud (GET; elke download wordt gelogd)."))

    class Meta:
        model = Document
        fields = [
            "id",
            "case",
            "title",
            "kind",
            "confidentiality",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "content_url",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, document: Document) -> str | None:
        return _name_of(document.uploaded_by)

    def get_content_url(self, document: Document) -> str:
        return f"/api/v1/cases/{document.case_id}/documents/{document.pk}/content/"  # contracts/case-file.md


# --- Hand-over and its history ------------------------------------------------------------------


@extend_schema(tags=["owners"])
class CaseOwnersViewSet(CaseRecordsMixin, viewsets.GenericViewSet):
    """The owners of one case: hand one over; read the history."""

    serializer_class = OwnerChangeSerializer
    pagination_class = PageNumberPagination
    filter_backends: list = []
    queryset = CaseOwnerChange.objects.none()  # for the schema; the real one is records()'s
    object_type = "cases.caseownerchange"

    def records(self) -> QuerySet[CaseOwnerChange]:
        return selectors.owner_history(self.request.user, self.case)

    @list_schema(
        _("De overdrachten van de casus (nieuwste eerst, per pagina)"),
        _("Wie de casusregisseur of de begeleider ngo van wie overnam, wanneer, door wie en waarom."),
        OwnerChangeSerializer,
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        self.log(AccessAction.LIST, object_type=self.object_type, detail={"case": self.case.pk})
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary=str(_("De casusregisseur of de begeleider ngo overdragen")),
        description=str(
            _(
                "Een casemanager van de LVV draagt beide rollen over, een begeleider van de toegewezen ngo de "
                "begeleider. De nieuwe eigenaar krijgt een melding. Het antwoord is de casus met de nieuwe versie."
            )
        ),
        request=HandOverSerializer,
        parameters=[IF_MATCH],
        responses={
            200: CaseSerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(DETAIL, description=_("De casus is zichtbaar, maar u mag deze rol niet overdragen.")),
            404: OpenApiResponse(DETAIL, description=_("De casus bestaat niet of is voor u niet zichtbaar.")),
            409: OpenApiResponse(DETAIL, description=_("Verouderde `version` in de body.")),
            412: OpenApiResponse(DETAIL, description=_("De versie in If-Match is niet (meer) de huidige versie.")),
        },
    )
    def hand_over(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        case = self.case  # 404 (logged) first: nothing is said about the body of a hidden case
        header_version = if_match_version(request)
        if not isinstance(request.data, Mapping):
            raise exceptions.ValidationError({"non_field_errors": [str(_("Stuur een JSON-object."))]})
        serializer = HandOverSerializer(data=request.data, context={"if_match": header_version is not None})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = header_version if header_version is not None else data.get("version")
        with errors.attempting(errors.changing(case, step="hand_over", role=data["role"])):
            case = services.hand_over(
                acting_user=request.user,
                origin=origin(request),
                case=case,
                role=data["role"],
                to_user=data["to_user"],
                reason=data["reason"],
                expected_version=version,
            )
        case = selectors.visible_cases(request.user).select_related("case_manager", "ngo_guide").get(pk=case.pk)
        context = {**self.get_serializer_context(), "special_category": policy.SpecialCategoryChecker(request.user)}
        return versioned(Response(CaseSerializer(case, context=context).data), case)


# --- One person's journal ----------------------------------------------------------------------


class _PersonFileViewSet(viewsets.GenericViewSet):
    """One person's cases the user may see, as the base of a list over those cases; a person
    without such a case answers 404 (logged)."""

    request: AuthenticatedRequest
    pagination_class = PageNumberPagination
    filter_backends: list = []
    object_type = ""

    def person_cases(self, request: AuthenticatedRequest) -> tuple[list[Case], set[int]]:
        person_id = self.kwargs["person_id"]
        cases = list(selectors.person_cases(request.user, person_id)) if policy.sees_persons(request.user) else []
        if not cases:
            log_not_found(request, "cases.person", person_id)
            raise exceptions.NotFound()
        special = policy.SpecialCategoryChecker(request.user, cases)
        return cases, {case.pk for case in cases if special(case)}

    def rows(self, user: Any, cases: list[Case], special_cases: set[int]) -> Any:
        """The records of ``cases`` the user may see (the viewset's own), newest first."""
        raise NotImplementedError

    def list(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        cases, special_cases = self.person_cases(request)
        page = self.paginate_queryset(self.rows(request.user, cases, special_cases))
        record(
            actor=request.user,
            action=AccessAction.LIST,
            origin=origin(request),
            object_type=self.object_type,
            detail={"person": cases[0].person_id, "cases": [case.pk for case in cases]},
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=list_schema(
        _("Het journaal van een persoon (nieuwste eerst)"),
        _(
            "De notities bij de casussen van deze persoon die u mag zien, nieuwste eerst. Notities met "
            "bijzondere persoonsgegevens alleen bij casussen waarvan u die gegevens mag zien. Een persoon "
            "zonder casus die u mag zien, bestaat voor u niet (404)."
        ),
        NoteSerializer,
    )
)
@extend_schema(tags=["notes"])
class PersonNotesViewSet(_PersonFileViewSet):
    """The journal notes of the cases of one person that the user may see."""

    serializer_class = NoteSerializer
    queryset = Note.objects.none()  # for the schema
    object_type = "cases.note"

    def rows(self, user: Any, cases: list[Case], special_cases: set[int]) -> Any:
        return selectors.person_notes(user, cases, special_cases=special_cases)


@extend_schema_view(
    list=list_schema(
        _("De documenten van een persoon (nieuwste eerst)"),
        _(
            "De documenten bij de casussen van deze persoon die u mag zien, nieuwste eerst. Documenten met "
            "bijzondere persoonsgegevens alleen bij casussen waarvan u die gegevens mag zien. Een persoon "
            "zonder casus die u mag zien, bestaat voor u niet (404)."
        ),
        PersonDocumentSerializer,
    )
)
@extend_schema(tags=["documents"])
class PersonDocumentsViewSet(_PersonFileViewSet):
    """The documents of the cases of one person that the user may see."""

    serializer_class = PersonDocumentSerializer
    queryset = Document.objects.none()  # for the schema
    object_type = "cases.document"

    def rows(self, user: Any, cases: list[Case], special_cases: set[int]) -> Any:
        return selectors.person_documents(user, cases, special_cases=special_cases)


urlpatterns = [
    path(
        "cases/<int:case_id>/hand-over/",
        CaseOwnersViewSet.as_view({"post": "hand_over"}),
        name="case-hand-over",
    ),
    path(
        "cases/<int:case_id>/owner-changes/",
        CaseOwnersViewSet.as_view({"get": "list"}),
        name="case-owner-changes",
    ),
    path("persons/<int:person_id>/notes/", PersonNotesViewSet.as_view({"get": "list"}), name="person-notes"),
    path(
        "persons/<int:person_id>/documents/", PersonDocumentsViewSet.as_view({"get": "list"}), name="person-documents"
    ),
]
