"""A warm transfer through the simulator, end to end with real processes (uvicorn serving the
webhooks, a Celery worker): the simulated person (the interested persona) talks with the AI agent
and books the demo, the AI says it is connecting them and the lead waits in the call's conference,
the campaign's agent is claimed and their simulated softphone rings, hears the AI's summary
whispered, joins, talks and hangs up. The same webhook path as over Twilio."""

import pytest

from apps.agents.models import Agent
from apps.calls.choices import CallOutcome, CallStatus, EventKind
from apps.calls.compliance import RuleBook
from apps.calls.demo import PEOPLE
from apps.calls.models import Call, CallEvent
from apps.calls.tasks import dialer_tick
from apps.calls.tests import factories as f
from apps.calls.tests.processes import free_port, processes, wait_for
from apps.calls.tests.test_dialer_processes import _env, _finished
from apps.core import clock
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_ai_puts_an_interested_lead_through_to_the_campaigns_agent(acme):
    group, [agent] = f.human_agents(acme, 1)
    campaign = f.campaign(acme, group=group, name="Spring", client_service="missed-call text-back",
                          success_criteria="Book a demo.")  # fmt: skip
    rules, now = RuleBook.for_tenant(acme.pk), clock.now()
    lead = next(lead for n, (first, last, pattern) in enumerate(PEOPLE)
                if rules.lead_verdict(lead := f.lead(acme, pattern.format(900 + n), first_name=first,
                                                     last_name=last), now)[0])  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(campaign=campaign)
    port = free_port()
    env = _env(port, SIMULATOR_ODDS="answer=1", SIMULATOR_PERSONAS="interested=1", SIMULATOR_AGENT_ANSWER_RATE=1)
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="transfer", concurrency=4)
        dialer_tick.delay()
        wait_for(_finished(campaign, 1), timeout=120, message="the call transferred, talked through and finished")
        pending = CallEvent.objects.filter(call__campaign=campaign, processed_at__isnull=True)
        wait_for(lambda: not pending.exists(), timeout=30, message="the callbacks after the end")

    call = Call.objects.get(campaign=campaign)
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ANSWERED, "interested")
    meta = call.metadata
    assert meta["transfer"]["reason"] == "success_criteria" and meta["transfer"]["agent_id"] == str(agent.pk)
    assert "wants to book a demo" in meta["transfer"]["whisper"]
    assert call.agent_id == agent.pk and call.conference_sid.startswith("CF")
    assert {"agent_answered_at", "agent_joined_at", "agent_left_at", "lead_joined_at", "conference_ended_at"} <= (
        set(meta)), meta  # fmt: skip
    assert call.transcript[-1]["action"] == "transfer" and "connecting you" in call.transcript[-1]["text"]
    joins = {e.payload["CallSid"] for e in call.events.filter(kind=EventKind.CONFERENCE,
                                                               provider_status="participant-join")}  # fmt: skip
    assert joins == {call.call_sid, meta["agent_leg_sid"]}
    assert call.events.filter(kind=EventKind.ACTION, note__startswith="warm transfer").count() == 1
    assert call.talk_time and call.talk_time == int((call.ended_at - call.answered_at).total_seconds())
    assert Agent.objects.get(pk=agent.pk).current_calls == 0
