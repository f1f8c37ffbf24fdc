"""Twilio, through the official twilio SDK: Calls.create with status callbacks (initiated, ringing,
answered, completed), answering-machine detection (DetectMessageEnd, asynchronous when the campaign
drops voicemail), recording, the ring timeout and the caller ID; fetch, hang up and redirect; the
agent's softphone leg, supervisors joining the conference (Participants, coaching) and the
softphones' Voice access tokens.

Credentials: the tenant's own (sub)account when it has one, else the platform's. TWILIO_API_BASE
points the SDK at another address with Twilio's REST interface (the local fake the tests use)."""

import time

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant
from twilio.rest import Client

from apps.calls.telephony.base import (
    Originated,
    Provider,
    ProviderCallStatus,
    ProviderError,
    VoiceToken,
    agent_answer_url,
    agent_identity,
    agent_status_url,
    callback_urls,
)

_TWILIO_API = "https://api.twilio.com"
VOICE_TOKEN_TTL = 3600  # seconds; the console asks for a new one before it runs out
_TRANSIENT_STATUSES = {429, 500, 502, 503, 504}
# What a call to Twilio may raise: its refusals, and (the SDK does not wrap them) the network's failures.
_FAILURES = (TwilioException, requests.RequestException)


class _RebasedHttpClient(TwilioHttpClient):
    """Sends the SDK's requests to TWILIO_API_BASE instead of api.twilio.com."""

    def __init__(self, base: str, **kwargs):
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(_TWILIO_API):
            url = self.base + url[len(_TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def _credentials(tenant) -> tuple[str, str]:
    if tenant is not None and tenant.twilio_account_sid and tenant.twilio_auth_token:
        return tenant.twilio_account_sid, tenant.twilio_auth_token
    return settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN


def client_for(tenant) -> Client:
    sid, token = _credentials(tenant)
    if not sid or not token:
        raise ProviderError("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or the "
                            "tenant's own credentials.", code="TWILIO_NOT_CONFIGURED")  # fmt: skip
    # Always a timeout: the SDK's default client has none, and a hung connection would hold a place_calls task.
    http = (_RebasedHttpClient(settings.TWILIO_API_BASE, timeout=10) if settings.TWILIO_API_BASE
            else TwilioHttpClient(timeout=10))  # fmt: skip
    return Client(sid, token, http_client=http)


def _error(exc: Exception) -> ProviderError:
    if isinstance(exc, TwilioRestException):
        return ProviderError(f"Twilio {exc.status}: {exc.msg}", code=str(exc.code or exc.status),
                             transient=exc.status in _TRANSIENT_STATUSES)  # fmt: skip
    return ProviderError(f"Twilio unreachable: {exc}", code="TWILIO_UNREACHABLE", transient=True)


class TwilioProvider(Provider):
    name = "twilio"

    def originate(self, call, *, machine_detection: bool, record: bool, timeout: int) -> Originated:
        urls = callback_urls(call)
        options = {
            "to": call.to_number, "from_": call.from_number, "url": urls["answer"], "method": "POST",
            "status_callback": urls["status"], "status_callback_method": "POST",
            "status_callback_event": ["initiated", "ringing", "answered", "completed"], "timeout": timeout,
        }  # fmt: skip
        if machine_detection:
            options["machine_detection"] = "DetectMessageEnd"
            if call.campaign_id and (call.campaign.voicemail_drop_url or call.campaign.voicemail_drop_text):
                options.update(async_amd="true", async_amd_status_callback=urls["amd"],
                               async_amd_status_callback_method="POST")  # fmt: skip
        if record:
            options.update(
                record=True,
                recording_status_callback=urls["recording"],
                recording_status_callback_method="POST",
                recording_status_callback_event=["completed"],
            )
        if call.campaign_id and call.campaign.call_duration_limit:
            options["time_limit"] = call.campaign.call_duration_limit
        try:
            created = client_for(call.tenant).calls.create(**options)
        except _FAILURES as exc:
            raise _error(exc) from exc
        return Originated(sid=created.sid, status=created.status or "queued")

    def hangup(self, call) -> None:
        try:
            client_for(call.tenant).calls(call.call_sid).update(status="completed")
        except _FAILURES as exc:
            raise _error(exc) from exc

    def fetch_status(self, call) -> ProviderCallStatus | None:
        try:
            fetched = client_for(call.tenant).calls(call.call_sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise _error(exc) from exc
        except _FAILURES as exc:
            raise _error(exc) from exc
        return ProviderCallStatus(
            status=fetched.status, duration=int(fetched.duration) if fetched.duration else None,
            answered_by=fetched.answered_by or "", price=fetched.price, price_unit=fetched.price_unit or "",
        )  # fmt: skip

    def play_and_hangup(self, call, twiml: str) -> None:
        try:
            client_for(call.tenant).calls(call.call_sid).update(twiml=twiml)
        except _FAILURES as exc:
            raise _error(exc) from exc

    def dial_agent(self, call, agent) -> str:
        try:
            leg = client_for(call.tenant).calls.create(
                to=f"client:{agent_identity(agent)}", from_=call.from_number, url=agent_answer_url(call, agent),
                method="POST", timeout=settings.DIALER_AGENT_RING_SECONDS,
                status_callback=agent_status_url(call, agent), status_callback_method="POST",
                status_callback_event=["initiated", "ringing", "answered", "completed"],
            )  # fmt: skip
        except _FAILURES as exc:
            raise _error(exc) from exc
        return leg.sid

    def end_leg(self, call, sid: str) -> None:
        try:
            client_for(call.tenant).calls(sid).update(status="completed")  # a ringing leg is canceled
        except _FAILURES as exc:
            raise _error(exc) from exc

    def monitor(self, call, *, identity: str, mode: str, participant_sid: str = "", coach_sid: str = "") -> str:
        """Conference participant coaching: listen is a muted participant, whisper one coaching the
        agent's leg (only the agent hears them), barge a participant like the others."""
        coaching = {"coaching": True, "call_sid_to_coach": coach_sid} if mode == "whisper" else {"coaching": False}
        participants = client_for(call.tenant).conferences(call.conference_sid).participants
        try:
            if participant_sid:
                try:
                    return participants(participant_sid).update(muted=mode == "listen", **coaching).call_sid
                except TwilioRestException as exc:
                    if exc.status != 404:  # 404: the supervisor hung up meanwhile; ring them again
                        raise
            joined = participants.create(
                from_=call.from_number, to=f"client:{identity}", label=f"monitor-{identity}", muted=mode == "listen",
                beep="false", start_conference_on_enter=False, end_conference_on_exit=False,
                timeout=settings.DIALER_AGENT_RING_SECONDS, **coaching,
            )  # fmt: skip
        except _FAILURES as exc:
            raise _error(exc) from exc
        return joined.call_sid

    def voice_token(self, agent) -> VoiceToken:
        """A Twilio Voice access token for the agent's softphone: incoming calls to its identity, and
        outgoing ones through the TwiML app, signed with the platform's API key."""
        tenant = agent.tenant
        if tenant.twilio_account_sid and tenant.twilio_account_sid != settings.TWILIO_ACCOUNT_SID:
            raise ProviderError("This tenant uses its own Twilio account, and softphone tokens are signed with the "
                                "platform's API key only: its agents cannot get a softphone yet.",
                                code="TWILIO_NOT_CONFIGURED")  # fmt: skip
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET",
                                     "TWILIO_TWIML_APP_SID") if not getattr(settings, name)]  # fmt: skip
        if missing:
            raise ProviderError(f"Twilio softphones are not configured: set {', '.join(missing)}.",
                                code="TWILIO_NOT_CONFIGURED")  # fmt: skip
        identity, now = agent_identity(agent), int(time.time())  # Twilio checks the real time, not the dialer's
        token = AccessToken(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_API_KEY_SID, settings.TWILIO_API_KEY_SECRET,
                            identity=identity, nbf=now, valid_until=now + VOICE_TOKEN_TTL,
                            grants=[VoiceGrant(outgoing_application_sid=settings.TWILIO_TWIML_APP_SID,
                                               incoming_allow=True)])  # fmt: skip
        return VoiceToken(token=token.to_jwt(), identity=identity, expires_at=now + VOICE_TOKEN_TTL)
