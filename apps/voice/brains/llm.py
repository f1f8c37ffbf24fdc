"""The LLM brain: a model behind any OpenAI-compatible chat-completions endpoint words the replies.

It is given the campaign's system prompt (placeholders filled), how to speak on a phone call, what
this reply must do (the state machine's decision, with the scripted words as a guide) and the
transcript so far. Goodbyes, promises and the opening are never left to the model (machine.FINAL):
they are the scripted words. Past the turn's time budget, or on any error, the scripted words are
used too, and the transcript says so.
"""

import logging
import re

from django.conf import settings

from apps.voice.brains import Reply, Turn
from apps.voice.brains.scripted import ScriptedBrain
from apps.voice.clients.chat import ChatClient, ChatError
from apps.voice.machine import FINAL, Action

logger = logging.getLogger(__name__)
_MAX_CHARS = 600
_MARKUP = re.compile(r"[*#`>\[\]]+")

_GOALS = {
    Action.ASK: "Ask the next question of the script.",
    Action.PROPOSE: "Propose the campaign's next step and ask whether it works for them.",
    Action.HANDLE_OBJECTION: "The customer raised a {objection} objection: acknowledge it, answer it briefly and "
    "honestly, then ask one question to move on.",
    Action.ASK_CALLBACK_TIME: "Ask when would be a better time to call back.",
    Action.ASK_EMAIL: "Ask for the best email address to send the details to.",
    Action.REPROMPT: "The customer said nothing. Check they are still there and repeat the last question briefly.",
    Action.REPEAT: "Answer what the customer asked, then repeat the last question.",
    Action.CLARIFY: "Ask the customer to say a bit more.",
}


class LLMBrain:
    name = "llm"

    def __init__(self, client: ChatClient, *, budget: float, fallback: ScriptedBrain | None = None):
        self.client = client
        self.budget = budget
        self.fallback = fallback or ScriptedBrain()

    @classmethod
    def from_settings(cls) -> "LLMBrain":
        client = ChatClient(base_url=settings.LLM_BASE_URL, model=settings.LLM_MODEL, api_key=settings.LLM_API_KEY,
                            stream=settings.LLM_STREAM, max_tokens=settings.LLM_MAX_TOKENS)  # fmt: skip
        return cls(client, budget=settings.LLM_TURN_BUDGET_SECONDS)

    def reply(self, turn: Turn) -> Reply:
        scripted = self.fallback.reply(turn)
        if turn.decision.action in FINAL:
            return scripted
        try:
            text = self.client.complete(self.messages(turn, guide=scripted.text), budget=self.budget)
        except ChatError as exc:
            logger.warning("LLM brain: %s; the scripted words are used", exc)
            return Reply(text=scripted.text, brain=self.fallback.name, prompt=scripted.prompt,
                         fallback_reason=f"{type(exc).__name__}: {exc}"[:200])  # fmt: skip
        text = _spoken(text)
        if not text:
            return Reply(text=scripted.text, brain=self.fallback.name, prompt=scripted.prompt,
                         fallback_reason="empty answer")  # fmt: skip
        return Reply(text=text, brain=self.name, prompt=text)

    def messages(self, turn: Turn, *, guide: str) -> list[dict]:
        ctx, decision = turn.context, turn.decision
        goal = _GOALS.get(decision.action, "Continue the conversation.").format(objection=decision.objection)
        about = ", ".join(f"{key}: {value}" for key, value in ctx.lead_info.items() if value)
        system = "\n\n".join(part for part in (
            ctx.system_prompt or f"You are {ctx.value('agent_name')}, calling for {ctx.value('business_name')}.",
            f"This call's purpose: {ctx.purpose}" if ctx.purpose else "",
            f"The person you are calling: {about}." if about else "",
            f"Success for this call: {ctx.success_criteria}" if ctx.success_criteria else "",
            "You are speaking on a live phone call: answer in one to three short spoken sentences, with no lists, "
            "markup or emoji. If asked, say honestly that you are an AI assistant.",
            f"Conversation stage: {decision.state.replace('_', ' ')}. What this reply must do: {goal} "
            f'A reply that would do: "{guide}"',
        ) if part)  # fmt: skip
        messages = [{"role": "system", "content": system}]
        for entry in turn.transcript:
            role = "assistant" if entry.get("speaker") == "agent" else "user"
            messages.append({"role": role, "content": entry.get("text") or "(silence)"})
        return messages


def _spoken(text: str) -> str:
    text = _MARKUP.sub("", text or "")
    text = re.sub(r"\s+", " ", text).strip().strip('"').strip()
    if len(text) > _MAX_CHARS:
        cut = text[:_MAX_CHARS]
        text = cut[: max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! ")) + 1] or cut
    return text
