"""The live counters of a campaign (the manager stream's campaign:stats), and their throttle: however
busy a campaign is, its counters go out at most once per STATS_INTERVAL_MS, the first change at once
and the last one at the end of the window, so the browser always ends on the true figures."""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, Count, Q

from apps.core.cache import redis_client
from apps.core.clock import now
from apps.core.serializers import iso

logger = logging.getLogger(__name__)

STATS_INTERVAL_MS = 1000


def campaign_stats(campaign) -> dict:
    """Today's figures (in the campaign's time zone), the calls live now by status and by agent, the
    campaign's agents by presence, and the abandon rate of 30 days against its cap."""
    from apps.agents.models import Agent, AgentKind
    from apps.calls.choices import LIVE, CallOutcome
    from apps.calls.models import Call
    from apps.calls.outcomes import dispositions

    at = now()
    zone = ZoneInfo(campaign.timezone or "UTC")
    midnight = dt.datetime.combine(at.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    sales = sorted(code for code, d in dispositions(campaign.tenant_id).items() if d.sale)
    answered = [CallOutcome.ANSWERED, CallOutcome.ABANDONED]
    calls = Call.objects.filter(campaign_id=campaign.pk).order_by()
    today = calls.filter(created_at__gte=midnight).exclude(outcome=CallOutcome.CANCELED).aggregate(
        calls=Count("id"), answered=Count("id", filter=Q(outcome__in=answered)),
        abandoned=Count("id", filter=Q(outcome=CallOutcome.ABANDONED)),
        voicemail=Count("id", filter=Q(outcome=CallOutcome.VOICEMAIL)),
        converted=Count("id", filter=Q(disposition__in=sales)), finished=Count("id", filter=~Q(outcome="")),
        talk=Avg("talk_time", filter=Q(outcome=CallOutcome.ANSWERED, talk_time__gt=0)),
    )  # fmt: skip
    month = calls.filter(created_at__gte=at - dt.timedelta(days=30)).aggregate(
        answered=Count("id", filter=Q(outcome__in=answered)),
        abandoned=Count("id", filter=Q(outcome=CallOutcome.ABANDONED)),
    )
    live = list(calls.filter(status__in=sorted(LIVE)).values("status", "agent_id").annotate(n=Count("id")))
    agents = {}
    if campaign.agent_group_id:
        rows = Agent.objects.filter(group_id=campaign.agent_group_id, kind=AgentKind.HUMAN, is_active=True).order_by()
        agents = {row["status"]: row["n"] for row in rows.values("status").annotate(n=Count("id"))}
        agents["on_call"] = rows.filter(current_calls__gt=0).count()
    by_status: dict[str, int] = {}
    by_agent: dict[str, int] = {}
    for row in live:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        if row["agent_id"]:
            by_agent[str(row["agent_id"])] = by_agent.get(str(row["agent_id"]), 0) + row["n"]
    return {
        "campaignId": str(campaign.pk), "name": campaign.name, "status": campaign.status, "at": iso(at),
        "today": {
            **{key: today[key] for key in ("calls", "answered", "abandoned", "voicemail", "converted")},
            "answer_rate": _rate(today["answered"], today["finished"]),
            "abandon_rate": _rate(today["abandoned"], today["answered"]),
            "conversion_rate": _rate(today["converted"], today["answered"]),
            "avg_talk_time": round(float(today["talk"] or 0), 1),
        },
        "live": {"total": sum(by_status.values()), "by_status": by_status, "by_agent": by_agent},
        "agents": agents,
        "abandon_rate_30d": _rate(month["abandoned"], month["answered"]),
        "max_abandon_rate": float(campaign.max_abandon_rate),
    }  # fmt: skip


def _rate(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def campaign_changed(campaign_id) -> None:
    """Something moved a campaign's counters: send them now if none went out this second, else once
    at the end of it (after the current transaction commits, either way)."""
    if campaign_id is None:
        return
    transaction.on_commit(lambda: _schedule(str(campaign_id)))


def _schedule(campaign_id: str) -> None:
    from apps.realtime.tasks import send_campaign_stats

    client = redis_client()
    try:
        if client.set(f"rt:stats:{campaign_id}", 1, nx=True, px=STATS_INTERVAL_MS):
            send_campaign_stats.delay(campaign_id)
        elif client.set(f"rt:stats:trailing:{campaign_id}", 1, nx=True, px=STATS_INTERVAL_MS):
            send_campaign_stats.apply_async((campaign_id,), countdown=STATS_INTERVAL_MS / 1000)
    except Exception:  # the counters are a view: a Redis hiccup skips one update
        logger.warning("campaign stats not scheduled", exc_info=True)
