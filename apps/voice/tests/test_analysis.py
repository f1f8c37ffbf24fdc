"""Turn analysis on the phrases people really say on a sales call, as speech-to-text writes them
(often lower case, without apostrophes or punctuation)."""

import pytest

from apps.voice.analysis import analyse, sentiment

INTENTS = [
    ("Yes, I have a few minutes to chat", "general_inquiry"),
    ("Hi Sarah, yes I have a few minutes to chat", "general_inquiry"),
    ("That sounds interesting, tell me more.", "interested"),
    ("we are actually looking for something like that", "interested"),
    ("I'm not interested, thanks.", "not_interested"),
    ("no thank you", "not_interested"),
    ("we're all set thanks", "not_interested"),
    ("not for us", "not_interested"),
    ("Can you call me back tomorrow afternoon?", "callback_request"),
    ("call me back next week", "callback_request"),
    ("could you try me again later", "callback_request"),
    ("How much does it cost?", "pricing_question"),
    ("whats the price per month", "pricing_question"),
    ("Sure, let's book a demo.", "demo_request"),
    ("can you show me how it works", "demo_request"),
    ("I'd like to see it in action", "demo_request"),
    ("Please send me an email.", "information_request"),
    ("just email me the details", "information_request"),
    ("Who is this?", "identity_question"),
    ("are you a robot", "identity_question"),
    ("what is this about", "identity_question"),
    ("can I talk to a real person", "human_request"),
    ("Sorry, wrong number.", "wrong_person"),
    ("there's no Pat here", "wrong_person"),
    ("Please stop calling me.", "do_not_call"),
    ("take me off your list", "do_not_call"),
    ("dont call me again", "do_not_call"),
    ("put me on your do not call list", "do_not_call"),
    ("Hi, you've reached Pat. Please leave a message after the beep.", "voicemail"),
    ("the person you are calling is not available to take your call", "voicemail"),
    ("", "silence"),
    ("   ", "silence"),
]


@pytest.mark.parametrize(("text", "intent"), INTENTS)
def test_it_reads_the_intent(text, intent):
    assert analyse(text).intent == intent


OBJECTIONS = [
    ("It's way too expensive for us.", ["price"]),
    ("we dont have the budget this year", ["price"]),
    ("I'm busy right now", ["timing"]),
    ("I'm driving.", ["timing"]),
    ("this is not a good time", ["timing"]),
    ("we don't really need that", ["need"]),
    ("we're happy with how we do it", ["need"]),
    ("I'd have to check with my manager", ["authority"]),
    ("I'm not the right person for this", ["authority"]),
    ("my boss makes those decisions", ["authority"]),
    ("We already use another provider.", ["competitor"]),
    ("we are under contract until june", ["competitor"]),
    ("How did you get my number? Is this a scam?", ["trust"]),
    ("never heard of your company", ["trust"]),
    ("too expensive and my partner decides anyway", ["price", "authority"]),
    ("Honestly we miss a lot of calls while we're busy on jobs.", []),
    ("that doesn't make sense to me", []),
    ("Yes, I have a minute.", []),
]


@pytest.mark.parametrize(("text", "objections"), OBJECTIONS)
def test_it_finds_the_objections(text, objections):
    assert analyse(text).objections == objections


SIGNALS = [
    ("Yes, I have a few minutes to chat", ["verbal_interest"]),
    ("That sounds interesting, tell me more.", ["verbal_interest"]),
    ("Sure, let's book a demo.", ["verbal_interest", "demo_interest"]),
    ("How much does it cost?", ["pricing_interest"]),
    ("We want to get started this quarter", ["timeline_interest"]),
    ("how soon could we go live", ["timeline_interest"]),
    ("I'm not interested, thanks.", []),
    ("Please stop calling me, yes I mean it.", []),
    ("I don't need a demo", []),
    ("not sure, but tell me more", ["verbal_interest"]),
]


@pytest.mark.parametrize(("text", "signals"), SIGNALS)
def test_it_finds_the_interest_signals(text, signals):
    assert analyse(text).interest_signals == signals


@pytest.mark.parametrize("text", ["I'm not interested", "I'm not really interested at all", "not interested"])
def test_a_negated_phrase_is_never_interest(text):
    result = analyse(text)
    assert result.intent == "not_interested" and "verbal_interest" not in result.interest_signals


def test_sentiment_is_vaders_compound_in_minus_one_to_one():
    happy, angry = sentiment("That sounds great, I love it!"), sentiment("This is a terrible, annoying scam.")
    assert 0.5 < happy <= 1 and -1 <= angry < -0.5
    assert sentiment("") == 0.0 and sentiment("The office is on Main Street.") == 0.0


def test_the_sales_words_vader_does_not_know_weigh_in():
    assert sentiment("too expensive") < 0 < sentiment("interested")


def test_the_analysis_has_spec_001s_shape():
    result = analyse("Hi Sarah, yes I have a few minutes to chat").public()
    assert set(result) == {"sentiment", "intent", "objections", "interest_signals"} and 0 < result["sentiment"] <= 1
    assert (result["intent"], result["objections"], result["interest_signals"]) == (
        "general_inquiry", [], ["verbal_interest"])  # fmt: skip


def test_a_short_question_back_asks_to_hear_it_again():
    assert analyse("sorry, what?").repeat and analyse("pardon?").repeat and not analyse("what does it cost").repeat
    assert analyse("no").negative and analyse("nope, not really").negative and not analyse("I know").negative
