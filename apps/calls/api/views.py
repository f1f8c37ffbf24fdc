"""Calls API: the call list and detail (spec 004), history, metrics and schedule-now (spec 000),
statistics, and the actions people take on a call (hang up, set the disposition, accept or skip a
preview, a supervisor's listen, whisper or barge). Thin: check access, resolve ids inside the
caller's tenant, call a selector or a service, render."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from apps.agents.models import Agent
from apps.calls import conference, selectors, services
from apps.calls.api import serializers as s
from apps.calls.filtersets import CallFilterSet
from apps.calls.models import Call
from apps.core.actors import Actor
from apps.core.selectors import get_for_tenant
from apps.core.viewsets import TenantScopedMixin, TenantScopedViewSet
from apps.leads.models import Lead
from apps.tenants.choices import OPERATOR_ROLES
from apps.tenants.permissions import principal_role

NOT_FOUND = OpenApiResponse(s.ErrorEnvelopeSerializer, description="No such call in your tenant (another "
                            "tenant's id is exactly as absent as a made-up one).")  # fmt: skip
FORBIDDEN = OpenApiResponse(s.ErrorEnvelopeSerializer, description="ROLE_FORBIDDEN, API_KEY_READ_ONLY, or "
                            "OWN_CALLS_ONLY: an agent acting on a colleague's call.")  # fmt: skip
CONFLICT = OpenApiResponse(s.ErrorEnvelopeSerializer, description="The call's state does not allow it (code says "
                           "why: CALL_ENDED, NOT_A_PREVIEW).")  # fmt: skip
BAD_INPUT = OpenApiResponse(s.ErrorEnvelopeSerializer, description="VALIDATION_ERROR (errors[] names the field).")
STATS_PARAMS = [
    OpenApiParameter("campaign_id", str, description="A campaign of yours (uuid)."),
    OpenApiParameter("agent_id", str, description="An agent of yours (uuid)."),
    OpenApiParameter("date_from", str, description="YYYY-MM-DD in the tenant's time zone, included."),
    OpenApiParameter("date_to", str, description="YYYY-MM-DD in the tenant's time zone, included."),
    OpenApiParameter("start_date", str, description="Spec 000's name for date_from."),
    OpenApiParameter("end_date", str, description="Spec 000's name for date_to."),
]


class OwnCallOrOperator(permissions.BasePermission):
    """Owners, admins and managers act on any call of the tenant; an agent only on the calls of
    their own agent profile (Agent.user)."""

    message = "Agents may act only on their own calls."
    code = "own_calls_only"

    def has_object_permission(self, request, view, obj) -> bool:
        if principal_role(request.user) in OPERATOR_ROLES:
            return True
        return obj.agent_id is not None and Agent.objects.filter(pk=obj.agent_id, user_id=request.user.pk).exists()


ACTING = [*TenantScopedMixin.permission_classes, OwnCallOrOperator]


@extend_schema(tags=["calls"])
class CallViewSet(TenantScopedViewSet):
    """Calls of the tenant, newest first. Every member reads them; agents act on their own calls,
    owners, admins and managers on any."""

    queryset = Call.objects.all()
    serializer_class = s.CallSerializer
    filterset_class = CallFilterSet
    results_key = "calls"
    ordering_fields = ["created_at", "duration", "talk_time", "cost", "attempt", "ended_at"]
    ordering = ["-created_at"]
    exact_count_limit = None  # set per request, as the lead list does: exact for small books
    read_roles = None
    write_roles = OPERATOR_ROLES
    action_roles = {"hangup": None, "disposition": None, "accept": None, "skip": None, "schedule": None}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.exact_count_limit = settings.LIST_EXACT_COUNT_LIMIT

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    def _call(self, call: Call) -> dict:
        return s.call_to_dict(selectors.call_rows(Call.objects.filter(pk=call.pk))[0])

    def _page(self) -> list[dict]:
        return self.paginator.paginate_queryset(self.filter_queryset(self.get_queryset()), self.request, view=self,
                                                fetch=selectors.call_rows)  # fmt: skip

    # Reads ----------------------------------------------------------------------------------------
    @extend_schema(responses={200: s.CallSerializer(many=True), 400: BAD_INPUT})
    def list(self, request):
        return self.get_paginated_response([s.call_to_dict(row) for row in self._page()])

    @extend_schema(responses={200: s.CallDetailSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        row = selectors.call_row(tenant=self.tenant, call_id=pk)
        if row is None:
            raise NotFound("Call not found.")
        return Response(s.call_detail_to_dict(row, selectors.call_events(call_id=row["id"])))

    @extend_schema(
        responses={200: s.CallHistorySerializer(many=True), 400: BAD_INPUT},
        description="Spec 000's call history: every list filter works here; start_date/end_date are whole days in "
        "the tenant's time zone. per_page is at most 100.",
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def history(self, request):
        base = request.build_absolute_uri(reverse("call-list"))
        return self.get_paginated_response(
            [s.history_to_dict(row, detail_url=f"{base}{row['id']}/") for row in self._page()]
        )

    @extend_schema(parameters=STATS_PARAMS, responses={200: s.CallMetricsSerializer, 400: BAD_INPUT},
                   description="Spec 000's metrics of the filtered calls (any list filter).")  # fmt: skip
    @action(detail=False, methods=["get"])
    def metrics(self, request):
        return Response(selectors.call_metrics(self.filter_queryset(self.get_queryset())))

    @extend_schema(parameters=STATS_PARAMS, responses={200: s.CallStatsResponseSerializer, 400: BAD_INPUT},
                   description="Spec 004's summary of the filtered calls (any list filter).")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="stats/summary")
    def stats_summary(self, request):
        return Response({"success": True, "stats": selectors.call_stats_summary(self.filter_queryset(
            self.get_queryset()))})  # fmt: skip

    @extend_schema(parameters=STATS_PARAMS, responses={200: s.DispositionBreakdownSerializer, 400: BAD_INPUT},
                   description="Spec 004's breakdown: calls per disposition, most first.")  # fmt: skip
    @action(detail=False, methods=["get"], url_path="stats/by-disposition")
    def stats_by_disposition(self, request):
        rows = selectors.call_stats_by_disposition(self.filter_queryset(self.get_queryset()), tenant=self.tenant)
        return Response({"success": True, "dispositions": rows})

    # Spec 000: call a lead now ---------------------------------------------------------------------
    @extend_schema(
        request=s.ScheduleInputSerializer,
        responses={
            200: s.CallResponseSerializer,
            400: BAD_INPUT,
            404: OpenApiResponse(s.ErrorEnvelopeSerializer, description="No such lead in your tenant."),
            409: OpenApiResponse(s.ErrorEnvelopeSerializer, description=(
                "Not callable now, nothing dialed; the code says why: OUTSIDE_CALLING_WINDOW (with next_allowed_at), "
                "LEAD_IS_DNC, LEAD_IN_CALL, LEAD_NOT_CALLABLE, NO_QUEUE, DIALING_STOPPED, CAMPAIGN_NOT_ACTIVE, "
                "MAX_ATTEMPTS_REACHED, NO_CAPACITY (with limit).")),
        },
        description="Spec 000: put the lead at the head of its queue (its campaign, or its AI agent) and dial it "
        "now, inside every rule (calling window, the lead's local hours, state rules, do-not-call, capacity).",
    )  # fmt: skip
    @action(detail=False, methods=["post"])
    def schedule(self, request):
        body = s.ScheduleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead = (Lead.objects.for_tenant(self.tenant).alive().select_related("campaign", "agent")
                .filter(pk=body.validated_data["lead_id"]).first())  # fmt: skip
        if lead is None:
            raise NotFound("Lead not found.")
        lead.tenant = self.tenant
        call = services.call_now(lead=lead, actor=self.actor)
        return Response({"message": "Lead scheduled successfully", "call": self._call(call)})

    # Actions on one call ---------------------------------------------------------------------------
    @extend_schema(
        request=None,
        responses={200: s.CallResponseSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT,
                   502: OpenApiResponse(s.ErrorEnvelopeSerializer, description="PROVIDER_ERROR")},
        description="End a live call (the provider's final callback follows); a call not placed yet is canceled. "
        "409 CALL_ENDED when it is over.",
    )  # fmt: skip
    @action(detail=True, methods=["post"], permission_classes=ACTING)
    def hangup(self, request, pk=None):
        call = services.call_hangup(call=self.get_object(), actor=self.actor)
        return Response({"message": "Hang-up requested", "call": self._call(call)})

    @extend_schema(
        request=s.SetDispositionInputSerializer,
        responses={200: s.CallResponseSerializer, 400: OpenApiResponse(
            s.ErrorEnvelopeSerializer, description="VALIDATION_ERROR, UNKNOWN_DISPOSITION, CALLBACK_TIME_REQUIRED"),
            403: FORBIDDEN, 404: NOT_FOUND},
        description="A person's word on how the call went. On a finished call it decides the lead's next step again "
        "(retry, callback, done, do-not-call), as long as no later call of the lead has happened.",
    )  # fmt: skip
    @action(detail=True, methods=["post"], permission_classes=ACTING)
    def disposition(self, request, pk=None):
        call = self.get_object()  # 404 and 403 before 400: another tenant's id learns nothing from validation
        body = s.SetDispositionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        call = services.call_set_disposition(call=call, actor=self.actor, code=data["disposition"],
                                             notes=data.get("notes", ""),
                                             callback_at=data.get("callback_at"))  # fmt: skip
        return Response({"message": "Disposition saved", "call": self._call(call)})

    @extend_schema(request=None, responses={200: s.CallResponseSerializer, 403: FORBIDDEN, 404: NOT_FOUND,
                                            409: CONFLICT},
                   description="Preview pacing: the agent dials the lead shown (else 409 NOT_A_PREVIEW).")  # fmt: skip
    @action(detail=True, methods=["post"], permission_classes=ACTING)
    def accept(self, request, pk=None):
        call = services.preview_accept(call=self.get_object(), actor=self.actor)
        return Response({"message": "Preview accepted: dialing", "call": self._call(call)})

    @extend_schema(
        request=s.MonitorInputSerializer,
        responses={200: s.MonitorResponseSerializer, 400: BAD_INPUT,
                   403: OpenApiResponse(s.ErrorEnvelopeSerializer, description="ROLE_FORBIDDEN: managers and up."),
                   404: OpenApiResponse(s.ErrorEnvelopeSerializer, description="No such call, or supervisor agent, "
                                        "in your tenant."),
                   409: OpenApiResponse(s.ErrorEnvelopeSerializer, description="CALL_NOT_LIVE, NOT_A_HUMAN_CALL "
                                        "(an AI call, or no agent's conference yet), AGENT_NOT_CONNECTED (whisper "
                                        "before the agent joined), NOT_A_HUMAN_AGENT, AGENT_INACTIVE, "
                                        "SUPERVISOR_IS_THE_AGENT."),
                   502: OpenApiResponse(s.ErrorEnvelopeSerializer, description="PROVIDER_ERROR")},
        description="A supervisor listens to (muted), whispers to (coaches the agent; the lead does not hear) or "
        "barges into a human agent's call in progress: their softphone joins the call's conference (over Twilio; "
        "simulated calls record it only). Again with another mode changes the mode of the leg already there.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def monitor(self, request, pk=None):
        call = self.get_object()
        body = s.MonitorInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        supervisor = self._supervisor(body.validated_data.get("supervisor_agent_id"))
        mode = body.validated_data["mode"]
        record = conference.call_monitor(call=call, supervisor=supervisor, mode=mode, actor=self.actor)
        return Response({"message": conference.MONITOR_MESSAGES[mode], "monitor": record, "call": self._call(call)})

    def _supervisor(self, agent_id) -> Agent:
        """The named agent profile of the tenant (404 otherwise), else the caller's own."""
        if agent_id is not None:
            return get_for_tenant(Agent, self.tenant, agent_id, label="Agent")
        own = Agent.objects.for_tenant(self.tenant).filter(user_id=self.request.user.pk).first()
        if own is None:
            raise ValidationError({"supervisor_agent_id": ["You have no agent profile: name the supervisor's."]})
        return own

    @extend_schema(request=None, responses={200: s.CallResponseSerializer, 403: FORBIDDEN, 404: NOT_FOUND,
                                            409: CONFLICT},
                   description="Preview pacing: the agent passes; the call is canceled and the lead goes back to "
                   "the queue with no attempt spent.")  # fmt: skip
    @action(detail=True, methods=["post"], permission_classes=ACTING)
    def skip(self, request, pk=None):
        call = services.preview_skip(call=self.get_object(), actor=self.actor)
        return Response({"message": "Preview skipped", "call": self._call(call)})
