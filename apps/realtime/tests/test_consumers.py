"""The WebSockets through the whole ASGI application (origin check, session and JWT auth, routing)
with Channels' communicator, on the real Redis channel layer and real PostgreSQL (committed data:
the consumers read the database from their own threads, and events go out on commit).

Personas: alice owns Acme, maria manages it, bob is an Acme agent, charlie owns Globex."""

import datetime as dt
import json
import secrets
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from apps.agents.models import Agent, AgentKind, Presence
from apps.agents.services import agent_set_presence
from apps.calls.choices import CallStatus
from apps.calls.models import Call
from apps.calls.outcomes import finalize
from apps.calls.telephony.base import callback_urls, public_url
from apps.calls.tests import factories as f
from apps.calls.tests.fake_twilio import post_callback
from apps.campaigns.models import PacingMode
from apps.core.actors import Actor
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead
from apps.leads.services import lead_update
from apps.realtime.events import import_progress
from apps.realtime.tasks import send_campaign_stats
from apps.tenants import tokens
from apps.tenants.choices import TenantStatus
from leadvoice.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")
WAIT = 5


def _token(user) -> str:
    return tokens.tokens_issue(user=user)["access_token"]


async def _open(path: str = "/ws/agent/", *, token: str | None = None, query: str = "", headers=(ORIGIN,),
                subprotocols=None) -> tuple[WebsocketCommunicator, dict]:  # fmt: skip
    """A socket, and its first message: the `connected` event, or the close."""
    if token:
        query = f"?token={token}"
    comm = WebsocketCommunicator(application, path + query, headers=list(headers), subprotocols=subprotocols)
    connected, _ = await comm.connect(timeout=WAIT)
    assert connected, "the handshake was refused"
    first = await comm.receive_output(WAIT)
    return comm, first


def _close_code(first: dict) -> int | None:
    return first.get("code") if first["type"] == "websocket.close" else None


def _event(first: dict) -> dict:
    assert first["type"] == "websocket.send", first
    return json.loads(first["text"])


async def _next(comm: WebsocketCommunicator, event: str) -> dict:
    """The next message named `event` (skipping others the flow also sends)."""
    for _ in range(20):
        message = await comm.receive_json_from(timeout=WAIT)
        if message["event"] == event:
            return message["data"]
    raise AssertionError(f"no {event}")


async def _none_named(comm: WebsocketCommunicator, event: str, timeout: float = 0.5) -> bool:
    """No message named `event` within `timeout` (a communicator's own timeout would end the app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not await comm.receive_nothing(timeout=0.05) and (await comm.receive_json_from(WAIT))["event"] == event:
            return False
    return True


@pytest.fixture
def bob_agent(acme, bob):
    return Agent.objects.create(tenant=acme, name="Bob Jones", kind=AgentKind.HUMAN, user=bob, status=Presence.OFFLINE)


@pytest.fixture
def dana_agent(acme):
    return Agent.objects.create(tenant=acme, name="Dana Smith", kind=AgentKind.HUMAN, status=Presence.OFFLINE)


# Authentication ----------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "?token=not-a-jwt", "?token="])
def test_it_closes_a_socket_without_valid_credentials_with_4401(db, query):
    async def scenario():
        _comm, first = await _open(query=query)
        assert _close_code(first) == 4401

    async_to_sync(scenario)()


def test_a_revoked_token_is_refused(bob):
    pair = tokens.tokens_issue(user=bob)
    access = pair["access_token"]
    response = Client().post("/api/v1/auth/logout/", {"refresh_token": pair["refresh_token"]},
                             HTTP_AUTHORIZATION=f"Bearer {access}", content_type="application/json")  # fmt: skip
    assert response.status_code == 200

    async def scenario():
        _comm, first = await _open(token=access)
        assert _close_code(first) == 4401

    async_to_sync(scenario)()


def test_a_token_in_the_query_string_signs_the_socket_in(bob, bob_agent):
    token = _token(bob)

    async def scenario():
        comm, first = await _open(token=token)
        hello = _event(first)
        assert hello["event"] == "connected"
        assert hello["data"]["agentId"] == str(bob_agent.pk) and hello["data"]["role"] == "agent"
        await comm.disconnect()

    async_to_sync(scenario)()


def test_a_token_as_a_subprotocol_signs_the_socket_in_and_the_protocol_is_agreed(bob):
    token = _token(bob)

    async def scenario():
        comm = WebsocketCommunicator(application, "/ws/agent/", headers=[ORIGIN], subprotocols=["bearer", token])
        connected, subprotocol = await comm.connect(timeout=WAIT)
        assert connected and subprotocol == "bearer"
        assert (await comm.receive_json_from(WAIT))["event"] == "connected"
        await comm.disconnect()

    async_to_sync(scenario)()


def test_the_console_pages_session_signs_the_socket_in(bob):
    client = Client()
    client.force_login(bob)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        comm, first = await _open(headers=(ORIGIN, (b"cookie", cookie)))
        assert _event(first)["data"]["userId"] == str(bob.pk)
        await comm.disconnect()

    async_to_sync(scenario)()


def test_a_foreign_origin_is_refused_at_the_handshake(bob):
    token = _token(bob)

    async def scenario():
        comm = WebsocketCommunicator(
            application, f"/ws/agent/?token={token}", headers=[(b"origin", b"https://evil.example")]
        )
        connected, _ = await comm.connect(timeout=WAIT)
        assert not connected

    async_to_sync(scenario)()


def test_a_suspended_tenant_and_a_user_without_one_are_refused_with_4403(acme, bob, django_user_model):
    token = _token(bob)
    operator = django_user_model.objects.create_superuser(email="ops@leadvoice.test", password="x" * 12)
    operator_token = _token(operator)
    type(acme).objects.filter(pk=acme.pk).update(status=TenantStatus.SUSPENDED)

    async def scenario():
        for raw in (token, operator_token):
            _comm, first = await _open(token=raw)
            assert _close_code(first) == 4403, raw == token

    async_to_sync(scenario)()


def test_the_dashboard_is_for_managers(bob, maria):
    agent_token, manager_token = _token(bob), _token(maria)

    async def scenario():
        _comm, first = await _open("/ws/dashboard/", token=agent_token)
        assert _close_code(first) == 4403
        comm, first = await _open("/ws/dashboard/", token=manager_token)
        assert _event(first)["event"] == "connected"
        await comm.disconnect()

    async_to_sync(scenario)()


# Client -> server --------------------------------------------------------------------------------
def test_an_agent_joins_their_own_room(bob, bob_agent):
    token = _token(bob)

    async def scenario():
        comm, _ = await _open(token=token)
        await comm.send_json_to(
            {"event": "agent:join", "data": {"agentId": str(bob_agent.pk), "tenantId": str(bob.tenant_id)}}
        )
        joined = await _next(comm, "agent:joined")
        assert joined["agentId"] == str(bob_agent.pk) and joined["status"] == "offline"
        await comm.disconnect()

    async_to_sync(scenario)()


def test_another_tenants_agent_closes_the_socket_with_4404(bob, charlie, globex):
    theirs = Agent.objects.create(tenant=globex, name="Gina", kind=AgentKind.HUMAN)
    token = _token(bob)

    async def scenario():
        comm, _ = await _open(token=token)
        await comm.send_json_to({"event": "agent:join", "data": {"agentId": str(theirs.pk)}})
        assert (await comm.receive_output(WAIT)) == {"type": "websocket.close", "code": 4404}

    async_to_sync(scenario)()


def test_naming_another_tenant_closes_the_socket_with_4403(bob, bob_agent, globex):
    token = _token(bob)

    async def scenario():
        comm, _ = await _open(token=token)
        await comm.send_json_to(
            {"event": "agent:join", "data": {"agentId": str(bob_agent.pk), "tenantId": str(globex.pk)}}
        )
        assert (await comm.receive_output(WAIT)) == {"type": "websocket.close", "code": 4403}

    async_to_sync(scenario)()


def test_an_agent_cannot_act_for_a_colleague_but_a_manager_can(bob, maria, bob_agent, dana_agent):
    agent_token, manager_token = _token(bob), _token(maria)

    async def scenario():
        comm, _ = await _open(token=agent_token)
        for event in ("agent:join", "agent:status"):
            await comm.send_json_to({"event": event, "data": {"agentId": str(dana_agent.pk), "status": "available"}})
            error = await _next(comm, "error")
            assert error == {
                "code": "NOT_YOUR_AGENT",
                "detail": "Agents act for their own profile only.",
                "event": event,
            }
        manager, _ = await _open(token=manager_token)
        await manager.send_json_to(
            {"event": "agent:status", "data": {"agentId": str(dana_agent.pk), "status": "break"}}
        )
        updated = await _next(manager, "agent:status:updated")
        assert updated["agentId"] == str(dana_agent.pk) and updated["status"] == "break"
        await comm.disconnect()
        await manager.disconnect()

    async_to_sync(scenario)()
    dana_agent.refresh_from_db()
    assert dana_agent.status == Presence.BREAK


def test_an_agent_sets_their_presence_and_everyone_in_the_tenant_hears_it(bob, maria, charlie, bob_agent):
    tokens_ = [_token(bob), _token(maria), _token(charlie)]

    async def scenario():
        console, _ = await _open(token=tokens_[0])
        dashboard, _ = await _open("/ws/dashboard/", token=tokens_[1])
        other_tenant, _ = await _open("/ws/dashboard/", token=tokens_[2])
        await console.send_json_to(
            {"event": "agent:status", "data": {"agentId": str(bob_agent.pk), "status": "available"}}
        )
        for comm in (console, dashboard):
            updated = await _next(comm, "agent:status:updated")
            assert (updated["agentId"], updated["status"], updated["onCall"]) == (str(bob_agent.pk), "available", False)
        assert await _none_named(other_tenant, "agent:status:updated")
        for comm in (console, dashboard, other_tenant):
            await comm.disconnect()

    async_to_sync(scenario)()
    bob_agent.refresh_from_db()
    assert bob_agent.status == Presence.AVAILABLE


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"event": "agent:status", "data": {"status": "sleeping"}}, "VALIDATION_ERROR"),
        ({"event": "dance", "data": {}}, "UNKNOWN_EVENT"),
        ({"data": {}}, "BAD_MESSAGE"),
        ("not json at all", "BAD_MESSAGE"),
        (["a", "list"], "BAD_MESSAGE"),
    ],
)
def test_a_bad_message_gets_an_error_event_and_the_socket_stays_open(bob, bob_agent, message, code):
    token = _token(bob)
    if isinstance(message, dict) and message.get("event") == "agent:status":
        message["data"]["agentId"] = str(bob_agent.pk)

    async def scenario():
        comm, _ = await _open(token=token)
        if isinstance(message, str):
            await comm.send_to(text_data=message)
        else:
            await comm.send_json_to(message)
        assert (await _next(comm, "error"))["code"] == code
        await comm.send_json_to({"event": "ping"})
        assert await _next(comm, "pong") == {}
        await comm.disconnect()

    async_to_sync(scenario)()
    bob_agent.refresh_from_db()
    assert bob_agent.status == Presence.OFFLINE


# Server -> client: each event, from where the change happens --------------------------------------
def _human_call(acme, agent: Agent) -> Call:
    group, _ = f.human_agents(acme, 0)
    Agent.objects.filter(pk=agent.pk).update(group=group, status=Presence.AVAILABLE)
    campaign = f.campaign(acme, pacing=PacingMode.PROGRESSIVE, group=group, name="Q1 Outreach")
    lead = f.lead(acme, "+12125550188", campaign=campaign, first_name="John", last_name="Doe", notes="VIP customer")
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CALLING)
    return f.call(lead, status=CallStatus.IN_PROGRESS, provider="twilio", call_sid="CA" + secrets.token_hex(16))


def _answer(call: Call) -> None:
    params = {"AccountSid": "AC" + "a1" * 16, "CallSid": call.call_sid, "CallStatus": "in-progress",
              "AnsweredBy": "human", "From": call.from_number, "To": call.to_number}  # fmt: skip
    response = post_callback(Client(), callback_urls(call)["answer"], params)
    assert response.status_code == 200


def test_an_answered_call_pops_the_lead_on_the_agents_console_only(acme, bob, maria, bob_agent, dana_agent):
    call = _human_call(acme, bob_agent)
    earlier = f.call(call.lead, status=CallStatus.NO_ANSWER, outcome="no_answer", notes="Rang out")
    Call.objects.filter(pk=earlier.pk).update(created_at=call.created_at - dt.timedelta(days=1))
    agent_token, manager_token = _token(bob), _token(maria)

    async def scenario():
        console, _ = await _open(token=agent_token)
        await console.send_json_to({"event": "agent:join", "data": {"agentId": str(bob_agent.pk)}})
        await _next(console, "agent:joined")
        colleague, _ = await _open(token=manager_token)
        await colleague.send_json_to({"event": "agent:join", "data": {"agentId": str(dana_agent.pk)}})
        await _next(colleague, "agent:joined")

        await sync_to_async(_answer)(call)

        pop = await _next(console, "incoming:call")
        assert {k: pop[k] for k in ("callId", "leadId", "first_name", "last_name", "phone", "notes", "campaign")} == {
            "callId": str(call.pk), "leadId": str(call.lead_id), "first_name": "John", "last_name": "Doe",
            "phone": "+12125550188", "notes": "VIP customer", "campaign": "Q1 Outreach"}  # fmt: skip
        assert [c["callId"] for c in pop["history"]["recent_calls"]] == [str(earlier.pk)]
        assert pop["history"]["recent_calls"][0]["notes"] == "Rang out"
        busy = await _next(console, "agent:status:updated")
        assert busy["onCall"] is True and busy["currentCalls"] == 1
        assert await _none_named(colleague, "incoming:call")
        await console.disconnect()
        await colleague.disconnect()

    async_to_sync(scenario)()


def test_the_end_of_a_call_reaches_its_agent_and_the_supervisors(acme, bob, maria, bob_agent):
    call = _human_call(acme, bob_agent)
    Call.objects.filter(pk=call.pk).update(agent=bob_agent, metadata={"agent_connected": True})
    Agent.objects.filter(pk=bob_agent.pk).update(current_calls=1)
    agent_token, manager_token = _token(bob), _token(maria)

    def hang_up() -> None:
        Call.objects.filter(pk=call.pk).update(status=CallStatus.COMPLETED, ended_at=call.created_at
                                               + dt.timedelta(seconds=95), answered_at=call.created_at, duration=95)  # fmt: skip
        assert finalize(call)

    async def scenario():
        console, _ = await _open(token=agent_token)
        await console.send_json_to({"event": "agent:join", "data": {"agentId": str(bob_agent.pk)}})
        await _next(console, "agent:joined")
        dashboard, _ = await _open("/ws/dashboard/", token=manager_token)

        await sync_to_async(hang_up)()

        for comm in (console, dashboard):
            ended = await _next(comm, "call:ended")
            assert (ended["callId"], ended["outcome"], ended["duration"], ended["talk_time"]) == (
                str(call.pk), "answered", 95, 95)  # fmt: skip
        lead = await _next(dashboard, "lead:updated")
        assert lead["leadId"] == str(call.lead_id) and lead["attempts"] == 1
        free = await _next(dashboard, "agent:status:updated")
        assert free["agentId"] == str(bob_agent.pk) and free["onCall"] is False
        await console.disconnect()
        await dashboard.disconnect()

    async_to_sync(scenario)()


def test_lead_and_import_and_campaign_events_reach_the_supervisors_of_their_tenant_only(acme, maria, charlie):
    campaign = f.campaign(acme, name="Spring")
    lead = f.lead(acme, "+12125550190", campaign=campaign)
    f.call(lead, status=CallStatus.RINGING)
    manager_token, outsider_token = _token(maria), _token(charlie)

    def changes() -> None:
        lead_update(lead=lead, actor=Actor(label="test"), values={"notes": "Asked for the brochure"})
        import_progress(tenant_id=acme.pk, job_id=campaign.pk, status="running", rows_processed=5000)
        send_campaign_stats(str(campaign.pk))

    async def scenario():
        dashboard, _ = await _open("/ws/dashboard/", token=manager_token)
        outsider, _ = await _open("/ws/dashboard/", token=outsider_token)

        await sync_to_async(changes)()

        updated = await _next(dashboard, "lead:updated")
        assert updated["leadId"] == str(lead.pk) and updated["changed"] == ["notes"]
        progress = await _next(dashboard, "import:progress")
        assert (progress["status"], progress["rows_processed"]) == ("running", 5000)
        stats = await _next(dashboard, "campaign:stats")
        assert stats["campaignId"] == str(campaign.pk) and stats["live"]["by_status"] == {"ringing": 1}
        assert stats["today"]["calls"] == 1 and stats["max_abandon_rate"] == 3.0
        for event in ("lead:updated", "import:progress", "campaign:stats"):
            assert await _none_named(outsider, event, timeout=0.2)
        await dashboard.disconnect()
        await outsider.disconnect()

    async_to_sync(scenario)()


def test_a_presence_changed_through_the_api_is_announced_too(acme, bob, maria, bob_agent):
    manager_token = _token(maria)

    async def scenario():
        dashboard, _ = await _open("/ws/dashboard/", token=manager_token)
        await sync_to_async(agent_set_presence)(agent=bob_agent, status=Presence.BREAK)
        assert (await _next(dashboard, "agent:status:updated"))["status"] == "break"
        await dashboard.disconnect()

    async_to_sync(scenario)()


def test_a_socket_idle_longer_than_redis_read_timeout_stays_up(acme, maria, bob_agent):
    """The layer's receive blocks in Redis for 5 s at a time; redis-py 8's default read timeout (5 s)
    used to end every idle socket there (django/channels_redis#422)."""
    manager_token = _token(maria)

    async def scenario():
        dashboard, _ = await _open("/ws/dashboard/", token=manager_token)
        assert await dashboard.receive_nothing(timeout=6.5)
        await sync_to_async(agent_set_presence)(agent=bob_agent, status=Presence.AVAILABLE)
        assert (await _next(dashboard, "agent:status:updated"))["status"] == "available"
        await dashboard.disconnect()

    async_to_sync(scenario)()


def test_a_warm_transfer_pops_the_lead_with_the_ai_transcript_so_far(acme, bob, bob_agent, settings):
    settings.VOICE_BRAIN, settings.LLM_BASE_URL = "scripted", ""
    group, _ = f.human_agents(acme, 0)
    Agent.objects.filter(pk=bob_agent.pk).update(group=group, status=Presence.AVAILABLE)
    campaign = f.campaign(acme, group=group, name="Spring", success_criteria="Book a demo.")
    lead = f.lead(acme, "+12125550188", campaign=campaign, first_name="John", last_name="Doe")
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CALLING)
    call = f.call(lead, status=CallStatus.IN_PROGRESS, provider="twilio", call_sid="CA" + secrets.token_hex(16),
                  agent=campaign.ai_agent)  # fmt: skip
    voice = public_url("webhooks:twilio-voice", callId=str(call.pk), tenantId=str(acme.pk))
    params = {"AccountSid": "AC" + "a1" * 16, "CallSid": call.call_sid, "CallStatus": "in-progress"}
    token = _token(bob)

    def turn(speech: str = "") -> None:
        extra = {"SpeechResult": speech, "Confidence": "0.9"} if speech else {}
        assert post_callback(Client(), voice, {**params, **extra}).status_code == 200

    async def scenario():
        console, _ = await _open(token=token)
        await console.send_json_to({"event": "agent:join", "data": {"agentId": str(bob_agent.pk)}})
        await _next(console, "agent:joined")
        await sync_to_async(turn)()  # the greeting
        await sync_to_async(turn)("Can I speak to a real person please?")

        pop = await _next(console, "incoming:call")
        assert (pop["callId"], pop["agentId"], pop["first_name"]) == (str(call.pk), str(bob_agent.pk), "John")
        assert "history" in pop and pop["campaign"] == "Spring"
        assert [(line["speaker"], bool(line["at"])) for line in pop["transcript"]] == [
            ("agent", True), ("customer", True), ("agent", True)]  # fmt: skip
        assert pop["transcript"][0]["text"].startswith("Hello John")
        assert pop["transcript"][1]["text"] == "Can I speak to a real person please?"
        assert "connecting you now" in pop["transcript"][2]["text"]
        assert pop["transfer"]["reason"] == "human_request"
        assert pop["transfer"]["whisper"].startswith("Transfer from the AI assistant. John Doe asked to speak")
        await console.disconnect()

    async_to_sync(scenario)()
