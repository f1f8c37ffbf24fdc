from rest_framework.routers import SimpleRouter

from apps.agents.api.views import AgentGroupViewSet, AgentViewSet

router = SimpleRouter()
router.register("agents", AgentViewSet, basename="agent")
router.register("agent-groups", AgentGroupViewSet, basename="agent-group")

urlpatterns = router.urls
