"""``GET /api/v1/subject-access/{person_id}/``: the subject access file as JSON, for the
privacy officer of a municipality whose LVV the person stayed in (404 for everyone else)."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from lvv.api.types import AuthenticatedRequest
from lvv.audit import officer
from lvv.audit.log import Channel
from privacy.views import logged_file, officer_person


class SubjectAccessView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Everything stored about one person (AVG art. 15)")
    def get(self, request: AuthenticatedRequest, person_pk: int) -> Response:
        if not officer.is_privacy_officer(request.user):
            raise Http404
        person = officer_person(request.user, str(person_pk))
        if person is None:
            raise Http404
        return Response(logged_file(request, person, "json", channel=Channel.API))


urlpatterns = [path("subject-access/<int:person_pk>/", SubjectAccessView.as_view(), name="subject-access")]
