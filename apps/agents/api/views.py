"""Agents and agent groups API. Thin: check access, resolve ids inside the caller's tenant, call a
service or selector, render."""

import re
from datetime import date

from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.agents import selectors, services
from apps.agents.api import serializers as s
from apps.agents.filtersets import AgentFilterSet, AgentGroupFilterSet
from apps.agents.models import Agent, AgentGroup
from apps.calls.telephony.softphone import agent_voice_token
from apps.core.exceptions import QueryValidationError
from apps.core.selectors import get_for_tenant
from apps.core.viewsets import TenantScopedMixin, TenantScopedViewSet
from apps.tenants.choices import OPERATOR_ROLES
from apps.tenants.models import User
from apps.tenants.permissions import principal_role


def resolve_relations(tenant, data: dict) -> dict:
    """user_id / agent_group_id of a body -> user / group of the caller's tenant (404 otherwise).
    Keys absent from the body stay absent, so an update leaves those links alone."""
    out = {}
    if "user_id" in data:
        user_id = data.pop("user_id")
        out["user"] = get_for_tenant(User, tenant, user_id, label="User") if user_id else None
    if "agent_group_id" in data:
        group_id = data.pop("agent_group_id")
        out["group"] = get_for_tenant(AgentGroup, tenant, group_id, label="Agent group") if group_id else None
    return out


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _query_date(request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        if not _DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise QueryValidationError({name: [f"'{raw}' is not a date YYYY-MM-DD."]}) from None


class OwnPresenceOrOperator(permissions.BasePermission):
    """Owners, admins and managers set anyone's presence; an agent only that of their own profile."""

    message = "Agents may change only their own presence."
    code = "own_presence_only"

    def has_object_permission(self, request, view, obj) -> bool:
        if principal_role(request.user) in OPERATOR_ROLES:
            return True
        return obj.user_id is not None and obj.user_id == request.user.pk


class OwnSoftphoneOrOperator(OwnPresenceOrOperator):
    """Owners, admins and managers get any agent's softphone token; an agent only their own."""

    message = "Agents may get only their own softphone token."
    code = "own_agent_only"


@extend_schema(tags=["agents"])
class AgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """AI voice agents and human agents. Every member reads; owners, admins and managers change them;
    agents set their own presence."""

    queryset = Agent.objects.all()
    serializer_class = s.AgentSerializer
    filterset_class = AgentFilterSet
    results_key = "agents"
    ordering_fields = ["name", "created_at", "status", "last_active_at", "total_calls_handled"]
    ordering = ["name"]
    write_roles = OPERATOR_ROLES
    action_roles = {"status": None, "voice_token": None}  # any member; the Own* permissions narrow it per agent

    def _render(self, agent: Agent, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.AgentSerializer(agent).data, status=code)

    @extend_schema(request=s.AgentInputSerializer, responses={201: s.AgentSerializer})
    def create(self, request):
        body = s.AgentInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        relations = resolve_relations(self.tenant, data)
        return self._render(services.agent_create(tenant=self.tenant, **data, **relations), status.HTTP_201_CREATED)

    @extend_schema(request=s.AgentInputSerializer, responses={200: s.AgentSerializer},
                   description="Update: every field optional (PUT and PATCH alike).")  # fmt: skip
    def update(self, request, pk=None):
        agent = self.get_object()
        body = s.AgentInputSerializer(data=request.data, partial=True, agent=agent)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        relations = resolve_relations(self.tenant, data)
        return self._render(services.agent_update(agent=agent, **data, **relations))

    @extend_schema(request=s.AgentInputSerializer, responses={200: s.AgentSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(responses={204: None},
                   description="Deactivates the agent (inactive and offline); the row stays for leads, campaigns "
                   "and statistics. PATCH is_active=true brings it back.")  # fmt: skip
    def destroy(self, request, pk=None):
        services.agent_deactivate(agent=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.PresenceSerializer, responses={200: s.AgentSerializer},
        description="Presence: available, busy, offline or break. Agents may set only their own.",
    )  # fmt: skip
    @action(detail=True, methods=["put", "patch", "post"],
            permission_classes=[*TenantScopedMixin.permission_classes, OwnPresenceOrOperator])  # fmt: skip
    def status(self, request, pk=None):
        agent = self.get_object()  # 404 for another tenant's agent, 403 for a colleague's, before any 400
        body = s.PresenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._render(services.agent_set_presence(agent=agent, status=body.validated_data["status"]))

    @extend_schema(
        responses={200: s.VoiceTokenSerializer, 403: OpenApiResponse(description="OWN_AGENT_ONLY: a colleague's."),
                   404: OpenApiResponse(description="No such agent in your tenant."),
                   409: OpenApiResponse(description="NOT_A_HUMAN_AGENT, AGENT_INACTIVE, TWILIO_NOT_CONFIGURED")},
        description="The agent's browser softphone: a Twilio Voice access token (one hour) for the Twilio Voice JS "
        "SDK, identity agent-<id>; with the simulator, token null (calls are answered in the console).",
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path="voice-token",
            permission_classes=[*TenantScopedMixin.permission_classes, OwnSoftphoneOrOperator])  # fmt: skip
    def voice_token(self, request, pk=None):
        return Response(agent_voice_token(agent=self.get_object()))

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", str, description="YYYY-MM-DD, in the agent's time zone (included)."),
            OpenApiParameter("date_to", str, description="YYYY-MM-DD, in the agent's time zone (included)."),
        ],
        responses={200: s.AgentStatsResponseSerializer},
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        agent = self.get_object()
        date_from, date_to = _query_date(request, "date_from"), _query_date(request, "date_to")
        if date_from and date_to and date_from > date_to:
            raise QueryValidationError({"date_from": [f"date_from {date_from} is after date_to {date_to}."]})
        return Response({
            "agent": s.AgentSerializer(agent).data,
            "period": {"date_from": date_from and date_from.isoformat(), "date_to": date_to and date_to.isoformat(),
                       "timezone": agent.timezone},
            "stats": selectors.agent_stats(agent=agent, date_from=date_from, date_to=date_to),
        })  # fmt: skip


@extend_schema(tags=["agents"])
class AgentGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Teams of human agents, which campaigns ring. Delete is refused (409) while anything uses the group."""

    queryset = AgentGroup.objects.annotate(agent_count=Count("agents"))
    serializer_class = s.AgentGroupSerializer
    filterset_class = AgentGroupFilterSet
    results_key = "agent_groups"
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]
    write_roles = OPERATOR_ROLES

    def _render(self, group: AgentGroup, code: int = status.HTTP_200_OK) -> Response:
        group = self.get_queryset().get(pk=group.pk)  # with its agent count
        return Response(s.AgentGroupSerializer(group).data, status=code)

    @extend_schema(request=s.AgentGroupInputSerializer, responses={201: s.AgentGroupSerializer})
    def create(self, request):
        body = s.AgentGroupInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group = services.agent_group_create(tenant=self.tenant, **body.validated_data)
        return self._render(group, status.HTTP_201_CREATED)

    @extend_schema(request=s.AgentGroupInputSerializer, responses={200: s.AgentGroupSerializer})
    def update(self, request, pk=None):
        group = self.get_object()
        body = s.AgentGroupInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return self._render(services.agent_group_update(group=group, **body.validated_data))

    @extend_schema(request=s.AgentGroupInputSerializer, responses={200: s.AgentGroupSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(responses={204: None}, description="409 GROUP_IN_USE while an agent or a campaign points at it.")
    def destroy(self, request, pk=None):
        services.agent_group_delete(group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
