"""Scripted conversations, one per persona (issue 7), through the engine's text mode: the path of
states, the summary, and what the call leaves on its lead (the dialer's next step included, through
the same finalize a phone call goes through). Then the same engine over the Twilio turn webhook."""

import datetime as dt
import secrets

import pytest

from apps.calls.choices import CallStatus
from apps.calls.events import drain
from apps.calls.models import Call
from apps.calls.telephony import personas
from apps.calls.telephony.base import callback_urls, public_url
from apps.calls.tests import factories as f
from apps.calls.tests.fake_twilio import post_callback
from apps.leads.choices import ActivityType, LeadStage, LeadStatus
from apps.leads.models import DncSource, DoNotCallEntry, Lead, LeadActivity
from apps.voice.models import Conversation
from apps.voice.tests.conftest import NEW_YORK

pytestmark = pytest.mark.django_db


def _done(call) -> tuple[Conversation, Call, Lead]:
    conv = Conversation.objects.get(call_id=call.pk)
    call = Call.objects.get(pk=call.pk)
    return conv, call, Lead.objects.get(pk=call.lead_id)


def _lines(name: str, call) -> list[str]:
    """What the persona says to a campaign of the default script (the simulator's personas: the
    same people the demo's calls talk to); a silence is an empty turn."""
    lead = call.lead
    person = personas.person(first_name=lead.first_name, last_name=lead.last_name, company=lead.company_name,
                             email=lead.email)  # fmt: skip
    return [line or "" for line in personas.PERSONAS[name].script(person)]


def _said(call) -> list[tuple[str, str]]:
    return [(turn["speaker"], turn["text"]) for turn in Call.objects.get(pk=call.pk).transcript]


def test_the_interested_persona_books_the_demo(pat, text_call, talk):
    call = text_call(pat)
    replies = talk(call, _lines(personas.INTERESTED, call))
    assert [r.state for r in replies] == ["discovery", "discovery", "qualification", "qualification", "closing",
                                          "closing", "ended"]  # fmt: skip
    assert [r.ended for r in replies] == [False] * 6 + [True]
    assert replies[4].say == ("Great. Based on what you've told me, the next step would be to book a demo. Would that "
                              "work for you?")  # fmt: skip
    assert replies[5].say == "Great. What's the best email address to send the details to?"
    assert replies[6].say == ("Wonderful. I'll send the details to pat@leeplumbing.com. We'll be in touch to book a "
                              "demo. Thank you for your time, Pat, and have a great day.")  # fmt: skip
    conv, call, lead = _done(call)
    assert conv.path == ["greeting", "discovery", "qualification", "closing", "ended"]
    summary = conv.summary
    assert summary["conversation_state"] == "closing" and summary["total_exchanges"] == 7
    assert summary["objections_raised"] == []
    assert set(summary["interest_signals"]) == {"verbal_interest", "timeline_interest", "demo_interest"}
    assert summary["outcome"] == "interested" and summary["end_reason"] == "success"
    assert summary["recommendation"] == "High priority - Follow up: to book a demo"
    assert conv.analytics["conversion_probability"] >= 0.8 and conv.analytics["total_turns"] == 15
    # The call is over and the lead has its result.
    assert call.status == CallStatus.COMPLETED and call.disposition == "interested" and call.finalized_at
    assert call.analysis["summary"] == summary and call.summary.startswith("Reached closing in 7 exchanges")
    assert lead.email == "pat@leeplumbing.com" and lead.interest_level == "high" and lead.stage == LeadStage.QUALIFIED
    assert lead.custom_fields["next_step"] == "to book a demo"
    assert lead.status == LeadStatus.DONE and lead.attempts_count == 1
    assert LeadActivity.objects.filter(lead=lead, activity_type=ActivityType.NOTE,
                                       description__startswith="AI call: Reached closing").exists()  # fmt: skip


def test_the_objection_then_interested_persona_gets_an_answer_then_books(pat, text_call, talk):
    call = text_call(pat)
    replies = talk(call, _lines(personas.OBJECTION_THEN_INTERESTED, call))
    assert replies[1].say.startswith("Good to hear you have something in place. Many of our customers compared "
                                     "missed-call text-back with their current provider")  # fmt: skip
    assert replies[3].say.startswith("Good question. Pricing depends on what you need, so Acme will give you an "
                                     "exact quote.")  # fmt: skip
    conv, call, lead = _done(call)
    assert conv.path == ["greeting", "discovery", "objection_handling", "qualification", "closing", "ended"]
    assert conv.summary["objections_raised"] == ["competitor"] and conv.handled_objections == ["competitor"]
    assert {"verbal_interest", "pricing_interest", "demo_interest"} <= set(conv.summary["interest_signals"])
    assert conv.summary["outcome"] == "interested" and conv.summary["conversation_state"] == "closing"
    assert lead.email == "pat@leeplumbing.com" and lead.interest_level == "high"
    assert call.disposition == "interested" and lead.status == LeadStatus.DONE


def test_the_not_interested_persona_is_let_go_at_once(pat, text_call, talk):
    call = text_call(pat)
    [reply] = talk(call, _lines(personas.NOT_INTERESTED, call))
    assert reply.ended and reply.say == "No problem at all. Thank you for your time, and have a great day."
    assert reply.analysis.intent == "not_interested" and reply.analysis.sentiment < 0
    conv, call, lead = _done(call)
    assert conv.path == ["greeting", "ended"]
    assert conv.summary["recommendation"] == "Low priority - Not interested; no follow-up for now"
    assert conv.analytics["conversion_probability"] <= 0.05
    assert call.disposition == "not_interested" and lead.disposition == "not_interested"
    assert lead.interest_level == "low" and lead.status == LeadStatus.DONE
    assert not DoNotCallEntry.objects.exists()  # not interested is not do-not-call


def test_the_callback_persona_is_called_back_when_they_said(pat, text_call, talk, wednesday_morning):
    call = text_call(pat)
    [reply] = talk(call, _lines(personas.CALLBACK, call))
    assert reply.ended and reply.say == "Of course. We'll call you back tomorrow at 3 PM. Thank you, goodbye."
    when = dt.datetime(2026, 12, 3, 15, 0, tzinfo=NEW_YORK)
    conv, call, lead = _done(call)
    assert conv.callback_at == when and call.callback_at == when and call.disposition == "callback_requested"
    assert conv.summary["recommendation"] == "High priority - Call back tomorrow at 3 PM"
    assert conv.summary["callback_at"] == "2026-12-03T20:00:00Z"
    assert lead.status == LeadStatus.SCHEDULED and lead.next_call_at == when and lead.sub_status == "callback"


def test_a_callback_without_a_time_asks_for_one(pat, text_call, talk, wednesday_morning):
    call = text_call(pat)
    replies = talk(call, ["Can you call me back later?", "Friday morning would be better."])
    assert replies[0].say == "Of course. When would be a good time to call you back?" and not replies[0].ended
    assert replies[1].say == "Of course. We'll call you back on Friday at 10 AM. Thank you, goodbye."
    _, call, lead = _done(call)
    assert lead.next_call_at == dt.datetime(2026, 12, 4, 10, 0, tzinfo=NEW_YORK) == call.callback_at


def test_the_do_not_call_persona_is_on_the_list_before_the_call_ends(pat, text_call, talk):
    call = text_call(pat)
    [_, reply] = talk(call, _lines(personas.DO_NOT_CALL, call))
    assert (
        reply.ended and reply.say == "Understood. I've removed your number and Acme will not call you again. Goodbye."
    )
    entry = DoNotCallEntry.objects.get(tenant=pat.tenant, phone_e164="+12125550101")
    assert entry.source == DncSource.CALL and str(call.pk) in entry.reason
    conv, call, lead = _done(call)
    assert conv.path == ["greeting", "discovery", "ended"] and conv.summary["outcome"] == "do_not_call"
    assert conv.summary["recommendation"].startswith("Do not call")
    assert conv.analytics["conversion_probability"] == 0.0
    assert lead.do_not_call and lead.status == LeadStatus.DNC and call.disposition == "do_not_call"


def test_the_silent_persona_is_asked_again_then_let_go(pat, text_call, talk):
    call = text_call(pat)
    replies = talk(call, _lines(personas.SILENT, call))
    assert replies[0].say == ("Sorry, I didn't catch that. Hello Pat, this is Ava calling from Acme. Do you have a "
                              "minute?")  # fmt: skip
    assert replies[1].ended and replies[1].say == "I'll let you go. Thank you, goodbye."
    conv, call, lead = _done(call)
    assert conv.path == ["greeting", "ended"] and conv.end_reason == "silence"
    assert conv.summary["total_exchanges"] == 2 and conv.summary["overall_sentiment"] == 0.0
    assert conv.analytics["engagement_score"] == 0.0
    assert call.disposition == "hung_up" and lead.disposition == "hung_up"
    assert lead.status == LeadStatus.SCHEDULED  # retried under the campaign's policy


def test_the_voicemail_persona_gets_the_campaigns_message(pat, text_call, talk):
    call = text_call(pat)
    [reply] = talk(call, _lines(personas.VOICEMAIL, call))
    assert reply.ended and reply.voicemail
    assert reply.say == "Hi, this is Acme. Call us back at 1 4 1 5 5 5 5 0 0 0 0."  # the campaign's caller ID
    conv, call, lead = _done(call)
    assert conv.path == ["greeting", "ended"] and call.disposition == "voicemail_left"
    assert conv.summary["recommendation"] == "Low priority - Voicemail left; try again later"
    assert lead.interest_level == ""  # a machine told nothing about the person


def test_ending_a_call_in_the_middle_summarises_what_there_was(pat, text_call, talk):
    from apps.voice import services

    call = text_call(pat)
    talk(call, ["Yes, I have a minute.", "It is probably too expensive for us."])
    conv = services.voice_call_end(call=Call.objects.select_related("tenant", "campaign", "lead").get(pk=call.pk),
                                   reason="completed")  # fmt: skip
    assert conv.path == ["greeting", "discovery", "objection_handling", "ended"] and conv.end_reason == "requested"
    assert conv.summary["conversation_state"] == "discovery" and conv.summary["objections_raised"] == ["price"]
    assert conv.summary["recommendation"].endswith("Follow up with pricing information")
    assert Call.objects.get(pk=call.pk).status == CallStatus.COMPLETED


# Over the Twilio turn webhook --------------------------------------------------------------------------
def _phone_call(lead) -> Call:
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CALLING)
    call = f.call(lead, status=CallStatus.IN_PROGRESS, provider="twilio", call_sid="CA" + secrets.token_hex(16),
                  agent=lead.campaign.ai_agent, answered_at=dt.datetime.now(dt.UTC), pacing_mode="ai")  # fmt: skip
    return Call.objects.select_related("tenant", "campaign", "lead").get(pk=call.pk)


def _say(client, call, speech: str | None = None, *, silence: bool = False):
    query = {"silence": "1"} if silence else {}
    url = public_url("webhooks:twilio-voice", callId=str(call.pk), tenantId=str(call.tenant_id), **query)
    params = {"CallSid": call.call_sid, "CallStatus": "in-progress", "AccountSid": "AC" + "a1" * 16}
    if speech is not None:
        params.update(SpeechResult=speech, Confidence="0.91")
    response = post_callback(client, url, params)
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_a_phone_conversation_follows_the_same_engine_turn_by_turn(client, pat):
    call = _phone_call(pat)
    assert "Hello Pat, this is Ava calling from Acme." in _say(client, call)
    twiml = _say(client, call, "Yes, I have a minute.")
    assert "<Gather" in twiml and 'bargeIn="true"' in twiml and "missed-call text-back" in twiml
    twiml = _say(client, call, "Can you call me back tomorrow at 3pm?")
    assert "<Hangup" in twiml and "call you back tomorrow at 3 PM" in twiml
    conv = Conversation.objects.get(call=call)
    assert conv.mode == "voice" and conv.path == ["greeting", "discovery", "ended"]
    assert [speaker for speaker, _ in _said(call)] == ["agent", "customer", "agent", "customer", "agent"]
    turn = Call.objects.get(pk=call.pk).transcript[1]
    assert turn["analysis"]["intent"] == "general_inquiry" and set(turn) >= {"speaker", "text", "at", "analysis"}
    assert Call.objects.get(pk=call.pk).disposition == "callback_requested"


def test_a_voicemail_greeting_heard_on_the_line_gets_the_recorded_drop(client, pat):
    pat.campaign.voicemail_drop_url = "https://example.test/drop.mp3"
    pat.campaign.save(update_fields=["voicemail_drop_url"])
    call = _phone_call(pat)
    _say(client, call)
    twiml = _say(client, call, "You have reached the voicemail of Pat Lee. Please leave a message.")
    assert "<Play>https://example.test/drop.mp3</Play>" in twiml and "<Hangup" in twiml


def test_a_person_hanging_up_mid_conversation_still_gets_a_summary(client, pat):
    call = _phone_call(pat)
    _say(client, call)
    _say(client, call, "Sounds interesting, how much does it cost?")
    post_callback(client, callback_urls(call)["status"], {
        "CallSid": call.call_sid, "CallStatus": "completed", "SequenceNumber": "3", "CallDuration": "42",
        "AnsweredBy": "human", "AccountSid": "AC" + "a1" * 16,
    })  # fmt: skip
    drain()
    conv, call, lead = _done(call)
    assert conv.end_reason == "hangup" and conv.path[-1] == "ended" and conv.summary["total_exchanges"] == 1
    assert "pricing_interest" in conv.summary["interest_signals"] and call.finalized_at is not None
    assert call.disposition == "hung_up" and lead.interest_level in ("medium", "high")
    assert lead.attempts_count == 1


def test_a_turn_delivered_twice_is_answered_once(client, pat):
    call = _phone_call(pat)
    _say(client, call)
    first = _say(client, call, "Yes, I have a minute.")
    conv = Conversation.objects.get(call=call)
    from apps.voice import services

    stale = Conversation.objects.get(pk=conv.pk)
    stale.turn_count = 0  # as a second delivery read it, before the first was stored
    result = services.conversation_turn(
        conversation=stale, call=Call.objects.get(pk=call.pk), text="Yes, I have a minute."
    )
    assert result.duplicate and result.say in first
    assert Conversation.objects.get(pk=conv.pk).turn_count == 1
    assert len(Call.objects.get(pk=call.pk).transcript) == 3
