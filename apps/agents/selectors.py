"""Reads of the agents app."""

from datetime import date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Count, FloatField, Func, Q, Sum, Value, When
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast, Coalesce, Greatest

from apps.agents.models import Agent
from apps.leads.choices import ActivityType, Disposition
from apps.leads.models import LeadActivity

# Call outcomes in which nobody talked to the agent; every other disposition (or none) is answered.
UNANSWERED = (Disposition.NO_ANSWER, Disposition.BUSY, Disposition.FAILED, Disposition.VOICEMAIL)


class AgentStats(TypedDict):
    total_calls: int
    answered_calls: int
    avg_talk_time: float
    total_talk_time: int


class _JsonType(Func):
    function = "jsonb_typeof"
    output_field = CharField()


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def agent_stats(*, agent: Agent, date_from: date | None = None, date_to: date | None = None) -> AgentStats:
    """Calls of the agent's leads (their `agent` or `assigned_to`), read from the leads' timelines
    (call_attempt entries) until the calls app keeps call records. The dates are whole days in the
    agent's time zone, both included; a missing bound is open.

    A call is attributed to the lead's agent or assignee as they are now, not as they were when it
    was made. Durations that are not numbers (hand-written activities) count as 0."""
    activities = LeadActivity.objects.for_tenant(agent.tenant_id).filter(
        Q(lead__agent_id=agent.pk) | Q(lead__assigned_to_id=agent.pk), activity_type=ActivityType.CALL_ATTEMPT
    )
    zone = ZoneInfo(agent.timezone or "UTC")
    if date_from is not None:
        activities = activities.filter(created_at__gte=_local_midnight(date_from, zone))
    if date_to is not None:
        activities = activities.filter(created_at__lt=_local_midnight(date_to + timedelta(days=1), zone))
    duration = Case(
        When(duration_type="number", then=Greatest(Cast(KT("metadata__duration"), FloatField()), Value(0.0))),
        default=Value(0.0),
    )
    totals = activities.annotate(
        duration_type=_JsonType(KeyTransform("duration", "metadata")),
        disposition=Coalesce(KT("metadata__disposition"), Value(""), output_field=CharField()),
    ).aggregate(
        total=Count("id"),
        answered=Count("id", filter=~Q(disposition__in=UNANSWERED)),
        talk=Coalesce(Sum(duration), Value(0.0)),
        answered_talk=Coalesce(Sum(duration, filter=~Q(disposition__in=UNANSWERED)), Value(0.0)),
    )
    answered = totals["answered"]
    return {
        "total_calls": totals["total"],
        "answered_calls": answered,
        "avg_talk_time": round(totals["answered_talk"] / answered, 1) if answered else 0.0,
        "total_talk_time": round(totals["talk"]),
    }
