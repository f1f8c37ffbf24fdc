"""GET /api/v1/agents/{id}/voice-token/: the agent's softphone credentials. Over Twilio a Voice access
token (decoded here: its grant, identity, issuer, subject, expiry); with the simulator a clear "no
softphone needed"; and who may ask, for which agent."""

import time

import jwt
import pytest

from apps.agents.models import Agent
from apps.agents.tests.test_api import assert_error

API_KEY_SID, API_KEY_SECRET = "SK" + "5e" * 16, "the-api-key-secret-of-the-platform"
TWIML_APP_SID = "AP" + "7a" * 16
ACCOUNT_SID = "AC" + "a1" * 16


def url(agent) -> str:
    return f"/api/v1/agents/{agent.pk}/voice-token/"


@pytest.fixture
def twilio(settings):
    """Twilio selected and configured for softphones."""
    settings.TELEPHONY_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_API_KEY_SID, settings.TWILIO_API_KEY_SECRET = API_KEY_SID, API_KEY_SECRET
    settings.TWILIO_TWIML_APP_SID = TWIML_APP_SID
    return settings


def test_it_gives_a_twilio_voice_token_for_the_agents_softphone(api_client_for, bob, bob_agent, twilio):
    before = int(time.time())

    resp = api_client_for(bob).get(url(bob_agent))

    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert set(body) == {"token", "identity", "expires_at", "provider"}
    assert body["provider"] == "twilio" and body["identity"] == f"agent-{bob_agent.pk}"
    claims = jwt.decode(body["token"], API_KEY_SECRET, algorithms=["HS256"])
    header = jwt.get_unverified_header(body["token"])
    assert header["cty"] == "twilio-fpa;v=1" and header["alg"] == "HS256"
    assert claims["iss"] == API_KEY_SID and claims["sub"] == ACCOUNT_SID
    assert claims["grants"] == {
        "identity": f"agent-{bob_agent.pk}",
        "voice": {"incoming": {"allow": True}, "outgoing": {"application_sid": TWIML_APP_SID}},
    }
    assert before <= claims["nbf"] <= int(time.time())
    assert claims["exp"] - claims["nbf"] == 3600
    assert body["expires_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(claims["exp"]))


def test_the_token_is_signed_with_the_api_key_secret(api_client_for, bob, bob_agent, twilio):
    token = api_client_for(bob).get(url(bob_agent)).json()["token"]

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-thirty-two-bytes", algorithms=["HS256"])


def test_in_simulator_mode_calls_need_no_softphone(api_client_for, bob, bob_agent, settings):
    settings.TELEPHONY_PROVIDER = "simulator"

    resp = api_client_for(bob).get(url(bob_agent))

    assert resp.status_code == 200, resp.json()
    assert resp.json() == {
        "provider": "simulator", "token": None, "identity": f"agent-{bob_agent.pk}", "expires_at": None,
        "detail": "Calls are simulated: the console answers them without a softphone.",
    }  # fmt: skip


@pytest.mark.parametrize("missing", ["TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET", "TWILIO_TWIML_APP_SID",
                                     "TWILIO_ACCOUNT_SID"])  # fmt: skip
def test_twilio_selected_but_not_configured_is_409(api_client_for, bob, bob_agent, twilio, missing):
    setattr(twilio, missing, "")

    body = assert_error(api_client_for(bob).get(url(bob_agent)), 409, "TWILIO_NOT_CONFIGURED")

    assert missing in body["detail"]


def test_a_tenant_with_its_own_twilio_account_gets_no_token_signed_by_the_platforms_key(
    api_client_for, bob, bob_agent, acme, twilio
):
    acme.twilio_account_sid, acme.twilio_auth_token = "AC" + "b2" * 16, "acme-own-token"
    acme.save()

    body = assert_error(api_client_for(bob).get(url(bob_agent)), 409, "TWILIO_NOT_CONFIGURED")

    assert "own Twilio account" in body["detail"]


# Who may ask, for which agent ----------------------------------------------------------------------
def test_an_agent_may_not_get_a_colleagues_token(api_client_for, bob, bob_agent, dana_agent, twilio):
    assert_error(api_client_for(bob).get(url(dana_agent)), 403, "OWN_AGENT_ONLY")


@pytest.mark.parametrize("who", ["alice", "maria"])
def test_managers_and_up_get_any_agents_token(api_client_for, request, dana_agent, twilio, who):
    resp = api_client_for(request.getfixturevalue(who)).get(url(dana_agent))

    assert resp.status_code == 200, resp.json()
    assert resp.json()["identity"] == f"agent-{dana_agent.pk}"


def test_another_tenants_agent_is_404(api_client_for, alice, charlie, globex_agent, bob_agent, twilio):
    assert_error(api_client_for(alice).get(url(globex_agent)), 404, "NOT_FOUND")
    assert_error(api_client_for(charlie).get(url(bob_agent)), 404, "NOT_FOUND")


def test_an_unknown_or_malformed_id_is_404(api_client_for, alice, twilio):
    assert_error(api_client_for(alice).get("/api/v1/agents/7c1b1f4e-7f0a-4a56-9d1b-3a2b0c9d8e7f/voice-token/"), 404,
                 "NOT_FOUND")  # fmt: skip
    assert api_client_for(alice).get("/api/v1/agents/nope/voice-token/").status_code == 404


def test_ai_agents_have_no_softphone(api_client_for, alice, ava, twilio):
    assert_error(api_client_for(alice).get(url(ava)), 409, "NOT_A_HUMAN_AGENT")


def test_a_deactivated_agent_gets_no_token(api_client_for, alice, dana_agent, twilio):
    Agent.objects.filter(pk=dana_agent.pk).update(is_active=False)

    assert_error(api_client_for(alice).get(url(dana_agent)), 409, "AGENT_INACTIVE")


def test_it_needs_a_login(api_client, bob_agent, twilio):
    assert api_client.get(url(bob_agent)).status_code == 401


def test_it_is_only_read(api_client_for, alice, bob_agent, twilio):
    assert_error(api_client_for(alice).post(url(bob_agent)), 405, "METHOD_NOT_ALLOWED")
