from rest_framework.routers import SimpleRouter

from apps.leads.api.dnc import DoNotCallViewSet
from apps.leads.api.imports import ImportJobViewSet
from apps.leads.api.views import LeadViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("imports", ImportJobViewSet, basename="import-job")
router.register("dnc", DoNotCallViewSet, basename="dnc")

urlpatterns = router.urls
