"""Brains word the agent's replies; the state machine (apps.voice.machine) has already decided what
each reply must do. Two behind one interface:

- ScriptedBrain (the default): deterministic and offline, from the campaign's script and fields.
- LLMBrain: any OpenAI-compatible chat-completions endpoint (LLM_BASE_URL, LLM_MODEL, LLM_API_KEY),
  given the campaign's system prompt, the transcript and what the reply must do, within a time
  budget per turn (LLM_TURN_BUDGET_SECONDS); past it, or on any error, the scripted words are used.

VOICE_BRAIN picks: "scripted", "llm", or "auto" (the LLM brain when LLM_BASE_URL is set).
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

from apps.voice.analysis import TurnAnalysis
from apps.voice.machine import Decision
from apps.voice.script import CallContext


@dataclass
class Turn:
    """What a brain words one reply from."""

    context: CallContext
    conversation: object  # the Conversation, with this turn applied (last_prompt still the previous one)
    decision: Decision
    analysis: TurnAnalysis | None = None
    text: str = ""
    transcript: list[dict] = field(default_factory=list)  # up to and including the customer's turn
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass
class Reply:
    text: str
    brain: str
    prompt: str = ""  # the question the reply ends with (said again on silence)
    fallback_reason: str = ""


class Brain(Protocol):
    name: str

    def reply(self, turn: Turn) -> Reply: ...


def brain_for(choice: str | None = None) -> Brain:
    """The brain the settings choose."""
    from apps.voice.brains.llm import LLMBrain
    from apps.voice.brains.scripted import ScriptedBrain

    choice = (choice or settings.VOICE_BRAIN or "auto").lower()
    if choice in ("llm", "auto") and settings.LLM_BASE_URL:
        return LLMBrain.from_settings()
    return ScriptedBrain()
