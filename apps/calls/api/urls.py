"""The calls API under /api/v1/ (spec 000's /calls/schedule, /calls/history and /calls/metrics; spec
004's /calls/, /calls/{id}/, /calls/stats/...; the tenant's dispositions and compliance rules; the
dialer status)."""

from rest_framework.routers import SimpleRouter

from apps.calls.api.dialer import DialerLeadViewSet, DialerStatusViewSet
from apps.calls.api.rules import CallDispositionViewSet, ComplianceRuleViewSet
from apps.calls.api.views import CallViewSet

router = SimpleRouter()
router.register("calls/dispositions", CallDispositionViewSet, basename="call-disposition")
router.register("calls/compliance-rules", ComplianceRuleViewSet, basename="compliance-rule")
router.register("calls", CallViewSet, basename="call")
router.register("dialer/status", DialerStatusViewSet, basename="dialer-status")
router.register("dialer/leads", DialerLeadViewSet, basename="dialer-lead")

urlpatterns = router.urls
