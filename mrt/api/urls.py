"""The MRT's API routes (included by ``lvv.api.urls`` under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from mrt.api.views import AdviceViewSet, EscalationViewSet, MrtSessionViewSet, PreparationTaskViewSet

router = SimpleRouter()
router.register("escalations", EscalationViewSet, basename="escalation")
router.register("mrt-sessions", MrtSessionViewSet, basename="mrt-session")
router.register("mrt-tasks", PreparationTaskViewSet, basename="mrt-task")
router.register("advice", AdviceViewSet, basename="advice")

urlpatterns = router.urls
