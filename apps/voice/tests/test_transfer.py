"""Warm transfer in the engine: a request for a person, or the campaign's success criteria met, puts
the person through to a human agent of the campaign's team; without a team (or with nobody free)
the agent offers a colleague's callback instead, as a request for a person was handled before."""

import datetime as dt

from apps.voice.analysis import analyse
from apps.voice.choices import ConversationState, EndReason
from apps.voice.machine import (
    NEXT_STEP_COLLEAGUE,
    TRANSFER_HUMAN_REQUEST,
    TRANSFER_SUCCESS,
    Action,
    apply,
    decide,
    no_agent_free,
)
from apps.voice.tests.test_machine import NOW, _context, _conversation, _run


def _decide(ctx, line: str, conv=None):
    conv = conv or _conversation(last_prompt=ctx.script.greeting)
    return conv, decide(ctx, conv, analyse(line), text=line, now=NOW)


def test_it_transfers_a_request_for_a_person_when_the_campaign_has_a_team():
    _conv, decision = _decide(_context(transfer_to_team=True), "Can I speak to a real person please?")

    assert (decision.action, decision.transfer, decision.reason) == (Action.TRANSFER, TRANSFER_HUMAN_REQUEST,
                                                                      EndReason.TRANSFER)  # fmt: skip
    assert decision.end and decision.state == ConversationState.ENDED and decision.disposition == ""


def test_without_a_team_a_request_for_a_person_books_a_colleagues_callback_as_before():
    conv, actions, said = _run(_context(), ["Can I speak to a real person please?", "Tomorrow at 3pm"])

    assert actions == [Action.ASK_CALLBACK_TIME, Action.CONFIRM_CALLBACK]
    assert conv.next_step == NEXT_STEP_COLLEAGUE and conv.disposition == "callback_requested"
    assert "One of my colleagues will call you back tomorrow at 3 PM" in said[-1]


def test_a_person_asked_for_later_is_a_callback_not_a_transfer():
    _conv, decision = _decide(_context(transfer_to_team=True), "Have a person call me back tomorrow at 3pm")

    assert decision.action == Action.CONFIRM_CALLBACK and decision.callback_at is not None


def test_the_success_criteria_met_with_a_team_is_a_transfer():
    conv, actions, said = _run(_context(transfer_to_team=True), ["Yes, I have a minute.", "Sure, let's book a demo."])

    assert actions[-1] == Action.TRANSFER
    assert (conv.end_reason, conv.disposition, conv.state) == (EndReason.TRANSFER, "interested",
                                                                ConversationState.ENDED)  # fmt: skip
    assert "connecting you now with one of my colleagues" in said[-1]


def test_the_proposed_next_step_agreed_with_a_team_is_a_transfer():
    ctx = _context(transfer_to_team=True)
    conv = _conversation(awaiting="confirm", last_prompt="Shall we book a demo?")
    conv.state, conv.path = ConversationState.CLOSING, [ConversationState.GREETING, ConversationState.CLOSING]
    _conv, decision = _decide(ctx, "Yes, that works for me.", conv)

    assert (decision.action, decision.transfer) == (Action.TRANSFER, TRANSFER_SUCCESS)


def test_the_success_criteria_met_without_a_team_closes_as_before():
    _conv, actions, _said = _run(_context(), ["Yes, I have a minute.", "Sure, let's book a demo."])

    assert actions[-1] in (Action.ASK_EMAIL, Action.CLOSE_SUCCESS) and Action.TRANSFER not in actions


def test_with_nobody_free_the_agent_offers_a_colleagues_callback_and_books_it():
    ctx = _context(transfer_to_team=True)
    line = "Can I talk to a human?"
    conv, decision = _decide(ctx, line)

    fallback = no_agent_free(ctx, conv, decision, text=line, now=NOW)
    apply(conv, fallback, analyse(line), now=NOW)

    assert (fallback.action, fallback.preface, conv.awaiting) == (Action.ASK_CALLBACK_TIME, "no_agent",
                                                                   "callback_time")  # fmt: skip
    assert conv.next_step == NEXT_STEP_COLLEAGUE and not conv.is_over
    later = NOW + dt.timedelta(seconds=10)
    answer = decide(ctx, conv, analyse("Friday morning"), text="Friday morning", now=later)
    assert (answer.action, answer.disposition) == (Action.CONFIRM_CALLBACK, "callback_requested")
    assert answer.callback_at is not None and answer.next_step == NEXT_STEP_COLLEAGUE


def test_with_nobody_free_a_time_said_with_the_request_is_booked_at_once():
    ctx = _context(transfer_to_team=True)
    conv, decision = _decide(ctx, "I want to talk to a person")
    fallback = no_agent_free(ctx, conv, decision, text="I want to talk to a person, or tomorrow at 3pm", now=NOW)

    assert fallback.action == Action.CONFIRM_CALLBACK and fallback.callback_at is not None
