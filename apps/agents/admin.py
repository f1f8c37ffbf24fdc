from django.contrib import admin

from apps.agents.models import Agent
from apps.core.admin import TenantScopedAdmin


@admin.register(Agent)
class AgentAdmin(TenantScopedAdmin):
    list_display = ["name", "kind", "user", "timezone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
