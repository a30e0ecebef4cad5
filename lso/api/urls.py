"""The LSO's API routes (included by ``lvv.api.urls`` under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from lso.api.views import ActionViewSet, AgendaItemViewSet, LsoRequestViewSet, MeetingViewSet, ReviewNoteViewSet

router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("agenda-items", AgendaItemViewSet, basename="agenda-item")
router.register("actions", ActionViewSet, basename="action")
router.register("lso-requests", LsoRequestViewSet, basename="lso-request")
router.register("reviews", ReviewNoteViewSet, basename="review")

urlpatterns = router.urls
