"""The tenant's call vocabulary and calling rules: dispositions (/calls/dispositions/) and compliance
rules (/calls/compliance-rules/). Every member reads; owners, admins and managers change them. The
dialer's own entries (system dispositions, platform rules) are shown and protected (409)."""

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.calls import outcomes, selectors, services
from apps.calls.api import serializers as s
from apps.calls.filtersets import ComplianceRuleFilterSet, DispositionFilterSet
from apps.calls.models import Call, CallDisposition, ComplianceRule
from apps.core.exceptions import ApplicationError
from apps.core.viewsets import TenantScopedViewSet
from apps.tenants.choices import OPERATOR_ROLES


def _conflict(message: str, code: str, **extra) -> ApplicationError:
    return ApplicationError(message, code=code, status_code=status.HTTP_409_CONFLICT, extra=extra or None)


def _response(description: str) -> OpenApiResponse:
    return OpenApiResponse(s.ErrorEnvelopeSerializer, description=description)


NOT_FOUND = _response("Not one of yours (another tenant's id is exactly as absent as a made-up one).")
DISPOSITION_CONFLICT = _response("DUPLICATE_DISPOSITION (the code is taken), SYSTEM_DISPOSITION (the dialer's own: "
                                 "its code stays, it stays active, it is not deleted), DISPOSITION_IN_USE (calls "
                                 "carry the code: deactivate it instead).")  # fmt: skip
RULE_CONFLICT = _response("PLATFORM_RULE: platform rules apply to every tenant and are read-only; add a stricter "
                          "rule of your own (the strictest rule wins).")  # fmt: skip


@extend_schema(tags=["calls"])
class CallDispositionViewSet(TenantScopedViewSet):
    """How calls end, in the tenant's words, with the flags the dialer reads (retry, callback, sale,
    do-not-call...). The standard set is created on first use."""

    queryset = CallDisposition.objects.all()
    serializer_class = s.CallDispositionSerializer
    filterset_class = DispositionFilterSet
    results_key = "dispositions"
    ordering = ["sort_order", "code"]
    read_roles = None
    write_roles = OPERATOR_ROLES

    def _refuse_taken(self, code: str) -> None:
        taken = CallDisposition.objects.for_tenant(self.tenant).filter(code=code).values_list("pk", flat=True).first()
        if taken is not None:
            raise _conflict(f"The disposition '{code}' exists already.", "DUPLICATE_DISPOSITION",
                            existing_id=str(taken))  # fmt: skip

    def _in_use(self, disposition: CallDisposition) -> int:
        return Call.objects.for_tenant(self.tenant).filter(disposition=disposition.code).count()

    def list(self, request):
        outcomes.dispositions(self.tenant.pk)  # the standard set, the first time
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([s.disposition_to_dict(d) for d in page])

    @extend_schema(responses={200: s.CallDispositionSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        return Response(s.disposition_to_dict(self.get_object()))

    @extend_schema(request=s.CallDispositionInputSerializer,
                   responses={201: s.CallDispositionSerializer, 400: _response("VALIDATION_ERROR"),
                              409: DISPOSITION_CONFLICT})  # fmt: skip
    def create(self, request):
        body = s.CallDispositionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        code = values.pop("code")
        outcomes.dispositions(self.tenant.pk)  # a standard code is taken even before it was first seeded
        self._refuse_taken(code)
        disposition = services.disposition_upsert(tenant=self.tenant, code=code, values=values)
        return Response(s.disposition_to_dict(disposition), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CallDispositionInputSerializer,
                   responses={200: s.CallDispositionSerializer, 400: _response("VALIDATION_ERROR"), 404: NOT_FOUND,
                              409: DISPOSITION_CONFLICT},
                   description="Every field optional (PUT and PATCH alike).")  # fmt: skip
    def partial_update(self, request, pk=None):
        disposition = self.get_object()
        body = s.CallDispositionInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        code = values.get("code", disposition.code)
        if code != disposition.code:
            if disposition.is_system:
                raise _conflict(f"'{disposition.code}' is set by the dialer; its code cannot change.",
                                "SYSTEM_DISPOSITION")  # fmt: skip
            self._refuse_taken(code)
            if used := self._in_use(disposition):
                raise _conflict(f"{used} call(s) carry '{disposition.code}'; add a new disposition instead.",
                                "DISPOSITION_IN_USE", calls=used)  # fmt: skip
        if disposition.is_system and values.get("is_active") is False:
            raise _conflict(f"'{disposition.code}' is set by the dialer and stays active.", "SYSTEM_DISPOSITION")
        for name, value in values.items():
            setattr(disposition, name, value)
        try:
            with transaction.atomic():
                disposition.save()
        except IntegrityError:  # the same code created meanwhile
            raise _conflict(f"The disposition '{code}' exists already.", "DUPLICATE_DISPOSITION") from None
        return Response(s.disposition_to_dict(disposition))

    @extend_schema(request=s.CallDispositionInputSerializer,
                   responses={200: s.CallDispositionSerializer, 400: _response("VALIDATION_ERROR"), 404: NOT_FOUND,
                              409: DISPOSITION_CONFLICT})  # fmt: skip
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, 404: NOT_FOUND, 409: DISPOSITION_CONFLICT})
    def destroy(self, request, pk=None):
        disposition = self.get_object()
        if disposition.is_system:
            raise _conflict(f"'{disposition.code}' is set by the dialer and cannot be deleted.", "SYSTEM_DISPOSITION")
        if used := self._in_use(disposition):
            raise _conflict(f"{used} call(s) carry '{disposition.code}'; deactivate it instead (is_active false).",
                            "DISPOSITION_IN_USE", calls=used)  # fmt: skip
        disposition.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["calls"])
class ComplianceRuleViewSet(TenantScopedViewSet):
    """Calling rules by country or state: local hours per weekday, calls per person in 24 hours,
    all-party consent to record. The platform's rules (scope platform) apply to every tenant and
    are read-only here; a tenant adds its own, and the strictest of all that apply wins."""

    queryset = ComplianceRule.objects.all()
    serializer_class = s.ComplianceRuleSerializer
    filterset_class = ComplianceRuleFilterSet
    results_key = "compliance_rules"
    lookup_value_regex = r"\d+"
    ordering = ["country", "subdivision", "weekday", "id"]
    read_roles = None
    write_roles = OPERATOR_ROLES

    def get_queryset(self):
        # Not TenantOwnedModel (platform rules have no tenant): the caller's own rows and the
        # platform's, never another tenant's.
        if getattr(self, "swagger_fake_view", False):
            return ComplianceRule.objects.none()
        return selectors.compliance_rules(tenant=self.request.user.tenant_id)

    def _editable(self) -> ComplianceRule:
        rule = self.get_object()
        if rule.tenant_id is None:
            raise _conflict("Platform rules apply to every tenant and cannot be changed here; add a rule of your "
                            "own (the strictest rule wins).", "PLATFORM_RULE")  # fmt: skip
        return rule

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([s.rule_to_dict(rule) for rule in page])

    @extend_schema(responses={200: s.ComplianceRuleSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        return Response(s.rule_to_dict(self.get_object()))

    @extend_schema(request=s.ComplianceRuleInputSerializer,
                   responses={201: s.ComplianceRuleSerializer, 400: _response("VALIDATION_ERROR")})  # fmt: skip
    def create(self, request):
        body = s.ComplianceRuleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule = ComplianceRule.objects.create(tenant=self.tenant, **body.validated_data)
        return Response(s.rule_to_dict(rule), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ComplianceRuleInputSerializer,
                   responses={200: s.ComplianceRuleSerializer, 400: _response("VALIDATION_ERROR"), 404: NOT_FOUND,
                              409: RULE_CONFLICT},
                   description="Every field optional (PUT and PATCH alike).")  # fmt: skip
    def partial_update(self, request, pk=None):
        rule = self._editable()
        body = s.ComplianceRuleInputSerializer(data=request.data, partial=True, rule=rule)
        body.is_valid(raise_exception=True)
        for name, value in body.validated_data.items():
            setattr(rule, name, value)
        rule.save()
        return Response(s.rule_to_dict(rule))

    @extend_schema(request=s.ComplianceRuleInputSerializer,
                   responses={200: s.ComplianceRuleSerializer, 400: _response("VALIDATION_ERROR"), 404: NOT_FOUND,
                              409: RULE_CONFLICT})  # fmt: skip
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    @extend_schema(responses={204: None, 404: NOT_FOUND, 409: RULE_CONFLICT})
    def destroy(self, request, pk=None):
        self._editable().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
