"""Back office for agents and agent groups. The same rules as the API (Agent.clean: working hours,
the kind rules, links inside the tenant), presence through agent_set_presence."""

from django.contrib import admin
from django.db.models import Count

from apps.agents import services
from apps.agents.models import Agent, AgentGroup, Presence
from apps.core.admin import ReadOnlyTenantInline, TenantScopedAdmin


class AgentInline(ReadOnlyTenantInline):
    model = Agent
    fields = ["name", "status", "is_active", "max_concurrent_calls"]
    readonly_fields = fields
    verbose_name_plural = "Agents in this group"


@admin.register(Agent)
class AgentAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "status", "group", "user", "timezone", "current_calls", "is_active"]
    list_filter = ["kind", "status", "is_active", "group"]
    search_fields = ["name", "email", "phone", "user__email"]
    list_select_related = ["group", "user"]
    raw_id_fields = ["user"]
    readonly_fields = ["status", "status_changed_at", "last_active_at", "current_calls", "total_calls_handled",
                       "total_talk_seconds", "created_at", "updated_at"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["tenant", "name", "kind", "is_active", "timezone", "working_hours"]}),
        ("AI voice agent", {"fields": ["voice_id", "language", "voice_gender", "system_prompt", "default_script",
                                       "max_attempts", "retry_delay_minutes"],
                            "description": "Used when the kind is AI."}),
        ("Human agent", {"fields": ["user", "phone", "email", "group", "max_concurrent_calls"],
                         "description": "Used when the kind is human; an AI agent has no user and no group."}),
        ("Presence and totals", {"fields": ["status", "status_changed_at", "last_active_at", "current_calls",
                                            "total_calls_handled", "total_talk_seconds", "created_at", "updated_at"]}),
    ]  # fmt: skip
    actions = ["set_available", "set_offline"]

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return self.fieldsets
        # TenantScopedAdmin hides the tenant from tenant staff.
        first = dict(self.fieldsets[0][1], fields=[f for f in self.fieldsets[0][1]["fields"] if f != "tenant"])
        return [(None, first), *self.fieldsets[1:]]

    def _set_presence(self, request, queryset, presence: str) -> None:
        self.apply_each(request, queryset, lambda agent: services.agent_set_presence(agent=agent, status=presence),
                        f"{{count}} agent(s) set {presence}.")  # fmt: skip

    @admin.action(description="Set presence: available")
    def set_available(self, request, queryset):
        self._set_presence(request, queryset, Presence.AVAILABLE)

    @admin.action(description="Set presence: offline")
    def set_offline(self, request, queryset):
        self._set_presence(request, queryset, Presence.OFFLINE)


@admin.register(AgentGroup)
class AgentGroupAdmin(TenantScopedAdmin):
    list_display = ["name", "agent_count", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    inlines = [AgentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(agent_count=Count("agents"))

    @admin.display(description="agents", ordering="agent_count")
    def agent_count(self, group: AgentGroup) -> int:
        return group.agent_count
