"""The call's state machine, its outcomes and the words the spec documents use for them."""

from django.db import models


class CallStatus(models.TextChoices):
    """Where a call is. Moves only forward (see RANK); the dialer and the provider's callbacks move it."""

    QUEUED = "queued", "Queued (claimed by the dialer)"
    INITIATED = "initiated", "Initiated (the provider has it)"
    RINGING = "ringing", "Ringing"
    IN_PROGRESS = "in_progress", "In progress (answered)"
    COMPLETED = "completed", "Completed"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no_answer", "No answer"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled (never rang)"


LIVE = frozenset({CallStatus.QUEUED, CallStatus.INITIATED, CallStatus.RINGING, CallStatus.IN_PROGRESS})
TERMINAL = frozenset({CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED,
                      CallStatus.CANCELED})  # fmt: skip
# A callback may only move a call to a later rank: a late "ringing" never undoes "in-progress", and
# nothing leaves a terminal state.
RANK = {CallStatus.QUEUED: 0, CallStatus.INITIATED: 1, CallStatus.RINGING: 2, CallStatus.IN_PROGRESS: 3,
        **dict.fromkeys(TERMINAL, 4)}  # fmt: skip
# From an answered call only these endings are possible.
AFTER_ANSWER = frozenset({CallStatus.COMPLETED, CallStatus.FAILED, CallStatus.CANCELED})


def may_move(current: str, target: str) -> bool:
    if current in TERMINAL or RANK[target] <= RANK[current]:
        return False
    return not (current == CallStatus.IN_PROGRESS and target not in AFTER_ANSWER)


# Twilio's CallStatus words -> ours.
PROVIDER_STATUS = {
    "queued": CallStatus.INITIATED, "initiated": CallStatus.INITIATED, "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.IN_PROGRESS, "answered": CallStatus.IN_PROGRESS, "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY, "no-answer": CallStatus.NO_ANSWER, "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
}  # fmt: skip


class CallOutcome(models.TextChoices):
    """How a finished call went, from the provider's final status and answering-machine detection.
    A person's disposition (CallDisposition) may say more; retries read both."""

    ANSWERED = "answered", "Answered by a person"
    VOICEMAIL = "voicemail", "Answering machine"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned (answered, no agent free)"
    CANCELED = "canceled", "Canceled before it rang"


# Spec 000 filters history by outcome "answered"; the issue and spec 004 also say "completed".
OUTCOME_WORDS = {"completed": CallOutcome.ANSWERED, "human": CallOutcome.ANSWERED, "machine": CallOutcome.VOICEMAIL,
                 **{value: value for value in CallOutcome.values}}  # fmt: skip


class AnsweredBy(models.TextChoices):
    """Twilio's AnsweredBy values (answering-machine detection)."""

    HUMAN = "human", "Human"
    MACHINE_START = "machine_start", "Machine (greeting started)"
    MACHINE_END_BEEP = "machine_end_beep", "Machine (after the beep)"
    MACHINE_END_SILENCE = "machine_end_silence", "Machine (after silence)"
    MACHINE_END_OTHER = "machine_end_other", "Machine (other)"
    FAX = "fax", "Fax"
    UNKNOWN = "unknown", "Unknown"


MACHINE = frozenset({AnsweredBy.MACHINE_START, AnsweredBy.MACHINE_END_BEEP, AnsweredBy.MACHINE_END_SILENCE,
                     AnsweredBy.MACHINE_END_OTHER, AnsweredBy.FAX})  # fmt: skip


class EventKind(models.TextChoices):
    """What a CallEvent records."""

    DIALER = "dialer", "Dialer"
    STATUS = "status", "Status callback"
    ANSWER = "answer", "Answer (call control)"
    AMD = "amd", "Answering-machine detection"
    RECORDING = "recording", "Recording"
    CONFERENCE = "conference", "Conference"
    AGENT = "agent", "Agent leg"
    RECONCILE = "reconcile", "Reconciled with the provider"
    ACTION = "action", "Action by a person"
