"""Spec 001's realtime socket for a voice AI call: /api/v1/voice/calls/{id}/realtime.

The same conversation as the REST flow (apps.voice.services), over one socket: `text_input` in,
`ai_response` out (text, state, analysis, whether the call goes on). Signed in as the API and the
other sockets are (JWT as `?token=` or the ["bearer", token] subprotocol, or the session); the call
must be one of the caller's tenant (another tenant's id closes the socket with 4404, exactly as a
made-up one). Owners, admins and managers talk; every other member may listen in (the `ai_response`
of every turn, whoever sent it, reaches every socket of the call). `audio_chunk` is answered with
AUDIO_NOT_SUPPORTED: this deployment has no speech-to-text backend.

Client -> server: {"type": "start"} (the opening line, once), {"type": "text_input", "text": ...},
{"type": "audio_chunk", "data": base64}, {"type": "end", "reason": "completed"}.
Server -> client: connected, ai_response, call_ended (summary and analytics), error {code, message}.
"""

import json
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.calls.models import Call
from apps.core.exceptions import ApplicationError
from apps.realtime.consumers import NOT_FOUND, admit
from apps.tenants.choices import STAFF_ROLES
from apps.voice import services
from apps.voice.analysis import TurnAnalysis
from apps.voice.api.serializers import VoiceCallRespondInputSerializer
from apps.voice.models import Conversation


def call_group(call_id: str) -> str:
    return f"voice.call.{call_id}"


class VoiceCallConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = None
        user = await admit(self)
        if user is None:
            return
        call = await self._call(user, self.scope["url_route"]["kwargs"]["call_id"])
        if call is None:
            await self.close(code=NOT_FOUND)
            return
        self.user, self.call_id, self.may_talk = user, str(call.pk), user.role in STAFF_ROLES
        self.group = call_group(self.call_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "connected", "call_id": self.call_id, "status": call.status,
                              "conversation_state": await self._state(), "may_talk": self.may_talk})  # fmt: skip

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @database_sync_to_async
    def _call(self, user, call_id: str) -> Call | None:
        try:
            uuid.UUID(str(call_id))
        except ValueError:
            return None
        return Call.objects.filter(pk=call_id, tenant_id=user.tenant_id).only("id", "status", "provider").first()

    @database_sync_to_async
    def _state(self) -> str | None:
        return Conversation.objects.filter(call_id=self.call_id).values_list("state", flat=True).first()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            message = json.loads(text_data or bytes_data or b"")
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.error("BAD_MESSAGE", 'Messages are JSON objects with a "type": text_input, audio_chunk, start '
                             "or end.")  # fmt: skip
            return
        kind = message["type"]
        if kind == "audio_chunk":
            await self.error("AUDIO_NOT_SUPPORTED", "Audio is not supported by this deployment (no speech-to-text "
                             "backend is configured): send what the customer said as text_input.")  # fmt: skip
            return
        if kind not in ("start", "text_input", "end"):
            await self.error("UNKNOWN_TYPE", f"Unknown message type '{kind[:40]}'.")
            return
        if not self.may_talk:
            await self.error("ROLE_FORBIDDEN", "Only owners, admins and managers hold a voice call; you may listen.")
            return
        text = ""
        if kind == "text_input":  # the REST flow's rules: an empty text is a silence
            body = VoiceCallRespondInputSerializer(data={"text": message.get("text", "")})
            if not body.is_valid():
                await self.error("VALIDATION_ERROR", f"text_input: {body.errors['text'][0]}")
                return
            text = body.validated_data.get("text", "")
        try:
            out = await self._apply(kind, text, str(message.get("reason") or ""))
        except ApplicationError as exc:
            await self.error(getattr(exc.detail, "code", "CONFLICT"), str(exc.detail))
            return
        await self.channel_layer.group_send(self.group, {"type": "voice.out", "message": out})

    @database_sync_to_async
    def _apply(self, kind: str, text: str, reason: str) -> dict:
        call = Call.objects.select_related("tenant", "campaign", "lead", "agent").get(pk=self.call_id)
        if kind == "end":
            conv = services.voice_call_end(call=call, reason=reason)
            return {"type": "call_ended", "call_id": self.call_id, "summary": conv.summary,
                    "analytics": conv.analytics}  # fmt: skip
        if kind == "start":
            result = services.voice_call_start(call=call)
        else:
            result = services.voice_call_respond(call=call, text=text)
        return {"type": "ai_response", "call_id": self.call_id, "text": result.say, "audio": None,
                "state": result.state, "analysis": (result.analysis or TurnAnalysis()).public(),
                "should_continue": not result.ended,
                "in_reply_to": text if kind == "text_input" else None}  # fmt: skip

    async def voice_out(self, event):
        await self.send_json(event["message"])

    async def error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
