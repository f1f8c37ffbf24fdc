"""Campaigns API: CRUD, the lifecycle as actions, stats, the campaign's leads, caller IDs."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.campaigns import lifecycle, services, stats
from apps.campaigns.api import serializers as s
from apps.campaigns.models import CallerId, Campaign, CampaignPriority, CampaignStatus, CampaignTransition
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError, QueryValidationError
from apps.core.filters import LeanFilterSet
from apps.core.selectors import get_for_tenant
from apps.core.serializers import iso
from apps.core.viewsets import TenantScopedViewSet
from apps.leads.api.views import LeadViewSet
from apps.tenants.choices import OPERATOR_ROLES

SORTABLE = {"created_at", "updated_at", "name", "status", "priority", "schedule_start", "schedule_end"}


class CampaignFilterSet(LeanFilterSet):
    status = django_filters.CharFilter(method="filter_status")
    priority = django_filters.MultipleChoiceFilter(choices=CampaignPriority.choices)
    is_active = django_filters.BooleanFilter(method="filter_is_active")
    tags = django_filters.BaseInFilter(field_name="tags", lookup_expr="overlap")
    pacing_mode = django_filters.CharFilter()
    ai_agent_id = django_filters.UUIDFilter(field_name="ai_agent_id")
    agent_group_id = django_filters.UUIDFilter(field_name="agent_group_id")
    start_date = django_filters.DateFilter(field_name="schedule_start", lookup_expr="date__gte")
    end_date = django_filters.DateFilter(field_name="schedule_end", lookup_expr="date__lte")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search")
    q = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Campaign
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        words = [w.strip().lower() for w in str(value).split(",") if w.strip()]
        statuses = {lifecycle.STATUS_WORDS.get(w) for w in words}
        if None in statuses:
            bad = next(w for w in words if w not in lifecycle.STATUS_WORDS)
            raise QueryValidationError({"status": [f"Unknown status '{bad}'. Use {', '.join(CampaignStatus.values)}."]})
        return queryset.filter(status__in=statuses)

    def filter_is_active(self, queryset, name, value):
        return (
            queryset.filter(status=CampaignStatus.ACTIVE) if value else queryset.exclude(status=CampaignStatus.ACTIVE)
        )

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()[:200]
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset


def _ordering(request) -> list[str] | None:
    """Spec 003's sort=<field>&order=asc|desc (DRF's ordering=-field works as well)."""
    field = request.query_params.get("sort") or request.query_params.get("sort_by")
    if not field:
        return None
    if field not in SORTABLE:
        raise QueryValidationError({"sort": [f"Cannot sort by '{field}'. Use one of {', '.join(sorted(SORTABLE))}."]})
    order = (request.query_params.get("order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise QueryValidationError({"order": ["Use asc or desc."]})
    return [("-" if order == "desc" else "") + field, "-created_at"]


@extend_schema(tags=["campaigns"])
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Campaigns: who is called, when, how often, as whom and by whom. Status changes are actions."""

    queryset = Campaign.objects.filter(deleted_at__isnull=True).prefetch_related("team_members")
    serializer_class = s.CampaignSerializer
    filterset_class = CampaignFilterSet
    results_key = "campaigns"
    ordering_fields = sorted(SORTABLE)
    ordering = ["-created_at"]
    read_roles = None
    write_roles = OPERATOR_ROLES

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        ordering = _ordering(self.request)
        return queryset.order_by(*ordering) if ordering else queryset

    def _input(self, *, partial: bool) -> dict:
        body = s.CampaignInputSerializer(data=self.request.data, partial=partial)
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([s.campaign_to_dict(c) for c in page])

    def retrieve(self, request, pk=None):
        return Response(s.campaign_to_dict(self.get_object()))

    @extend_schema(request=s.CampaignInputSerializer, responses={201: s.CampaignSerializer})
    def create(self, request):
        campaign = services.campaign_create(tenant=self.tenant, actor=self.actor, values=self._input(partial=False))
        return Response(s.campaign_to_dict(campaign), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CampaignInputSerializer, responses={200: s.CampaignSerializer},
                   description="Update: every field optional (spec 003's and 004's PUT).")  # fmt: skip
    def update(self, request, pk=None):
        campaign = self.get_object()
        values = self._input(partial=True)
        return Response(s.campaign_to_dict(services.campaign_update(campaign=campaign, actor=self.actor,
                                                                     values=values)))  # fmt: skip

    @extend_schema(request=s.CampaignInputSerializer, responses={200: s.CampaignSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    def destroy(self, request, pk=None):
        services.campaign_delete(campaign=self.get_object(), actor=self.actor)
        return Response({"message": "Campaign deleted successfully"})

    @action(detail=False, methods=["get"])
    def active(self, request):
        """Campaigns that are dialing now (spec 003's company active campaigns)."""
        queryset = self.filter_queryset(self.get_queryset()).filter(status=CampaignStatus.ACTIVE)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([s.campaign_to_dict(c) for c in page])

    # Lifecycle ------------------------------------------------------------------------------------
    def _act(self, action_name: str):
        body = s.campaign_to_dict(lifecycle.transition(self.get_object(), action_name, actor=self.actor))
        # spec 004 answers {success, message, campaign}, spec 003 {message, data}: one body serves both
        return Response({"success": True, "message": lifecycle.MESSAGES[action_name], "campaign": body, "data": body})

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act("start")

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._act("pause")

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._act("resume")

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._act("complete")

    @extend_schema(request=None, responses={200: s.CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act("cancel")

    @extend_schema(request=s.StatusSerializer, responses={200: s.CampaignSerializer},
                   description="Spec 003's PATCH status, mapped onto the lifecycle actions.")  # fmt: skip
    @action(detail=True, methods=["patch", "post"], url_path="status")
    def set_status(self, request, pk=None):
        campaign = self.get_object()
        body = s.StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        action_name = lifecycle.action_for_status(campaign, body.validated_data["status"])
        campaign = lifecycle.transition(campaign, action_name, actor=self.actor)
        return Response({"message": "Campaign status updated successfully", "campaign": s.campaign_to_dict(campaign)})

    # Reads ----------------------------------------------------------------------------------------
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        return Response(stats.campaign_stats(self.get_object()))

    @action(detail=True, methods=["get"], url_path="lead-stats")
    def lead_stats(self, request, pk=None):
        return Response(stats.lead_stats(self.get_object()))

    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        campaign = self.get_object()
        rows = CampaignTransition.objects.filter(campaign=campaign).order_by("-created_at")[:200]
        return Response({"transitions": [
            {"from_status": t.from_status, "to_status": t.to_status, "action": t.action,
             "actor_id": str(t.actor_id) if t.actor_id else None, "actor": t.actor_label, "reason": t.reason,
             "at": iso(t.created_at)}
            for t in rows
        ]})  # fmt: skip


@extend_schema(tags=["campaigns"])
class CampaignLeadViewSet(LeadViewSet):
    """The leads of one campaign (spec 003's voice-leads by campaign): the lead list, its filters,
    search and paging, inside the campaign. Another tenant's campaign is a 404."""

    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False) or "campaign_pk" not in self.kwargs:
            return queryset
        campaign = get_for_tenant(Campaign, self.request.user.tenant, self.kwargs["campaign_pk"], label="Campaign")
        if campaign.deleted_at is not None:
            raise NotFound("Campaign not found.")
        return queryset.filter(campaign=campaign)

    def list(self, request, campaign_pk=None):
        return super().list(request)


def caller_id_to_dict(record: CallerId) -> dict:
    return {"id": str(record.id), "phone_e164": record.phone_e164, "label": record.label,
            "is_active": record.is_active, "created_at": iso(record.created_at)}  # fmt: skip


@extend_schema(tags=["campaigns"])
class CallerIdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Numbers the tenant may present as caller ID. A campaign can only use the tenant's own records."""

    queryset = CallerId.objects.all()
    serializer_class = s.CallerIdSerializer
    results_key = "caller_ids"
    ordering = ["phone_e164"]
    write_roles = OPERATOR_ROLES

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([caller_id_to_dict(r) for r in page])

    def retrieve(self, request, pk=None):
        return Response(caller_id_to_dict(self.get_object()))

    @extend_schema(request=s.CallerIdSerializer, responses={201: s.CallerIdSerializer})
    def create(self, request):
        body = s.CallerIdSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = services.caller_id_create(tenant=self.tenant, **body.validated_data)
        return Response(caller_id_to_dict(record), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CallerIdSerializer, responses={200: s.CallerIdSerializer})
    def partial_update(self, request, pk=None):
        record = self.get_object()
        body = s.CallerIdSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        for name in ("label", "is_active"):
            if name in body.validated_data:
                setattr(record, name, body.validated_data[name])
        record.save()
        return Response(caller_id_to_dict(record))

    def destroy(self, request, pk=None):
        record = self.get_object()
        if record.campaigns.exists():
            raise ApplicationError("This caller ID is used by a campaign; disable it instead.", code="IN_USE",
                                   status_code=409)  # fmt: skip
        record.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
