"""How many calls a queue may start now: the smallest of its free lines (max concurrent calls minus
calls in flight), the calls left today (in the queue's time zone), what the budget still pays for,
the tenant's calls left this month, and its share of the provider's calls-per-second. Human modes
further cap it by the agents (apps.calls.dialer.pacing)."""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from apps.calls.choices import LIVE, CallStatus
from apps.calls.dialer.queues import DialQueue
from apps.calls.models import Call
from apps.core.cache import redis_client


@dataclass
class Capacity:
    allowed: int
    reason: str = ""  # what limits it, when it is zero
    in_flight: int = 0
    calls_today: int = 0
    limits: dict = field(default_factory=dict)


def _local_midnight(queue: DialQueue, at: dt.datetime) -> dt.datetime:
    local = at.astimezone(queue.zone)
    return dt.datetime.combine(local.date(), dt.time.min, tzinfo=queue.zone)


def _month_start(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def capacity_for(queue: DialQueue, at: dt.datetime) -> Capacity:
    calls = Call.objects.filter(queue.call_filter())
    stats = calls.aggregate(
        in_flight=Count("id", filter=Q(status__in=LIVE)),
        today=Count("id", filter=Q(created_at__gte=_local_midnight(queue, at)) & ~Q(status=CallStatus.CANCELED)),
    )
    limits = {"lines": queue.max_concurrent - stats["in_flight"]}
    if queue.calls_per_day:
        limits["daily_limit"] = queue.calls_per_day - stats["today"]
    campaign = queue.campaign
    if campaign is not None and campaign.budget is not None and campaign.cost_per_call:
        spent = calls.exclude(status=CallStatus.CANCELED).aggregate(
            spent=Coalesce(
                Sum(Coalesce("cost", Value(campaign.cost_per_call))),
                Value(0),
                output_field=DecimalField(max_digits=14, decimal_places=5),
            )
        )["spent"]
        limits["budget"] = math.floor((campaign.budget - spent) / campaign.cost_per_call)
    quota = queue.tenant.monthly_call_quota
    if quota is not None:
        used = Call.objects.filter(tenant_id=queue.tenant.pk, created_at__gte=_month_start(at)).exclude(
            status=CallStatus.CANCELED).count()  # fmt: skip
        limits["monthly_quota"] = quota - used
    reason, allowed = min(((name, value) for name, value in limits.items()), key=lambda item: item[1])
    allowed = max(0, allowed)
    return Capacity(allowed=allowed, reason=reason if allowed == 0 else "", in_flight=stats["in_flight"],
                    calls_today=stats["today"], limits=limits)  # fmt: skip


def take_calls_per_second(wanted: int, at: dt.datetime) -> int:
    """Up to `wanted` of the provider's calls-per-second budget for the coming tick, shared by every
    process that dials (a counter per tick in Redis), so two beats never double the rate."""
    if wanted <= 0:
        return 0
    per_tick = max(1, int(settings.TELEPHONY_CALLS_PER_SECOND * settings.DIALER_TICK_SECONDS))
    slot = int(at.timestamp() // settings.DIALER_TICK_SECONDS)
    key = f"dialer:cps:{slot}"
    client = redis_client()
    after = client.incrby(key, wanted)
    client.expire(key, int(settings.DIALER_TICK_SECONDS * 4) + 1)
    granted = min(wanted, max(0, per_tick - (after - wanted)))
    if granted < wanted:
        client.decrby(key, wanted - granted)
    return granted
