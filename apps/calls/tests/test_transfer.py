"""Warm transfer from the AI voice app, over Twilio through our webhooks (signed callbacks), the
drain and the real twilio SDK against the local fake of Twilio's REST API: the person asks for a
human (or agrees to the campaign's next step), the AI says it is connecting them, the turn's TwiML
puts them into the call's conference, an available agent of the campaign's team is claimed and rung
with the AI's summary as the whisper, and the call ends as a human-mode call does. With nobody free
the AI books a colleague's callback instead; with nobody answering, the person is told so and the
callback is booked."""

import xml.etree.ElementTree as ET

import pytest

from apps.agents.models import Agent, Presence
from apps.calls.choices import CallOutcome, CallStatus, EventKind
from apps.calls.events import drain
from apps.calls.models import Call, CallEvent
from apps.calls.telephony.base import callback_urls, public_url
from apps.calls.telephony.twilio import TwilioProvider
from apps.calls.tests import factories as f
from apps.calls.tests.fake_twilio import post_callback
from apps.calls.tests.test_conference import Story, _load, _params
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead
from apps.voice.choices import EndReason
from apps.voice.models import Conversation


@pytest.fixture
def twilio(twilio_fake, settings):
    settings.TELEPHONY_PROVIDER = "twilio"
    settings.VOICE_BRAIN = "scripted"
    settings.LLM_BASE_URL = ""
    return twilio_fake


@pytest.fixture
def ai_story(client, acme, twilio):
    """An answered call of Acme's AI campaign "Spring" (agent Ava, success: a booked demo), whose team
    is `agents` human agents (none: the campaign has no group)."""

    def make(agents: int = 1, *, status: str = Presence.AVAILABLE) -> Story:
        group, people = f.human_agents(acme, agents, status=status) if agents else (None, [])
        campaign = f.campaign(acme, name="Spring", group=group, client_service="missed-call text-back",
                              success_criteria="Book a demo.", agent=f.ai_agent(acme, name="Ava"))  # fmt: skip
        lead = f.lead(acme, "+12125550101", campaign=campaign, first_name="Pat", last_name="Lee",
                      company="Lee Plumbing")  # fmt: skip
        Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CALLING)
        call = f.call(lead, status=CallStatus.RINGING, provider="twilio", agent=campaign.ai_agent)
        sid = TwilioProvider().originate(call, machine_detection=False, record=False, timeout=30).sid
        Call.objects.filter(pk=call.pk).update(call_sid=sid)
        call.refresh_from_db()
        twilio.set_call(sid, status="in-progress")
        story = Story(client, twilio, call, people)
        root = story.answer()
        assert [verb.tag for verb in root] == ["Redirect"]  # to the voice app
        return story

    return make


def _say(story: Story, speech: str = "") -> ET.Element:
    url = public_url("webhooks:twilio-voice", callId=str(story.call.pk), tenantId=str(story.call.tenant_id))
    params = _params(story.call.call_sid, CallStatus="in-progress")
    if speech:
        params.update(SpeechResult=speech, Confidence="0.92")
    response = post_callback(story.client, url, params)
    assert response.status_code == 200
    return ET.fromstring(response.content)  # noqa: S314 - our own answer


def _verbs(root: ET.Element) -> list[str]:
    return [verb.tag for verb in root]


def _rings(callbacks) -> list:
    return [callback for callback in callbacks if "dial_agent_leg" in repr(getattr(callback, "__code__", ""))
            or "agent_ring" in getattr(callback, "__qualname__", "")]  # fmt: skip


def test_a_request_for_a_person_puts_the_lead_through_to_a_free_agent(ai_story, twilio, client,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    s = ai_story()
    [agent] = s.agents
    ava = s.call.agent
    _say(s)  # the greeting

    with django_capture_on_commit_callbacks() as callbacks:
        root = _say(s, "Honestly it sounds too expensive. Can I speak to a real person please?")

    # The AI says so, and the lead goes into the call's conference, as in human mode.
    assert _verbs(root) == ["Say", "Dial"] and "connecting you now" in root[0].text
    [conference] = list(root[1])
    assert (conference.tag, conference.text) == ("Conference", f"call_{s.call.pk}")
    assert conference.get("statusCallback") == callback_urls(s.call)["conference"]
    assert conference.get("statusCallbackEvent") == "start end join leave"
    assert conference.get("endConferenceOnExit") == "true"
    assert len(_rings(callbacks)) == 1
    # The agent is claimed (their load counted) and the call is theirs now; the transfer is on record.
    call = s.refresh()
    assert call.agent_id == agent.pk and _load(agent) == [(1, Presence.AVAILABLE)]
    transfer = call.metadata["transfer"]
    assert call.metadata["agent_connected"] is True
    assert {k: transfer[k] for k in ("reason", "status", "agent_id", "ai_agent_id")} == {
        "reason": "human_request",
        "status": "ringing",
        "agent_id": str(agent.pk),
        "ai_agent_id": str(ava.pk),
    }
    assert CallEvent.objects.filter(call=call, kind=EventKind.ACTION, note__startswith="warm transfer").count() == 1
    conv = Conversation.objects.get(call=call)
    assert conv.end_reason == EndReason.TRANSFER and conv.is_over and conv.objections == ["price"]
    assert call.analysis["summary"]["end_reason"] == "transfer"
    assert [turn["speaker"] for turn in call.transcript] == ["agent", "customer", "agent"]

    # The agent's softphone rings; their leg's whisper is the AI's summary, then the same conference.
    leg = s.ring()
    [sent] = [r for r in twilio.creates() if r.get("To") == f"client:agent-{agent.pk}"]
    whisper = ET.fromstring(post_callback(client, sent.get("Url"), _params(leg, CallStatus="in-progress")).content)  # noqa: S314
    assert _verbs(whisper) == ["Say", "Dial"]
    assert whisper[0].text == ('Transfer from the AI assistant. Pat Lee of Lee Plumbing asked to speak with a '
                               'person. They said: "Honestly it sounds too expensive. Can I speak to a real person '
                               'please?". Objections raised: price.')  # fmt: skip
    assert whisper[1][0].text == f"call_{s.call.pk}"

    # They talk; the agent hangs up; the call ends as a human-mode call does.
    s.leg(leg, "in-progress")
    s.conference_event("conference-start")
    s.conference_event("participant-join", s.call.call_sid)
    s.conference_event("participant-join", leg)
    drain()
    assert {"agent_answered_at", "agent_joined_at", "lead_joined_at"} <= set(s.refresh().metadata)
    s.conference_event("participant-leave", leg, EndConferenceOnExit="true")
    s.conference_event("participant-leave", s.call.call_sid)
    s.conference_event("conference-end", CallSidEndingConference=leg)
    s.leg(leg, "completed")
    s.lead_status("completed", CallDuration="95")
    drain()

    call = s.refresh()
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ANSWERED, "answered")
    assert call.agent_id == agent.pk and call.finalized_at is not None
    assert call.talk_time == int((call.ended_at - call.answered_at).total_seconds())
    assert _load(agent) == [(0, Presence.AVAILABLE)]  # released once, by the call's end
    assert Lead.objects.get(pk=call.lead_id).status == LeadStatus.DONE


def test_the_success_criteria_met_transfers_with_what_the_lead_wants_in_the_whisper(ai_story, client, twilio):
    s = ai_story()
    [agent] = s.agents
    _say(s)
    _say(s, "Yes, I have a minute.")

    root = _say(s, "Sure, let's book a demo.")

    assert _verbs(root) == ["Say", "Dial"] and "connecting you now" in root[0].text
    call = s.refresh()
    assert call.agent_id == agent.pk and call.metadata["transfer"]["reason"] == "success_criteria"
    assert call.disposition == "interested"  # the AI's word until the agent gives theirs
    leg = s.ring()
    [sent] = [r for r in twilio.creates() if r.get("To") == f"client:agent-{agent.pk}"]
    whisper = ET.fromstring(post_callback(client, sent.get("Url"), _params(leg, CallStatus="in-progress")).content)  # noqa: S314
    text = whisper[0].text
    assert "Pat Lee of Lee Plumbing wants to book a demo." in text and "Interested in a demo." in text
    assert text.endswith("No objections raised.")


def test_twilio_asking_twice_for_the_transfer_turn_claims_nobody_twice(ai_story):
    s = ai_story(agents=2)
    _say(s)
    first = _say(s, "Can I talk to a human?")

    again = _say(s, "Can I talk to a human?")  # the same turn delivered again

    assert _verbs(first) == _verbs(again) == ["Say", "Dial"]
    assert sorted(a.current_calls for a in Agent.objects.filter(pk__in=[a.pk for a in s.agents])) == [0, 1]


@pytest.mark.parametrize("agents", [0, 2], ids=["no team", "nobody free"])
def test_with_nobody_to_take_it_the_ai_books_a_colleagues_callback(ai_story, agents):
    s = ai_story(agents=agents, status=Presence.BREAK)
    _say(s)

    root = _say(s, "Can I speak to a real person please?")

    assert _verbs(root) == ["Gather", "Redirect"]  # still the AI, asking when
    asked = root[0].find("Say").text
    assert asked.endswith(("call you back?", "call you?"))
    call = s.refresh()
    assert call.agent.is_ai and "agent_connected" not in call.metadata
    if agents:
        assert "all of my colleagues are busy" in asked
        assert call.metadata["transfer"]["status"] == "no_agent_free"
        assert CallEvent.objects.filter(call=call, note__contains="no agent free").exists()
    else:
        assert "transfer" not in call.metadata

    root = _say(s, "Tomorrow at 3pm")

    assert _verbs(root) == ["Say", "Hangup"] and "colleagues will call you back tomorrow at 3 PM" in root[0].text
    s.lead_status("completed", CallDuration="40")
    drain()
    call = s.refresh()
    assert (call.outcome, call.disposition) == (CallOutcome.ANSWERED, "callback_requested")
    lead = Lead.objects.get(pk=call.lead_id)
    assert lead.status == LeadStatus.SCHEDULED and lead.next_call_at == call.callback_at is not None


def test_a_transfer_nobody_answers_ends_with_a_callback_not_an_abandon(ai_story, twilio):
    s = ai_story(agents=1)
    [agent] = s.agents
    _say(s)
    _say(s, "Can I speak to a real person please?")
    s.leg(s.ring(), "no-answer")
    twilio.requests.clear()

    drain()

    call = s.refresh()
    assert call.agent_id is None and call.metadata["transfer"]["status"] == "no_agent_answered"
    assert call.disposition == "callback_requested" and call.callback_at is not None
    [redirect] = twilio.received("POST", f"/Calls/{call.call_sid}.json")
    root = ET.fromstring(redirect.get("Twiml"))  # noqa: S314
    assert [verb.tag for verb in root] == ["Say", "Hangup"] and "will call you back tomorrow" in root[0].text
    assert _load(agent) == [(0, Presence.BREAK)]
    s.conference_event("participant-leave", call.call_sid)
    s.conference_event("conference-end")
    s.lead_status("completed", CallDuration="60")
    drain()
    call = s.refresh()
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ANSWERED,
                                                              "callback_requested")  # fmt: skip
    assert Lead.objects.get(pk=call.lead_id).next_call_at == call.callback_at
