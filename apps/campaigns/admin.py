"""Back office for campaigns: the lifecycle as admin actions, the lead book by status, the history."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html_join

from apps.campaigns import lifecycle
from apps.campaigns.models import CallerId, Campaign, CampaignTransition
from apps.core.actors import Actor
from apps.core.admin import ReadOnlyTenantInline, TenantScopedAdmin
from apps.leads.models import Lead


class CampaignTransitionInline(ReadOnlyTenantInline):
    model = CampaignTransition
    fields = ["created_at", "from_status", "to_status", "action", "actor_label", "reason"]
    readonly_fields = fields
    ordering = ["-created_at"]
    verbose_name_plural = "lifecycle history"


def _lifecycle_action(name: str, description: str):
    def run(modeladmin, request, queryset):
        actor = Actor.of(request.user)
        modeladmin.apply_each(request, queryset, lambda campaign: lifecycle.transition(campaign, name, actor=actor),
                              f"{description}: {{count}} campaign(s).")  # fmt: skip

    run.__name__ = f"{name}_campaigns"
    return admin.action(description=f"{description} selected campaigns")(run)


class CampaignAdminForm(forms.ModelForm):
    """Campaign.clean holds the rules; the form only fixes the voicemail URL's default scheme."""

    voicemail_drop_url = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Campaign
        fields = "__all__"  # noqa: DJ007 - the fieldsets below choose what is shown


@admin.register(Campaign)
class CampaignAdmin(TenantScopedAdmin):
    form = CampaignAdminForm
    list_display = ["name", "status", "priority", "pacing_mode", "caller_id", "timezone", "schedule_start",
                    "schedule_end", "created_at"]  # fmt: skip
    list_filter = ["status", "priority", "pacing_mode"]
    search_fields = ["name", "description", "client_name", "tags"]
    readonly_fields = ["status", "leads_by_status", "started_at", "paused_at", "completed_at", "deleted_at",
                       "created_at", "updated_at"]  # fmt: skip
    raw_id_fields = ["owner"]
    filter_horizontal = ["team_members"]
    inlines = [CampaignTransitionInline]
    actions = [_lifecycle_action("start", "Start"), _lifecycle_action("pause", "Pause"),
               _lifecycle_action("resume", "Resume"), _lifecycle_action("complete", "Complete"),
               _lifecycle_action("cancel", "Cancel")]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["name", "description", "status", "leads_by_status", "priority", "campaign_type", "tags",
                           "notes"]}),
        ("Who talks, as whom", {"fields": ["pacing_mode", "ai_agent", "agent_group", "caller_id", "caller_id_number",
                                           "default_country"]}),
        ("When", {"fields": ["timezone", "schedule_start", "schedule_end", "recurrence_rule", "calling_hours_start",
                             "calling_hours_end", "allow_overnight", "working_days"]}),
        ("How often", {"fields": ["calls_per_day", "max_concurrent_calls", "dial_timeout_seconds", "max_attempts",
                                  "retry_delay_minutes", "retry_backoff", "retry_on_no_answer", "retry_on_busy",
                                  "retry_on_voicemail", "retry_on_failed"]}),
        ("The call", {"fields": ["amd_enabled", "voicemail_drop_url", "voicemail_drop_text", "record_calls",
                                 "call_duration_limit", "ai_voice_id", "ai_voice_language", "ai_voice_gender",
                                 "system_prompt", "script_template", "fallback_script", "success_criteria"]}),
        ("Business", {"fields": ["budget", "cost_per_call", "owner", "team_members", "niche", "client_name",
                                 "client_service", "target_cities", "target_lead_count", "expected_completion_date"]}),
        ("Timeline", {"fields": ["started_at", "paused_at", "completed_at", "deleted_at", "created_at", "updated_at"]}),
    ]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ai_agent", "agent_group")

    @admin.display(description="Leads by status")
    def leads_by_status(self, obj: Campaign):
        if obj.pk is None:
            return "-"
        rows = (Lead.objects.alive().filter(tenant_id=obj.tenant_id, campaign=obj).order_by().values("status")
                .annotate(n=Count("id")).order_by("status"))  # fmt: skip
        if not rows:
            return "no leads yet"
        return format_html_join(", ", "{}: {}", ((row["status"], row["n"]) for row in rows))


@admin.register(CallerId)
class CallerIdAdmin(TenantScopedAdmin):
    list_display = ["phone_e164", "label", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["phone_e164", "label"]
