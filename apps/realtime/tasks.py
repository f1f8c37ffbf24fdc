from celery import shared_task


@shared_task(name="apps.realtime.tasks.send_campaign_stats", ignore_result=True, soft_time_limit=20, time_limit=30)
def send_campaign_stats(campaign_id: str) -> None:
    """Publish one campaign's live counters to its tenant's supervisors (apps.realtime.stats)."""
    from apps.campaigns.models import Campaign
    from apps.realtime.publish import CAMPAIGN_STATS, publish
    from apps.realtime.stats import campaign_stats

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None:
        publish(CAMPAIGN_STATS, campaign_stats(campaign), tenant_id=campaign.tenant_id)
