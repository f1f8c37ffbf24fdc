"""Back office for the AI agent's conversations: read-only (the engine writes them), with the state
path, what was raised and agreed, and the summary."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdminMixin, TenantScopedAdmin
from apps.voice.models import Conversation


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, TenantScopedAdmin):
    list_display = ["created_at", "call", "mode", "state", "turn_count", "disposition", "end_reason", "brain"]
    list_filter = ["mode", "state", "end_reason", "brain"]
    search_fields = ["call__to_number", "email"]
    list_select_related = ["call"]
    readonly_fields = [field.name for field in Conversation._meta.fields]
