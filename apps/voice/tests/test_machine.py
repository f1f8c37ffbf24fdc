"""The state machine on its own (no database): transitions, limits, silences, objections, the
script's steps, with the scripted brain wording each reply."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.voice.analysis import analyse
from apps.voice.brains import Turn
from apps.voice.brains.scripted import ScriptedBrain
from apps.voice.choices import ALLOWED, ConversationState, may_move
from apps.voice.machine import Action, apply, decide
from apps.voice.models import Conversation
from apps.voice.script import CallContext, build_script

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=NY)
VALUES = {"first_name": "Pat", "business_name": "Acme", "agent_name": "Ava", "company_name": "Lee Plumbing",
          "client_service": "missed-call text-back"}  # fmt: skip


def _context(template: str = "", **values) -> CallContext:
    script = build_script(template=template, values=VALUES, offer="missed-call text-back", next_step="to book a demo")
    return CallContext(values=VALUES, script=script, success_criteria="Book a demo.", next_step="to book a demo",
                       tz=NY, **values)  # fmt: skip


def _conversation(**values) -> Conversation:
    return Conversation(state=ConversationState.GREETING, path=[ConversationState.GREETING], started_at=NOW, **values)


def _run(ctx: CallContext, lines: list[str], conv: Conversation | None = None, *, step: float = 10.0):
    """Each line as a customer turn, `step` seconds apart: (conversation, the actions, the agent's words)."""
    conv = conv or _conversation(last_prompt=ctx.script.greeting)
    actions, said = [], []
    for n, line in enumerate(lines, start=1):
        now = NOW + dt.timedelta(seconds=step * n)
        analysis = analyse(line)
        decision = decide(ctx, conv, analysis, text=line, now=now)
        apply(conv, decision, analysis, now=now)
        reply = ScriptedBrain().reply(Turn(context=ctx, conversation=conv, decision=decision, analysis=analysis,
                                           text=line, now=now))  # fmt: skip
        conv.last_prompt = reply.prompt or conv.last_prompt
        actions.append(decision.action)
        said.append(reply.text)
        if conv.is_over:
            break
    return conv, actions, said


def test_the_map_goes_forward_with_one_detour_and_ended_is_final():
    S = ConversationState
    assert ALLOWED[S.ENDED] == frozenset()
    assert all(S.ENDED in targets for state, targets in ALLOWED.items() if state != S.ENDED)
    assert not may_move(S.QUALIFICATION, S.DISCOVERY) and not may_move(S.CLOSING, S.DISCOVERY)
    assert may_move(S.OBJECTION_HANDLING, S.DISCOVERY) and may_move(S.CLOSING, S.OBJECTION_HANDLING)


@pytest.mark.parametrize("lines", [
    ["Yes, I have a minute.", "We miss calls.", "People hang up.", "Soon.", "Yes, I own it.", "Sure.", "pat@x.com"],
    ["Who is this?", "Okay go ahead", "We already use another provider.", "fine, tell me more", "how much is it?",
     "I'm the owner", "let's do a demo", "pat at example dot com"],
    ["I'm busy right now", "tomorrow at 3pm"],
    ["no", "friday"],
    ["too expensive", "still too expensive"],
    ["", "", ""],
])  # fmt: skip
def test_every_move_the_machine_makes_is_on_the_map(lines):
    conv, _, _ = _run(_context(), lines)
    for before, after in zip(conv.path, conv.path[1:], strict=False):
        assert after in ALLOWED[before], (before, after, conv.path)


def test_silence_is_prompted_again_then_the_call_ends_politely():
    conv, actions, said = _run(_context(max_silences=2), ["", ""])
    assert actions == [Action.REPROMPT, Action.CLOSE_SILENCE]
    assert said[0] == "Sorry, I didn't catch that. Hello Pat, this is Ava calling from Acme. Do you have a minute?"
    assert said[1] == "I'll let you go. Thank you, goodbye."
    assert (conv.end_reason, conv.disposition, conv.path) == ("silence", "hung_up", ["greeting", "ended"])


def test_a_silence_in_the_middle_repeats_the_last_question_and_speaking_resets_the_count():
    conv, actions, said = _run(_context(max_silences=2), ["Yes, I have a minute.", "", "We miss a lot of calls.", ""])
    assert actions == [Action.ASK, Action.REPROMPT, Action.ASK, Action.REPROMPT]
    assert (
        said[1] == "Sorry, I didn't catch that. I'm calling about missed-call text-back. How do you handle that today?"
    )
    assert not conv.is_over


def test_the_turn_limit_closes_the_call():
    conv, actions, said = _run(_context(max_turns=3), ["Yes.", "We miss calls.", "Hard to say."])
    assert actions[-1] == Action.CLOSE_LIMIT and conv.end_reason == "max_turns"
    assert "mindful of your time" in said[-1]


def test_the_campaigns_duration_limit_closes_the_call():
    conv, actions, _ = _run(_context(duration_limit=60), ["Yes.", "We miss calls.", "Hard to say."], step=25.0)
    assert actions == [Action.ASK, Action.ASK, Action.CLOSE_LIMIT] and conv.end_reason == "duration_limit"


def test_a_do_not_call_request_ends_the_call_whatever_the_limits():
    conv, actions, said = _run(_context(max_turns=2), ["Yes.", "Stop calling me."])
    assert actions[-1] == Action.CLOSE_DNC and conv.disposition == "do_not_call"
    assert said[-1] == "Understood. I've removed your number and Acme will not call you again. Goodbye."


def test_each_objection_is_answered_once_and_raised_again_it_is_the_answer():
    conv, actions, said = _run(_context(), ["It's too expensive.", "No, still too expensive for us."])
    assert actions == [Action.HANDLE_OBJECTION, Action.CLOSE_NOT_INTERESTED]
    assert said[0].startswith("I understand, budget matters. Most of our customers find missed-call text-back pays")
    assert conv.path == ["greeting", "objection_handling", "ended"] and conv.handled_objections == ["price"]


def test_a_timing_objection_asks_when_to_call_and_a_vague_answer_gets_tomorrow():
    conv, actions, said = _run(_context(), ["I'm driving.", "whenever"])
    assert actions == [Action.ASK_CALLBACK_TIME, Action.CONFIRM_CALLBACK]
    assert said[0] == "I understand, I caught you at a busy moment. When would be a better time for a quick call?"
    assert conv.callback_at.astimezone(NY) == dt.datetime(2026, 12, 3, 10, 0, tzinfo=NY)
    assert said[1] == "Of course. We'll call you back tomorrow at 10 AM. Thank you, goodbye."


def test_no_to_have_you_got_a_minute_offers_a_callback():
    conv, actions, said = _run(_context(), ["no", "friday at 11"])
    assert actions == [Action.ASK_CALLBACK_TIME, Action.CONFIRM_CALLBACK]
    assert said[1] == "Of course. We'll call you back on Friday at 11 AM. Thank you, goodbye."
    assert conv.disposition == "callback_requested"


def test_asking_for_a_person_books_a_colleagues_callback():
    conv, actions, said = _run(_context(), ["can I speak to a real person", "tomorrow at 2pm"])
    assert actions == [Action.ASK_CALLBACK_TIME, Action.CONFIRM_CALLBACK]
    assert said[1].startswith("Of course. One of my colleagues will call you back tomorrow at 2 PM")
    assert conv.next_step == "a colleague calls back"


def test_who_is_this_is_answered_honestly_then_the_question_again():
    _, actions, said = _run(_context(), ["Who is this?"])
    assert actions == [Action.REPEAT]
    assert said[0] == ("This is Ava, an AI assistant calling on behalf of Acme. Hello Pat, this is Ava calling from "
                       "Acme. Do you have a minute?")  # fmt: skip


def test_a_pricing_question_is_answered_and_the_script_goes_on():
    _, actions, said = _run(_context(), ["Yes.", "How much does it cost?"])
    assert actions == [Action.ASK, Action.ASK]
    assert said[1] == ("Good question. Pricing depends on what you need, so Acme will give you an exact quote. What's "
                       "the biggest challenge there at the moment?")  # fmt: skip


def test_a_non_answer_to_the_proposal_gets_it_once_more_then_a_soft_close():
    conv, actions, _ = _run(_context(), ["Yes.", "a", "b", "c", "d", "hmm", "maybe"])
    assert actions[-3:] == [Action.PROPOSE, Action.PROPOSE, Action.CLOSE_SOFT]
    assert conv.end_reason == "soft_close" and conv.path[-2:] == ["closing", "ended"]


def test_the_campaigns_own_script_steps_and_handlers_are_followed():
    template = ("greeting: Hi {first_name}, Ava here from {business_name}. Got a minute?\n"
                "discovery: How do you follow up on missed calls?\n"
                "qualification: How many calls a day do you get?\n"
                "closing: Shall I book you a 15-minute demo?\n"
                "competitor: Plenty of our clients came from {business_name}'s rivals. What do you like least?")  # fmt: skip
    ctx = _context(template)
    assert ctx.script.greeting == "Hi Pat, Ava here from Acme. Got a minute?"
    conv, actions, said = _run(ctx, ["yes", "we use another provider", "they are slow", "about 40", "yes please"])
    assert said[0].endswith("How do you follow up on missed calls?")
    assert said[1] == "Plenty of our clients came from Acme's rivals. What do you like least?"
    assert said[2].endswith("How many calls a day do you get?") and said[3].endswith(
        "Shall I book you a 15-minute demo?"
    )
    assert conv.path == ["greeting", "discovery", "objection_handling", "qualification", "closing"]
    assert actions[-1] == Action.ASK_EMAIL


def test_any_conversation_stays_on_the_map_and_ends_within_the_limits():
    """Three hundred conversations of random lines (seeded): every move allowed, every reply said,
    every conversation over by the turn limit, and the end's disposition one the dialer knows."""
    import random

    from apps.calls.seeds import STANDARD_DISPOSITIONS
    from apps.voice.tests.test_analysis import INTENTS, OBJECTIONS, SIGNALS

    bank = sorted({text for text, _ in INTENTS + OBJECTIONS + SIGNALS} | {"", "what?", "tomorrow", "ok", "no"})
    known = {code for code, *_ in STANDARD_DISPOSITIONS}
    rng = random.Random(7)
    for _ in range(300):
        ctx = _context(max_turns=12)
        conv, actions, said = _run(ctx, [rng.choice(bank) for _ in range(20)])
        assert conv.is_over and conv.turn_count <= ctx.max_turns, (conv.path, actions)
        assert all(after in ALLOWED[before] for before, after in zip(conv.path, conv.path[1:], strict=False))
        assert all(line.strip() for line in said) and "{" not in " ".join(said), list(zip(actions, said, strict=True))
        assert conv.disposition in known | {""}, conv.disposition
