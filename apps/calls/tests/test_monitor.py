"""POST /api/v1/calls/{id}/monitor/: a supervisor listens to, whispers to (coaches) or barges into a
human agent's call. Over Twilio their softphone joins the call's conference through the Participants
API (what the real SDK put on the wire is read from the local fake); with the simulator the
monitoring is recorded on the call. Managers and up only; every refusal has its code."""

import secrets

import pytest

from apps.agents.models import Agent, AgentKind
from apps.calls.choices import CallStatus, EventKind
from apps.calls.events import drain
from apps.calls.models import Call, CallEvent
from apps.calls.telephony.base import callback_urls
from apps.calls.tests import factories as f
from apps.calls.tests.conftest import TWILIO_PLATFORM_SID
from apps.calls.tests.fake_twilio import post_callback
from apps.calls.tests.test_api import assert_error
from apps.campaigns.models import PacingMode
from apps.tenants.choices import ApiKeyScope

FORM = "application/x-www-form-urlencoded"


def url(call) -> str:
    return f"/api/v1/calls/{call.pk}/monitor/"


@pytest.fixture
def maria_agent(acme, maria):
    """The manager's own (human) agent profile: her softphone is the one that joins by default."""
    return Agent.objects.create(tenant=acme, name="Maria Lopez", kind=AgentKind.HUMAN, user=maria)


def _human_call(tenant, *, provider: str = "twilio", conference: str = "", joined: bool = True, **values) -> Call:
    group, [agent] = f.human_agents(tenant, 1)
    campaign = f.campaign(tenant, pacing=PacingMode.PROGRESSIVE, group=group)
    lead = f.lead(tenant, "+12125550101", campaign=campaign, first_name="John", last_name="Doe")
    leg = "CA" + secrets.token_hex(16)
    metadata = {"agent_connected": True, "agent_leg_sid": leg, **({"agent_joined_at": "2026-12-02T17:00:05Z"}
                                                                  if joined else {})}  # fmt: skip
    return f.call(lead, provider=provider, call_sid="CA" + secrets.token_hex(16), agent=agent, metadata=metadata,
                  conference_sid=conference, **{"status": CallStatus.IN_PROGRESS, **values})  # fmt: skip


@pytest.fixture
def live(acme, twilio_fake, settings):
    """A human call in progress over Twilio: the lead and the agent's leg in the call's conference."""
    settings.TELEPHONY_PROVIDER = "twilio"
    call = _human_call(acme)
    conference = twilio_fake.add_conference(TWILIO_PLATFORM_SID, friendly_name=f"call_{call.pk}",
                                            participants=[call.call_sid, call.metadata["agent_leg_sid"]])  # fmt: skip
    Call.objects.filter(pk=call.pk).update(conference_sid=conference)
    call.refresh_from_db()
    return call


def _participants(twilio_fake, call) -> str:
    return f"/2010-04-01/Accounts/{TWILIO_PLATFORM_SID}/Conferences/{call.conference_sid}/Participants"


# Over Twilio -------------------------------------------------------------------------------------------
def test_a_manager_listens_muted_through_the_participants_api(api_client_for, maria, maria_agent, live, twilio_fake):
    resp = api_client_for(maria).post(url(live), {"mode": "listen"}, format="json")

    assert resp.status_code == 200, resp.json()
    [sent] = twilio_fake.received("POST", "/Participants.json")
    assert sent.path == _participants(twilio_fake, live) + ".json" and sent.status == 201
    assert sent.content_type.startswith(FORM) and sent.username == TWILIO_PLATFORM_SID
    assert sent.get("To") == f"client:agent-{maria_agent.pk}" and sent.get("From") == live.from_number
    assert (sent.get("Muted"), sent.get("Coaching"), sent.get("Beep")) == ("true", "false", "false")
    assert sent.get("EndConferenceOnExit") == "false" and sent.get("Label") == f"monitor-agent-{maria_agent.pk}"
    assert "CallSidToCoach" not in sent.form
    body = resp.json()
    monitor = body["monitor"]
    assert body["message"] == "Listening to the call" and body["call"]["id"] == str(live.pk)
    assert monitor["mode"] == "listen" and monitor["supervisor_agent_id"] == str(maria_agent.pk)
    assert monitor["identity"] == f"agent-{maria_agent.pk}" and monitor["provider"] == "twilio"
    assert monitor["conference_sid"] == live.conference_sid and monitor["started_at"] == monitor["updated_at"]
    assert twilio_fake.participant(live.conference_sid, monitor["participant_sid"])["muted"] is True
    live.refresh_from_db()
    assert live.metadata["monitors"][str(maria_agent.pk)] == monitor
    assert CallEvent.objects.filter(call=live, kind=EventKind.ACTION, note__startswith="listen by Maria").exists()


def test_a_whisper_coaches_the_agents_leg(api_client_for, maria, maria_agent, live, twilio_fake):
    resp = api_client_for(maria).post(url(live), {"mode": "whisper"}, format="json")

    assert resp.status_code == 200, resp.json()
    [sent] = twilio_fake.received("POST", "/Participants.json")
    assert (sent.get("Muted"), sent.get("Coaching")) == ("false", "true")
    assert sent.get("CallSidToCoach") == live.metadata["agent_leg_sid"]
    joined = twilio_fake.participant(live.conference_sid, resp.json()["monitor"]["participant_sid"])
    assert joined["coaching"] is True and joined["call_sid_to_coach"] == live.metadata["agent_leg_sid"]


def test_a_barge_joins_heard_by_everyone(api_client_for, maria, maria_agent, live, twilio_fake):
    resp = api_client_for(maria).post(url(live), {"mode": "barge"}, format="json")

    assert resp.status_code == 200 and resp.json()["message"] == "Barged into the call"
    [sent] = twilio_fake.received("POST", "/Participants.json")
    assert (sent.get("Muted"), sent.get("Coaching")) == ("false", "false") and "CallSidToCoach" not in sent.form


def test_changing_mode_updates_the_supervisors_leg_already_there(api_client_for, maria, maria_agent, live,
                                                                twilio_fake):  # fmt: skip
    client = api_client_for(maria)
    first = client.post(url(live), {"mode": "listen"}, format="json").json()["monitor"]
    sid = first["participant_sid"]

    whisper = client.post(url(live), {"mode": "whisper"}, format="json")
    barge = client.post(url(live), {"mode": "barge"}, format="json")

    assert whisper.status_code == barge.status_code == 200
    assert len(twilio_fake.received("POST", "/Participants.json")) == 1  # no second leg
    to_whisper, to_barge = twilio_fake.received("POST", f"/Participants/{sid}.json")
    assert to_whisper.form == {"Muted": ["false"], "Coaching": ["true"], "CallSidToCoach": [live.metadata[
        "agent_leg_sid"]]}  # fmt: skip
    assert to_barge.form == {"Muted": ["false"], "Coaching": ["false"]}
    leg = twilio_fake.participant(live.conference_sid, sid)
    assert (leg["muted"], leg["coaching"], leg["call_sid_to_coach"]) == (False, False, None)
    monitor = barge.json()["monitor"]
    assert monitor["participant_sid"] == sid and monitor["started_at"] == first["started_at"]


def test_a_supervisor_who_hung_up_is_rung_again(api_client_for, maria, maria_agent, live, twilio_fake):
    client = api_client_for(maria)
    sid = client.post(url(live), {"mode": "listen"}, format="json").json()["monitor"]["participant_sid"]
    twilio_fake.leave(live.conference_sid, sid)

    resp = client.post(url(live), {"mode": "barge"}, format="json")

    assert resp.status_code == 200, resp.json()
    assert [r.status for r in twilio_fake.received("POST", f"/Participants/{sid}.json")] == [404]
    assert len(twilio_fake.received("POST", "/Participants.json")) == 2
    assert resp.json()["monitor"]["participant_sid"] != sid


def test_the_conference_callbacks_record_the_supervisor_coming_and_going(client, api_client_for, maria, maria_agent,
                                                                        live, twilio_fake):  # fmt: skip
    api = api_client_for(maria)
    sid = api.post(url(live), {"mode": "listen"}, format="json").json()["monitor"]["participant_sid"]
    for event in ("participant-join", "participant-leave"):
        params = {"ConferenceSid": live.conference_sid, "StatusCallbackEvent": event, "CallSid": sid}
        assert post_callback(client, callback_urls(live)["conference"], params).status_code == 204
    drain()

    live.refresh_from_db()
    monitor = live.metadata["monitors"][str(maria_agent.pk)]
    assert monitor["joined_at"] and monitor["left_at"]
    assert "agent_left_at" not in live.metadata and "lead_hangup_due" not in live.metadata
    api.post(url(live), {"mode": "listen"}, format="json")
    assert twilio_fake.received("POST", f"/Participants/{sid}.json") == []  # gone: rung again, not updated
    assert len(twilio_fake.received("POST", "/Participants.json")) == 2


def test_a_manager_may_name_the_supervisor_profile(api_client_for, alice, live, twilio_fake, acme):
    supervisor = Agent.objects.create(tenant=acme, name="Sam Supervisor", kind=AgentKind.HUMAN)

    resp = api_client_for(alice).post(url(live), {"mode": "listen", "supervisor_agent_id": str(supervisor.pk)},
                                      format="json")  # fmt: skip

    assert resp.status_code == 200, resp.json()
    assert twilio_fake.received("POST", "/Participants.json")[0].get("To") == f"client:agent-{supervisor.pk}"


def test_an_api_key_with_write_scope_names_the_supervisor(api_client, api_key_for, acme, live, twilio_fake):
    supervisor = Agent.objects.create(tenant=acme, name="Sam Supervisor", kind=AgentKind.HUMAN)
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, ApiKeyScope.WRITE))

    resp = api_client.post(url(live), {"mode": "barge", "supervisor_agent_id": str(supervisor.pk)}, format="json")

    assert resp.status_code == 200, resp.json()


def test_twilio_refusing_is_a_502_and_records_nothing(api_client_for, maria, maria_agent, live, twilio_fake):
    twilio_fake.fail_next(500)

    assert_error(api_client_for(maria).post(url(live), {"mode": "listen"}, format="json"), 502, "PROVIDER_ERROR")

    live.refresh_from_db()
    assert "monitors" not in live.metadata and not CallEvent.objects.filter(call=live, kind=EventKind.ACTION).exists()


# With the simulator ------------------------------------------------------------------------------------
def test_with_the_simulator_the_monitoring_is_recorded(api_client_for, maria, maria_agent, acme):
    call = _human_call(acme, provider="simulator", conference="CF" + secrets.token_hex(16))
    client = api_client_for(maria)

    listen = client.post(url(call), {"mode": "listen"}, format="json")
    whisper = client.post(url(call), {"mode": "whisper"}, format="json")

    assert listen.status_code == whisper.status_code == 200, whisper.json()
    monitor = whisper.json()["monitor"]
    assert monitor["provider"] == "simulator" and monitor["mode"] == "whisper"
    assert monitor["participant_sid"] == listen.json()["monitor"]["participant_sid"]
    call.refresh_from_db()
    assert call.metadata["monitors"][str(maria_agent.pk)]["mode"] == "whisper"


# Refusals ----------------------------------------------------------------------------------------------
def test_agents_may_not_monitor(api_client_for, bob, live):
    assert_error(api_client_for(bob).post(url(live), {"mode": "listen"}, format="json"), 403, "ROLE_FORBIDDEN")


def test_a_read_only_api_key_may_not_monitor(api_client, api_key_for, acme, live):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, ApiKeyScope.READ))

    assert_error(api_client.post(url(live), {"mode": "listen"}, format="json"), 403, "API_KEY_READ_ONLY")


def test_another_tenants_call_or_supervisor_is_404(api_client_for, charlie, alice, live, globex):
    assert_error(api_client_for(charlie).post(url(live), {"mode": "listen"}, format="json"), 404, "NOT_FOUND")
    outsider = Agent.objects.create(tenant=globex, name="Gus", kind=AgentKind.HUMAN)
    body = {"mode": "listen", "supervisor_agent_id": str(outsider.pk)}
    assert_error(api_client_for(alice).post(url(live), body, format="json"), 404, "NOT_FOUND")


@pytest.mark.parametrize("status", [CallStatus.RINGING, CallStatus.COMPLETED])
def test_a_call_not_in_progress_is_not_live(api_client_for, maria, maria_agent, live, status):
    Call.objects.filter(pk=live.pk).update(status=status)

    body = assert_error(api_client_for(maria).post(url(live), {"mode": "listen"}, format="json"), 409,
                        "CALL_NOT_LIVE")  # fmt: skip

    assert body["status"] == status


def test_an_ai_call_is_not_a_human_call(api_client_for, maria, maria_agent, acme):
    call = f.call(f.lead(acme, "+12125550102", campaign=f.campaign(acme)), status=CallStatus.IN_PROGRESS)

    assert_error(api_client_for(maria).post(url(call), {"mode": "listen"}, format="json"), 409, "NOT_A_HUMAN_CALL")


def test_a_human_call_without_its_conference_yet_cannot_be_joined(api_client_for, maria, maria_agent, acme):
    call = _human_call(acme)

    assert_error(api_client_for(maria).post(url(call), {"mode": "barge"}, format="json"), 409, "NOT_A_HUMAN_CALL")


def test_whispering_needs_the_agent_in_the_conference(api_client_for, maria, maria_agent, acme):
    call = _human_call(acme, provider="simulator", conference="CF" + secrets.token_hex(16), joined=False)
    client = api_client_for(maria)

    assert_error(client.post(url(call), {"mode": "whisper"}, format="json"), 409, "AGENT_NOT_CONNECTED")
    assert client.post(url(call), {"mode": "listen"}, format="json").status_code == 200


def test_the_supervisor_must_be_a_human_other_than_the_calls_agent(api_client_for, alice, live, acme):
    client = api_client_for(alice)
    ai = Agent.objects.create(tenant=acme, name="Ava", kind=AgentKind.AI)
    inactive = Agent.objects.create(tenant=acme, name="Old Sam", kind=AgentKind.HUMAN, is_active=False)

    for supervisor, code in ((ai, "NOT_A_HUMAN_AGENT"), (inactive, "AGENT_INACTIVE"),
                             (live.agent, "SUPERVISOR_IS_THE_AGENT")):  # fmt: skip
        body = {"mode": "listen", "supervisor_agent_id": str(supervisor.pk)}
        assert_error(client.post(url(live), body, format="json"), 409, code)


def test_a_manager_without_an_agent_profile_must_name_one(api_client_for, alice, live):
    body = assert_error(api_client_for(alice).post(url(live), {"mode": "listen"}, format="json"), 400,
                        "VALIDATION_ERROR")  # fmt: skip

    assert body["errors"][0]["loc"] == ["body", "supervisor_agent_id"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"mode": "shout"}, ["body", "mode"]),
        ({}, ["body", "mode"]),
        ({"mode": "listen", "supervisor_agent_id": "not-a-uuid"}, ["body", "supervisor_agent_id"]),
        ({"mode": "listen", "volume": 11}, ["body", "volume"]),
    ],
)
def test_bad_input_is_400_naming_the_field(api_client_for, maria, maria_agent, live, payload, loc):
    body = assert_error(api_client_for(maria).post(url(live), payload, format="json"), 400, "VALIDATION_ERROR")

    assert loc in [error["loc"] for error in body["errors"]]
