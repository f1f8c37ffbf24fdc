"""The dialer's tick (beat, every DIALER_TICK_SECONDS): for each queue that may dial now, claim as
many due leads as its capacity allows and hand them to place_call tasks; record for every queue why
it is or is not dialing (DialerStatus), which the dialer status endpoint and admin page show.

Safe to run in several processes at once: claims skip locked leads, capacity is read fresh inside
each queue's dispatch, and the provider's calls-per-second budget is a shared counter.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction

from apps.calls.compliance import RuleBook
from apps.calls.dialer import claim as claims
from apps.calls.dialer.capacity import capacity_for, take_calls_per_second
from apps.calls.dialer.pacing import available_agents, pace
from apps.calls.dialer.place import BATCH, dialing_enabled
from apps.calls.dialer.queues import DialQueue, active_queues
from apps.calls.models import Call, DialerStatus
from apps.calls.telephony import provider_for
from apps.campaigns.models import PacingMode
from apps.core import clock
from apps.realtime import events as live
from apps.realtime.stats import campaign_changed

logger = logging.getLogger(__name__)
DUE_COUNT_EVERY = 60  # seconds between counts of a queue's due leads (for the status page)


def _status(queue: DialQueue, **values) -> None:
    """Record what this tick saw (ticks of several beats may race to create the row: one wins)."""
    owner = {"campaign": queue.campaign} if queue.campaign is not None else {"agent": queue.agent}
    if DialerStatus.objects.filter(**owner).update(**values):
        return
    try:
        with transaction.atomic():
            DialerStatus.objects.create(tenant_id=queue.tenant.pk, **owner, **values)
    except IntegrityError:
        DialerStatus.objects.filter(**owner).update(**values)


@dataclass
class _Plan:
    """What one tick does for one queue: how many calls, for which agents, or why none."""

    wanted: int = 0
    agents: list | None = None
    reason: str = ""
    message: str = ""
    capacity: object = None
    details: dict = field(default_factory=dict)

    def stop(self, reason: str, message: str) -> "_Plan":
        self.wanted, self.reason, self.message = 0, reason, message
        return self


def _plan(queue: DialQueue, at: dt.datetime) -> _Plan:
    plan = _Plan()
    if queue.tenant.is_suspended:
        return plan.stop("tenant_suspended", "The tenant is suspended.")
    open_now, why = queue.window(at)
    if not open_now:
        return plan.stop("outside_window", f"Not dialing: {why}.")
    plan.capacity = capacity = capacity_for(queue, at)
    plan.details["capacity"] = capacity.limits
    plan.wanted = min(capacity.allowed, settings.DIALER_MAX_CLAIM_PER_TICK)
    if not plan.wanted:
        return plan.stop(capacity.reason, _limit_message(capacity.reason))
    if queue.is_human:
        pacing = pace(queue, at)
        plan.details["pacing"] = {"free_agents": pacing.free_agents, "ratio": pacing.ratio,
                                  "answer_rate": pacing.answer_rate, "abandon_rate": pacing.abandon_rate}  # fmt: skip
        plan.wanted = min(plan.wanted, pacing.lines)
        if not plan.wanted:
            return plan.stop("no_agents" if "agent" in pacing.reason else "paced", f"Waiting: {pacing.reason}.")
        if queue.pacing == PacingMode.PREVIEW:
            plan.agents = available_agents(queue, at)[: plan.wanted]
            plan.wanted = len(plan.agents)
    granted = take_calls_per_second(plan.wanted, at)
    if not granted:
        return plan.stop("calls_per_second", "The provider's calls-per-second budget is used up this tick.")
    plan.wanted = granted
    return plan


def dispatch(queue: DialQueue, *, at: dt.datetime, rules: RuleBook | None = None, record: bool = True) -> list[str]:
    """Claim and hand out this queue's calls for one tick; the ids of the calls started."""
    plan = _plan(queue, at)
    started: list[str] = []
    if plan.wanted:
        rules = rules or RuleBook.for_tenant(queue.tenant.pk)
        provider = provider_for(queue.tenant).name
        started = claims.claim(queue, rules, at=at, limit=plan.wanted, agents=plan.agents, provider=provider)
        if not started:
            plan.stop("nothing_due", "No lead may be called right now.")
        elif queue.pacing == PacingMode.PREVIEW:
            plan.details["previews"] = len(started)  # they wait for their agents to accept
            _offer_previews(started)
        else:
            _enqueue(started)
        if started and queue.campaign is not None:
            campaign_changed(queue.campaign.pk)
    if record:
        capacity = plan.capacity
        due = _due_leads(queue, at, rules)
        if due is not None:
            plan.details["due_counted_at"] = at.isoformat()
        _status(queue, dialing=bool(started), reason=plan.reason, message=plan.message, claimed=len(started),
                **({"due_leads": due} if due is not None else {}),
                in_flight=getattr(capacity, "in_flight", 0), capacity=getattr(capacity, "allowed", 0),
                calls_today=getattr(capacity, "calls_today", 0), checked_at=at, details=plan.details,
                next_opening=queue.next_opening(at) if plan.reason == "outside_window" else None)  # fmt: skip
    return started


def _offer_previews(call_ids: list[str]) -> None:
    """Each agent's console shows the lead it is offered, to accept (dial) or skip."""
    for call in Call.objects.filter(pk__in=call_ids, agent__isnull=False).select_related("lead", "campaign", "agent"):
        live.preview_offered(call)


def _due_leads(queue: DialQueue, at: dt.datetime, rules: RuleBook | None) -> int | None:
    """How many leads the queue could call right now (up to 10,000), counted at most once a minute
    per queue and process (None when not counted this tick)."""
    key = f"dialer-due-counted:{queue.key}"
    local = caches["local"]
    if local.get(key):
        return None
    local.set(key, True, DUE_COUNT_EVERY)
    return claims.count_due(queue, rules or RuleBook.for_tenant(queue.tenant.pk), at)


def _limit_message(reason: str) -> str:
    return {
        "lines": "Every line is busy (max concurrent calls reached).",
        "daily_limit": "Today's call limit is reached.",
        "budget": "The budget is spent.",
        "monthly_quota": "The tenant's monthly call quota is used up.",
    }.get(reason, "No capacity.")


def _enqueue(call_ids: list[str]) -> None:
    """Hand the claimed calls to place_calls tasks, a batch each (apps.calls.dialer.place), once the
    claim is committed."""
    from apps.calls.tasks import place_calls

    def send() -> None:  # one producer (one broker connection) for all of them
        with place_calls.app.producer_or_acquire() as producer:
            for start in range(0, len(call_ids), BATCH):
                place_calls.apply_async((call_ids[start : start + BATCH],), producer=producer)

    transaction.on_commit(send)


def tick(*, at: dt.datetime | None = None) -> dict:
    """One pass over every queue. The platform switch stops everything here."""
    at = at or clock.now()
    if not dialing_enabled():
        return {"dialing": False, "queues": 0, "started": 0}
    started, queues, books = 0, active_queues(), {}
    for queue in queues:
        rules = books.get(queue.tenant.pk)
        if rules is None:
            rules = books[queue.tenant.pk] = RuleBook.for_tenant(queue.tenant.pk)
        try:
            started += len(dispatch(queue, at=at, rules=rules))
        except Exception:  # one queue's trouble must not stop the others
            logger.exception("dialer: dispatching %s failed", queue.label)
    return {"dialing": True, "queues": len(queues), "started": started}
