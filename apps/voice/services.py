"""Writes of the voice app: a conversation starts, takes a customer turn, ends (with its summary,
the lead's updates and, on a do-not-call request, the number on the tenant's list at once).

One path for both doors: the Twilio turn webhook (apps.calls.voice_app) and the REST text mode
(POST /api/v1/voice/calls/...). A turn is decided and worded outside any transaction (a language
model may take its time budget), then stored by compare-and-swap on the conversation's turn count:
a webhook delivered twice, or two requests racing, store one turn and both get its words.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from rest_framework import status as http

from apps.calls import conference, outcomes
from apps.calls.choices import LIVE, TERMINAL, CallStatus, EventKind
from apps.calls.models import Call, CallEvent
from apps.calls.transitions import call_move
from apps.core import clock
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.serializers import iso
from apps.leads.choices import ActivityType, LeadStage, LeadStatus
from apps.leads.models import DncSource, Lead
from apps.leads.phones import PhoneError, normalize_phone
from apps.leads.services import DIALER_OWNED, activity_add, dnc_add, lead_update, phone_is_blocked
from apps.voice.analysis import TurnAnalysis, analyse
from apps.voice.brains import Turn, brain_for
from apps.voice.brains.scripted import ScriptedBrain, spoken_time
from apps.voice.choices import ConversationState, EndReason, Mode
from apps.voice.machine import TRANSFER_SUCCESS, Action, Decision, apply, decide, move, no_agent_free
from apps.voice.models import Conversation
from apps.voice.script import CallContext, context_for_call
from apps.voice.summary import summarize, summary_text

logger = logging.getLogger(__name__)
VOICE_ACTOR = Actor(label="ai-voice")
TEXT_PROVIDER = "text"
_STATE_FIELDS = ("state", "path", "turn_count", "silence_count", "step", "awaiting", "resume_state", "last_prompt",
                 "objections", "handled_objections", "interest_signals", "sentiments", "disposition", "callback_at",
                 "email", "next_step", "end_reason", "ended_at")  # fmt: skip


@dataclass
class TurnResult:
    say: str
    ended: bool
    conversation: Conversation
    analysis: TurnAnalysis | None = None
    voicemail: bool = False
    duplicate: bool = False
    transfer: bool = False  # warm transfer: the person now waits in the conference a human agent joins

    @property
    def state(self) -> str:
        return self.conversation.state


def _conflict(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, status_code=http.HTTP_409_CONFLICT)


def _append(call: Call, entries: list[dict]) -> None:
    """Add turns to the call's transcript (under the call's row lock: FOR NO KEY UPDATE, as every writer of
    calls takes it, so callbacks being stored for the call never wait on it)."""
    locked = Call.objects.select_for_update(no_key=True).filter(pk=call.pk)
    current = locked.values_list("transcript", flat=True).first()
    transcript = [*(current or []), *entries]
    Call.objects.filter(pk=call.pk).update(transcript=transcript)
    call.transcript = transcript


def _last_agent_line(call: Call) -> str:
    transcript = Call.objects.filter(pk=call.pk).values_list("transcript", flat=True).first() or []
    return next((entry.get("text", "") for entry in reversed(transcript) if entry.get("speaker") == "agent"), "")


def _fields(conv: Conversation) -> dict:
    return {name: getattr(conv, name) for name in _STATE_FIELDS}


def _agent_entry(text: str, *, conv: Conversation, action: str, brain: str, at: dt.datetime,
                 fallback: str = "") -> dict:  # fmt: skip
    entry = {"speaker": "agent", "text": text, "at": iso(at), "state": conv.state, "action": action, "brain": brain}
    if fallback:
        entry["fallback"] = fallback
    return entry


# Start, turn, end -------------------------------------------------------------------------------------
def conversation_start(*, call: Call, mode: str = Mode.VOICE, now: dt.datetime | None = None) -> TurnResult:
    """The conversation begins: the script's opening line, said as written (never a model's)."""
    now = now or clock.now()
    ctx = context_for_call(call)
    conv = Conversation(tenant_id=call.tenant_id, call=call, mode=mode, state=ConversationState.GREETING,
                        path=[ConversationState.GREETING], started_at=now, brain=brain_for().name)  # fmt: skip
    greet = Decision(action=Action.GREET, state=ConversationState.GREETING)
    reply = ScriptedBrain().reply(Turn(context=ctx, conversation=conv, decision=greet, now=now))
    conv.last_prompt = reply.prompt
    with transaction.atomic():
        try:
            with transaction.atomic():
                conv.save(force_insert=True)
        except IntegrityError:  # begun already: the same webhook twice
            existing = Conversation.objects.get(call_id=call.pk)
            return TurnResult(say=_last_agent_line(call) or reply.text, ended=existing.is_over, conversation=existing,
                              duplicate=True)  # fmt: skip
        _append(call, [_agent_entry(reply.text, conv=conv, action=Action.GREET, brain=reply.brain, at=now)])
    return TurnResult(say=reply.text, ended=False, conversation=conv)


def conversation_turn(*, conversation: Conversation, call: Call, text: str,
                      now: dt.datetime | None = None) -> TurnResult:  # fmt: skip
    """One customer turn ("" is silence): analysed, decided, worded, stored; the end when it ends."""
    conv, now = conversation, now or clock.now()
    if conv.is_over:
        raise _conflict("The conversation has ended.", "CONVERSATION_ENDED")
    ctx = context_for_call(call)
    text = (text or "").strip()[:2000]
    analysis = analyse(text)
    seen = conv.turn_count
    decision = decide(ctx, conv, analysis, text=text, now=now)
    agent, transfer_reason = None, decision.transfer
    if decision.action == Action.TRANSFER:
        agent = conference.transfer_claim(call)  # compare-and-swap on the agent's load, as in human mode
        if agent is None:
            decision = no_agent_free(ctx, conv, decision, text=text, now=now)
    apply(conv, decision, analysis, now=now)
    customer = {"speaker": "customer", "text": text, "at": iso(now), "analysis": analysis.public()}
    transcript = [*(Call.objects.filter(pk=call.pk).values_list("transcript", flat=True).first() or []), customer]
    reply = brain_for(conv.brain).reply(Turn(context=ctx, conversation=conv, decision=decision, analysis=analysis,
                                             text=text, transcript=transcript, now=now))  # fmt: skip
    said_at = clock.now()
    if reply.prompt:
        conv.last_prompt = reply.prompt
    said = _agent_entry(reply.text, conv=conv, action=decision.action, brain=reply.brain, at=said_at,
                        fallback=reply.fallback_reason)  # fmt: skip
    try:
        return _store_turn(call, conv, ctx, decision, analysis, seen=seen, turns=[customer, said] if reply.text
                           else [customer], said_at=said_at, agent=agent, transfer_reason=transfer_reason,
                           text=text)  # fmt: skip
    except Exception:
        if agent is not None:  # the turn was not stored: the agent claimed for its transfer is free again
            conference.transfer_unclaim(agent)
        raise


def _store_turn(call: Call, conv: Conversation, ctx: CallContext, decision: Decision, analysis: TurnAnalysis, *,
                seen: int, turns: list[dict], said_at: dt.datetime, agent, transfer_reason: str,
                text: str) -> TurnResult:  # fmt: skip
    """Store a decided and worded turn (compare-and-swap on the turn count), with what it set off: the
    do-not-call entry, the warm transfer (or the note that nobody was free), the end's summary."""
    with transaction.atomic():
        won = Conversation.objects.filter(pk=conv.pk, turn_count=seen, ended_at__isnull=True).update(
            **_fields(conv), updated_at=said_at)  # fmt: skip
        if not won:  # another delivery of this turn was stored first: answer with what it said
            if agent is not None:
                conference.transfer_unclaim(agent)
            stored = Conversation.objects.get(pk=conv.pk)
            return TurnResult(say=_last_agent_line(call), ended=stored.is_over, conversation=stored,
                              analysis=analysis, duplicate=True,
                              transfer=stored.end_reason == EndReason.TRANSFER)  # fmt: skip
        _append(call, turns)
        if decision.action == Action.CLOSE_DNC:
            _dnc(call)
        if agent is not None:
            whisper = transfer_whisper(call, ctx, conv, reason=transfer_reason, text=text)
            conference.transfer_start(call, agent, reason=transfer_reason, whisper=whisper)
        elif transfer_reason:
            conference.transfer_unavailable(call, reason=transfer_reason)
        if conv.is_over:
            _finish(conv, call, ctx, now=said_at)
    return TurnResult(say=turns[-1]["text"] if len(turns) > 1 else "", ended=conv.is_over, conversation=conv,
                      analysis=analysis, voicemail=decision.action == Action.LEAVE_VOICEMAIL,
                      transfer=decision.action == Action.TRANSFER)  # fmt: skip


def conversation_end(*, conversation: Conversation, call: Call, reason: str, now: dt.datetime | None = None
                     ) -> Conversation:  # fmt: skip
    """End a conversation from outside (the API, or the person hung up): its summary and the lead's
    updates, as when the engine ends it. Ending an ended one changes nothing."""
    conv, now = conversation, now or clock.now()
    if conv.is_over:
        return conv
    ctx = context_for_call(call)
    seen = conv.turn_count
    if not conv.disposition:
        if conv.callback_at is not None:
            conv.disposition = "callback_requested"
        elif reason == EndReason.HANGUP:
            conv.disposition = "hung_up"
    conv.end_reason = reason
    move(conv, ConversationState.ENDED, now=now)
    with transaction.atomic():
        won = Conversation.objects.filter(pk=conv.pk, turn_count=seen, ended_at__isnull=True).update(
            **_fields(conv), updated_at=now)  # fmt: skip
        if not won:
            return Conversation.objects.get(pk=conv.pk)
        _finish(conv, call, ctx, now=now)
    return conv


def _dnc(call: Call) -> None:
    """The person asked not to be called: the number goes on the tenant's list now, not when the call ends."""
    dnc_add(tenant=call.tenant, actor=VOICE_ACTOR, phone=call.to_number, source=DncSource.CALL,
            reason=f"Asked not to be called again (call {call.pk})")  # fmt: skip


def _finish(conv: Conversation, call: Call, ctx: CallContext, *, now: dt.datetime) -> None:
    """The conversation has ended: summary and analytics on it and on the call, what the call
    settled for the dialer (disposition, callback time) and what it told about the lead."""
    transcript = Call.objects.filter(pk=call.pk).values_list("transcript", flat=True).first() or []
    when = spoken_time(conv.callback_at, tz=ctx.tz, now=now) if conv.callback_at else ""
    summary, analytics = summarize(conv, transcript, now=now, when=when)
    conv.summary, conv.analytics = summary, analytics
    Conversation.objects.filter(pk=conv.pk).update(summary=summary, analytics=analytics)
    analysis = Call.objects.filter(pk=call.pk).values_list("analysis", flat=True).first() or {}
    updates = {"summary": summary_text(summary),
               "analysis": {**analysis, "summary": summary, "analytics": analytics}}  # fmt: skip
    if conv.disposition:
        updates["disposition"] = conv.disposition
    if conv.callback_at is not None:
        updates["callback_at"] = conv.callback_at
    Call.objects.filter(pk=call.pk).update(**updates)
    for name, value in updates.items():  # the caller (finalize) reads them next
        setattr(call, name, value)
    _update_lead(call, conv, summary, analytics)


def _update_lead(call: Call, conv: Conversation, summary: dict, analytics: dict) -> None:
    lead = Lead.objects.get(pk=call.lead_id)
    values: dict = {}
    if conv.email and conv.email != lead.email:
        values["email"] = conv.email
    level = summary.get("interest_level") or ""
    if level and level != lead.interest_level:
        values["interest_level"] = level
    if conv.next_step and lead.custom_fields.get("next_step") != conv.next_step:
        values["custom_fields"] = {**lead.custom_fields, "next_step": conv.next_step}
    agreed = conv.end_reason == EndReason.SUCCESS or (conv.end_reason == EndReason.TRANSFER and conv.disposition)
    if agreed and lead.stage in (LeadStage.NEW, LeadStage.CONTACTED):
        values["stage"] = LeadStage.QUALIFIED
    if values:
        lead = lead_update(lead=lead, actor=VOICE_ACTOR, values=values)
    activity_add(lead=lead, actor=VOICE_ACTOR, activity_type=ActivityType.NOTE,
                 description=f"AI call: {summary_text(summary)}",
                 metadata={"call_id": str(call.pk), "summary": summary, "analytics": analytics})  # fmt: skip


_SIGNAL_WORDS = {"demo_interest": "a demo", "pricing_interest": "pricing", "timeline_interest": "getting started soon"}


def transfer_whisper(call: Call, ctx: CallContext, conv: Conversation, *, reason: str, text: str) -> str:
    """What the human agent hears before joining a warm transfer: who it is, what they want, the
    objections they raised."""
    lead = call.lead
    name = lead.full_name or lead.phone_e164
    company = f" of {lead.company_name}" if lead.company_name else ""
    if reason == TRANSFER_SUCCESS:
        step = ctx.next_step
        wants = f"wants {step}" if step.startswith("to ") else f"agreed to {step}"
    else:
        wants = "asked to speak with a person"
    parts = [f"Transfer from the AI assistant. {name}{company} {wants}."]
    interests = [_SIGNAL_WORDS[signal] for signal in conv.interest_signals if signal in _SIGNAL_WORDS]
    if interests:
        parts.append("Interested in " + " and ".join(interests) + ".")
    if text:
        parts.append(f'They said: "{text[:160]}".')
    objections = [kind.replace("_", " ") for kind in conv.objections]
    parts.append(("Objections raised: " + ", ".join(objections) + ".") if objections else "No objections raised.")
    return " ".join(parts)


# The Twilio turn webhook ------------------------------------------------------------------------------
def voice_turn(*, call: Call, speech: str, silence: bool) -> TurnResult:
    """A turn of a phone call: the first begins the conversation; a late duplicate after the end
    says the goodbye again."""
    conv = Conversation.objects.filter(call_id=call.pk).first()
    if conv is None:
        started = conversation_start(call=call)
        if not (speech or silence) or started.duplicate:
            return started
        conv = started.conversation
    if conv.is_over:
        return TurnResult(say=_last_agent_line(call), ended=True, conversation=conv, duplicate=True,
                          transfer=conv.end_reason == EndReason.TRANSFER)  # fmt: skip
    return conversation_turn(conversation=conv, call=call, text="" if silence else speech)


def call_finished(*, call: Call, at: dt.datetime | None = None) -> None:
    """The call is over (apps.calls.outcomes.finalize): a conversation still open ended because the
    person hung up (or the line dropped)."""
    conv = Conversation.objects.filter(call_id=call.pk, ended_at__isnull=True).first()
    if conv is not None:
        conversation_end(conversation=conv, call=call, reason=EndReason.HANGUP, now=at)


# Text mode (spec 001's REST flow) -------------------------------------------------------------------
@transaction.atomic
def voice_call_create(*, tenant, actor: Actor, lead: Lead, phone: str = "", purpose: str = "",
                      call_type: str = "outbound", voice_settings: dict | None = None) -> Call:  # fmt: skip
    """A text-mode call to a lead: a Call (provider "text") the REST flow talks through. The lead's
    own rules apply as to a phone call: not a do-not-call number, not while another call is live."""
    try:
        number = normalize_phone(phone, tenant.default_country).e164 if phone else lead.phone_e164
    except PhoneError as exc:
        raise ApplicationError(str(exc), code="INVALID_PHONE", status_code=http.HTTP_400_BAD_REQUEST) from None
    if lead.do_not_call or lead.status == LeadStatus.DNC or phone_is_blocked(tenant=tenant, phone=number):
        raise _conflict("This number is on the do-not-call list.", "LEAD_IS_DNC")
    campaign = lead.campaign
    agent = (campaign.ai_agent if campaign is not None else None) or (lead.agent if lead.agent_id else None)
    if campaign is None and (agent is None or not agent.is_ai):
        raise _conflict("This lead has no campaign and no AI agent to talk to it.", "NO_QUEUE")
    if lead.status in DIALER_OWNED or Call.objects.filter(lead=lead, status__in=LIVE).exists():
        raise _conflict("This lead is already in a call.", "LEAD_IN_CALL")
    try:
        with transaction.atomic():
            call = Call.objects.create(
                tenant=tenant, lead=lead, campaign=campaign, agent=agent, provider=TEXT_PROVIDER,
                direction=call_type or "outbound", status=CallStatus.QUEUED, pacing_mode="ai", to_number=number,
                from_number=(campaign.caller_id if campaign is not None else "") or "",
                attempt=lead.attempts_count + 1, lead_timezone=lead.timezone,
                metadata={"mode": Mode.TEXT, "purpose": purpose[:500], "voice_settings": voice_settings or {},
                          "created_by": actor.label[:100]},
            )  # fmt: skip
    except IntegrityError as exc:
        if "call_one_live_per_lead" in str(exc):
            raise _conflict("This lead is already in a call.", "LEAD_IN_CALL") from None
        raise
    Lead.objects.filter(pk=lead.pk, status__in=[LeadStatus.NEW, LeadStatus.SCHEDULED]).update(
        status=LeadStatus.CALLING, updated_at=clock.now())  # fmt: skip
    CallEvent.objects.create(tenant_id=tenant.pk, call=call, kind=EventKind.ACTION, to_status=CallStatus.QUEUED,
                             applied=True, note=f"text-mode call created by {actor.label}"[:255],
                             dedupe_key=f"created:{clock.now().timestamp():.6f}")  # fmt: skip
    return call


def _text_call(call: Call) -> None:
    if call.provider != TEXT_PROVIDER:
        raise _conflict("This is a phone call; its conversation runs over the telephony webhooks.", "NOT_A_TEXT_CALL")


def voice_call_start(*, call: Call, voice_config: dict | None = None) -> TurnResult:
    _text_call(call)
    if Conversation.objects.filter(call_id=call.pk).exists():
        raise _conflict("The call has started already.", "CALL_ALREADY_STARTED")
    if call.status in TERMINAL:
        raise _conflict(f"The call is {call.status}.", "CALL_ENDED")
    with transaction.atomic():
        fields = {"metadata": {**call.metadata, "voice_config": voice_config or {}}}
        if not call_move(call=call, to=CallStatus.IN_PROGRESS, kind=EventKind.ACTION, note="text mode: started",
                         fields=fields):  # fmt: skip
            raise _conflict("The call has started already.", "CALL_ALREADY_STARTED")
        result = conversation_start(call=call, mode=Mode.TEXT, now=call.answered_at)
    return result


def _open_conversation(call: Call) -> Conversation:
    conv = Conversation.objects.filter(call_id=call.pk).first()
    if conv is None:
        raise _conflict("Start the call first (POST .../start/).", "CALL_NOT_STARTED")
    return conv


def voice_call_respond(*, call: Call, text: str) -> TurnResult:
    _text_call(call)
    conv = _open_conversation(call)
    if conv.is_over:
        raise _conflict("The conversation has ended.", "CONVERSATION_ENDED")
    result = conversation_turn(conversation=conv, call=call, text=text)
    if result.ended and not result.duplicate:
        _complete(call)
    return result


def voice_call_end(*, call: Call, reason: str = "") -> Conversation:
    """End a text-mode call: the conversation's summary, then the call's result for its lead."""
    _text_call(call)
    reason = reason if reason in (EndReason.HANGUP, EndReason.REQUESTED) else EndReason.REQUESTED
    conv = Conversation.objects.filter(call_id=call.pk).first()
    now = clock.now()
    if conv is None:  # never started: nothing was said
        from apps.calls.dialer.place import cancel

        cancel(call, reason="ended before it started")
        blank = Conversation(call=call, state=ConversationState.ENDED, path=[ConversationState.GREETING,
                             ConversationState.ENDED], started_at=now, ended_at=now, end_reason=reason)  # fmt: skip
        blank.summary, blank.analytics = summarize(blank, [], now=now)
        return blank
    conv = conversation_end(conversation=conv, call=call, reason=reason, now=now)
    _complete(call)
    return conv


def _complete(call: Call) -> None:
    """A text-mode call is over when its conversation is: completed, and its result given to its lead."""
    with transaction.atomic():
        fresh = Call.objects.select_related("tenant", "campaign", "lead").get(pk=call.pk)
        if fresh.status in TERMINAL:
            return
        at = clock.now()
        seconds = int((at - fresh.answered_at).total_seconds()) if fresh.answered_at else 0
        if call_move(call=fresh, to=CallStatus.COMPLETED, at=at, kind=EventKind.ACTION, note="text mode: ended",
                     fields={"duration": seconds, "talk_time": seconds}):  # fmt: skip
            outcomes.finalize(fresh, at=at)
