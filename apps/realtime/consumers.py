"""The WebSockets: /ws/agent/ (an agent's console, spec 004's events) and /ws/dashboard/ (the
tenant's managers' live view). Both authenticate in connect() and then mostly forward what
apps.realtime.publish sends their groups; the only writes are an agent's presence.

Close codes: 4401 no valid credentials, 4403 not allowed (no tenant, a suspended tenant, another
tenant's id, a dashboard for an agent), 4404 an agent that is not the tenant's. Mistakes that do not
end the connection (an unknown event, bad JSON, a presence the service refuses) come back as an
`error` event with a machine-readable code."""

import json
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import APIException, ValidationError

from apps.realtime.auth import BEARER
from apps.realtime.groups import agent_group, supervisors_group, tenant_group
from apps.tenants.choices import STAFF_ROLES

UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = 4401, 4403, 4404


@database_sync_to_async
def _refusal(user, *, staff_only: bool) -> int | None:
    if user.tenant_id is None or user.tenant.is_suspended:
        return FORBIDDEN
    if staff_only and user.role not in STAFF_ROLES:
        return FORBIDDEN
    return None


async def admit(consumer, *, staff_only: bool = False):
    """Accept the handshake (with the bearer subprotocol when the client asked for it) and return the
    signed-in member of an active tenant; otherwise close with 4401 or 4403 and return None. Every
    socket of ours starts here (apps.voice.consumers too)."""
    subprotocol = BEARER if (consumer.scope.get("subprotocols") or [None])[0] == BEARER else None
    await consumer.accept(subprotocol=subprotocol)  # accept first, so the close code reaches the client
    user = consumer.scope.get("user")
    if user is None or not user.is_authenticated:
        await consumer.close(code=UNAUTHENTICATED)
        return None
    refusal = await _refusal(user, staff_only=staff_only)
    if refusal:
        await consumer.close(code=refusal)
        return None
    return user


class _TenantSocket(AsyncJsonWebsocketConsumer):
    """Accepts only a signed-in member of an active tenant; remembers which groups it joined."""

    staff_only = False

    async def connect(self):
        self.joined: set[str] = set()
        user = await admit(self, staff_only=self.staff_only)
        if user is None:
            return
        self.user, self.tenant_id, self.is_staff = user, user.tenant_id, user.role in STAFF_ROLES
        await self.join(self.first_group())
        await self.send_event("connected", await self.hello())

    def first_group(self) -> str:
        raise NotImplementedError

    async def hello(self) -> dict:
        return {"userId": str(self.user.pk), "tenantId": str(self.tenant_id), "role": self.user.role}

    async def join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def disconnect(self, code):
        for group in getattr(self, "joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            message = json.loads(text_data or bytes_data or b"")
        except ValueError:
            await self.send_error("BAD_MESSAGE", 'Messages are JSON: {"event": ..., "data": {...}}.')
            return
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            await self.send_error("BAD_MESSAGE", 'Messages are JSON: {"event": ..., "data": {...}}.')
            return
        data = message.get("data", {k: v for k, v in message.items() if k != "event"})
        await self.receive_event(message["event"], data if isinstance(data, dict) else {})

    async def receive_event(self, event: str, data: dict) -> None:
        if event == "ping":
            await self.send_event("pong", {})
        else:
            await self.send_error("UNKNOWN_EVENT", f"'{event}' is not an event this socket takes.", event=event)

    async def event_message(self, message):
        """What apps.realtime.publish sent one of our groups."""
        await self.send_event(message["event"], message["data"])

    async def send_event(self, event: str, data: dict) -> None:
        await self.send_json({"event": event, "data": data})

    async def send_error(self, code: str, detail: str, *, event: str | None = None) -> None:
        await self.send_event("error", {"code": code, "detail": detail, **({"event": event} if event else {})})

    @classmethod
    async def encode_json(cls, content):
        return json.dumps(content, separators=(",", ":"), default=str)


class AgentConsumer(_TenantSocket):
    """An agent's console: agent:join {agentId} to hear that agent's calls, agent:status
    {agentId, status} to set a presence (an agent their own only; managers anyone's in the tenant)."""

    def first_group(self) -> str:
        return tenant_group(self.tenant_id)

    async def hello(self) -> dict:
        own = await database_sync_to_async(_own_agent_id)(self.user)
        return {**await super().hello(), "agentId": own}

    async def receive_event(self, event: str, data: dict) -> None:
        if event == "agent:join":
            await self.agent_join(data)
        elif event == "agent:status":
            await self.agent_status(data)
        else:
            await super().receive_event(event, data)

    async def _agent(self, data: dict, event: str):
        """The tenant's agent the message names, or None after saying why (or closing)."""
        if data.get("tenantId") not in (None, "", str(self.tenant_id)):
            await self.close(code=FORBIDDEN)
            return None
        agent = await database_sync_to_async(_tenant_agent)(self.tenant_id, data.get("agentId"))
        if agent is None:
            await self.close(code=NOT_FOUND)
            return None
        if not self.is_staff and agent.user_id != self.user.pk:
            await self.send_error("NOT_YOUR_AGENT", "Agents act for their own profile only.", event=event)
            return None
        return agent

    async def agent_join(self, data: dict) -> None:
        agent = await self._agent(data, "agent:join")
        if agent is not None:
            await self.join(agent_group(agent.pk))
            await self.send_event("agent:joined", _agent_state(agent))

    async def agent_status(self, data: dict) -> None:
        agent = await self._agent(data, "agent:status")
        if agent is None:
            return
        try:
            await database_sync_to_async(_set_presence)(agent, data.get("status"))
        except ValidationError as exc:
            await self.send_error("VALIDATION_ERROR", _first_message(exc.detail), event="agent:status")
        except APIException as exc:
            await self.send_error(str(exc.get_codes()), str(exc.detail), event="agent:status")
        # agent:status:updated comes back through the tenant's group, to this socket and the others.


class DashboardConsumer(_TenantSocket):
    """The managers' live view: every event of the tenant (campaign:stats, calls, presence, imports)."""

    staff_only = True

    def first_group(self) -> str:
        return supervisors_group(self.tenant_id)


# Database work, run in a thread ------------------------------------------------------------------
def _own_agent_id(user) -> str | None:
    from apps.agents.models import Agent

    pk = Agent.objects.filter(tenant_id=user.tenant_id, user_id=user.pk).values_list("pk", flat=True).first()
    return str(pk) if pk else None


def _tenant_agent(tenant_id, agent_id):
    from apps.agents.models import Agent

    try:
        uuid.UUID(str(agent_id))
    except ValueError:
        return None
    return Agent.objects.filter(tenant_id=tenant_id, pk=agent_id).first()


def _set_presence(agent, status) -> None:
    from apps.agents.services import agent_set_presence

    try:
        agent_set_presence(agent=agent, status=str(status or ""))
    except DjangoValidationError as exc:
        raise ValidationError(exc.messages) from exc


def _agent_state(agent) -> dict:
    return {"agentId": str(agent.pk), "name": agent.name, "status": agent.status,
            "statusChangedAt": agent.status_changed_at, "currentCalls": agent.current_calls}  # fmt: skip


def _first_message(detail) -> str:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)
