"""The voice API under /api/v1/ (spec 001's /voice/calls/...)."""

from rest_framework.routers import SimpleRouter

from apps.voice.api.views import VoiceCallViewSet

router = SimpleRouter()
router.register("voice/calls", VoiceCallViewSet, basename="voice-call")

urlpatterns = router.urls
