"""Lead imports over the API: spec 000's csv-import, the general import (CSV, XLSX or JSON; partial or
atomic; field mapping and default values) and the jobs of imports too big for a request."""

import json

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.agents.models import Agent
from apps.campaigns.models import Campaign
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.selectors import get_for_tenant
from apps.core.viewsets import TenantScopedViewSet
from apps.leads import services
from apps.leads.api import serializers as s
from apps.leads.filtersets import ImportJobFilterSet
from apps.leads.importing.engine import ImportOutcome, ImportSpec, import_leads
from apps.leads.importing.jobs import import_job_create
from apps.leads.importing.readers import ImportFileError, json_rows, open_rows
from apps.leads.models import ImportJob, ImportMode
from apps.tenants.choices import OPERATOR_ROLES

MULTIPART_SLACK = 64 * 1024  # multipart boundaries and headers around the file


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _param(request, name: str, default=None):
    if name in request.query_params:
        return request.query_params.get(name)
    data = request.data
    return data.get(name, default) if hasattr(data, "get") else default


def _json_param(request, name: str) -> dict:
    value = _param(request, name)
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise ApplicationError(f"{name} must be a JSON object.", code="VALIDATION_ERROR") from None
    if not isinstance(parsed, dict):
        raise ApplicationError(f"{name} must be a JSON object.", code="VALIDATION_ERROR")
    return parsed


def _file_error(exc: ImportFileError) -> ApplicationError:
    return ApplicationError(exc.message, code=exc.code, status_code=exc.status)


class LeadImportActions:
    """Mixed into LeadViewSet: /leads/csv-import/, /leads/import/, /leads/upload/ (spec 004's name)."""

    def _check_length(self, request, limit: int, *, code: str, hint: str = "") -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_SLACK:
            raise ApplicationError(f"The upload is larger than {_mb(limit)}.{hint}", code=code, status_code=413)

    def _spec(self, request) -> ImportSpec:
        tenant = self.tenant
        campaign_id, agent_id = _param(request, "campaign_id"), _param(request, "agent_id")
        campaign = get_for_tenant(Campaign, tenant, campaign_id, label="Campaign") if campaign_id else None
        agent = get_for_tenant(Agent, tenant, agent_id, label="Agent") if agent_id else None
        mode = str(_param(request, "mode", ImportMode.PARTIAL) or ImportMode.PARTIAL).lower()
        if mode not in ImportMode.values:
            raise ApplicationError("mode must be partial or atomic.", code="VALIDATION_ERROR")
        actor = Actor.of(request.user)
        return ImportSpec(
            tenant=tenant, campaign=campaign, agent=agent, field_mapping=_json_param(request, "field_mapping"),
            default_values=_json_param(request, "default_values"), mode=mode, actor_id=actor.user_id,
            actor_label=actor.label, region=services.region_for(tenant=tenant, campaign=campaign,
                                                                  explicit=str(_param(request, "region", "") or "")),
        )  # fmt: skip

    def _upload(self, request):
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is None:
            raise ApplicationError("No file uploaded: send it as the multipart field 'file'.", code="NO_FILE")
        return upload

    def _run(self, source_factory, spec: ImportSpec) -> ImportOutcome:
        try:
            return import_leads(source_factory(), spec)
        except ImportFileError as exc:
            raise _file_error(exc) from None

    @extend_schema(
        tags=["imports"],
        parameters=[OpenApiParameter("agent_id", OpenApiTypes.UUID), OpenApiParameter("campaign_id", OpenApiTypes.UUID),
                    OpenApiParameter("region", str, description="Region for national numbers (e.g. US)")],
        request={"multipart/form-data": inline_serializer("CsvImportUpload", {"file": serializers.FileField()})},
        responses={200: s.CsvImportResultSerializer},
        description="Spec 000's CSV import: first_name and phone columns (others become custom fields), in the "
        "request, up to 10 MB. Rows are numbered as in a spreadsheet (header = row 1).",
    )  # fmt: skip
    @action(detail=False, methods=["post"], url_path="csv-import", parser_classes=[MultiPartParser])
    def csv_import(self, request):
        limit = settings.LEAD_IMPORT_SYNC_MAX_BYTES
        hint = " Larger files import in the background through POST /api/v1/leads/import/."
        self._check_length(request, limit, code="FILE_TOO_LARGE", hint=hint)
        upload = self._upload(request)
        if upload.size > limit:
            raise ApplicationError(f"The file is larger than {_mb(limit)}.{hint}", code="FILE_TOO_LARGE",
                                   status_code=413)  # fmt: skip
        spec = self._spec(request)
        spec.source_name = upload.name or ""
        outcome = self._run(lambda: open_rows(upload, upload.name or ""), spec)
        errors = [
            {"row": e["row"], "field": e["field"], "value": e["value"], "error": e["error"]} for e in outcome.errors
        ]
        return Response({
            "success_count": outcome.inserted,
            "error_count": outcome.invalid + outcome.duplicates,
            "errors": errors,
            "total_processed": outcome.total,
            "results": outcome.counts(),
            "errors_truncated": outcome.errors_truncated,
        })  # fmt: skip

    @extend_schema(
        tags=["imports"],
        request={
            "multipart/form-data": inline_serializer("LeadImportUpload", {
                "file": serializers.FileField(), "campaign_id": serializers.UUIDField(required=False),
                "agent_id": serializers.UUIDField(required=False),
                "field_mapping": serializers.CharField(required=False, help_text='JSON: {"Phone Number": "phone"}'),
                "default_values": serializers.CharField(required=False, help_text='JSON: {"source": "expo"}'),
                "mode": serializers.ChoiceField(choices=ImportMode.choices, required=False),
                "region": serializers.CharField(required=False),
            }),
            "application/json": inline_serializer("LeadImportJson", {
                "leads": serializers.ListField(child=serializers.DictField()),
                "campaign_id": serializers.UUIDField(required=False), "agent_id": serializers.UUIDField(required=False),
                "default_values": serializers.DictField(required=False),
                "mode": serializers.ChoiceField(choices=ImportMode.choices, required=False),
            }),
        },
        responses={201: s.ImportResultSerializer, 202: s.ImportJobSerializer},
        description="CSV, XLSX or JSON. Up to 10 MB imports in the request (201, or 400 IMPORT_REJECTED when an "
        "atomic import has bad rows: nothing is written). Larger files (up to 200 MB) become an import job: 202 "
        "with its id; follow it at /api/v1/imports/{id}/.",
    )  # fmt: skip
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[MultiPartParser, JSONParser])  # fmt: skip
    def import_leads(self, request):
        self._check_length(request, settings.LEAD_IMPORT_MAX_BYTES, code="FILE_TOO_LARGE")
        is_json_body = request.content_type.startswith("application/json")
        spec = self._spec(request)
        if is_json_body:
            data = request.data
            outcome = self._run(lambda: json_rows(data if isinstance(data, list) else data.get("leads", data)), spec)
            return self._import_response(outcome, spec)
        upload = self._upload(request)
        spec.source_name = upload.name or ""
        if upload.size > settings.LEAD_IMPORT_MAX_BYTES:
            raise ApplicationError(f"The file is larger than {_mb(settings.LEAD_IMPORT_MAX_BYTES)}.",
                                   code="FILE_TOO_LARGE", status_code=413)  # fmt: skip
        if upload.size > settings.LEAD_IMPORT_SYNC_MAX_BYTES:
            # Check the file can be read at all before queueing it, so bad files fail now, not later.
            try:
                open_rows(upload, upload.name or "")
            except ImportFileError as exc:
                raise _file_error(exc) from None
            upload.seek(0)
            job = import_job_create(spec=spec, upload=upload, actor=Actor.of(request.user))
            body = s.ImportJobSerializer(job).data
            return Response({**body, "status_url": f"/api/v1/imports/{job.id}/"}, status=status.HTTP_202_ACCEPTED,
                            headers={"Location": f"/api/v1/imports/{job.id}/"})  # fmt: skip
        outcome = self._run(lambda: open_rows(upload, upload.name or ""), spec)
        return self._import_response(outcome, spec)

    @extend_schema(exclude=True)
    @action(detail=False, methods=["post"], url_path="upload", parser_classes=[MultiPartParser, JSONParser])
    def upload(self, request):
        """Spec 004's name for the same import."""
        return self.import_leads(request)

    def _import_response(self, outcome: ImportOutcome, spec: ImportSpec) -> Response:
        body = {
            "message": "Leads imported successfully" if not outcome.rolled_back else
            "Import rejected: nothing was written because some rows are invalid (atomic mode)",
            "mode": spec.mode,
            "results": outcome.counts(),
            "imported_count": outcome.inserted,
            "errors": outcome.errors,
            "errors_truncated": outcome.errors_truncated,
            "rolled_back": outcome.rolled_back,
        }  # fmt: skip
        if outcome.rolled_back:
            raise ApplicationError(body["message"], code="IMPORT_REJECTED", status_code=400,
                                   extra={k: v for k, v in body.items() if k != "message"})  # fmt: skip
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["imports"])
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Background imports: status, progress, results and row errors."""

    queryset = ImportJob.objects.select_related("campaign", "agent")
    serializer_class = s.ImportJobSerializer
    filterset_class = ImportJobFilterSet
    results_key = "imports"
    read_roles = OPERATOR_ROLES
    write_roles = OPERATOR_ROLES
    ordering = ["-created_at"]
