from django.contrib import admin

from apps.campaigns.models import Campaign
from apps.core.admin import TenantScopedAdmin


@admin.register(Campaign)
class CampaignAdmin(TenantScopedAdmin):
    list_display = ["name", "default_country", "timezone", "created_at"]
    search_fields = ["name", "description"]
