"""A dial queue: the leads the dialer works as one, with the rules that govern them. A campaign's
leads, or (spec 000) the leads created with only an AI agent's id, dialed under that agent's
business hours and retry policy. Everything else in the dialer reads a queue, not its owner."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from apps.agents.hours import is_working
from apps.agents.models import Agent, AgentKind
from apps.campaigns import schedule
from apps.campaigns.models import HUMAN_PACING, Campaign, CampaignStatus, PacingMode


@dataclass
class DialQueue:
    tenant: object
    campaign: Campaign | None = None
    agent: Agent | None = None  # the AI agent of a direct queue

    # Identity ----------------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return f"campaign:{self.campaign.pk}" if self.campaign is not None else f"agent:{self.agent.pk}"

    @property
    def label(self) -> str:
        return f"campaign '{self.campaign.name}'" if self.campaign is not None else f"agent '{self.agent.name}'"

    def lead_filter(self) -> Q:
        if self.campaign is not None:
            return Q(campaign_id=self.campaign.pk)
        return Q(campaign__isnull=True, agent_id=self.agent.pk)

    def lead_sql(self, alias: str = "l") -> tuple[str, list]:
        if self.campaign is not None:
            return f"{alias}.campaign_id = %s", [self.campaign.pk]
        return f"{alias}.campaign_id IS NULL AND {alias}.agent_id = %s", [self.agent.pk]

    def call_filter(self) -> Q:
        if self.campaign is not None:
            return Q(campaign_id=self.campaign.pk)
        return Q(campaign__isnull=True, agent_id=self.agent.pk)

    # Rules -------------------------------------------------------------------------------------------
    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        owner = self.campaign if self.campaign is not None else self.agent
        return zoneinfo.ZoneInfo(owner.timezone or "UTC")

    @property
    def pacing(self) -> str:
        return self.campaign.pacing_mode if self.campaign is not None else PacingMode.AI

    @property
    def is_human(self) -> bool:
        return self.pacing in HUMAN_PACING

    @property
    def max_attempts(self) -> int:
        return (self.campaign or self.agent).max_attempts

    @property
    def max_concurrent(self) -> int:
        return (self.campaign or self.agent).max_concurrent_calls

    @property
    def calls_per_day(self) -> int | None:
        return self.campaign.calls_per_day if self.campaign is not None else None

    @property
    def caller_id(self) -> str:
        if self.campaign is not None and self.campaign.caller_id:
            return self.campaign.caller_id
        return getattr(self.agent, "phone", "") or self.tenant.contact_phone or ""

    @property
    def talking_agent(self) -> Agent | None:
        """The AI agent that talks on answered calls (human modes pick a person at answer time)."""
        if self.campaign is not None:
            return None if self.is_human else self.campaign.ai_agent
        return self.agent

    def window(self, at: dt.datetime) -> tuple[bool, str]:
        """The queue's own calling window: the campaign's schedule, hours and days, or the agent's hours."""
        if self.campaign is not None:
            verdict = schedule.calling_allowed(self.campaign, at)
            return verdict.allowed, verdict.reason
        if not self.agent.is_active:
            return False, "the agent is not active"
        if not is_working(self.agent, at):
            return False, "outside the agent's business hours"
        return True, ""

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        if self.campaign is not None:
            return schedule.next_opening(self.campaign, at)
        for minutes in range(0, 8 * 24 * 60, 15):  # agents' hours are quarter-hour grained at most
            moment = at + dt.timedelta(minutes=minutes)
            if is_working(self.agent, moment):
                return moment
        return None

    def retry_delay(self, attempts: int) -> dt.timedelta:
        """How long to wait before the next attempt, after `attempts` calls (backoff for campaigns)."""
        owner = self.campaign or self.agent
        minutes = Decimal(owner.retry_delay_minutes)
        if self.campaign is not None and attempts > 1:
            minutes *= self.campaign.retry_backoff ** (attempts - 1)
        return dt.timedelta(minutes=float(min(minutes, Decimal(60 * 24 * 30))))

    def retries_outcome(self, outcome: str) -> bool:
        if self.campaign is None:
            return True  # spec 000: an agent retries every unanswered call up to max_attempts
        return {
            "no_answer": self.campaign.retry_on_no_answer, "busy": self.campaign.retry_on_busy,
            "voicemail": self.campaign.retry_on_voicemail, "failed": self.campaign.retry_on_failed,
        }.get(outcome, True)  # fmt: skip


def active_queues(*, tenant_ids=None) -> list[DialQueue]:
    """Every queue that may be dialing: active campaigns, and AI agents with leads of their own."""
    campaigns = Campaign.objects.filter(status=CampaignStatus.ACTIVE, deleted_at__isnull=True).select_related(
        "tenant", "ai_agent", "agent_group"
    )
    agents = Agent.objects.filter(kind=AgentKind.AI, is_active=True).select_related("tenant")
    if tenant_ids is not None:
        campaigns, agents = campaigns.filter(tenant_id__in=tenant_ids), agents.filter(tenant_id__in=tenant_ids)
    from apps.leads.models import Lead

    with_leads = set(
        Lead.objects.filter(campaign__isnull=True, agent__isnull=False, deleted_at__isnull=True,
                            status__in=["new", "scheduled"]).values_list("agent_id", flat=True).distinct()
    )  # fmt: skip
    queues = [DialQueue(tenant=c.tenant, campaign=c) for c in campaigns]
    queues += [DialQueue(tenant=a.tenant, agent=a) for a in agents if a.pk in with_leads]
    return queues


def queue_of_call(call) -> DialQueue:
    if call.campaign_id:
        return DialQueue(tenant=call.tenant, campaign=call.campaign)
    return DialQueue(tenant=call.tenant, agent=call.lead.agent or call.agent)
