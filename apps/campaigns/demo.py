"""Demo data for campaigns: a caller ID, an AI agent, a group of humans, a running campaign with a
script, and a scheduled one that recurs on weekdays (docs/seed-map.md lists what the demo shows)."""

import datetime as dt

from django.utils import timezone

from apps.agents.models import Agent, AgentGroup, AgentKind
from apps.campaigns import lifecycle
from apps.campaigns.models import CallerId, Campaign, CampaignStatus, PacingMode
from apps.core.actors import Actor

SCRIPT = ("Hello {first_name}, this is {agent_name} from {business_name}. I'm calling about {client_service} "
          "for {company_name}. Do you have two minutes?")  # fmt: skip


def seed(tenant) -> None:
    number, _ = CallerId.objects.get_or_create(tenant=tenant, phone_e164="+14155550100",
                                               defaults={"label": "Demo main line"})  # fmt: skip
    ava, _ = Agent.objects.get_or_create(tenant=tenant, name="Ava (AI)", defaults={"kind": AgentKind.AI})
    floor, _ = AgentGroup.objects.get_or_create(tenant=tenant, name="Sales floor")
    Agent.objects.filter(tenant=tenant, kind=AgentKind.HUMAN, group__isnull=True).update(group=floor)
    actor = Actor(label="demo seed")
    outreach = Campaign.objects.filter(tenant=tenant, name="Q1 Outreach").first()
    if outreach is not None and outreach.status == CampaignStatus.DRAFT:
        Campaign.objects.filter(pk=outreach.pk).update(
            caller_id=number.phone_e164, caller_id_number=number, ai_agent=ava, script_template=SCRIPT,
            client_service="solar panels", calls_per_day=200, budget=500, cost_per_call="0.25",
            calling_hours_start=dt.time(9), calling_hours_end=dt.time(18),
        )  # fmt: skip
        lifecycle.start(Campaign.objects.get(pk=outreach.pk), actor=actor)
    if not Campaign.objects.filter(tenant=tenant, name="Spring renewals").exists():
        start = (timezone.now() + dt.timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
        renewals = Campaign.objects.create(
            tenant=tenant, name="Spring renewals", description="Human agents call renewals, weekdays only",
            caller_id=number.phone_e164, caller_id_number=number, pacing_mode=PacingMode.PROGRESSIVE,
            agent_group=floor, timezone="America/Chicago", schedule_start=start,
            schedule_end=start + dt.timedelta(days=60), recurrence_rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            priority="high", tags=["renewals"],
        )  # fmt: skip
        if floor.agents.filter(is_active=True, kind=AgentKind.HUMAN).exists():
            lifecycle.start(renewals, actor=actor)  # lands on scheduled: it starts itself next week
