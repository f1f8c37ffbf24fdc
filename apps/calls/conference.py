"""A human-mode call after the lead answers (spec 004): the lead waits in conference call_<id>, an
available agent of the campaign's group takes the call, and the agent's softphone is rung (the leg
whispers who is calling, then joins). The conference's callbacks and the agent leg's own status
callbacks keep the call in step, over Twilio and the simulator alike:

- The agent's leg joins the conference: metadata agent_joined_at.
- The agent hangs up (their leg leaves): their endConferenceOnExit ends the conference, Twilio ends
  the lead's leg (nothing follows its Dial) and the lead's final status callback finalizes the call
  as any other. Should the call still be live HANGUP_GRACE_SECONDS after, it is hung up.
- The agent's softphone does not take the call (its status callback says no-answer, busy, failed,
  canceled, or it answered and never reached the conference): the agent is released (and put on a
  break after ringing out, so the next call does not ring an empty desk) and the next available agent
  is rung, AGENT_RINGS agents at most; then the lead hears the abandon message and the call is
  abandoned.
- The lead leaves before their agent joined: the agent's ringing leg is ended.
- Supervisors listen (muted), whisper (coaching the agent's leg) or barge into the conference.

The AI voice app's warm transfer (apps.voice.services) uses the same path: transfer_claim picks the
agent, transfer_start makes the call theirs and rings them (the whisper is the AI's summary, kept in
metadata.transfer); with nobody free, or nobody answering, the person is offered a colleague's callback
instead of the abandon message.

Call.metadata keeps the story: agent_connected (the agent's load is counted; outcomes.finalize
releases it), agent_leg_agent and agent_leg_sid (the leg ringing now), agents_tried, agent_lost,
agent_answered_at, agent_joined_at, agent_left_at, lead_joined_at, lead_left_at,
conference_started_at, conference_ended_at, conference_end_reason, and monitors (per supervisor).
The drain's handlers hold the call's row lock and write metadata whole; the others merge their keys
in SQL (metadata || ...), so a key written meanwhile is never lost.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import models, transaction
from django.db.models import F, Func, Value
from rest_framework import status as http

from apps.agents.models import Agent, AgentKind, Presence
from apps.agents.services import agent_set_presence
from apps.calls.choices import CallOutcome, CallStatus, EventKind
from apps.calls.models import Call, CallEvent
from apps.calls.telephony import provider_named, twiml
from apps.calls.telephony.base import MONITOR_MODES, ProviderError, agent_identity
from apps.campaigns.models import HUMAN_PACING
from apps.core import clock
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.serializers import iso
from apps.realtime import events as live

logger = logging.getLogger(__name__)
AGENT_RINGS = 3  # agents rung for one answered lead before the abandon message
HANGUP_GRACE_SECONDS = 5.0  # after the agent left, Twilio's own hang-up of the lead has this long to arrive
LEG_LOST = frozenset({"no-answer", "busy", "failed", "canceled"})
ANSWERED = frozenset({"in-progress", "answered"})


class _Merge(Func):
    """metadata || '{...}': the keys given replace theirs, every other key stays."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = models.JSONField()


def merged_metadata(**values) -> _Merge:
    return _Merge(F("metadata"), Value(values, output_field=models.JSONField()))


def metadata_merge(call_id, **values) -> int:
    return Call.objects.filter(pk=call_id).update(metadata=merged_metadata(**values))


def metadata_flag_claim(call_id, key: str, **values) -> bool:
    """Set metadata[key] = True (and merge `values`) unless it is set already: True for the one caller
    that set it. Two paths that may both act (the answer webhook and the AMD callback both dropping a
    voicemail, say) ask this first, so only one acts."""
    return bool(Call.objects.filter(pk=call_id).exclude(metadata__contains={key: True})
                .update(metadata=merged_metadata(**{key: True}, **values)))  # fmt: skip


def _locked(call_id) -> Call:
    return (
        Call.objects.select_for_update(of=("self",), no_key=True)
        .select_related("tenant", "campaign", "lead", "agent")
        .get(pk=call_id)
    )


def _processed(event: CallEvent, *, applied: bool, note: str = "") -> None:
    CallEvent.objects.filter(pk=event.pk).update(applied=applied, processed_at=clock.now(), note=note[:255])


def _conflict(message: str, code: str, **extra) -> ApplicationError:
    return ApplicationError(message, code=code, status_code=http.HTTP_409_CONFLICT, extra=extra or None)


# The agent ------------------------------------------------------------------------------------------
def agent_claim(call: Call, *, exclude: Iterable[str] = ()) -> Agent | None:
    """An available agent of the campaign's group takes the call (compare-and-swap on their load)."""
    campaign = call.campaign
    candidates = (
        Agent.objects.filter(group_id=campaign.agent_group_id, kind=AgentKind.HUMAN, is_active=True,
                             status=Presence.AVAILABLE)
        .exclude(pk__in=list(exclude)).order_by("current_calls", "status_changed_at")
    )  # fmt: skip
    for agent in candidates[:10]:
        if Agent.objects.filter(pk=agent.pk, current_calls=agent.current_calls, status=Presence.AVAILABLE,
                                current_calls__lt=agent.max_concurrent_calls).update(
                                    current_calls=agent.current_calls + 1):  # fmt: skip
            return agent
    return None


def agent_ring(call: Call, agent: Agent) -> None:
    """The agent who took the call: their console pops the lead, their softphone rings."""
    from apps.calls.tasks import dial_agent_leg

    agent.current_calls += 1
    live.incoming_call(call, agent)
    live.agent_status(agent)
    transaction.on_commit(lambda: dial_agent_leg.delay(str(call.pk), str(agent.pk)))


def agent_leg_dial(*, call_id: str, agent_id: str) -> str:
    """Ring the agent chosen for an answered call, once: a task delivered twice rings nobody twice,
    and a call that is over or has gone to another agent rings nobody."""
    ringing = Call.objects.filter(pk=call_id, agent_id=agent_id, status=CallStatus.IN_PROGRESS).exclude(
        metadata__contains={"agent_leg_agent": agent_id}
    )
    if not ringing.update(metadata=merged_metadata(agent_leg_agent=agent_id)):
        return "not ringing"
    call = Call.objects.select_related("tenant", "campaign", "lead").get(pk=call_id)
    agent = Agent.objects.get(pk=agent_id, tenant_id=call.tenant_id)
    try:
        leg = provider_named(call.provider).dial_agent(call, agent)
    except ProviderError as exc:
        logger.warning("call %s: the agent's leg could not be dialed: %s", call_id, exc)
        with transaction.atomic():
            call = _locked(call_id)
            if call.agent_id == agent.pk and call.status == CallStatus.IN_PROGRESS and _waiting_for_agent(call):
                _agent_lost(call, reason="failed")
        return "failed"
    metadata_merge(call_id, agent_leg_sid=leg)
    return "ringing"


def _waiting_for_agent(call: Call) -> bool:
    """The lead is still in the conference and no agent has joined it."""
    meta = call.metadata
    return not (meta.get("agent_joined_at") or meta.get("lead_left_at") or meta.get("conference_ended_at"))


def agent_leg_event(event: CallEvent, at: datetime) -> None:
    """A status callback of the agent's leg (webhooks.agent_status). Only the leg ringing now counts:
    an earlier agent's late callback changes nothing."""
    payload = event.payload
    status, sid = payload.get("CallStatus", ""), payload.get("CallSid", "")
    call = _locked(event.call_id)
    meta = call.metadata
    current = str(call.agent_id) == payload.get("agent_id") and meta.get("agent_leg_sid") in (None, "", sid)
    if not current:
        _processed(event, applied=False, note="not the leg ringing now")
        return
    if status in ANSWERED and not meta.get("agent_answered_at"):
        metadata_merge(call.pk, agent_answered_at=iso(at))
        _processed(event, applied=True)
        return
    lost = status in LEG_LOST or status == "completed"
    if lost and call.status == CallStatus.IN_PROGRESS and _waiting_for_agent(call):
        result = _agent_lost(call, reason=status)
        _processed(event, applied=True, note=f"agent leg {status}: {result}")
        return
    _processed(event, applied=False)


def _agent_lost(call: Call, *, reason: str) -> str:
    """The agent's softphone did not take the call: release the agent, then ring the next one or, with
    nobody left, play the abandon message. `call` is locked."""
    meta, agent = dict(call.metadata), call.agent
    tried = [*meta.get("agents_tried", []), *([str(agent.pk)] if agent else [])]
    if agent is not None:
        _release(agent, counted=bool(meta.get("agent_connected")), rang_out=reason == "no-answer")
    meta.update(agent_leg_sid="", agent_lost=reason, agents_tried=tried)
    following = agent_claim(call, exclude=tried) if len(tried) < AGENT_RINGS else None
    if following is not None:
        meta["agent_connected"] = True
        Call.objects.filter(pk=call.pk).update(agent=following, metadata=meta)
        call.agent, call.agent_id, call.metadata = following, following.pk, meta
        agent_ring(call, following)
        return "rang the next agent"
    meta["agent_connected"] = False
    if meta.get("transfer"):  # the AI has talked with the person: not an abandoned call, a callback
        return _transfer_lost(call, meta)
    Call.objects.filter(pk=call.pk).update(agent=None, outcome=CallOutcome.ABANDONED, metadata=meta)
    provider = provider_named(call.provider)
    try:
        provider.play_and_hangup(call, twiml.abandon_twiml(call))
    except ProviderError as exc:
        logger.warning("call %s: the abandon message could not be played: %s", call.pk, exc)
        try:
            provider.hangup(call)
        except ProviderError:
            logger.warning("call %s: could not be hung up either", call.pk)
    return "abandoned"


def _release(agent: Agent, *, counted: bool, rang_out: bool) -> None:
    if counted:
        Agent.objects.filter(pk=agent.pk, current_calls__gt=0).update(current_calls=F("current_calls") - 1)
    agent.refresh_from_db(fields=["current_calls", "status", "status_changed_at", "is_active"])
    if rang_out and agent.is_active and agent.status == Presence.AVAILABLE:
        agent_set_presence(agent=agent, status=Presence.BREAK)  # announces the change itself
        return
    live.agent_status(agent)


# Warm transfer from the AI voice app --------------------------------------------------------------------
def transfer_claim(call: Call) -> Agent | None:
    """An available agent of the AI campaign's group takes the transfer (as in human mode); None when
    the campaign has no group or nobody is free."""
    if call.campaign_id is None or not call.campaign.agent_group_id:
        return None
    return agent_claim(call)


def transfer_unclaim(agent: Agent) -> None:
    """A claim the transfer does not use after all (the same turn was stored by another delivery)."""
    Agent.objects.filter(pk=agent.pk, current_calls__gt=0).update(current_calls=F("current_calls") - 1)


def transfer_start(call: Call, agent: Agent, *, reason: str, whisper: str) -> None:
    """The AI agent has said it is connecting the person: the call is the human agent's from now on
    (their load counted, released when the call is finalized), their console pops the lead with the
    transcript so far and their softphone rings; the lead waits in the call's conference (the voice
    turn's TwiML). Inside the turn's transaction."""
    locked = _locked(call.pk)
    now = iso(clock.now())
    transfer = {"reason": reason, "status": "ringing", "requested_at": now, "agent_id": str(agent.pk),
                "agent_name": agent.name, "ai_agent_id": str(locked.agent_id) if locked.agent_id else None,
                "whisper": whisper}  # fmt: skip
    meta = {**locked.metadata, "agent_connected": True, "transfer": transfer}
    Call.objects.filter(pk=call.pk).update(agent=agent, metadata=meta, updated_at=clock.now())
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.ACTION, applied=True,
                             note=f"warm transfer ({reason}) to {agent.name}"[:255],
                             dedupe_key=f"transfer:{agent.pk}")  # fmt: skip
    call.agent, call.agent_id, call.metadata, call.transcript = agent, agent.pk, meta, locked.transcript
    agent_ring(call, agent)


def transfer_unavailable(call: Call, *, reason: str) -> None:
    """A transfer with nobody to take it: the AI agent offers a colleague's callback instead."""
    transfer = {"reason": reason, "status": "no_agent_free", "requested_at": iso(clock.now()), "fallback": "callback"}
    metadata_merge(call.pk, transfer=transfer)
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.ACTION, applied=False,
                             note=f"warm transfer ({reason}): no agent free, a callback offered"[:255],
                             dedupe_key=f"transfer-unavailable:{clock.now().timestamp():.6f}")  # fmt: skip
    call.metadata = {**call.metadata, "transfer": transfer}


def _transfer_lost(call: Call, meta: dict) -> str:
    """Nobody of the team answered a transferred call: the person hears that a colleague will call
    back (tomorrow, at this time of day) and the call ends with that callback. `call` is locked."""
    from apps.voice.extraction import zone
    from apps.voice.machine import callback_tomorrow

    tz = zone(call.lead.timezone or (call.campaign.timezone if call.campaign_id else ""))
    at = callback_tomorrow(tz, clock.now())
    meta["transfer"] = {**meta["transfer"], "status": "no_agent_answered", "fallback": "callback",
                        "callback_at": iso(at)}  # fmt: skip
    Call.objects.filter(pk=call.pk).update(agent=None, metadata=meta, disposition="callback_requested",
                                           callback_at=at)  # fmt: skip
    provider = provider_named(call.provider)
    try:
        provider.play_and_hangup(call, twiml.transfer_failed_twiml(call, callback_at=at))
    except ProviderError as exc:
        logger.warning("call %s: the transfer's callback message could not be played: %s", call.pk, exc)
        try:
            provider.hangup(call)
        except ProviderError:
            logger.warning("call %s: could not be hung up either", call.pk)
    return "callback offered"


# The conference -------------------------------------------------------------------------------------
def _role(call: Call, sid: str) -> str:
    """Whose leg a conference participant is: the lead's, the agent's, a supervisor's."""
    meta = call.metadata
    if not sid:
        return ""
    if sid == call.call_sid:
        return "lead"
    if sid in {monitor.get("participant_sid") for monitor in (meta.get("monitors") or {}).values()}:
        return "monitor"
    if sid == meta.get("agent_leg_sid") or (call.agent_id and not meta.get("agent_leg_sid")):
        return "agent"  # (a join may arrive before the dialing task has stored the leg's sid)
    return ""


def conference_event(event: CallEvent, at: datetime) -> None:
    """A conference status callback (start, end, a participant's join or leave), `at` when it happened."""
    payload = event.payload
    kind, sid = payload.get("StatusCallbackEvent", ""), payload.get("CallSid") or ""
    call = _locked(event.call_id)
    meta, when = dict(call.metadata), iso(at)
    fields = {"conference_sid": payload["ConferenceSid"][:64]} if payload.get("ConferenceSid") and not (
        call.conference_sid) else {}  # fmt: skip
    role = _role(call, sid) if kind in ("participant-join", "participant-leave") else ""
    moment = {"participant-join": "joined_at", "participant-leave": "left_at"}.get(kind)
    if kind == "conference-start":
        meta.setdefault("conference_started_at", when)
    elif kind == "conference-end":
        meta.setdefault("conference_ended_at", when)
        meta.setdefault("conference_end_reason", payload.get("ReasonConferenceEnded", ""))
    elif role in ("agent", "lead"):
        meta.setdefault(f"{role}_{moment}", when)
    elif role == "monitor":
        monitors = {key: dict(value) for key, value in meta["monitors"].items()}
        for monitor in monitors.values():
            if monitor.get("participant_sid") == sid:
                monitor[moment] = when
        meta["monitors"] = monitors
    ended = kind == "conference-end" or (role == "agent" and kind == "participant-leave")
    if ended and meta.get("agent_joined_at") and call.is_live and not meta.get("lead_hangup_due"):
        meta["lead_hangup_due"] = when  # Twilio hangs up the lead itself; if it has not after a while, we do
        _after_grace(call)
    gone = kind == "conference-end" or (role == "lead" and kind == "participant-leave")
    if gone and not meta.get("agent_joined_at") and meta.get("agent_leg_sid") and not meta.get("agent_leg_ended"):
        meta["agent_leg_ended"] = "the lead left before the agent joined"
        _end_agent_leg(call, meta["agent_leg_sid"])
    applied = bool(fields) or meta != call.metadata
    if applied:
        Call.objects.filter(pk=call.pk).update(**fields, metadata=meta, updated_at=clock.now())
    _processed(event, applied=applied)


def _after_grace(call: Call) -> None:
    from apps.calls.tasks import end_call_if_live

    call_id = str(call.pk)
    transaction.on_commit(lambda: end_call_if_live.apply_async(args=[call_id], countdown=HANGUP_GRACE_SECONDS))


def _end_agent_leg(call: Call, sid: str) -> None:
    try:
        provider_named(call.provider).end_leg(call, sid)
    except ProviderError as exc:
        logger.warning("call %s: the agent's leg %s could not be ended: %s", call.pk, sid, exc)


def end_if_live(*, call_id: str) -> str:
    """The conference ended a while ago: hang up the lead's call if it is somehow still live."""
    call = Call.objects.select_related("tenant").filter(pk=call_id).first()
    if call is None or not call.is_live:
        return "ended"
    try:
        provider_named(call.provider).hangup(call)
    except ProviderError as exc:
        logger.warning("call %s: still live after its conference ended, and could not be hung up: %s", call_id, exc)
        return "failed"
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.ACTION, applied=False,
                             note="hung up: the conference had ended and the call was still live",
                             dedupe_key=f"conference-hangup:{clock.now().timestamp():.6f}")  # fmt: skip
    return "hung up"


# Supervisors ----------------------------------------------------------------------------------------
MONITOR_MESSAGES = {"listen": "Listening to the call", "whisper": "Whispering to the agent",
                    "barge": "Barged into the call"}  # fmt: skip


@transaction.atomic
def call_monitor(*, call: Call, supervisor: Agent, mode: str, actor: Actor) -> dict:
    """A supervisor listens to (muted), whispers to (coaches the agent; the lead does not hear) or barges
    into a human agent's call, or changes the mode they are in. The supervisor's softphone is added to
    the call's conference (over Twilio; recorded only with the simulator)."""
    if mode not in MONITOR_MODES:
        raise ValueError(mode)
    call = _locked(call.pk)
    if call.status != CallStatus.IN_PROGRESS:
        raise _conflict(f"The call is {call.status}: only a call in progress can be monitored.", "CALL_NOT_LIVE",
                        status=call.status)  # fmt: skip
    campaign = call.campaign
    if campaign is None or campaign.pacing_mode not in HUMAN_PACING or not call.conference_sid or not call.agent_id:
        raise _conflict("This call has no human agent's conference to join (an AI call, or no agent is on it yet).",
                        "NOT_A_HUMAN_CALL")  # fmt: skip
    if supervisor.is_ai:
        raise _conflict("An AI agent cannot monitor calls: name a human agent profile.", "NOT_A_HUMAN_AGENT")
    if not supervisor.is_active:
        raise _conflict("The supervisor's agent profile is deactivated.", "AGENT_INACTIVE")
    if supervisor.pk == call.agent_id:
        raise _conflict("The supervisor is the agent on this call.", "SUPERVISOR_IS_THE_AGENT")
    meta = dict(call.metadata)
    coach = meta.get("agent_leg_sid") or ""
    if mode == "whisper" and not (coach and meta.get("agent_joined_at") and not meta.get("agent_left_at")):
        raise _conflict("The agent is not in the conference yet: whisper once they have joined.", "AGENT_NOT_CONNECTED")
    monitors = dict(meta.get("monitors") or {})
    previous = monitors.get(str(supervisor.pk)) or {}
    present = "" if previous.get("left_at") else previous.get("participant_sid", "")
    identity = agent_identity(supervisor)
    try:
        sid = provider_named(call.provider).monitor(call, identity=identity, mode=mode, participant_sid=present,
                                                    coach_sid=coach)  # fmt: skip
    except ProviderError as exc:
        raise ApplicationError(f"The provider could not add the supervisor: {exc}", code="PROVIDER_ERROR",
                               status_code=http.HTTP_502_BAD_GATEWAY) from exc  # fmt: skip
    now = iso(clock.now())
    record = {"mode": mode, "supervisor_agent_id": str(supervisor.pk), "identity": identity, "participant_sid": sid,
              "conference_sid": call.conference_sid, "provider": call.provider,
              "started_at": previous.get("started_at") if sid == present else now, "updated_at": now}  # fmt: skip
    monitors[str(supervisor.pk)] = record
    Call.objects.filter(pk=call.pk).update(metadata={**meta, "monitors": monitors}, updated_at=clock.now())
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.ACTION, applied=True,
                             note=f"{mode} by {supervisor.name} ({actor.label})"[:255],
                             dedupe_key=f"monitor:{supervisor.pk}:{clock.now().timestamp():.6f}")  # fmt: skip
    return record
