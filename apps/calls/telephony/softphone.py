"""The agents' browser softphones: the credentials GET /api/v1/agents/{id}/voice-token/ answers with.

Over Twilio, a Voice access token (VoiceGrant: incoming calls to the agent's identity, outgoing ones
through the TwiML app) that the Twilio Voice JS SDK registers with; with the simulator, no token:
simulated calls are answered in the console itself."""

import datetime as dt

from rest_framework import status as http

from apps.calls.telephony import provider_for
from apps.calls.telephony.base import ProviderError, agent_identity
from apps.core.exceptions import ApplicationError
from apps.core.serializers import iso

SIMULATED = "Calls are simulated: the console answers them without a softphone."


def agent_voice_token(*, agent) -> dict:
    """{provider, token, identity, expires_at} for a human agent's softphone (409 otherwise, with why)."""
    if agent.is_ai:
        raise ApplicationError("AI agents have no softphone.", code="NOT_A_HUMAN_AGENT",
                               status_code=http.HTTP_409_CONFLICT)  # fmt: skip
    if not agent.is_active:
        raise ApplicationError("The agent is deactivated.", code="AGENT_INACTIVE", status_code=http.HTTP_409_CONFLICT)
    provider = provider_for(agent.tenant)
    try:
        token = provider.voice_token(agent)
    except ProviderError as exc:
        raise ApplicationError(str(exc), code=exc.code or "PROVIDER_ERROR", status_code=http.HTTP_409_CONFLICT) from exc
    if token is None:
        return {"provider": provider.name, "token": None, "identity": agent_identity(agent), "expires_at": None,
                "detail": SIMULATED}  # fmt: skip
    expires = dt.datetime.fromtimestamp(token.expires_at, tz=dt.UTC)
    return {"provider": provider.name, "token": token.token, "identity": token.identity, "expires_at": iso(expires)}
