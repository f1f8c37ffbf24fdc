"""The AI voice app's turns, over TwiML <Gather input="speech">: greet with the campaign's script,
listen, answer, end politely. The deterministic first brain: the words people use for "stop calling
me", "not interested", "call me back" and "yes" decide the next line and the call's disposition,
and every turn is kept in the call's transcript. The conversation engine (issue 7: states, turn
analysis, objection handling, an LLM brain) replaces `respond`; the call flow around it stays.
"""

import datetime as dt
import re

from django.db import transaction

from apps.calls.models import Call
from apps.calls.telephony import twiml
from apps.core import clock

MAX_TURNS = 6
_STOP = re.compile(r"\b(stop calling|do not call|don't call|remove me|take me off|unsubscribe|stop)\b", re.I)
_NO = re.compile(r"\b(not interested|no thanks|no thank you|not now|already (use|have))\b", re.I)
_LATER = re.compile(r"\b(call (me )?back|later|tomorrow|busy right now|another time|next week)\b", re.I)
_YES = re.compile(r"\b(yes|sure|interested|tell me more|sounds (good|interesting)|demo|ok(ay)?)\b", re.I)


def respond(call: Call, speech: str) -> tuple[str, bool, str]:
    """(what to say, whether to keep listening, the disposition when the call ends on it)."""
    business = call.tenant.name
    if _STOP.search(speech):
        return f"Understood. I've removed your number and {business} will not call you again. Goodbye.", False, \
            "do_not_call"  # fmt: skip
    if _NO.search(speech):
        return "No problem at all. Thank you for your time, and have a great day.", False, "not_interested"
    if _LATER.search(speech):
        return "Of course. We'll call you back tomorrow at about this time. Goodbye.", False, "callback_requested"
    if _YES.search(speech):
        closing = (call.campaign.success_criteria if call.campaign_id else "") or "a colleague will follow up"
        return f"Great, thank you. {closing.rstrip('.')}. Have a great day.", False, "interested"
    fallback = (call.campaign.fallback_script if call.campaign_id else "") or "Could you tell me a bit more?"
    return fallback, True, ""


def turn(call: Call, *, speech: str, silence: bool) -> str:
    at = clock.now()
    transcript = list(call.transcript or [])
    if not transcript and not speech and not silence:
        line, listen, disposition = twiml.greeting(call), True, ""
    elif silence:
        silences = sum(1 for t in transcript if t.get("speaker") == "customer" and not t.get("text"))
        transcript.append({"speaker": "customer", "text": "", "at": at.isoformat()})
        if silences >= 1:
            line, listen, disposition = "I'll let you go. Thank you, goodbye.", False, ""
        else:
            line, listen, disposition = "Sorry, I didn't catch that. Are you still there?", True, ""
    else:
        transcript.append({"speaker": "customer", "text": speech[:2000], "at": at.isoformat()})
        line, listen, disposition = respond(call, speech)
        if listen and sum(1 for t in transcript if t.get("speaker") == "customer") >= MAX_TURNS:
            line, listen = "Thank you for your time today. Goodbye.", False
    transcript.append({"speaker": "agent", "text": line, "at": at.isoformat()})
    updates = {"transcript": transcript}
    if disposition:
        updates["disposition"] = disposition
        if disposition == "callback_requested":
            updates["callback_at"] = at + dt.timedelta(days=1)
    with transaction.atomic():
        Call.objects.filter(pk=call.pk).update(**updates)
    return twiml.voice_turn_twiml(call, say=line, listen=listen)
