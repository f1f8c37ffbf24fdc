"""How many lines a human-agent campaign may dial: preview (an agent accepts each lead first),
progressive (one line per free agent) and predictive (more lines than free agents, the ratio
adapted from the recent answer rate, the agents about to be free and the average handle time, and
held down so abandoned calls stay at or below the campaign's cap, 3% of answered calls over a
rolling 30 days). AI campaigns are limited by their lines only (apps.calls.dialer.capacity).

`predictive_lines` is pure arithmetic, shared by the dialer and the pacing simulation of make bench.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q

from apps.agents.hours import is_working
from apps.agents.models import Agent, AgentKind, Presence
from apps.calls.choices import LIVE, CallOutcome, CallStatus
from apps.calls.dialer.queues import DialQueue
from apps.calls.models import Call
from apps.campaigns.models import PacingMode

DEFAULT_ANSWER_RATE = 0.3
DEFAULT_HANDLE_SECONDS = 120.0
MIN_SAMPLE = 20


@dataclass
class Pacing:
    lines: int
    reason: str = ""
    free_agents: int = 0
    ratio: float = 1.0
    answer_rate: float | None = None
    abandon_rate: float | None = None


# Predictive pacing aims below the campaign's abandon cap: the rate it steers by is measured on calls
# already finished, so it lags the dialing. With this margin make bench's pacing simulation (3% cap, 108
# sets of agents, answer rates, handle and ring times) stays at 2.5% at worst; aiming at the cap, 2.9%.
ABANDON_TARGET = 0.9


def predictive_lines(*, free: int, soon_free: float, unanswered: int, answer_rate: float, abandon_rate: float,
                     max_abandon_rate: float, max_ratio: float) -> tuple[int, float]:  # fmt: skip
    """(lines to dial now, the dial ratio used). The ratio is 1 / answer rate, capped by max_ratio, and
    the agents about to be free count with the free ones. As the abandon rate nears its target (90% of
    the cap) both are held down together, over the second half of the way: the ratio falls towards 1
    and the agents not yet free towards none. At the target the dialer is progressive, one line per
    free agent, and only that: counting agents who are still talking there kept calls reaching no one
    (a soon-free agent counts again at every tick until the call ends, so long calls drove abandons to
    25% in the pacing simulation). Lines already ringing count against the total."""
    if max_abandon_rate <= 0:
        return max(0, free - unanswered), 1.0
    headroom = 1.0 - abandon_rate / (max_abandon_rate * ABANDON_TARGET)  # 1 at no abandons, 0 at the target
    if headroom <= 0:
        return max(0, free - unanswered), 1.0
    weight = min(1.0, headroom / 0.5)
    ratio = 1.0 + (min(max_ratio, 1.0 / max(answer_rate, 0.05)) - 1.0) * weight
    lines = math.floor((free + soon_free * weight) * ratio) - unanswered
    return max(0, lines), ratio


def available_agents(queue: DialQueue, at: dt.datetime) -> list[Agent]:
    campaign = queue.campaign
    if campaign is None or campaign.agent_group_id is None:
        return []
    agents = Agent.objects.filter(group_id=campaign.agent_group_id, kind=AgentKind.HUMAN, is_active=True,
                                  status=Presence.AVAILABLE, current_calls__lt=F("max_concurrent_calls"))  # fmt: skip
    return [agent for agent in agents if is_working(agent, at)]


def _rates(queue: DialQueue, at: dt.datetime) -> tuple[float | None, float | None, float]:
    """(answer rate of the last 2 hours, abandon rate of the last 30 days, average handle seconds)."""
    calls = Call.objects.filter(campaign_id=queue.campaign.pk)
    recent = calls.filter(created_at__gte=at - dt.timedelta(hours=2), outcome__gt="").aggregate(
        dialed=Count("id", filter=~Q(outcome=CallOutcome.CANCELED)),
        answered=Count("id", filter=Q(outcome__in=[CallOutcome.ANSWERED, CallOutcome.ABANDONED])),
    )
    month = calls.filter(created_at__gte=at - dt.timedelta(days=30)).aggregate(
        answered=Count("id", filter=Q(outcome__in=[CallOutcome.ANSWERED, CallOutcome.ABANDONED])),
        abandoned=Count("id", filter=Q(outcome=CallOutcome.ABANDONED)),
        handle=Avg("talk_time", filter=Q(outcome=CallOutcome.ANSWERED, talk_time__gt=0)),
    )
    answer_rate = recent["answered"] / recent["dialed"] if recent["dialed"] >= MIN_SAMPLE else None
    abandon_rate = month["abandoned"] / month["answered"] if month["answered"] else None
    return answer_rate, abandon_rate, float(month["handle"] or DEFAULT_HANDLE_SECONDS)


def pace(queue: DialQueue, at: dt.datetime) -> Pacing:
    """The lines a human-agent queue may dial now."""
    agents = available_agents(queue, at)
    live = Call.objects.filter(campaign_id=queue.campaign.pk, status__in=LIVE)
    unanswered = live.exclude(status=CallStatus.IN_PROGRESS).count()
    if queue.pacing == PacingMode.PREVIEW:
        waiting = live.filter(status=CallStatus.QUEUED, agent__isnull=False).values_list("agent_id", flat=True)
        free = [agent for agent in agents if agent.pk not in set(waiting)]
        return Pacing(lines=len(free), reason="" if free else "no agent available", free_agents=len(free))
    if queue.pacing == PacingMode.PROGRESSIVE or (not agents and not live.exists()):
        lines = max(0, len(agents) - unanswered)
        return Pacing(lines=lines, reason="" if lines else ("no agent available" if not agents else "lines ringing"),
                      free_agents=len(agents))  # fmt: skip
    answer_rate, abandon_rate, handle = _rates(queue, at)
    talking = live.filter(status=CallStatus.IN_PROGRESS, answered_at__isnull=False,
                          answered_at__lte=at - dt.timedelta(seconds=handle * 0.8)).count()  # fmt: skip
    lines, ratio = predictive_lines(
        free=len(agents), soon_free=talking * 0.5, unanswered=unanswered,
        answer_rate=answer_rate if answer_rate is not None else DEFAULT_ANSWER_RATE,
        abandon_rate=abandon_rate or 0.0, max_abandon_rate=float(queue.campaign.max_abandon_rate) / 100,
        max_ratio=float(queue.campaign.max_dial_ratio),
    )  # fmt: skip
    reason = "" if lines else ("no agent available" if not agents else "enough lines ringing for the free agents")
    return Pacing(lines=lines, reason=reason, free_agents=len(agents), ratio=round(ratio, 2), answer_rate=answer_rate,
                  abandon_rate=abandon_rate)  # fmt: skip
