"""Human-mode calls through the simulator, end to end with real processes (uvicorn serving the
webhooks, a Celery worker): the lead answers and waits in the conference, the simulated softphone of
the agent who took the call rings, hears the whisper, joins, talks and hangs up, and the simulator
sends the conference callbacks Twilio would (every participant's join and leave, the start, the end).
With softphones that never answer, each agent is released and put on a break, the next one rung,
and the lead finally hears the abandon message. The same code path as over Twilio."""

import pytest

from apps.agents.models import Agent, Presence
from apps.calls.choices import CallOutcome, CallStatus, EventKind
from apps.calls.compliance import RuleBook
from apps.calls.demo import PEOPLE
from apps.calls.models import Call, CallEvent
from apps.calls.tasks import dialer_tick
from apps.calls.tests import factories as f
from apps.calls.tests.processes import free_port, processes, wait_for
from apps.calls.tests.test_dialer_processes import _env, _finished
from apps.campaigns.models import PacingMode
from apps.core import clock
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)


def _campaign_with_people_in_their_daytime(tenant, count: int, **values):
    """A progressive campaign of `count` leads who may be called now (somewhere in the world it is day)."""
    group, agents = f.human_agents(tenant, values.pop("agents", 2))
    campaign = f.campaign(tenant, pacing=PacingMode.PROGRESSIVE, group=group, name="Q1 Outreach", **values)
    rules, now, chosen = RuleBook.for_tenant(tenant.pk), clock.now(), []
    for n, (first, last, pattern) in enumerate(PEOPLE):
        lead = f.lead(tenant, pattern.format(900 + n), first_name=first, last_name=last)
        if len(chosen) < count and rules.lead_verdict(lead, now)[0]:
            chosen.append(lead)
    Lead.objects.filter(pk__in=[lead.pk for lead in chosen]).update(campaign=campaign)
    assert len(chosen) == count, "nowhere is it day?"
    return campaign, agents


def test_the_agent_joins_the_leads_conference_talks_and_hangs_up(acme):
    campaign, agents = _campaign_with_people_in_their_daytime(acme, 2)
    port = free_port()
    env = _env(port, SIMULATOR_ODDS="answer=1")
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="human", concurrency=4)
        dialer_tick.delay()
        wait_for(_finished(campaign, 2), timeout=90, message="both calls talked through and finished")
        pending = CallEvent.objects.filter(call__campaign=campaign, processed_at__isnull=True)
        wait_for(lambda: not pending.exists(), timeout=30, message="the callbacks after the end (recordings)")

    for call in Call.objects.filter(campaign=campaign):
        assert (call.status, call.outcome) == (CallStatus.COMPLETED, CallOutcome.ANSWERED)
        assert call.agent_id in {agent.pk for agent in agents} and call.conference_sid.startswith("CF")
        meta = call.metadata
        assert {"agent_answered_at", "agent_joined_at", "agent_left_at", "lead_joined_at", "conference_ended_at"} <= (
            set(meta)), meta  # fmt: skip
        assert meta["conference_end_reason"] == "participant-with-end-conference-on-exit-left"
        assert meta["agent_joined_at"] <= meta["agent_left_at"] <= meta["conference_ended_at"]
        joins = {e.payload["CallSid"] for e in call.events.filter(kind=EventKind.CONFERENCE,
                                                                   provider_status="participant-join")}  # fmt: skip
        assert joins == {call.call_sid, meta["agent_leg_sid"]}  # the lead's leg and the agent's
        legs = set(call.events.filter(kind=EventKind.AGENT).values_list("provider_status", flat=True))
        assert {"initiated", "ringing", "in-progress", "completed"} <= legs
    assert sorted(Agent.objects.filter(pk__in=[a.pk for a in agents]).values_list("current_calls", flat=True)) == [0, 0]


def test_softphones_that_never_answer_end_in_the_abandon_message(acme):
    campaign, agents = _campaign_with_people_in_their_daytime(acme, 1, agents=2)
    port = free_port()
    env = _env(port, SIMULATOR_ODDS="answer=1", SIMULATOR_AGENT_ANSWER_RATE=0)
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="ring-out", concurrency=4)
        dialer_tick.delay()
        wait_for(_finished(campaign, 1), timeout=90, message="the call abandoned and finished")

    call = Call.objects.get(campaign=campaign)
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ABANDONED, "abandoned")
    assert call.agent_id is None and sorted(call.metadata["agents_tried"]) == sorted(str(a.pk) for a in agents)
    rang_out = call.events.filter(kind=EventKind.AGENT, provider_status="no-answer")
    assert rang_out.count() == 2
    for agent in Agent.objects.filter(pk__in=[a.pk for a in agents]):
        assert (agent.current_calls, agent.status) == (0, Presence.BREAK)
    assert "agent_joined_at" not in call.metadata and "lead_hangup_due" not in call.metadata
