"""The scoring API: spec 001's POST /leads/{id}/score/ and spec 002's ML endpoints
(/ml/training/status/, /ml/training/trigger/, /ml/performance/), plus the training jobs. Thin:
check access, call a service or a selector, render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.calls.api.serializers import ErrorEnvelopeSerializer
from apps.core.actors import Actor
from apps.core.viewsets import TenantScopedViewSet
from apps.leads.models import Lead
from apps.scoring import selectors, services
from apps.scoring.api import serializers as s
from apps.scoring.models import ScoringModel, TrainingJob
from apps.tenants.choices import OPERATOR_ROLES
from apps.tenants.models import User

NOT_FOUND = OpenApiResponse(ErrorEnvelopeSerializer, description="No such lead in your tenant (another tenant's "
                            "id is exactly as absent as a made-up one).")  # fmt: skip
BAD_INPUT = OpenApiResponse(ErrorEnvelopeSerializer, description="VALIDATION_ERROR (errors[] names the field).")
TOO_FEW = OpenApiResponse(ErrorEnvelopeSerializer, description="INSUFFICIENT_TRAINING_DATA: too few labelled leads "
                          "(the answer carries labelled_leads, positive_leads and the minimums).")  # fmt: skip


@extend_schema(tags=["scoring"])
class LeadScoreViewSet(TenantScopedViewSet):
    """POST /leads/{id}/score/: score the lead now and keep the score on it."""

    queryset = Lead.objects.alive().only("id", "tenant_id")
    read_roles = None
    write_roles = None  # any member may score a lead of the tenant

    @extend_schema(
        request=s.ScoreInputSerializer, responses={200: s.ScoreSerializer, 400: BAD_INPUT, 404: NOT_FOUND,
                                                   409: OpenApiResponse(ErrorEnvelopeSerializer,
                                                                        description="NO_TRAINED_MODEL (method=model)")},
        description="Spec 001's lead score: overall, demographic, behavioral, engagement and intent scores and the "
        "conversion probability, each in [0, 1], with positive factors, negative factors and recommendations. Kept "
        "on the lead (lead_score 0-100, score_breakdown, is_hot_lead over the tenant's threshold) unless dry_run. "
        "Scored by the tenant's trained model once it has one (scored_by says which), else by the rules.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        lead = self.get_object()  # 404 before 400: another tenant's id learns nothing from validation
        body = s.ScoreInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = services.lead_score_compute(
                lead_id=lead.pk, tenant_id=request.user.tenant_id, actor=Actor.of(request.user), reason="api",
                method=body.validated_data["method"], save=not body.validated_data["dry_run"],
            )  # fmt: skip
        except Lead.DoesNotExist:  # deleted between the two reads
            raise NotFound("Lead not found.") from None
        return Response(result)


@extend_schema(tags=["scoring"])
class MlViewSet(TenantScopedViewSet):
    """Spec 002's ML endpoints, for the caller's tenant: every member reads; owners, admins and
    managers trigger a training."""

    queryset = ScoringModel.objects.defer("pipeline")
    read_roles = None
    write_roles = OPERATOR_ROLES

    @extend_schema(
        responses={200: s.TrainingStatusSerializer},
        description="What scores the tenant's leads (model or rules), the active model, the latest training job, and "
        "whether there are enough labelled leads to train.",
    )
    @action(detail=False, methods=["get"], url_path="training/status")
    def training_status(self, request):
        return Response(selectors.training_status(tenant_id=request.user.tenant_id))

    @extend_schema(
        request=None, responses={202: s.TriggerSerializer, 409: TOO_FEW},
        description="Queue a training of the tenant's model (a Celery job; its task id is the job id). An open job "
        "is answered as it is (already_queued). Poll GET /ml/training/jobs/{job_id}/.",
    )  # fmt: skip
    @action(detail=False, methods=["post"], url_path="training/trigger")
    def training_trigger(self, request):
        user = request.user if isinstance(request.user, User) else None  # an API key has no user
        job, created = services.training_request(tenant_id=request.user.tenant_id, user=user)
        return Response({**selectors.job_to_dict(job), "already_queued": not created}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: s.PerformanceSerializer},
        description="How the active model ranked leads it had not seen: ROC AUC and precision in the top decile on a "
        "held-out quarter of the labelled leads, beside the rule-based score on the same leads; sample counts, when "
        "it was trained and its strongest features. trained=false (nulls) without one.",
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def performance(self, request):
        return Response(selectors.performance(tenant_id=request.user.tenant_id))


@extend_schema(tags=["scoring"])
class TrainingJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The tenant's training jobs, newest first."""

    queryset = TrainingJob.objects.all()
    serializer_class = s.TrainingJobSerializer
    results_key = "jobs"
    read_roles = None
    ordering = ["-created_at"]

    @extend_schema(responses={200: s.TrainingJobSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset().order_by("-created_at"))
        return self.get_paginated_response([selectors.job_to_dict(job) for job in page])

    @extend_schema(responses={200: s.TrainingJobSerializer, 404: NOT_FOUND})
    def retrieve(self, request, pk=None):
        return Response(selectors.job_to_dict(self.get_object()))
