from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Campaigns: who to call, when, how often, as whom, and by whom; their lifecycle and schedule."""

    name = "apps.campaigns"
    label = "campaigns"
