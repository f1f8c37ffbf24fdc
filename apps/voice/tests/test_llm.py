"""The LLM brain against a local fake server speaking the chat-completions wire format: what it is
sent, streamed and plain answers, and the scripted words when the model is too slow, fails, or
answers nonsense. Never a mock of our own code: the real engine, over a real socket."""

import time

import pytest

from apps.calls.models import Call
from apps.voice.brains import brain_for
from apps.voice.brains.llm import LLMBrain
from apps.voice.clients.chat import ChatClient, ChatError, ChatTimeout
from apps.voice.models import Conversation

pytestmark = pytest.mark.django_db
SCRIPTED_FIRST_QUESTION = "Great. I'm calling about missed-call text-back. How do you handle that today?"


def _agent_turns(call) -> list[dict]:
    return [turn for turn in Call.objects.get(pk=call.pk).transcript if turn["speaker"] == "agent"]


def test_the_model_words_the_reply_from_the_system_prompt_and_the_transcript(fake_llm, pat, text_call, talk):
    call = text_call(pat)
    assert Conversation.objects.get(call=call).brain == "llm"
    [reply] = talk(call, ["Yes, I have a minute."])
    assert reply.say == "Sounds great. How do you follow up with new leads today?"
    [request] = fake_llm.requests
    assert request["model"] == "fake-model-1" and request["stream"] is True and request["max_tokens"] == 160
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test-key"
    system, greeting, customer = request["messages"]
    assert system["role"] == "system" and system["content"].startswith("You are Ava from Acme. Be brief and friendly.")
    assert "Success for this call: Book a demo." in system["content"]
    assert "Lee Plumbing" in system["content"] and "Conversation stage: discovery" in system["content"]
    assert SCRIPTED_FIRST_QUESTION in system["content"]  # the script's step, as a guide
    assert greeting == {
        "role": "assistant",
        "content": "Hello Pat, this is Ava calling from Acme. Do you have a minute?",
    }
    assert customer == {"role": "user", "content": "Yes, I have a minute."}
    assert _agent_turns(call)[-1]["brain"] == "llm" and "fallback" not in _agent_turns(call)[-1]


def test_a_plain_json_answer_works_too(fake_llm, pat, text_call, talk, settings):
    settings.LLM_STREAM = False
    fake_llm.reply = "Got it. What tools do you use for follow-ups?"
    call = text_call(pat)
    [reply] = talk(call, ["Yes, I have a minute."])
    assert reply.say == "Got it. What tools do you use for follow-ups?" and fake_llm.requests[0]["stream"] is False


def test_a_slow_model_gets_the_scripted_words_within_the_turns_budget(fake_llm, pat, text_call, talk, settings):
    settings.LLM_TURN_BUDGET_SECONDS = 0.5
    fake_llm.delay = 3.0
    call = text_call(pat)
    started = time.monotonic()
    [reply] = talk(call, ["Yes, I have a minute."])
    elapsed = time.monotonic() - started
    assert reply.say == SCRIPTED_FIRST_QUESTION and elapsed < 1.5
    turn = _agent_turns(call)[-1]
    assert turn["brain"] == "scripted" and turn["fallback"].startswith("ChatTimeout")
    assert reply.conversation.state == "discovery"  # the conversation goes on as if nothing happened


def test_a_stream_that_outruns_the_budget_falls_back_too(fake_llm, pat, text_call, talk, settings):
    settings.LLM_TURN_BUDGET_SECONDS = 0.6
    fake_llm.chunk_delay = 0.25  # ten words: 2.5 s
    call = text_call(pat)
    [reply] = talk(call, ["Yes, I have a minute."])
    assert reply.say == SCRIPTED_FIRST_QUESTION and _agent_turns(call)[-1]["fallback"].startswith("ChatTimeout")


@pytest.mark.parametrize(("status", "raw", "reason"), [
    (503, None, "ChatError: HTTP 503"),
    (200, b'{"unexpected": true}', "ChatError: not a chat completion"),
    (200, b"<html>gateway</html>", "ChatError:"),
])  # fmt: skip
def test_an_error_or_nonsense_gets_the_scripted_words(fake_llm, pat, text_call, talk, settings, status, raw, reason):
    settings.LLM_STREAM = False
    fake_llm.status, fake_llm.raw_body = status, raw
    call = text_call(pat)
    [reply] = talk(call, ["Yes, I have a minute."])
    assert reply.say == SCRIPTED_FIRST_QUESTION and _agent_turns(call)[-1]["fallback"].startswith(reason)


def test_an_unreachable_endpoint_gets_the_scripted_words(fake_llm, pat, text_call, talk, settings):
    fake_llm.stop()
    call = text_call(pat)
    [reply] = talk(call, ["Yes, I have a minute."])
    assert reply.say == SCRIPTED_FIRST_QUESTION and _agent_turns(call)[-1]["brain"] == "scripted"


def test_goodbyes_and_promises_are_never_the_models(fake_llm, pat, text_call, talk):
    call = text_call(pat)
    [reply] = talk(call, ["Stop calling me."])
    assert reply.say == "Understood. I've removed your number and Acme will not call you again. Goodbye."
    assert fake_llm.requests == []  # the opening and the close: the script's words, no request made


def test_the_model_sees_the_whole_conversation_so_far(fake_llm, pat, text_call, talk):
    call = text_call(pat)
    talk(call, ["Yes, I have a minute.", "We miss a lot of calls."])
    messages = fake_llm.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["system", "assistant", "user", "assistant", "user"]
    assert messages[3]["content"] == "Sounds great. How do you follow up with new leads today?"


def test_the_client_on_its_own(fake_llm):
    client = ChatClient(base_url=fake_llm.base_url, model="m")
    assert client.url.endswith("/v1/chat/completions")
    assert client.complete([{"role": "user", "content": "hi"}], budget=2.0) == fake_llm.reply
    fake_llm.delay = 1.0
    with pytest.raises(ChatTimeout):
        client.complete([{"role": "user", "content": "hi"}], budget=0.2)
    fake_llm.delay, fake_llm.status = 0.0, 500
    with pytest.raises(ChatError, match="HTTP 500"):
        client.complete([{"role": "user", "content": "hi"}], budget=2.0)


def test_the_brain_is_chosen_by_the_settings(settings):
    settings.VOICE_BRAIN, settings.LLM_BASE_URL = "auto", ""
    assert brain_for().name == "scripted"
    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"
    assert isinstance(brain_for(), LLMBrain) and brain_for("scripted").name == "scripted"
    settings.VOICE_BRAIN = "llm"
    settings.LLM_BASE_URL = ""
    assert brain_for().name == "scripted"  # no endpoint: nothing to talk to


def test_what_the_model_says_is_made_speakable(fake_llm, pat, text_call, talk):
    fake_llm.reply = '"**Great!**  How many calls   do you miss a week?"'
    call = text_call(pat)
    [reply] = talk(call, ["Yes, I have a minute."])
    assert reply.say == "Great! How many calls do you miss a week?"
