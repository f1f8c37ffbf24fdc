"""The conversation's states and the words the engine uses for what it hears (spec 001)."""

from django.db import models


class ConversationState(models.TextChoices):
    """Where a conversation is. Moves only along ALLOWED; ended is final."""

    GREETING = "greeting", "Greeting"
    DISCOVERY = "discovery", "Discovery"
    QUALIFICATION = "qualification", "Qualification"
    OBJECTION_HANDLING = "objection_handling", "Objection handling"
    CLOSING = "closing", "Closing"
    ENDED = "ended", "Ended"


S = ConversationState
# Forward through the script; objection handling is a detour that returns where it came from (or
# closes); any state may end (a do-not-call request, a limit, the person hangs up).
ALLOWED: dict[str, frozenset[str]] = {
    S.GREETING: frozenset({S.DISCOVERY, S.QUALIFICATION, S.OBJECTION_HANDLING, S.CLOSING, S.ENDED}),
    S.DISCOVERY: frozenset({S.QUALIFICATION, S.OBJECTION_HANDLING, S.CLOSING, S.ENDED}),
    S.QUALIFICATION: frozenset({S.OBJECTION_HANDLING, S.CLOSING, S.ENDED}),
    S.OBJECTION_HANDLING: frozenset({S.DISCOVERY, S.QUALIFICATION, S.CLOSING, S.ENDED}),
    S.CLOSING: frozenset({S.OBJECTION_HANDLING, S.ENDED}),
    S.ENDED: frozenset(),
}
# The order states are reached in, for "how far did it get" (objection handling is a detour).
DEPTH = {S.GREETING: 0, S.DISCOVERY: 1, S.OBJECTION_HANDLING: 1, S.QUALIFICATION: 2, S.CLOSING: 3, S.ENDED: 4}


def may_move(current: str, target: str) -> bool:
    return current == target or target in ALLOWED.get(current, frozenset())


class Mode(models.TextChoices):
    VOICE = "voice", "Phone call (speech)"
    TEXT = "text", "Text (the REST API)"


class Intent:
    """What a customer turn wants (spec 001's list, and a few more the engine acts on)."""

    SILENCE = "silence"
    GENERAL_INQUIRY = "general_inquiry"
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    CALLBACK_REQUEST = "callback_request"
    PRICING_QUESTION = "pricing_question"
    DEMO_REQUEST = "demo_request"
    INFORMATION_REQUEST = "information_request"
    IDENTITY_QUESTION = "identity_question"
    HUMAN_REQUEST = "human_request"
    WRONG_PERSON = "wrong_person"
    DO_NOT_CALL = "do_not_call"
    VOICEMAIL = "voicemail"
    ALL = (SILENCE, GENERAL_INQUIRY, INTERESTED, NOT_INTERESTED, CALLBACK_REQUEST, PRICING_QUESTION, DEMO_REQUEST,
           INFORMATION_REQUEST, IDENTITY_QUESTION, HUMAN_REQUEST, WRONG_PERSON, DO_NOT_CALL, VOICEMAIL)  # fmt: skip


class Objection:
    PRICE = "price"
    TIMING = "timing"
    NEED = "need"
    AUTHORITY = "authority"
    COMPETITOR = "competitor"
    TRUST = "trust"
    ALL = (PRICE, TIMING, NEED, AUTHORITY, COMPETITOR, TRUST)


class Signal:
    VERBAL = "verbal_interest"
    DEMO = "demo_interest"
    PRICING = "pricing_interest"
    TIMELINE = "timeline_interest"
    ALL = (VERBAL, DEMO, PRICING, TIMELINE)


class EndReason:
    """Why a conversation ended."""

    SUCCESS = "success"  # the campaign's next step was agreed
    NOT_INTERESTED = "not_interested"
    CALLBACK = "callback"
    DO_NOT_CALL = "do_not_call"
    WRONG_PERSON = "wrong_person"
    VOICEMAIL = "voicemail"
    SILENCE = "silence"
    DURATION_LIMIT = "duration_limit"
    MAX_TURNS = "max_turns"
    HANGUP = "hangup"  # the person hung up (the call ended without the engine's goodbye)
    REQUESTED = "requested"  # ended through the API
    SOFT_CLOSE = "soft_close"  # no decision; a follow-up is left to the team
    TRANSFER = "transfer"  # put through to a human agent (warm transfer): the call goes on with them
