"""The default brain: deterministic and offline. Every line comes from the campaign's script and
fields (apps.voice.script), with the lead's details filled in; the same turn always gets the same
words."""

import datetime as dt

from apps.voice.brains import Reply, Turn
from apps.voice.choices import Objection
from apps.voice.machine import NEXT_STEP_COLLEAGUE, NEXT_STEP_INFORMATION, TRANSFER_SUCCESS, Action

_ACKS = ("Thanks for sharing that.", "That's helpful.", "I see.", "Got it.")


def spoken_time(at: dt.datetime, *, tz: dt.tzinfo, now: dt.datetime) -> str:
    """A callback time as it is said: "tomorrow at 3 PM", "on Friday at 10:30 AM"."""
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")
    if local.date() == today:
        day = "today"
    elif local.date() == today + dt.timedelta(days=1):
        day = "tomorrow"
    elif local.date() < today + dt.timedelta(days=7):
        day = f"on {local:%A}"
    else:
        day = f"on {local:%B} {local.day}"
    return f"{day} at {clock}"


class ScriptedBrain:
    name = "scripted"

    def reply(self, turn: Turn) -> Reply:  # noqa: PLR0911, PLR0912 - one branch per action
        ctx, conv, decision = turn.context, turn.conversation, turn.decision
        business, first_name = ctx.value("business_name"), ctx.value("first_name")
        last = conv.last_prompt or "Are you still there?"
        preface = ""
        if decision.preface == "identity":
            preface = f"This is {ctx.value('agent_name')}, an AI assistant calling on behalf of {business}."
        elif decision.preface == "no_agent":
            preface = "I'm sorry, all of my colleagues are busy right now."
        elif decision.preface == "pricing":
            preface = f"Good question. Pricing depends on what you need, so {business} will give you an exact quote."
        action = decision.action

        def ask(prompt: str, lead_in: str = "") -> Reply:
            text = " ".join(part for part in (preface or lead_in, prompt) if part)
            return Reply(text=text, brain=self.name, prompt=prompt)

        def say(text: str) -> Reply:
            return Reply(text=text, brain=self.name)

        if action == Action.GREET:
            return ask(ctx.script.greeting)
        if action == Action.ASK:
            return ask(ctx.script.questions(decision.state)[decision.step], self._ack(turn))
        if action == Action.PROPOSE:
            prompt = ctx.script.closing if not decision.step else "Would you like me to set that up for you?"
            return ask(prompt, "" if decision.step else self._ack(turn))
        if action == Action.HANDLE_OBJECTION:
            return ask(ctx.script.handlers[decision.objection])
        if action == Action.ASK_CALLBACK_TIME:
            if decision.objection == Objection.TIMING:
                return ask(ctx.script.handlers[Objection.TIMING])
            if decision.preface == "no_agent":
                return ask("When is a good time for one of them to call you back?")
            if decision.next_step == NEXT_STEP_COLLEAGUE:
                return ask("When is a good time for one of my colleagues to call you?", "Of course.")
            return ask("When would be a good time to call you back?", "Of course.")
        if action == Action.ASK_EMAIL:
            if decision.next_step == NEXT_STEP_INFORMATION:
                return ask("What's the best email address to send it to?", "Happy to.")
            return ask("What's the best email address to send the details to?", "Great.")
        if action == Action.REPROMPT:
            return Reply(text=f"Sorry, I didn't catch that. {last}", brain=self.name, prompt=last)
        if action == Action.REPEAT:
            return Reply(text=f"{preface or 'Of course.'} {last}", brain=self.name, prompt=last)
        if action == Action.CLARIFY:
            return ask(ctx.fallback)
        if action == Action.CONFIRM_CALLBACK:
            when = spoken_time(conv.callback_at, tz=ctx.tz, now=turn.now) if conv.callback_at else "soon"
            who = "One of my colleagues will" if conv.next_step == NEXT_STEP_COLLEAGUE else "We'll"
            return say(f"Of course. {who} call you back {when}. Thank you, goodbye.")
        if action == Action.CLOSE_SUCCESS:
            email = conv.email
            if conv.next_step == NEXT_STEP_INFORMATION:
                where = f"to {email}" if email else "by email"
                return say(f"Wonderful. I'll have the information sent {where}. Thank you for your time, "
                           f"{first_name}, and have a great day.")  # fmt: skip
            sent = f"I'll send the details to {email}. " if email else ""
            step = conv.next_step or ctx.next_step
            follow = f"We'll be in touch {step}." if step.startswith("to ") else f"We'll be in touch about {step}."
            return say(f"Wonderful. {sent}{follow} Thank you for your time, {first_name}, and have a great day.")
        if action == Action.TRANSFER:
            if decision.transfer == TRANSFER_SUCCESS:
                return say("Wonderful. I'm connecting you now with one of my colleagues, who will take it from "
                           "here. Please stay on the line.")  # fmt: skip
            return say("Of course. I'm connecting you now with one of my colleagues. Please stay on the line.")
        if action == Action.CLOSE_NOT_INTERESTED:
            return say("No problem at all. Thank you for your time, and have a great day.")
        if action == Action.CLOSE_DNC:
            return say(f"Understood. I've removed your number and {business} will not call you again. Goodbye.")
        if action == Action.CLOSE_WRONG_PERSON:
            return say("I'm sorry for the trouble. We'll update our records. Goodbye.")
        if action == Action.LEAVE_VOICEMAIL:
            return say(ctx.voicemail or f"Hello, this is {business}. Sorry we missed you; we'll try again soon.")
        if action == Action.CLOSE_SILENCE:
            return say("I'll let you go. Thank you, goodbye.")
        if action == Action.CLOSE_LIMIT:
            return say(f"I'm mindful of your time, so I'll let you go. {business} will follow up with you. "
                       "Thank you, goodbye.")  # fmt: skip
        if action == Action.CLOSE_SOFT:
            return say(f"Thank you for your time today. {business} will follow up with some information. Goodbye.")
        return say("")

    @staticmethod
    def _ack(turn: Turn) -> str:
        analysis = turn.analysis
        if analysis is None:
            return ""
        if analysis.sentiment >= 0.3 or analysis.affirmative:
            return "Great."
        if analysis.sentiment <= -0.2:
            return "I understand."
        return _ACKS[turn.conversation.turn_count % len(_ACKS)]
