"""Spec 001's realtime socket of a voice AI call (/api/v1/voice/calls/{id}/realtime), through the whole
ASGI application with Channels' communicator on the real Redis layer and PostgreSQL: the same
conversation as the REST flow, text in and the agent's answer out, audio refused clearly, and the
socket closed for anyone who may not see the call."""

import functools
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers
from channels.testing.websocket import WebsocketCommunicator

from apps.tenants import tokens
from leadvoice.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")
WAIT = 10


def sync(test):
    """Run an async test on an event loop of its own (no asyncio plugin here; fixtures still apply)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return async_to_sync(test)(*args, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    channel_layers.backends.clear()  # one event loop per test, one layer per loop
    yield
    channel_layers.backends.clear()


@pytest.fixture
def call_id(api_client_for, alice, pat) -> str:
    created = api_client_for(alice).post("/api/v1/voice/calls/", {"lead_id": str(pat.pk)}, format="json")
    assert created.status_code == 201, created.json()
    return created.json()["call_id"]


async def _open(call_id: str, user=None, *, slash: str = "") -> tuple[WebsocketCommunicator, dict]:
    token = await sync_to_async(lambda: tokens.tokens_issue(user=user)["access_token"])() if user else ""
    path = f"/api/v1/voice/calls/{call_id}/realtime{slash}" + (f"?token={token}" if token else "")
    comm = WebsocketCommunicator(application, path, headers=[ORIGIN])
    connected, _ = await comm.connect(timeout=WAIT)
    assert connected
    return comm, await comm.receive_output(WAIT)


async def _say(comm, message) -> dict:
    await comm.send_to(text_data=message if isinstance(message, str) else json.dumps(message))
    return await comm.receive_json_from(WAIT)


@sync
async def test_a_conversation_over_the_socket(call_id, alice):
    comm, hello = await _open(call_id, alice)
    assert json.loads(hello["text"]) == {"type": "connected", "call_id": call_id, "status": "queued",
                                         "conversation_state": None, "may_talk": True}  # fmt: skip

    opening = await _say(comm, {"type": "start"})
    assert opening["type"] == "ai_response" and opening["state"] == "greeting" and opening["should_continue"]
    assert opening["text"].startswith("Hello Pat") and opening["audio"] is None

    reply = await _say(comm, {"type": "text_input", "text": "Hi, yes I have a few minutes to chat"})
    assert (reply["type"], reply["state"], reply["should_continue"]) == ("ai_response", "discovery", True)
    assert reply["analysis"]["interest_signals"] == ["verbal_interest"] and -1 <= reply["analysis"]["sentiment"] <= 1
    assert reply["in_reply_to"] == "Hi, yes I have a few minutes to chat"

    ended = await _say(comm, {"type": "end", "reason": "completed"})
    assert ended["type"] == "call_ended" and ended["summary"]["total_exchanges"] >= 1 and "analytics" in ended
    after = await _say(comm, {"type": "text_input", "text": "hello?"})
    assert (after["type"], after["code"]) == ("error", "CONVERSATION_ENDED")
    await comm.disconnect()


@sync
async def test_audio_and_bad_messages_are_answered_with_a_code(call_id, alice):
    comm, _ = await _open(call_id, alice, slash="/")
    cases = [
        ({"type": "audio_chunk", "data": "UklGRg=="}, "AUDIO_NOT_SUPPORTED"),
        ("not json", "BAD_MESSAGE"),
        ({"text": "no type"}, "BAD_MESSAGE"),
        ({"type": "dance"}, "UNKNOWN_TYPE"),
        ({"type": "text_input", "text": ["not", "text"]}, "VALIDATION_ERROR"),
        ({"type": "text_input", "text": "x" * 2001}, "VALIDATION_ERROR"),
        ({"type": "text_input", "text": "Hello"}, "CALL_NOT_STARTED"),
    ]
    for message, code in cases:
        answer = await _say(comm, message)
        assert (answer["type"], answer["code"]) == ("error", code), message
    started = await _say(comm, {"type": "start"})  # the socket is still open and working
    assert started["type"] == "ai_response"
    again = await _say(comm, {"type": "start"})
    assert (again["type"], again["code"]) == ("error", "CALL_ALREADY_STARTED")
    silence = await _say(comm, {"type": "text_input", "text": "   "})  # as in the REST flow: a silence
    assert silence["type"] == "ai_response" and silence["in_reply_to"] == "" and silence["should_continue"]
    await comm.disconnect()


@sync
async def test_an_agent_listens_but_does_not_talk(call_id, alice, bob):
    owner, _ = await _open(call_id, alice)
    agent, hello = await _open(call_id, bob)
    assert json.loads(hello["text"])["may_talk"] is False

    refused = await _say(agent, {"type": "start"})
    assert (refused["type"], refused["code"]) == ("error", "ROLE_FORBIDDEN")
    mine = await _say(owner, {"type": "start"})
    heard = await agent.receive_json_from(WAIT)  # every socket of the call hears every turn
    assert heard == mine
    await owner.disconnect()
    await agent.disconnect()


@pytest.mark.parametrize("who", ["nobody", "charlie", "made_up"])
@sync
async def test_the_socket_is_closed_for_whoever_may_not_see_the_call(call_id, charlie, who):
    target = "01a2339a-3ea6-7bac-878f-3721f5df2c30" if who == "made_up" else call_id
    _, first = await _open(target, None if who == "nobody" else charlie)
    assert first["type"] == "websocket.close"
    assert first["code"] == (4401 if who == "nobody" else 4404)  # another tenant's call is as absent as none
