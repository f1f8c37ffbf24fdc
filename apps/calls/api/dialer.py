"""GET /dialer/status/: why each of the tenant's queues (campaigns, AI agents with leads of their
own) is or is not dialing, as the dialer's last tick saw it, and the platform's switch."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from apps.calls import selectors
from apps.calls.api import serializers as s
from apps.calls.filtersets import DialerStatusFilterSet
from apps.calls.models import DialerStatus
from apps.core.viewsets import TenantScopedViewSet
from apps.leads.models import Lead


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


@extend_schema(tags=["calls"])
class DialerLeadViewSet(TenantScopedViewSet):
    """GET /dialer/leads/{id}/: why one lead is or is not being called now, rule by rule, and when it
    next may be (apps.calls.dialer.explain)."""

    queryset = Lead.objects.alive().select_related("tenant", "campaign", "agent")
    read_roles = None

    @extend_schema(
        responses={200: inline_serializer("DialerLeadExplanation", {
            "lead_id": serializers.UUIDField(), "callable_now": serializers.BooleanField(),
            "reasons": serializers.ListField(child=serializers.DictField()),
            "live_call_id": serializers.UUIDField(allow_null=True),
            "next_allowed_at": serializers.DateTimeField(allow_null=True), "checked_at": serializers.DateTimeField(),
        })},
        description="Every rule the dialer applies, checked for this lead: reasons carry a code (in_call, "
        "dialing_stopped, tenant_suspended, do_not_call, status, no_queue, outside_queue_window, max_attempts, "
        "no_consent, not_due, outside_lead_window, limit_24h) and a sentence.",
    )  # fmt: skip
    def retrieve(self, request, pk=None):
        from apps.calls.dialer.explain import explain

        return Response(explain(self.get_object()))
