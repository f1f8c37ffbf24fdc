"""The telephony provider interface, and what every provider shares: the callback URLs of a call,
the auth token its callbacks are signed with, and X-Twilio-Signature.

Two providers implement it: `twilio` (the twilio SDK, real TwiML) and `simulator` (a carrier
inside the project that drives the very same webhook endpoints with Twilio-format, signed
requests). TELEPHONY_PROVIDER picks one; a tenant with its own Twilio credentials always gets
twilio.
"""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from twilio.request_validator import RequestValidator


class ProviderError(Exception):
    """The provider refused or could not be reached. `transient` errors may be retried."""

    def __init__(self, message: str, *, code: str = "", transient: bool = False):
        super().__init__(message)
        self.code, self.transient = code, transient


@dataclass(frozen=True)
class Originated:
    sid: str
    status: str = "queued"


@dataclass(frozen=True)
class ProviderCallStatus:
    """What the provider knows of a call (for the reaper's reconciliation)."""

    status: str  # Twilio's words: queued, ringing, in-progress, completed, busy, no-answer, failed, canceled
    duration: int | None = None
    answered_by: str = ""
    price: str | None = None
    price_unit: str = ""


class Provider:
    """What the dialer and the webhooks need of a carrier."""

    name = "base"

    def originate(self, call, *, machine_detection: bool, record: bool, timeout: int) -> Originated:
        raise NotImplementedError

    def hangup(self, call) -> None:
        raise NotImplementedError

    def fetch_status(self, call) -> ProviderCallStatus | None:
        raise NotImplementedError

    def play_and_hangup(self, call, twiml: str) -> None:
        """Replace what a live call is doing (voicemail drop after the beep, an abandoned call's message)."""
        raise NotImplementedError

    def dial_agent(self, call, agent) -> str:
        """Ring the human agent chosen for an answered call (their browser softphone); the agent's leg
        hears a whisper and joins the lead's conference (webhooks.agent_answer), and reports its own
        status to webhooks.agent_status. The leg's id."""
        raise NotImplementedError

    def end_leg(self, call, sid: str) -> None:
        """Hang up (or stop ringing) another leg of the call: an agent's, a supervisor's."""
        raise NotImplementedError

    def monitor(self, call, *, identity: str, mode: str, participant_sid: str = "", coach_sid: str = "") -> str:
        """Put a supervisor's softphone (`identity`) into the call's conference to listen (muted), whisper
        (coaching the agent's leg `coach_sid`) or barge (heard by everyone), or change the mode of the
        supervisor's leg already there (`participant_sid`). The supervisor's leg id."""
        raise NotImplementedError

    def voice_token(self, agent) -> "VoiceToken | None":
        """The credentials of the agent's browser softphone (None: this provider needs no softphone)."""
        raise NotImplementedError


@dataclass(frozen=True)
class VoiceToken:
    """A softphone's access token and the identity it answers to."""

    token: str
    identity: str
    expires_at: int  # Unix time


MONITOR_MODES = ("listen", "whisper", "barge")


def conference_name(call) -> str:
    """The conference an answered lead waits in for their agent (and supervisors join)."""
    return f"call_{call.pk}"


def agent_identity(agent) -> str:
    """The agent's client identity in the softphone (the Voice access token carries the same)."""
    return f"agent-{agent.pk}"


def agent_answer_url(call, agent) -> str:
    """Where the agent's leg asks what to do: a whisper with the lead's name, then the conference."""
    lead = call.lead
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part) or lead.phone_e164
    return public_url("webhooks:twilio-agent-answer", conferenceName=conference_name(call), leadName=name,
                      campaign=call.campaign.name if call.campaign_id else "", callId=str(call.pk),
                      tenantId=str(call.tenant_id), agentId=str(agent.pk))  # fmt: skip


def agent_status_url(call, agent) -> str:
    """Where the agent's leg reports its own status (ringing, answered, no-answer...)."""
    return public_url("webhooks:twilio-agent-status", callId=str(call.pk), tenantId=str(call.tenant_id),
                      agentId=str(agent.pk))  # fmt: skip


def auth_token(tenant=None) -> str:
    """The token callbacks for this tenant's calls are signed with: the tenant's own Twilio token,
    else the platform's, else (simulator with nothing set) one derived from SECRET_KEY."""
    if tenant is not None and getattr(tenant, "twilio_auth_token", ""):
        return tenant.twilio_auth_token
    if settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_AUTH_TOKEN
    return hashlib.sha256(f"leadvoice-simulator:{settings.SECRET_KEY}".encode()).hexdigest()[:32]


def public_url(name: str, **query) -> str:
    """The absolute URL of a webhook, as the provider is told it and as the signature covers it."""
    path = reverse(name)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def callback_urls(call) -> dict[str, str]:
    """The webhooks of one call. The ids ride in the query string (spec 004), covered by the signature."""
    ids = {"callId": str(call.pk), "tenantId": str(call.tenant_id)}
    return {
        "answer": public_url("webhooks:twilio-answer", leadId=str(call.lead_id), **ids),
        "status": public_url("webhooks:twilio-status", **ids),
        "amd": public_url("webhooks:twilio-amd", **ids),
        "recording": public_url("webhooks:twilio-recording", **ids),
        "conference": public_url("webhooks:twilio-conference-status", **ids),
    }


def sign(url: str, params: dict, token: str) -> str:
    return RequestValidator(token).compute_signature(url, params)


def signature_valid(url: str, params: dict, signature: str, token: str) -> bool:
    return bool(signature) and RequestValidator(token).validate(url, params, signature)


def signed(full_path: str, params: dict, signature: str, token: str) -> bool:
    """Whether a request to `full_path` (path and query string, as received) carries the signature
    Twilio computes over our public URL (PUBLIC_BASE_URL: deployments behind a proxy)."""
    return signature_valid(settings.PUBLIC_BASE_URL.rstrip("/") + full_path, params, signature, token)
