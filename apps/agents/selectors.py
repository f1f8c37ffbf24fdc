"""Reads of the agents app."""

from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce

from apps.agents.models import Agent
from apps.leads.calls import ANSWERED, call_attempts
from apps.leads.models import LeadActivity


class AgentStats(TypedDict):
    total_calls: int
    answered_calls: int
    avg_talk_time: float
    total_talk_time: int


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def agent_stats(*, agent: Agent, date_from: date | None = None, date_to: date | None = None) -> AgentStats:
    """Calls of the agent's leads (their `agent` or `assigned_to`), read from the leads' timelines
    (call_attempt entries) until the calls app keeps call records. The dates are whole days in the
    agent's time zone, both included; a missing bound is open.

    A call is attributed to the lead's agent or assignee as they are now, not as they were when it
    was made. Durations that are not numbers (hand-written activities) count as 0."""
    activities = call_attempts(LeadActivity.objects.for_tenant(agent.tenant_id)).filter(
        Q(lead__agent_id=agent.pk) | Q(lead__assigned_to_id=agent.pk)
    )
    zone = ZoneInfo(agent.timezone or "UTC")
    if date_from is not None:
        activities = activities.filter(created_at__gte=_local_midnight(date_from, zone))
    if date_to is not None:
        activities = activities.filter(created_at__lt=_local_midnight(date_to + timedelta(days=1), zone))
    totals = activities.aggregate(
        total=Count("id"),
        answered=Count("id", filter=ANSWERED),
        talk=Coalesce(Sum("seconds"), Value(0.0)),
        answered_talk=Coalesce(Sum("seconds", filter=ANSWERED), Value(0.0)),
    )
    answered = totals["answered"]
    return {
        "total_calls": totals["total"],
        "answered_calls": answered,
        "avg_talk_time": round(totals["answered_talk"] / answered, 1) if answered else 0.0,
        "total_talk_time": round(totals["talk"]),
    }
