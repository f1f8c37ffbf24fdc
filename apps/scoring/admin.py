"""Back office for scoring: the tenant's policy (hot-lead threshold, model on or off), its trained
models (shown, never edited) and training jobs."""

from django.contrib import admin, messages

from apps.core.admin import ReadOnlyAdminMixin, TenantScopedAdmin
from apps.core.exceptions import ApplicationError
from apps.scoring import services
from apps.scoring.models import ScoringModel, ScoringPolicy, TrainingJob


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(TenantScopedAdmin):
    list_display = ["tenant", "hot_lead_threshold", "use_model"]

    def has_add_permission(self, request) -> bool:
        # One policy per tenant: tenant staff add theirs once, then change it.
        if not request.user.is_superuser and ScoringPolicy.objects.filter(tenant_id=request.user.tenant_id).exists():
            return False
        return super().has_add_permission(request)


@admin.register(ScoringModel)
class ScoringModelAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ["trained_at", "tenant", "is_active", "algorithm", "samples", "positives", "auc"]
    list_filter = ["is_active"]
    exclude = ["pipeline"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pipeline")

    @admin.display(description="AUC (held out)")
    def auc(self, obj) -> str:
        value = obj.metrics.get("auc")
        return f"{value:.3f}" if value is not None else "-"


@admin.register(TrainingJob)
class TrainingJobAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ["created_at", "tenant", "status", "trigger", "samples", "positives", "error_code", "finished_at"]
    list_filter = ["status", "trigger"]
    actions = ["train_again"]

    @admin.action(description="Train the selected jobs' tenants again")
    def train_again(self, request, queryset):
        for tenant_id in set(queryset.values_list("tenant_id", flat=True)):
            try:
                services.training_request(tenant_id=tenant_id, user=request.user)
            except ApplicationError as exc:
                self.message_user(request, str(exc.detail), messages.WARNING)
