from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.campaigns.api.views import CallerIdViewSet, CampaignLeadViewSet, CampaignViewSet

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("caller-ids", CallerIdViewSet, basename="caller-id")

urlpatterns = [
    path("campaigns/<uuid:campaign_pk>/leads/", CampaignLeadViewSet.as_view({"get": "list"}), name="campaign-leads"),
    *router.urls,
]
