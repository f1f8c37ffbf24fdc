"""The scoring API under /api/v1/: spec 001's /leads/{id}/score/ and spec 002's /ml/... endpoints."""

from rest_framework.routers import SimpleRouter

from apps.scoring.api.views import LeadScoreViewSet, MlViewSet, TrainingJobViewSet

router = SimpleRouter()
router.register("leads", LeadScoreViewSet, basename="lead-score")
router.register("ml/training/jobs", TrainingJobViewSet, basename="ml-training-job")
router.register("ml", MlViewSet, basename="ml")

urlpatterns = router.urls
