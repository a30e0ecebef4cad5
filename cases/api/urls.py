"""The router of the persons and cases endpoints (``/api/v1/persons/``, ``/api/v1/cases/``
with the trajectory's steps), included last by ``lvv.api.urls`` in the ``api`` namespace."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from cases.api.views import CaseViewSet, PersonViewSet

router = DefaultRouter()
router.register("persons", PersonViewSet, basename="person")
router.register("cases", CaseViewSet, basename="case")

urlpatterns = router.urls
