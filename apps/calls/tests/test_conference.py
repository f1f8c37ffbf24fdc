"""A human-mode call over Twilio, end to end through our webhooks, the drain and the real twilio SDK
talking to the local fake of Twilio's REST API: the lead answers and waits in the conference, the
chosen agent's softphone is rung (with a status callback of its own), the conference callbacks keep
the call in step (the agent joins, the agent hangs up and the call ends), and an agent who does not
answer is released for the next agent, or the abandon message."""

import secrets
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.agents.models import Agent, Presence
from apps.calls.choices import CallOutcome, CallStatus, EventKind
from apps.calls.events import drain
from apps.calls.models import Call, CallEvent
from apps.calls.tasks import dial_agent_leg, end_call_if_live
from apps.calls.telephony.base import agent_status_url, callback_urls, public_url
from apps.calls.telephony.twilio import TwilioProvider
from apps.calls.tests import factories as f
from apps.calls.tests.conftest import TWILIO_PLATFORM_SID
from apps.calls.tests.fake_twilio import UNSIGNED, post_callback
from apps.campaigns.models import PacingMode
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead


@pytest.fixture
def twilio(twilio_fake, settings):
    settings.TELEPHONY_PROVIDER = "twilio"
    return twilio_fake


def _params(sid: str, **values) -> dict[str, str]:
    return {"AccountSid": TWILIO_PLATFORM_SID, "ApiVersion": "2010-04-01", "CallSid": sid, **values}


class Story:
    """One answered lead of a progressive campaign (Twilio has the lead's call, in progress), and the
    callbacks Twilio would send about it."""

    def __init__(self, client, twilio, call: Call, agents: list[Agent]):
        self.client, self.twilio, self.call, self.agents = client, twilio, call, agents
        self.conference = ""
        self.sequence = 0

    def refresh(self) -> Call:
        self.call.refresh_from_db()
        return self.call

    def answer(self) -> ET.Element:
        response = post_callback(self.client, callback_urls(self.call)["answer"],
                                 _params(self.call.call_sid, CallStatus="in-progress"))  # fmt: skip
        assert response.status_code == 200
        return ET.fromstring(response.content)  # noqa: S314 - our own answer

    def ring(self) -> str:
        """The worker rings the agent the call has now; the leg's sid."""
        agent_id = str(self.refresh().agent_id)
        assert dial_agent_leg(str(self.call.pk), agent_id) == "ringing"
        return self.refresh().metadata["agent_leg_sid"]

    def leg(self, sid: str, status: str, agent: Agent | None = None) -> None:
        """A status callback of an agent's leg (the current agent's unless told)."""
        agent = agent or self.refresh().agent
        self.sequence += 1
        url = agent_status_url(self.call, agent)
        params = _params(sid, CallStatus=status, SequenceNumber=str(self.sequence), To=f"client:agent-{agent.pk}")
        assert post_callback(self.client, url, params).status_code == 204

    def conference_event(self, event: str, sid: str = "", **extra) -> None:
        if not self.conference:
            self.conference = self.twilio.add_conference(TWILIO_PLATFORM_SID, friendly_name=f"call_{self.call.pk}",
                                                         participants=[self.call.call_sid])  # fmt: skip
        self.sequence += 1
        params = {"AccountSid": TWILIO_PLATFORM_SID, "ConferenceSid": self.conference, "StatusCallbackEvent": event,
                  "FriendlyName": f"call_{self.call.pk}", "SequenceNumber": str(self.sequence), **extra}  # fmt: skip
        if sid:
            params["CallSid"] = sid
        assert post_callback(self.client, callback_urls(self.call)["conference"], params).status_code == 204

    def lead_status(self, status: str, **extra) -> None:
        self.sequence += 1
        params = _params(self.call.call_sid, CallStatus=status, SequenceNumber=str(self.sequence), **extra)
        assert post_callback(self.client, callback_urls(self.call)["status"], params).status_code == 204


@pytest.fixture
def story(client, acme, twilio):
    def make(agents: int = 2, **campaign_values) -> Story:
        group, people = f.human_agents(acme, agents)
        campaign = f.campaign(acme, pacing=PacingMode.PROGRESSIVE, group=group, name="Q1 Outreach", **campaign_values)
        lead = f.lead(acme, "+12125550101", campaign=campaign, first_name="John", last_name="Doe")
        Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CALLING)
        call = f.call(lead, status=CallStatus.RINGING, provider="twilio")
        sid = TwilioProvider().originate(call, machine_detection=False, record=False, timeout=30).sid
        Call.objects.filter(pk=call.pk).update(call_sid=sid)
        call.refresh_from_db()
        twilio.set_call(sid, status="in-progress")
        return Story(client, twilio, call, people)

    return make


def _load(*agents: Agent) -> list[tuple[int, str]]:
    return [tuple(Agent.objects.filter(pk=a.pk).values_list("current_calls", "status").get()) for a in agents]


# The agent's leg ---------------------------------------------------------------------------------------
def test_the_agents_leg_rings_their_softphone_with_a_status_callback_of_its_own(story, twilio, settings):
    s = story()
    s.answer()
    agent = s.refresh().agent

    leg = s.ring()

    [sent] = [r for r in twilio.creates() if r.get("To") == f"client:agent-{agent.pk}"]
    assert sent.get("StatusCallback") == agent_status_url(s.call, agent) and sent.get("StatusCallbackMethod") == "POST"
    assert sent.getlist("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    assert sent.get("Timeout") == str(settings.DIALER_AGENT_RING_SECONDS)
    answer = parse_qs(urlsplit(sent.get("Url")).query)
    assert answer["agentId"] == [str(agent.pk)] and answer["leadName"] == ["John Doe"]
    assert answer["campaign"] == ["Q1 Outreach"] and answer["conferenceName"] == [f"call_{s.call.pk}"]
    assert leg in twilio.calls and s.call.metadata["agent_leg_agent"] == str(agent.pk)


def test_a_leg_dialed_twice_rings_once(story, twilio):
    s = story()
    s.answer()
    s.ring()

    assert dial_agent_leg(str(s.call.pk), str(s.call.agent_id)) == "not ringing"
    assert len([r for r in twilio.creates() if r.get("To", "").startswith("client:")]) == 1


def test_the_agents_leg_whispers_then_joins_with_the_conferences_callbacks(story, client):
    s = story()
    s.answer()
    agent = s.refresh().agent
    s.ring()
    [url] = [r.get("Url") for r in s.twilio.creates() if r.get("To") == f"client:agent-{agent.pk}"]

    root = ET.fromstring(post_callback(client, url, _params(s.call.metadata["agent_leg_sid"])).content)  # noqa: S314

    assert [verb.tag for verb in root] == ["Say", "Dial"] and root[0].text == "Lead John Doe, campaign Q1 Outreach"
    conference = root[1][0]
    assert conference.text == f"call_{s.call.pk}" and conference.get("endConferenceOnExit") == "true"
    assert conference.get("statusCallback") == callback_urls(s.call)["conference"]


@pytest.mark.parametrize("gone", ["ended", "another_agent"])
def test_an_agent_answering_a_lead_who_is_gone_hears_so(story, client, gone):
    s = story()
    s.answer()
    agent = s.refresh().agent
    s.ring()
    [url] = [r.get("Url") for r in s.twilio.creates() if r.get("To") == f"client:agent-{agent.pk}"]
    if gone == "ended":
        Call.objects.filter(pk=s.call.pk).update(status=CallStatus.COMPLETED)
    else:
        Call.objects.filter(pk=s.call.pk).update(agent=s.agents[1] if agent == s.agents[0] else s.agents[0])

    root = ET.fromstring(post_callback(client, url, _params("CA" + "9" * 32)).content)  # noqa: S314

    assert [verb.tag for verb in root] == ["Say", "Hangup"] and root[0].text == "The lead has hung up."


# The call, end to end ------------------------------------------------------------------------------
def test_the_agent_joins_talks_and_hanging_up_ends_the_call(story, twilio, django_capture_on_commit_callbacks):
    s = story()
    s.answer()
    agent = s.refresh().agent
    leg = s.ring()
    s.leg(leg, "ringing")
    s.leg(leg, "in-progress")
    s.conference_event("conference-start")
    s.conference_event("participant-join", s.call.call_sid)
    s.conference_event("participant-join", leg)
    drain()
    call = s.refresh()
    assert call.conference_sid == s.conference and call.status == CallStatus.IN_PROGRESS
    meta = call.metadata
    assert {"agent_answered_at", "agent_joined_at", "lead_joined_at", "conference_started_at"} <= set(meta)
    assert _load(agent) == [(1, Presence.AVAILABLE)]

    # The agent hangs up: their leg leaves, the conference ends, Twilio ends the lead's call.
    s.conference_event("participant-leave", leg, EndConferenceOnExit="true")
    s.conference_event("participant-leave", s.call.call_sid)
    s.conference_event("conference-end", CallSidEndingConference=leg,
                       ReasonConferenceEnded="participant-with-end-conference-on-exit-left")  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        drain()
    meta = s.refresh().metadata
    assert meta["agent_left_at"] and meta["lead_left_at"] and meta["conference_ended_at"]
    assert meta["conference_end_reason"] == "participant-with-end-conference-on-exit-left"
    assert meta["lead_hangup_due"] and len([c for c in callbacks if "_after_grace" in c.__qualname__]) == 1
    s.leg(leg, "completed")
    s.lead_status("completed", CallDuration="95")
    drain()

    call = s.refresh()
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ANSWERED, "answered")
    assert call.finalized_at is not None and call.agent_id == agent.pk
    assert _load(agent) == [(0, Presence.AVAILABLE)]  # released once, by the call's end
    twilio.requests.clear()
    assert end_call_if_live(str(call.pk)) == "ended" and twilio.received() == []  # Twilio had hung up the lead
    conference_events = list(CallEvent.objects.filter(call=call, kind=EventKind.CONFERENCE).values_list(
        "provider_status", flat=True))  # fmt: skip
    assert conference_events == ["conference-start", "participant-join", "participant-join", "participant-leave",
                                 "participant-leave", "conference-end"]  # fmt: skip


def test_a_lead_still_live_after_the_agent_left_is_hung_up(story, twilio):
    s = story()
    s.answer()
    leg = s.ring()
    s.conference_event("participant-join", leg)
    s.conference_event("participant-leave", leg)
    drain()
    twilio.requests.clear()

    assert end_call_if_live(str(s.call.pk)) == "hung up"

    [hangup] = twilio.received("POST", f"/Calls/{s.call.call_sid}.json")
    assert hangup.form == {"Status": ["completed"]} and twilio.calls[s.call.call_sid]["status"] == "completed"
    assert CallEvent.objects.filter(call=s.call, kind=EventKind.ACTION, note__contains="conference had ended").exists()


# An agent who does not answer -------------------------------------------------------------------------
def test_an_agent_whose_softphone_rings_out_is_released_and_the_next_agent_rung(story, twilio):
    s = story(agents=2)
    s.answer()
    first = s.refresh().agent
    second = next(agent for agent in s.agents if agent != first)
    leg = s.ring()
    s.leg(leg, "ringing")

    s.leg(leg, "no-answer")
    drain()

    call = s.refresh()
    assert call.agent_id == second.pk and call.status == CallStatus.IN_PROGRESS and not call.outcome
    assert call.metadata["agents_tried"] == [str(first.pk)] and call.metadata["agent_lost"] == "no-answer"
    assert call.metadata["agent_connected"] is True and call.metadata["agent_leg_sid"] == ""
    assert _load(first, second) == [(0, Presence.BREAK), (1, Presence.AVAILABLE)]  # ring-no-answer: a break
    second_leg = s.ring()
    assert second_leg != leg and twilio.creates()[-1].get("To") == f"client:agent-{second.pk}"


@pytest.mark.parametrize("status", ["busy", "failed", "canceled"])
def test_a_leg_that_fails_otherwise_releases_the_agent_without_a_break(story, status):
    s = story(agents=2)
    s.answer()
    first = s.refresh().agent
    s.leg(s.ring(), status)
    drain()

    assert _load(first) == [(0, Presence.AVAILABLE)]
    assert s.refresh().agent_id not in (None, first.pk)


def test_an_agent_who_answers_but_never_joins_counts_as_not_answering(story):
    s = story(agents=2)
    s.answer()
    first = s.refresh().agent
    leg = s.ring()
    s.leg(leg, "in-progress")
    s.leg(leg, "completed")
    drain()

    assert s.refresh().agent_id not in (None, first.pk)
    assert s.call.metadata["agent_lost"] == "completed"


def test_with_nobody_left_to_ring_the_lead_hears_the_abandon_message(story, twilio):
    s = story(agents=1)
    s.answer()
    agent = s.refresh().agent
    s.leg(s.ring(), "no-answer")
    twilio.requests.clear()

    drain()

    call = s.refresh()
    assert call.outcome == CallOutcome.ABANDONED and call.agent_id is None
    assert call.metadata["agent_connected"] is False and call.metadata["agents_tried"] == [str(agent.pk)]
    [redirect] = twilio.received("POST", f"/Calls/{call.call_sid}.json")
    root = ET.fromstring(redirect.get("Twiml"))  # noqa: S314
    assert [verb.tag for verb in root] == ["Gather", "Hangup"] and "press 9" in root[0][0].text
    assert _load(agent) == [(0, Presence.BREAK)]
    s.conference_event("participant-leave", call.call_sid)  # the new TwiML takes the lead out of the conference
    s.conference_event("conference-end")
    s.lead_status("completed", CallDuration="30")
    drain()
    call = s.refresh()
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ABANDONED, "abandoned")
    assert "lead_hangup_due" not in call.metadata  # the message plays to its end
    assert _load(agent) == [(0, Presence.BREAK)]  # not released twice


def test_after_three_agents_the_lead_hears_the_abandon_message(story):
    s = story(agents=4)
    s.answer()
    for _ in range(3):
        s.leg(s.ring(), "busy")
        drain()

    call = s.refresh()
    assert call.outcome == CallOutcome.ABANDONED and len(call.metadata["agents_tried"]) == 3
    assert sorted(current for current, _ in _load(*s.agents)) == [0, 0, 0, 0]


def test_a_failed_dial_of_the_agents_leg_rings_the_next_agent(story, twilio):
    s = story(agents=2)
    s.answer()
    first = s.refresh().agent
    twilio.fail_next(500)

    assert dial_agent_leg(str(s.call.pk), str(first.pk)) == "failed"

    call = s.refresh()
    assert call.agent_id not in (None, first.pk) and call.metadata["agent_lost"] == "failed"
    assert _load(first) == [(0, Presence.AVAILABLE)]


def test_a_late_callback_of_an_earlier_agents_leg_changes_nothing(story):
    s = story(agents=3)
    s.answer()
    first = s.refresh().agent
    first_leg = s.ring()
    s.leg(first_leg, "no-answer")
    drain()
    second = s.refresh().agent
    s.ring()

    s.leg(first_leg, "completed", agent=first)
    drain()

    assert s.refresh().agent_id == second.pk and s.call.metadata["agents_tried"] == [str(first.pk)]
    late = CallEvent.objects.filter(call=s.call, kind=EventKind.AGENT).order_by("-created_at").first()
    assert late.applied is False and late.note == "not the leg ringing now"


def test_the_lead_hanging_up_before_the_agent_joins_stops_their_softphone(story, twilio):
    s = story(agents=2)
    s.answer()
    leg = s.ring()
    s.conference_event("participant-join", s.call.call_sid)
    twilio.requests.clear()

    s.conference_event("participant-leave", s.call.call_sid)
    s.conference_event("conference-end", ReasonConferenceEnded="last-participant-left")
    drain()

    [stop] = twilio.received("POST", f"/Calls/{leg}.json")
    assert stop.form == {"Status": ["completed"]}
    s.leg(leg, "canceled")  # what Twilio then says of the leg
    drain()
    call = s.refresh()
    assert len(twilio.creates()) == 0 and "agents_tried" not in call.metadata  # nobody else is rung


# The agent-status webhook -------------------------------------------------------------------------------
def test_the_agent_status_webhook_is_verified_and_stores_each_callback_once(story, client):
    s = story()
    s.answer()
    leg = s.ring()
    url = agent_status_url(s.call, s.call.agent)
    params = _params(leg, CallStatus="ringing", SequenceNumber="1")

    assert post_callback(client, url, params, signature=UNSIGNED).status_code == 403
    assert post_callback(client, url, params, token="not-the-token").status_code == 403
    assert not CallEvent.objects.filter(call=s.call, kind=EventKind.AGENT).exists()
    for _ in range(2):
        assert post_callback(client, url, params).status_code == 204

    [event] = CallEvent.objects.filter(call=s.call, kind=EventKind.AGENT)
    assert event.provider_status == "ringing" and event.payload["agent_id"] == str(s.call.agent_id)


def test_the_agent_status_webhook_knows_only_the_tenants_calls(story, client, acme):
    s = story()
    unknown = public_url("webhooks:twilio-agent-status", callId="7c1b1f4e-7f0a-4a56-9d1b-3a2b0c9d8e7f",
                         tenantId=str(acme.pk), agentId=str(s.agents[0].pk))  # fmt: skip

    assert (
        post_callback(client, unknown, _params("CA" + secrets.token_hex(16), CallStatus="ringing")).status_code == 404
    )
    assert post_callback(client, public_url("webhooks:twilio-agent-status"), _params("CA1")).status_code == 400
