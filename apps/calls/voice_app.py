"""The AI voice app's turns, over TwiML <Gather input="speech">: the conversation engine (apps.voice)
greets with the campaign's script, listens, answers, and ends politely, with a summary. This module
is the binding to the call flow: each turn webhook feeds SpeechResult (or a silence) to the engine
and answers with the next TwiML; a voicemail greeting heard in place of a person gets the campaign's
voicemail drop; a warm transfer puts the person into the call's conference, where the human
agent rung for them joins (apps.calls.conference); and a call that ends without the engine's
goodbye (the person hung up) closes its conversation when the call is finalized.
"""

import datetime as dt

from apps.calls.models import Call
from apps.calls.telephony import twiml


def turn(call: Call, *, speech: str, silence: bool) -> str:
    from apps.voice.services import voice_turn

    result = voice_turn(call=call, speech=speech, silence=silence)
    if result.voicemail and call.campaign_id and call.campaign.voicemail_drop_url:
        return twiml.voicemail_twiml(call)
    if result.transfer:  # warm transfer: "connecting you", then the conference the human agent joins
        return twiml.transfer_twiml(call, say=result.say)
    return twiml.voice_turn_twiml(call, say=result.say, listen=not result.ended)


def call_finished(call: Call, *, at: dt.datetime) -> None:
    """The call is over: an AI conversation still open ends here (the person hung up)."""
    if call.answered_at is None or call.pacing_mode not in ("", "ai"):
        return
    from apps.voice.services import call_finished as conversation_call_finished

    conversation_call_finished(call=call, at=at)
