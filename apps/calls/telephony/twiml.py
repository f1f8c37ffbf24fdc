"""The call-control answers (TwiML) our webhooks give, for every mode: the AI voice app (and its warm
transfer into a human agent's conference), a human agent's conference, voicemail drop, the
abandoned-call message, the recording disclosure.

Built with the twilio SDK's VoiceResponse, so what the simulator reads is what Twilio reads.
"""

import re

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from apps.calls.telephony.base import conference_name, public_url
from apps.campaigns import scripts
from apps.campaigns.models import HUMAN_PACING

DISCLOSURE = "This call may be recorded for quality and training purposes."
ABANDON = ("Hello, this is {company}. We tried to reach you but no one was free to take your call. "
           "Please call us back at {callback_number}. To stop receiving our calls, press 9 now or tell us "
           "when we call back.")  # fmt: skip
VOICEMAIL = "Hello, this is {company}. Sorry we missed you. Please call us back at {callback_number}. Thank you."


# Twilio's <Say> voices: its three classic ones and the Amazon Polly and Google voices it hosts.
_TWILIO_VOICE = re.compile(r"^(man|woman|alice|(Polly|Google)\.[A-Za-z0-9_.\-]+)$")
# What people say on these calls, as recognition hints (with the business's and the product's names).
_HINTS = ("yes", "no", "not interested", "call me back", "tomorrow", "next week", "demo", "price", "email",
          "do not call", "remove me", "speak to a person")  # fmt: skip


def _voice(campaign) -> dict:
    language = (campaign.ai_voice_language if campaign is not None else "") or "en-US"
    voice = campaign.ai_voice_id if campaign is not None else ""
    if voice and _TWILIO_VOICE.match(voice):
        return {"language": language, "voice": voice}
    return {"language": language}


def _hints(call) -> str:
    campaign = call.campaign
    names = [call.tenant.name, getattr(campaign, "client_name", ""), getattr(campaign, "client_service", "")]
    return ", ".join([*(name[:60] for name in names if name), *_HINTS])


def _company(call) -> str:
    return call.tenant.name if call.tenant_id else "us"


def _callback_number(call) -> str:
    number = call.from_number or ""
    return " ".join(number[1:]) if number.startswith("+") else number  # read digit by digit


def disclosure_text(campaign) -> str:
    return (campaign.recording_disclosure if campaign is not None else "") or DISCLOSURE


def abandon_text(call) -> str:
    template = (call.campaign.abandon_message if call.campaign_id else "") or ABANDON
    return template.replace("{company}", _company(call)).replace("{callback_number}", _callback_number(call))


def voicemail_text(call) -> str:
    """The voicemail drop's words: the campaign's text, else the standard words."""
    text = (call.campaign.voicemail_drop_text if call.campaign_id else "") or VOICEMAIL
    return text.replace("{company}", _company(call)).replace("{callback_number}", _callback_number(call))


def voicemail_twiml(call) -> str:
    """Voicemail drop (after the beep): the campaign's recording, else its text, else the standard words."""
    campaign = call.campaign
    response = VoiceResponse()
    if campaign is not None and campaign.voicemail_drop_url:
        response.play(campaign.voicemail_drop_url)
    else:
        response.say(voicemail_text(call), **_voice(campaign))
    response.hangup()
    return str(response)


def abandon_twiml(call) -> str:
    """A person answered and no agent was free in time: who called, how to call back, how to opt out."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=3, action=public_url("webhooks:twilio-optout", callId=str(call.pk),
                                                               tenantId=str(call.tenant_id)))  # fmt: skip
    gather.say(abandon_text(call), **_voice(call.campaign))
    response.append(gather)
    response.hangup()
    return str(response)


def wait_for_agent_twiml(call, attempt: int) -> str:
    """No agent free yet: hold a second and ask again (the answer webhook, attempt+1)."""
    response = VoiceResponse()
    response.pause(length=1)
    response.redirect(public_url("webhooks:twilio-answer", callId=str(call.pk), tenantId=str(call.tenant_id),
                                 leadId=str(call.lead_id), attempt=str(attempt + 1)), method="POST")  # fmt: skip
    return str(response)


def answer_twiml(call, *, disclose: bool) -> str:
    """A person is on the line: the AI voice app takes over, or the lead joins the agent's conference."""
    campaign = call.campaign
    response = VoiceResponse()
    if disclose:
        response.say(disclosure_text(campaign), **_voice(campaign))
    ids = {"callId": str(call.pk), "tenantId": str(call.tenant_id)}
    if campaign is not None and campaign.pacing_mode in HUMAN_PACING:
        response.append(_lead_conference(call))
    else:
        response.redirect(public_url("webhooks:twilio-voice", **ids), method="POST")
    return str(response)


def _lead_conference(call) -> Dial:
    """The lead into the call's conference, where their human agent joins them (human mode, and the AI's
    warm transfer): its status callbacks keep the call in step; it ends when the lead leaves."""
    campaign = call.campaign
    ids = {"callId": str(call.pk), "tenantId": str(call.tenant_id)}
    record = campaign is not None and campaign.record_calls and campaign.pacing_mode in HUMAN_PACING
    callback = public_url("webhooks:twilio-recording", **ids) if record else None
    dial = Dial(record="record-from-answer-dual" if record else None, recording_status_callback=callback)
    dial.conference(
        conference_name(call), start_conference_on_enter=True, end_conference_on_exit=True, beep=False,
        status_callback=public_url("webhooks:twilio-conference-status", **ids),
        status_callback_event="start end join leave",
    )  # fmt: skip
    return dial


def transfer_twiml(call, *, say: str) -> str:
    """The AI's warm transfer: it says it is connecting the person, who then waits in the call's
    conference for the human agent (rung meanwhile) to join."""
    response = VoiceResponse()
    if say:
        response.say(say, **_voice(call.campaign))
    response.append(_lead_conference(call))
    return str(response)


def transfer_failed_twiml(call, *, callback_at) -> str:
    """Nobody of the team answered a transfer: a colleague will call back (the call ends)."""
    from apps.core import clock
    from apps.voice.brains.scripted import spoken_time
    from apps.voice.extraction import zone

    tz = zone(call.lead.timezone or (call.campaign.timezone if call.campaign_id else ""))
    when = spoken_time(callback_at, tz=tz, now=clock.now())
    response = VoiceResponse()
    response.say(f"I'm sorry, none of my colleagues could take your call right now. One of them will call you "
                 f"back {when}. Thank you, goodbye.", **_voice(call.campaign))  # fmt: skip
    response.hangup()
    return str(response)


def agent_leg_twiml(*, lead_name: str, campaign: str, conference: str, status_callback: str = "",
                    whisper: str = "") -> str:  # fmt: skip
    """The agent's leg (spec 004): a whisper with who is calling (a warm transfer's: its summary), then
    into the lead's conference, which ends when the agent leaves (and with it the lead's call)."""
    response = VoiceResponse()
    if whisper:
        response.say(whisper)
    elif lead_name:
        response.say(f"Lead {lead_name}" + (f", campaign {campaign}" if campaign else ""))
    dial = Dial()
    dial.conference(conference, start_conference_on_enter=True, end_conference_on_exit=True, beep=False,
                    status_callback=status_callback or None,
                    status_callback_event="start end join leave" if status_callback else None)  # fmt: skip
    response.append(dial)
    return str(response)


def lead_gone_twiml() -> str:
    """The agent answers a lead who is no longer there."""
    response = VoiceResponse()
    response.say("The lead has hung up.")
    response.hangup()
    return str(response)


def voice_turn_twiml(call, *, say: str, listen: bool) -> str:
    """One turn of the voice app: say something, then listen for speech (or hang up)."""
    response = VoiceResponse()
    ids = {"callId": str(call.pk), "tenantId": str(call.tenant_id)}
    if listen:
        # barge_in: the person may talk over the agent; Twilio stops speaking and listens.
        gather = Gather(input="speech", speech_timeout="auto", timeout=5, barge_in=True, hints=_hints(call),
                        language=_voice(call.campaign)["language"],
                        action=public_url("webhooks:twilio-voice", **ids), method="POST")  # fmt: skip
        gather.say(say, **_voice(call.campaign))
        response.append(gather)
        response.redirect(public_url("webhooks:twilio-voice", silence="1", **ids), method="POST")
    else:
        response.say(say, **_voice(call.campaign))
        response.hangup()
    return str(response)


def greeting(call) -> str:
    """The opening line of the AI voice app: the campaign's script with the lead's details."""
    campaign = call.campaign
    template = (campaign.script_template if campaign is not None else "") or (
        "Hello {first_name}, this is {agent_name} calling from {business_name}. Do you have a minute?"
    )
    if campaign is None:
        return scripts.render(template, {"first_name": call.lead.first_name, "business_name": _company(call)})
    return scripts.render(template, scripts.context_for(campaign=campaign, lead=call.lead, agent=call.agent))


def hangup_twiml() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)
