from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Campaigns: who to call, when, how often, as whom. The lifecycle and the rest of the fields
    arrive with the campaigns issue; leads point here already."""

    name = "apps.campaigns"
    label = "campaigns"
