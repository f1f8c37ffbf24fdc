"""Builders for the dialer's tests: a dialing campaign, its leads, calls in any state."""

import datetime as dt

from django.utils import timezone

from apps.agents.models import Agent, AgentGroup, AgentKind, Presence
from apps.calls.choices import CallStatus
from apps.calls.models import Call
from apps.campaigns.models import Campaign, CampaignStatus, PacingMode
from apps.core.actors import Actor
from apps.leads import services as lead_services
from apps.leads.normalize import LeadContext, normalize_lead

EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def ai_agent(tenant, **values) -> Agent:
    return Agent.objects.create(tenant=tenant, name=values.pop("name", "Ava"), kind=AgentKind.AI, **values)


def human_agents(tenant, count: int = 2, *, status: str = Presence.AVAILABLE) -> tuple[AgentGroup, list[Agent]]:
    group = AgentGroup.objects.create(tenant=tenant, name=f"Team {AgentGroup.objects.count() + 1}")
    agents = [Agent.objects.create(tenant=tenant, name=f"Person {n}", kind=AgentKind.HUMAN, group=group, status=status)
              for n in range(count)]  # fmt: skip
    return group, agents


def campaign(tenant, *, pacing: str = PacingMode.AI, agent=None, group=None, **values) -> Campaign:
    """An active campaign that may call at any hour of any day (unless told otherwise)."""
    defaults = {
        "name": f"Campaign {Campaign.objects.count() + 1}", "timezone": "America/New_York",
        "calling_hours_start": dt.time(0, 0), "calling_hours_end": dt.time(23, 59), "working_days": EVERY_DAY,
        "caller_id": "+14155550000", "max_concurrent_calls": 50, "status": CampaignStatus.ACTIVE,
        "pacing_mode": pacing, "default_country": "US",
    }  # fmt: skip
    defaults.update(values)
    if pacing == PacingMode.AI and agent is None:
        agent = ai_agent(tenant)
    return Campaign.objects.create(tenant=tenant, ai_agent=agent if pacing == PacingMode.AI else None,
                                   agent_group=group, **defaults)  # fmt: skip


def lead(tenant, phone: str, *, campaign=None, agent=None, **values):
    raw = {"phone": phone, "first_name": values.pop("first_name", "Pat"), **values}
    normalized = normalize_lead(raw, LeadContext(region="US", default_timezone="UTC"))
    assert not normalized.errors, normalized.errors
    created = lead_services.lead_create(tenant=tenant, actor=Actor(label="test"), values=normalized.values,
                                        campaign=campaign, agent=agent)  # fmt: skip
    if created.next_call_at and created.next_call_at > timezone.now() - dt.timedelta(days=1):
        type(created).objects.filter(pk=created.pk).update(next_call_at=timezone.now() - dt.timedelta(days=1))
        created.refresh_from_db()
    return created


def call(lead_obj, *, status: str = CallStatus.QUEUED, **values) -> Call:
    return Call.objects.create(tenant_id=lead_obj.tenant_id, lead=lead_obj, campaign_id=lead_obj.campaign_id,
                               provider=values.pop("provider", "simulator"), to_number=lead_obj.phone_e164,
                               from_number="+14155550000", status=status, **values)  # fmt: skip


def numbers(count: int, *, start: int = 2125550100) -> list[str]:
    """Distinct valid New York numbers (+1 212 ...)."""
    return [f"+1{start + n}" for n in range(count)]
