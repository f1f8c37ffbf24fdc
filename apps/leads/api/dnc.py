"""The tenant's do-not-call list: entries one by one, in bulk, or from a CSV file."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.viewsets import TenantScopedViewSet
from apps.leads import services
from apps.leads.api import serializers as s
from apps.leads.filtersets import DoNotCallFilterSet
from apps.leads.importing.readers import ImportFileError, open_rows
from apps.leads.models import DncSource, DoNotCallEntry
from apps.leads.normalize import canonical_key
from apps.leads.phones import PhoneError
from apps.tenants.choices import OPERATOR_ROLES

DNC_UPLOAD_MAX_BYTES = 20 * 1024 * 1024


@extend_schema(tags=["do-not-call"])
class DoNotCallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                       TenantScopedViewSet):  # fmt: skip
    """Numbers the tenant must never call. Adding one marks every lead with that number do-not-call."""

    queryset = DoNotCallEntry.objects.all()
    serializer_class = s.DoNotCallSerializer
    filterset_class = DoNotCallFilterSet
    results_key = "entries"
    read_roles = None
    write_roles = OPERATOR_ROLES
    ordering = ["-created_at"]

    @extend_schema(request=s.DoNotCallSerializer, responses={201: s.DoNotCallSerializer})
    def create(self, request):
        body = s.DoNotCallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        phone = request.data.get("phone") or request.data.get("phone_e164")
        if not phone:
            raise serializers.ValidationError({"phone": ["This field is required."]})
        try:
            entry, created = services.dnc_add(tenant=self.tenant, actor=Actor.of(request.user), phone=phone,
                                              reason=body.validated_data.get("reason", ""),
                                              source=DncSource.API if getattr(request.user, "api_key", None)
                                              else DncSource.MANUAL)  # fmt: skip
        except PhoneError as exc:
            raise serializers.ValidationError({"phone": [str(exc)]}) from None
        return Response(s.DoNotCallSerializer(entry).data, status=status.HTTP_201_CREATED if created else 200)

    def perform_destroy(self, instance):
        services.dnc_remove(entry=instance)

    @extend_schema(request=s.DoNotCallBulkSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def bulk(self, request):
        body = s.DoNotCallBulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.dnc_bulk_add(
            tenant=self.tenant, actor=Actor.of(request.user), phones=body.validated_data["phones"],
            reason=body.validated_data["reason"],
        )  # fmt: skip
        return Response(result)

    @extend_schema(
        request={"multipart/form-data": inline_serializer("DncUpload", {"file": serializers.FileField()})},
        responses={200: OpenApiTypes.OBJECT},
        description="A CSV (or XLSX) with a phone column; other columns are ignored (a 'reason' column is kept).",
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("No file uploaded: send it as the multipart field 'file'.", code="NO_FILE")
        if upload.size > DNC_UPLOAD_MAX_BYTES:
            raise ApplicationError("The file is larger than 20 MB.", code="FILE_TOO_LARGE", status_code=413)
        try:
            source = open_rows(upload, upload.name or "")
            column = next((c for c in source.header if canonical_key(c) == "phone_e164"), None)
            if column is None and len(source.header) == 1:
                column = source.header[0]
            if column is None:
                raise ImportFileError("No phone column in the file.", code="NO_PHONE_COLUMN")
            phones = [row.get(column, "") for _, row in source.rows]
        except ImportFileError as exc:
            raise ApplicationError(exc.message, code=exc.code, status_code=exc.status) from None
        result = services.dnc_bulk_add(tenant=self.tenant, actor=Actor.of(request.user), phones=phones,
                                       reason=f"Uploaded in {upload.name}"[:255], source=DncSource.IMPORT)  # fmt: skip
        return Response(result)
