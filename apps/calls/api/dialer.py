"""GET /dialer/status/: why each of the tenant's queues (campaigns, AI agents with leads of their
own) is or is not dialing, as the dialer's last tick saw it, and the platform's switch."""

from drf_spectacular.utils import extend_schema

from apps.calls import selectors
from apps.calls.api import serializers as s
from apps.calls.filtersets import DialerStatusFilterSet
from apps.calls.models import DialerStatus
from apps.core.viewsets import TenantScopedViewSet


@extend_schema(tags=["calls"])
class DialerStatusViewSet(TenantScopedViewSet):
    """One row per queue: dialing or not, the reason and message, due leads, calls in flight, the
    capacity left, what the last tick started, calls today, the next opening. The response also
    carries the platform switch: dialing_enabled and its reason."""

    queryset = DialerStatus.objects.all()
    serializer_class = s.DialerStatusSerializer
    filterset_class = DialerStatusFilterSet
    results_key = "queues"
    read_roles = None

    @extend_schema(
        responses={200: s.DialerStatusSerializer(many=True)},
        description="The list envelope (queues, total, page, per_page, total_pages) plus dialing_enabled and reason "
        "(the platform switch). A queue is not dialing while the switch is off (reason dialing_stopped) or its "
        "campaign is not active (campaign_not_active), whatever its last tick said.",
    )  # fmt: skip
    def list(self, request):
        switch = selectors.dialer_switch()
        enabled = switch is None or switch.dialing_enabled
        page = self.paginate_queryset(self.filter_queryset(selectors.dialer_statuses(self.get_queryset())))
        response = self.get_paginated_response(
            [s.dialer_status_to_dict(row, selectors.dialer_verdict(row, dialing_enabled=enabled)) for row in page]
        )
        response.data["dialing_enabled"] = enabled
        response.data["reason"] = (switch.reason if switch is not None else "") or None
        return response
