"""Leads API: CRUD, lifecycle actions, bulk changes, activities, export. Thin: check access, resolve
references inside the tenant, call a service, render."""

from types import SimpleNamespace

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from apps.agents.models import Agent
from apps.campaigns.models import Campaign
from apps.core.actors import Actor
from apps.core.exceptions import QueryValidationError
from apps.core.rows import fetch_values
from apps.core.selectors import get_for_tenant
from apps.core.serializers import MessageSerializer
from apps.core.viewsets import TenantScopedViewSet
from apps.leads import exporting, services
from apps.leads.api import serializers as s
from apps.leads.api.imports import LeadImportActions
from apps.leads.choices import status_word
from apps.leads.filtersets import LeadFilterSet
from apps.leads.models import Lead
from apps.leads.normalize import LeadContext
from apps.tenants.choices import OPERATOR_ROLES

_RELATION_MODELS = {"campaign": (Campaign, "Campaign"), "agent": (Agent, "Agent"), "assigned_to": (Agent, "Agent")}


def resolve_relations(tenant, relations: dict) -> dict:
    """campaign/agent/assigned_to ids from a body, resolved inside the caller's tenant (404 otherwise)."""
    out = {}
    for name, value in relations.items():
        if value in (None, ""):
            out[name] = None
            continue
        model, label = _RELATION_MODELS[name]
        out[name] = get_for_tenant(model, tenant, value, label=label)
    return out


def _status_from_word(word: str | None) -> tuple[str | None, str | None]:
    """A status word from a body -> (status, stage). 400 for words no spec uses."""
    if word is None:
        return None, None
    resolved = status_word(word)
    if resolved is None:
        raise ValidationError({"status": [f"Invalid status value '{word}'."]})
    field, _, value = resolved
    return (value, None) if field == "status" else (None, value)


@extend_schema(tags=["leads"])
class LeadViewSet(LeadImportActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The lead book. Soft-deleted leads are invisible here (and to the dialer)."""

    queryset = Lead.objects.alive().defer("search_document")
    serializer_class = s.LeadSerializer
    filterset_class = LeadFilterSet
    results_key = "leads"
    ordering_fields = ["created_at", "updated_at", "priority", "lead_score", "next_call_at", "last_call_at",
                       "first_name", "last_name", "attempts_count"]  # fmt: skip
    ordering = ["-created_at"]
    exact_count_limit = None  # set per request: exact for small books, estimated past the limit
    read_roles = None
    write_roles = None  # agents work their leads; the operator-only actions are listed below
    action_roles = {
        "destroy": OPERATOR_ROLES, "restore": OPERATOR_ROLES, "bulk_update": OPERATOR_ROLES,
        "bulk_assign": OPERATOR_ROLES, "export": OPERATOR_ROLES, "csv_import": OPERATOR_ROLES,
        "import_leads": OPERATOR_ROLES, "upload": OPERATOR_ROLES,
    }  # fmt: skip

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.exact_count_limit = settings.LIST_EXACT_COUNT_LIMIT

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    def _context(self, region: str = "", campaign=None) -> LeadContext:
        return LeadContext(
            region=services.region_for(tenant=self.tenant, campaign=campaign, explicit=region),
            default_timezone=self.tenant.default_timezone,
        )

    def _input(self, *, partial: bool, campaign=None) -> dict:
        data = self.request.data
        region = (
            str(data.get("region", "") or self.request.query_params.get("region", "")) if hasattr(data, "get") else ""
        )
        serializer = s.LeadInputSerializer(data=data, context_for=self._context(region, campaign),
                                           partial_input=partial)  # fmt: skip
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _render(self, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.lead_to_dict(lead), status=code)

    @extend_schema(request=s.LeadInputSerializer, responses={201: s.LeadSerializer})
    def create(self, request):
        # The campaign decides the region for national numbers, so resolve it before reading the phone.
        campaign_id = request.data.get("campaign_id") if hasattr(request.data, "get") else None
        campaign = get_for_tenant(Campaign, self.tenant, campaign_id, label="Campaign") if campaign_id else None
        data = self._input(partial=False, campaign=campaign)
        relations = resolve_relations(self.tenant, data["relations"])
        lead = services.lead_create(tenant=self.tenant, actor=self.actor, values=data["values"], **relations)
        return self._render(lead, status.HTTP_201_CREATED)

    @extend_schema(request=s.LeadInputSerializer, responses={200: s.LeadSerializer},
                   description="Update: every field optional (spec 000's PUT).")  # fmt: skip
    def update(self, request, pk=None):
        lead = self.get_object()
        data = self._input(partial=True, campaign=lead.campaign)
        relations = resolve_relations(self.tenant, data["relations"])
        return self._render(services.lead_update(lead=lead, actor=self.actor, values=data["values"],
                                                 relations=relations))  # fmt: skip

    @extend_schema(request=s.LeadInputSerializer, responses={200: s.LeadSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(responses={200: MessageSerializer},
                   description="Soft delete: hidden from the API and the dialer, kept in the database.")  # fmt: skip
    def destroy(self, request, pk=None):
        services.lead_delete(lead=self.get_object(), actor=self.actor)
        return Response({"message": "Lead deleted"})

    def retrieve(self, request, pk=None):
        return self._render(self.get_object())

    def list(self, request):
        # Plain rows instead of model instances, fetched lean: a page of 100 wide leads is the hot path.
        page = self.paginator.paginate_queryset(self.filter_queryset(self.get_queryset()), request, view=self,
                                                fetch=lambda rows: fetch_values(rows, s.LEAD_LIST_FIELDS))  # fmt: skip
        return self.get_paginated_response([s.lead_to_dict(SimpleNamespace(**row)) for row in page])

    # Lifecycle actions ------------------------------------------------------------------------
    @extend_schema(request=s.StatusChangeSerializer, responses={200: s.LeadSerializer})
    @action(detail=True, methods=["patch", "post"])
    def status(self, request, pk=None):
        lead = self.get_object()  # 404 before 400: another tenant's id learns nothing from validation
        body = s.StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new_status, stage = _status_from_word(body.validated_data.get("status"))
        stage = body.validated_data.get("stage") or stage
        lead = services.lead_set_status(lead=lead, actor=self.actor, status=new_status, stage=stage,
                                        sub_status=body.validated_data.get("sub_status"))  # fmt: skip
        return Response({"message": "Lead status updated successfully", "lead": s.lead_to_dict(lead)})

    @extend_schema(request=s.AssignSerializer, responses={200: s.LeadSerializer})
    @action(detail=True, methods=["patch", "post"])
    def assign(self, request, pk=None):
        lead = self.get_object()
        body = s.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignee = resolve_relations(self.tenant, {"assigned_to": body.validated_data["assigned_to"]})["assigned_to"]
        lead = services.lead_assign(lead=lead, actor=self.actor, assignee=assignee)
        return Response({"message": "Lead assigned successfully", "lead": s.lead_to_dict(lead)})

    @extend_schema(request=s.ScheduleSerializer, responses={200: s.LeadSerializer})
    @action(detail=True, methods=["patch", "post"])
    def schedule(self, request, pk=None):
        lead = self.get_object()
        body = s.ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead = services.lead_schedule(lead=lead, actor=self.actor, at=body.validated_data["at"])
        return Response({"message": "Call scheduled successfully", "lead": s.lead_to_dict(lead)})

    @extend_schema(request=s.ConvertSerializer, responses={200: s.LeadSerializer})
    @action(detail=True, methods=["patch", "post"])
    def convert(self, request, pk=None):
        lead = self.get_object()
        body = s.ConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead = services.lead_convert(lead=lead, actor=self.actor, value=body.validated_data.get("value"))
        return Response({"message": "Lead marked as converted successfully", "lead": s.lead_to_dict(lead)})

    @extend_schema(request=s.CallAttemptSerializer, responses={200: s.LeadSerializer})
    @action(detail=True, methods=["post"], url_path="call-attempt")
    def call_attempt(self, request, pk=None):
        lead = self.get_object()
        body = s.CallAttemptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        new_status, stage = _status_from_word(data.pop("status", None))
        lead = services.lead_record_call_attempt(lead=lead, actor=self.actor, status=new_status,
                                                 stage=stage, **data)  # fmt: skip
        return Response({"message": "Call attempt recorded successfully", "lead": s.lead_to_dict(lead)})

    @extend_schema(responses={200: s.LeadSerializer}, description="Undo a soft delete.")
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        lead = Lead.objects.for_tenant(self.tenant).filter(pk=pk).first()
        if lead is None:
            raise NotFound("Lead not found.")
        return self._render(services.lead_restore(lead=lead, actor=self.actor))

    @extend_schema(request=s.ActivityInputSerializer, responses={200: s.ActivitySerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def activities(self, request, pk=None):
        lead = self.get_object()
        if request.method == "POST":
            body = s.ActivityInputSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            activity = services.activity_add(lead=lead, actor=self.actor, **body.validated_data)
            return Response(s.ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)
        activities = lead.activities.order_by("-created_at")
        page = self.paginator.paginate_queryset(activities, request, view=self)
        self.paginator.key = "activities"
        return self.paginator.get_paginated_response(s.ActivitySerializer(page, many=True).data)

    # Collection actions -------------------------------------------------------------------------
    @extend_schema(responses={200: s.LeadSerializer(many=True)}, description="Hot leads (is_hot_lead), best first.")
    @action(detail=False, methods=["get"])
    def hot(self, request):
        queryset = (
            self.filter_queryset(self.get_queryset()).filter(is_hot_lead=True).order_by("-lead_score", "-created_at")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([s.lead_to_dict(lead) for lead in page])

    @extend_schema(request=s.BulkUpdateSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["patch", "post"], url_path="bulk-update")
    def bulk_update(self, request):
        body = s.BulkUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updates = dict(body.validated_data["updates"])
        relations = {k: updates.pop(k) for k in list(updates) if k in s.RELATION_KEYS}
        changes = s.LeadInputSerializer(data=updates, context_for=self._context(), partial_input=True)
        changes.is_valid(raise_exception=True)
        values = changes.validated_data["values"]
        values.update({s.RELATION_KEYS[k]: v for k, v in resolve_relations(
            self.tenant, {s.RELATION_KEYS[k]: v for k, v in relations.items()}).items()})  # fmt: skip
        for forbidden in ("phone_e164", "phone_raw", "phone_region", "phone_type", "phone_national", "timezone_source"):
            if forbidden in values:
                raise ValidationError({"updates": ["Phone numbers are changed one lead at a time."]})
        result = services.leads_bulk_update(tenant=self.tenant, actor=self.actor,
                                            ids=body.validated_data["lead_ids"], values=values)  # fmt: skip
        return Response({"message": "Leads updated successfully", **result})

    @extend_schema(request=s.BulkAssignSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["patch", "post"], url_path="bulk-assign")
    def bulk_assign(self, request):
        body = s.BulkAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignee = resolve_relations(self.tenant, {"assigned_to": body.validated_data["assigned_to"]})["assigned_to"]
        count = services.leads_bulk_assign(tenant=self.tenant, actor=self.actor, ids=body.validated_data["lead_ids"],
                                           assignee=assignee)  # fmt: skip
        return Response({"message": "Leads assigned successfully", "assigned_count": count})

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"], description="default csv")],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        description="Export the filtered leads (same filters as the list), streamed.",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        fmt = request.query_params.get("format", "csv").lower()
        if fmt not in ("csv", "xlsx"):
            raise QueryValidationError({"format": ["Use csv or xlsx."]})
        queryset = self.filter_queryset(self.get_queryset())
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        asgi = hasattr(request._request, "scope")
        if fmt == "csv":
            body = exporting.csv_lines_async(queryset) if asgi else exporting.csv_lines(queryset)
            response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        else:
            handle = exporting.xlsx_tempfile(queryset)
            if asgi:
                response = StreamingHttpResponse(
                    exporting.file_chunks_async(handle),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            else:
                response = FileResponse(
                    handle, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                )
        response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.{fmt}"'
        return response

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY}, description="The CSV header to fill in.")
    @action(detail=False, methods=["get"], url_path="template/csv")
    def template_csv(self, request):
        header = ("first_name,last_name,phone,email,company_name,job_title,industry,city,state,country,postal_code,"
                  "timezone,source,priority,interest_level,tags,notes,schedule_at\r\n")  # fmt: skip
        response = HttpResponse(header, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="leads-template.csv"'
        return response
