"""The conversation's state machine: from what the customer just said (its analysis) and where the
conversation is, what happens next: the state it moves to, what the reply must do, and whether the
call ends (with which disposition, callback time, email, next step).

The decision is always made here, deterministically, whichever brain words the reply: the promises a
call ends with (a callback at 3pm, "we will not call you again") are the ones the system keeps.
Pure: it reads and changes a Conversation in memory; apps.voice.services stores it.

    greeting -> discovery -> qualification -> closing -> ended
          \\________\\______ objection_handling __/   (a detour: back where it came from, or closing)
    any state -> ended (do-not-call, wrong person, voicemail, a limit, silence, the person hangs up)
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass

from apps.voice.analysis import TurnAnalysis
from apps.voice.choices import ConversationState as S
from apps.voice.choices import EndReason, Intent, Objection, Signal, may_move
from apps.voice.extraction import callback_time, email_in
from apps.voice.script import CallContext

logger = logging.getLogger(__name__)

_DEMO_CRITERIA = re.compile(r"demo|demonstration|trial|meeting|appointment|call|consultation|session|book", re.I)
_QUOTE_CRITERIA = re.compile(r"quote|pricing|price|proposal|estimate", re.I)
_CALLBACK_EARLIEST, _CALLBACK_LATEST = dt.time(9, 0), dt.time(18, 0)
NEXT_STEP_CALLBACK = "call back"
NEXT_STEP_COLLEAGUE = "a colleague calls back"
NEXT_STEP_INFORMATION = "send more information by email"
NEXT_STEP_TRANSFER = "talk to a colleague now"
TRANSFER_HUMAN_REQUEST = "human_request"  # why a call is transferred: the person asked for one
TRANSFER_SUCCESS = "success_criteria"  # the campaign's next step was agreed and its team takes it from here


class Action:
    """What the reply does (the brains word each)."""

    GREET = "greet"
    ASK = "ask"  # the script's next question of the state
    PROPOSE = "propose"  # the closing: the campaign's next step
    HANDLE_OBJECTION = "handle_objection"
    ASK_CALLBACK_TIME = "ask_callback_time"
    ASK_EMAIL = "ask_email"
    REPROMPT = "reprompt"  # silence
    REPEAT = "repeat"  # "sorry, what?"
    CLARIFY = "clarify"  # the campaign's fallback script
    CONFIRM_CALLBACK = "confirm_callback"
    CLOSE_SUCCESS = "close_success"
    CLOSE_NOT_INTERESTED = "close_not_interested"
    CLOSE_DNC = "close_dnc"
    CLOSE_WRONG_PERSON = "close_wrong_person"
    LEAVE_VOICEMAIL = "leave_voicemail"
    CLOSE_SILENCE = "close_silence"
    CLOSE_LIMIT = "close_limit"
    CLOSE_SOFT = "close_soft"
    TRANSFER = "transfer"  # warm transfer: "I'm connecting you now", then the lead waits in the agent's conference
    END = "end"  # ended from outside (the API, a hang-up): nothing to say


# Actions whose words are fixed: a model never words a goodbye or a promise.
FINAL = frozenset({Action.CONFIRM_CALLBACK, Action.CLOSE_SUCCESS, Action.CLOSE_NOT_INTERESTED, Action.CLOSE_DNC,
                   Action.CLOSE_WRONG_PERSON, Action.LEAVE_VOICEMAIL, Action.CLOSE_SILENCE, Action.CLOSE_LIMIT,
                   Action.CLOSE_SOFT, Action.TRANSFER, Action.END, Action.GREET})  # fmt: skip


@dataclass
class Decision:
    action: str
    state: str
    step: int | None = None
    awaiting: str = ""
    objection: str = ""
    preface: str = ""  # said before the action's words: "identity" or "pricing"
    end: bool = False
    reason: str = ""
    disposition: str = ""
    callback_at: dt.datetime | None = None
    email: str = ""
    next_step: str = ""
    transfer: str = ""  # TRANSFER_HUMAN_REQUEST or TRANSFER_SUCCESS: put through to a human agent


def _end(action: str, reason: str, disposition: str = "", **values) -> Decision:
    return Decision(action=action, state=S.ENDED, end=True, reason=reason, disposition=disposition, **values)


def default_callback(ctx: CallContext, now: dt.datetime) -> dt.datetime:
    """Tomorrow, at the time it is now in the lead's zone (inside 09:00-18:00)."""
    return callback_tomorrow(ctx.tz, now)


def callback_tomorrow(tz: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(tz)
    moment = min(max(local.time().replace(second=0, microsecond=0), _CALLBACK_EARLIEST), _CALLBACK_LATEST)
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), moment, tzinfo=tz).astimezone(dt.UTC)


def _advance(ctx: CallContext, conv, *, jump: bool = False) -> Decision:
    """The script's next step from where the conversation is (after a detour: where it left)."""
    state = (conv.resume_state or S.GREETING) if conv.state == S.OBJECTION_HANDLING else conv.state
    index = conv.step + 1 if state in (S.DISCOVERY, S.QUALIFICATION) else 0
    if state == S.GREETING:
        state, index = S.DISCOVERY, 0
    if jump and state == S.DISCOVERY and index > 0:  # keen: on to qualifying
        state, index = S.QUALIFICATION, 0
    elif jump and state == S.QUALIFICATION:
        state = S.CLOSING
    while state in (S.DISCOVERY, S.QUALIFICATION):
        if index < len(ctx.script.questions(state)):
            return Decision(action=Action.ASK, state=state, step=index)
        state, index = (S.QUALIFICATION, 0) if state == S.DISCOVERY else (S.CLOSING, 0)
    if conv.state == S.CLOSING and conv.awaiting == "confirm":  # no answer to the proposal: once more, then leave it
        if conv.step == 0:
            return Decision(action=Action.PROPOSE, state=S.CLOSING, step=1, awaiting="confirm")
        return _end(Action.CLOSE_SOFT, EndReason.SOFT_CLOSE)
    return Decision(action=Action.PROPOSE, state=S.CLOSING, step=0, awaiting="confirm")


def _success(ctx: CallContext, analysis: TurnAnalysis) -> bool:
    """Whether this turn meets the campaign's success criteria (a demo or meeting agreed, a quote asked
    for, or plain interest where the criteria ask only for that)."""
    criteria = ctx.success_criteria
    signals = set(analysis.interest_signals)
    if Signal.DEMO in signals and (not criteria or _DEMO_CRITERIA.search(criteria)):
        return True
    if Signal.PRICING in signals and criteria and _QUOTE_CRITERIA.search(criteria):
        return True
    return analysis.intent == Intent.INTERESTED and "interest" in criteria.lower()


def _agree(ctx: CallContext, conv, *, email: str, information: bool = False) -> Decision:
    """The person said yes to the next step: done if we can reach them, else ask for an email."""
    next_step = NEXT_STEP_INFORMATION if information else ctx.next_step
    if ctx.transfer_to_team and not information:
        return transfer(TRANSFER_SUCCESS, disposition="interested", email=email, next_step=next_step)
    if email or conv.email or ctx.lead_email:
        return _end(Action.CLOSE_SUCCESS, EndReason.SUCCESS, "interested", email=email, next_step=next_step)
    return Decision(action=Action.ASK_EMAIL, state=S.CLOSING, awaiting="email", next_step=next_step)


def transfer(reason: str, *, disposition: str = "", email: str = "", next_step: str = "") -> Decision:
    """Put the person through to a human agent of the campaign's team: the conversation ends here and
    the call goes on in the agent's conference (the service claims the agent; with nobody free it
    asks `no_agent_free` instead)."""
    return _end(Action.TRANSFER, EndReason.TRANSFER, disposition, email=email,
                next_step=next_step or NEXT_STEP_TRANSFER, transfer=reason)  # fmt: skip


def no_agent_free(ctx: CallContext, conv, decision: Decision, *, text: str, now: dt.datetime) -> Decision:
    """A transfer with nobody free to take it: a colleague's callback instead, at the time said, else
    the person is asked when (as a request for a person is handled without a team)."""
    at = callback_time(text, now=now, tz=ctx.tz)
    if at is not None:
        return _end(Action.CONFIRM_CALLBACK, EndReason.CALLBACK, "callback_requested", callback_at=at,
                    email=decision.email, next_step=NEXT_STEP_COLLEAGUE)  # fmt: skip
    return Decision(action=Action.ASK_CALLBACK_TIME, state=conv.state, step=conv.step, awaiting="callback_time",
                    email=decision.email, next_step=NEXT_STEP_COLLEAGUE, preface="no_agent")  # fmt: skip


def _limit(ctx: CallContext, conv, now: dt.datetime) -> str:
    if ctx.duration_limit and (now - conv.started_at).total_seconds() >= ctx.duration_limit:
        return EndReason.DURATION_LIMIT
    if conv.turn_count + 1 >= ctx.max_turns:
        return EndReason.MAX_TURNS
    return ""


def _callback(ctx: CallContext, conv, text: str, now: dt.datetime, *, asked_for_person: bool = False) -> Decision:
    at = callback_time(text, now=now, tz=ctx.tz)
    next_step = NEXT_STEP_COLLEAGUE if asked_for_person else NEXT_STEP_CALLBACK
    if at is not None:
        return _end(Action.CONFIRM_CALLBACK, EndReason.CALLBACK, "callback_requested", callback_at=at,
                    next_step=next_step)  # fmt: skip
    return Decision(action=Action.ASK_CALLBACK_TIME, state=conv.state, step=conv.step, awaiting="callback_time",
                    next_step=next_step)  # fmt: skip


def decide(ctx: CallContext, conv, analysis: TurnAnalysis, *, text: str, now: dt.datetime) -> Decision:  # noqa: PLR0911, PLR0912 - the rules, in order
    """What this customer turn leads to."""
    intent = analysis.intent
    if analysis.silent:
        if conv.silence_count + 1 >= ctx.max_silences:
            return _end(Action.CLOSE_SILENCE, EndReason.SILENCE,
                        conv.disposition or ("callback_requested" if conv.callback_at else "hung_up"))  # fmt: skip
        return Decision(action=Action.REPROMPT, state=conv.state, step=conv.step, awaiting=conv.awaiting)
    # What must happen whatever else was said, and at once.
    if intent == Intent.VOICEMAIL and conv.turn_count <= 1:
        return _end(Action.LEAVE_VOICEMAIL, EndReason.VOICEMAIL, "voicemail_left")
    if intent == Intent.DO_NOT_CALL:
        return _end(Action.CLOSE_DNC, EndReason.DO_NOT_CALL, "do_not_call")
    if intent == Intent.WRONG_PERSON:
        return _end(Action.CLOSE_WRONG_PERSON, EndReason.WRONG_PERSON, "wrong_number")
    # A person asked for, now (not "have someone call me tomorrow at 3"): put through to the team.
    if intent == Intent.HUMAN_REQUEST and ctx.transfer_to_team and callback_time(text, now=now, tz=ctx.tz) is None:
        return transfer(TRANSFER_HUMAN_REQUEST, email=email_in(text))
    limit = _limit(ctx, conv, now)
    if limit:
        interested = bool({Signal.DEMO, Signal.PRICING, Signal.TIMELINE} & {*conv.interest_signals,
                                                                             *analysis.interest_signals})  # fmt: skip
        return _end(Action.CLOSE_LIMIT, limit, "interested" if interested else "")
    email = email_in(text)
    fresh = [kind for kind in analysis.objections if kind not in conv.handled_objections]
    # Answers to the question asked last.
    if conv.awaiting == "callback_time":
        decision = _callback(ctx, conv, text, now, asked_for_person=conv.next_step == NEXT_STEP_COLLEAGUE)
        if decision.end:
            return decision
        if intent == Intent.NOT_INTERESTED or analysis.negative:
            return _end(Action.CLOSE_NOT_INTERESTED, EndReason.NOT_INTERESTED, "not_interested")
        if analysis.affirmative or intent == Intent.INTERESTED:  # "go ahead, I have a minute after all"
            return _advance(ctx, conv)
        return _end(Action.CONFIRM_CALLBACK, EndReason.CALLBACK, "callback_requested",
                    callback_at=default_callback(ctx, now), next_step=decision.next_step)  # fmt: skip
    if intent in (Intent.CALLBACK_REQUEST, Intent.HUMAN_REQUEST):
        return _callback(ctx, conv, text, now, asked_for_person=intent == Intent.HUMAN_REQUEST)
    if conv.awaiting == "email" and intent != Intent.NOT_INTERESTED:
        return _end(Action.CLOSE_SUCCESS, EndReason.SUCCESS, "interested", email=email, next_step=conv.next_step)
    if intent == Intent.NOT_INTERESTED:
        if fresh and fresh[0] != Objection.TIMING:
            return Decision(action=Action.HANDLE_OBJECTION, state=S.OBJECTION_HANDLING, objection=fresh[0])
        return _end(Action.CLOSE_NOT_INTERESTED, EndReason.NOT_INTERESTED, "not_interested")
    if conv.awaiting == "confirm" and not fresh:
        if analysis.affirmative or email or intent in (Intent.INTERESTED, Intent.DEMO_REQUEST):
            return _agree(ctx, conv, email=email)
        if intent == Intent.INFORMATION_REQUEST:
            return _agree(ctx, conv, email=email, information=True)
        if analysis.negative:
            return _end(Action.CLOSE_NOT_INTERESTED, EndReason.NOT_INTERESTED, "not_interested")
    # Objections: each is answered once; raised again, it is the person's answer.
    if fresh:
        if fresh[0] == Objection.TIMING:
            return Decision(action=Action.ASK_CALLBACK_TIME, state=S.OBJECTION_HANDLING, objection=Objection.TIMING,
                            awaiting="callback_time", next_step=NEXT_STEP_CALLBACK)  # fmt: skip
        return Decision(action=Action.HANDLE_OBJECTION, state=S.OBJECTION_HANDLING, objection=fresh[0])
    if analysis.objections and not analysis.interest_signals:
        return _end(Action.CLOSE_NOT_INTERESTED, EndReason.NOT_INTERESTED, "not_interested")
    if intent == Intent.DEMO_REQUEST or _success(ctx, analysis):
        return _agree(ctx, conv, email=email)
    if intent == Intent.INFORMATION_REQUEST:
        return _agree(ctx, conv, email=email, information=True)
    if analysis.repeat:
        return Decision(action=Action.REPEAT, state=conv.state, step=conv.step, awaiting=conv.awaiting)
    if intent == Intent.IDENTITY_QUESTION:
        return Decision(action=Action.REPEAT, state=conv.state, step=conv.step, awaiting=conv.awaiting,
                        preface="identity")  # fmt: skip
    if conv.state == S.GREETING and analysis.negative:  # "no" to "have you got a minute?"
        return Decision(action=Action.ASK_CALLBACK_TIME, state=S.OBJECTION_HANDLING, objection=Objection.TIMING,
                        awaiting="callback_time", next_step=NEXT_STEP_CALLBACK)  # fmt: skip
    decision = _advance(ctx, conv, jump=intent == Intent.INTERESTED)
    if intent == Intent.PRICING_QUESTION:
        decision.preface = "pricing"
    return decision


def _add(values: list[str], new: list[str]) -> list[str]:
    return [*values, *(value for value in dict.fromkeys(new) if value not in values)]


def apply(conv, decision: Decision, analysis: TurnAnalysis, *, now: dt.datetime) -> None:
    """Record the turn and the decision on the conversation (in memory)."""
    conv.turn_count += 1
    conv.silence_count = conv.silence_count + 1 if analysis.silent else 0
    if not analysis.silent:
        conv.sentiments = [*conv.sentiments, analysis.sentiment]
        conv.objections = _add(conv.objections, analysis.objections)
        conv.interest_signals = _add(conv.interest_signals, analysis.interest_signals)
    if decision.objection:
        conv.handled_objections = _add(conv.handled_objections, [decision.objection])
        if conv.state != S.OBJECTION_HANDLING:
            conv.resume_state = conv.state
    move(conv, decision.state, now=now)
    if decision.step is not None:
        conv.step = decision.step
    conv.awaiting = decision.awaiting
    for name in ("callback_at", "email", "next_step", "disposition"):
        value = getattr(decision, name)
        if value:
            setattr(conv, name, value)
    if decision.end:
        conv.end_reason = decision.reason


def move(conv, state: str, *, now: dt.datetime) -> None:
    if state == conv.state:
        return
    if not may_move(conv.state, state):  # a rule above that breaks the map: keep the state, say so
        logger.error("conversation %s: %s -> %s is not allowed", conv.pk, conv.state, state)
        return
    conv.state = state
    conv.path = [*conv.path, state]
    if state == S.ENDED:
        conv.ended_at = now
