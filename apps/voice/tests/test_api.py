"""Spec 001's REST flow (POST /api/v1/voice/calls/, /{id}/start/, /{id}/respond/, /{id}/end/) with
the documented shapes, and every way to get it wrong: a clear 4xx with a machine-readable code,
another tenant's ids answering 404."""

import pytest

from apps.calls.choices import CallStatus
from apps.calls.tests import factories as f
from apps.leads.choices import LeadStatus
from apps.leads.models import DoNotCallEntry, Lead

pytestmark = pytest.mark.django_db
CALLS = "/api/v1/voice/calls/"


@pytest.fixture
def api(api_client_for, alice):
    return api_client_for(alice)


def _create(api, lead, **body):
    return api.post(CALLS, {"lead_id": str(lead.pk), **body}, format="json")


def _started(api, lead) -> str:
    call_id = _create(api, lead).json()["call_id"]
    assert api.post(f"{CALLS}{call_id}/start/", {}, format="json").status_code == 200
    return call_id


def test_the_whole_flow_has_spec_001s_shapes(api, pat):
    created = _create(api, pat, phone_number="+1 (212) 555-0101", purpose="Discovery call to understand needs",
                      voice_settings={"voice_id": "bella", "speed": 1.0, "language": "en-US"})  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["success"] is True and body["status"] == "queued" and body["phone_number"] == "+12125550101"
    call_id = body["call_id"]
    assert Lead.objects.get(pk=pat.pk).status == LeadStatus.CALLING

    started = api.post(f"{CALLS}{call_id}/start/", {"voice_config": {"provider": "elevenlabs", "voice_id": "bella",
                                                                     "stability": 0.75}}, format="json")  # fmt: skip
    assert started.status_code == 200
    assert started.json() == {
        "success": True, "call_id": call_id,
        "opening_message": "Hello Pat, this is Ava calling from Acme. Do you have a minute?",
        "session_info": {"state": "greeting", "context": {"lead_name": "Pat", "company": "Lee Plumbing",
                                                          "industry": ""}},
    }  # fmt: skip

    answered = api.post(f"{CALLS}{call_id}/respond/", {"text": "Hi Ava, yes I have a few minutes to chat"},
                        format="json")  # fmt: skip
    assert answered.status_code == 200
    reply = answered.json()
    assert set(reply) == {"success", "ai_response", "audio_data", "analysis", "conversation_state", "should_continue"}
    assert reply["conversation_state"] == "discovery" and reply["should_continue"] is True
    assert reply["analysis"]["intent"] == "general_inquiry" and reply["analysis"]["interest_signals"] == [
        "verbal_interest"]  # fmt: skip
    assert reply["ai_response"].endswith("How do you handle that today?") and reply["audio_data"] is None

    ended = api.post(f"{CALLS}{call_id}/end/", {"reason": "completed"}, format="json")
    assert ended.status_code == 200
    result = ended.json()
    assert result["success"] is True and result["call_id"] == call_id
    assert {"duration_minutes", "total_exchanges", "conversation_state", "objections_raised", "interest_signals",
            "overall_sentiment", "recommendation"} <= set(result["summary"])  # fmt: skip
    assert set(result["analytics"]) == {"conversion_probability", "engagement_score", "total_turns", "avg_sentiment"}
    assert result["summary"]["total_exchanges"] == 1 and result["analytics"]["total_turns"] == 3
    assert 0 <= result["analytics"]["conversion_probability"] <= 1

    detail = api.get(f"{CALLS}{call_id}/").json()
    assert detail["status"] == CallStatus.COMPLETED and detail["conversation_state"] == "ended"
    assert detail["state_path"] == ["greeting", "discovery", "ended"] and len(detail["transcript"]) == 3
    assert detail["summary"] == result["summary"] and detail["mode"] == "text"
    again = api.post(f"{CALLS}{call_id}/end/", {}, format="json")  # ending it again: the same summary
    assert again.status_code == 200 and again.json()["summary"] == result["summary"]


def test_a_conversation_that_ends_by_itself_says_so(api, pat):
    call_id = _started(api, pat)
    reply = api.post(f"{CALLS}{call_id}/respond/", {"text": "Please stop calling me."}, format="json").json()
    assert reply["should_continue"] is False and reply["conversation_state"] == "ended"
    assert reply["analysis"]["intent"] == "do_not_call"
    assert DoNotCallEntry.objects.filter(phone_e164=pat.phone_e164).exists()
    late = api.post(f"{CALLS}{call_id}/respond/", {"text": "hello?"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "CONVERSATION_ENDED"
    assert api.post(f"{CALLS}{call_id}/end/", {}, format="json").json()["summary"]["outcome"] == "do_not_call"


def test_an_empty_text_is_a_silence(api, pat):
    call_id = _started(api, pat)
    reply = api.post(f"{CALLS}{call_id}/respond/", {"text": ""}, format="json").json()
    assert reply["analysis"]["intent"] == "silence" and reply["ai_response"].startswith("Sorry, I didn't catch that.")


def test_ending_a_call_never_started_cancels_it(api, pat):
    call_id = _create(api, pat).json()["call_id"]
    ended = api.post(f"{CALLS}{call_id}/end/", {}, format="json")
    assert ended.status_code == 200 and ended.json()["summary"]["total_exchanges"] == 0
    assert api.get(f"{CALLS}{call_id}/").json()["status"] == CallStatus.CANCELED
    lead = Lead.objects.get(pk=pat.pk)
    assert lead.status == LeadStatus.NEW and lead.attempts_count == 0  # no attempt spent


@pytest.mark.parametrize(("body", "field"), [
    ({}, "lead_id"),
    ({"lead_id": "not-a-uuid"}, "lead_id"),
    ({"lead_id": "{lead}", "call_type": "sideways"}, "call_type"),
    ({"lead_id": "{lead}", "voice_settings": {"speed": 9}}, "voice_settings"),
])  # fmt: skip
def test_bad_input_to_create_is_a_validation_error(api, pat, body, field):
    body = {key: str(pat.pk) if value == "{lead}" else value for key, value in body.items()}
    response = api.post(CALLS, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR" and response.json()["errors"][0]["loc"][1] == field


def test_a_bad_number_is_refused(api, pat):
    response = _create(api, pat, phone_number="12")
    assert response.status_code == 400 and response.json()["code"] == "INVALID_PHONE"


def test_a_do_not_call_lead_is_never_called_in_text_mode_either(api, pat):
    Lead.objects.filter(pk=pat.pk).update(do_not_call=True, status=LeadStatus.DNC)
    response = _create(api, pat)
    assert response.status_code == 409 and response.json()["code"] == "LEAD_IS_DNC"


def test_one_live_call_per_lead(api, pat):
    assert _create(api, pat).status_code == 201
    response = _create(api, pat)
    assert response.status_code == 409 and response.json()["code"] == "LEAD_IN_CALL"


def test_a_lead_without_a_campaign_or_ai_agent_has_nobody_to_talk_to_it(api, acme):
    lead = f.lead(acme, "+12125550177")
    response = _create(api, lead)
    assert response.status_code == 409 and response.json()["code"] == "NO_QUEUE"


def test_the_order_of_the_steps_is_kept(api, pat):
    call_id = _create(api, pat).json()["call_id"]
    early = api.post(f"{CALLS}{call_id}/respond/", {"text": "hello"}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "CALL_NOT_STARTED"
    assert api.post(f"{CALLS}{call_id}/start/", {}, format="json").status_code == 200
    twice = api.post(f"{CALLS}{call_id}/start/", {}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "CALL_ALREADY_STARTED"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 400, "VALIDATION_ERROR"),
    ({"text": "x" * 2001}, 400, "VALIDATION_ERROR"),
    ({"audio_data": "UklGRiQAAABXQVZF"}, 422, "AUDIO_NOT_SUPPORTED"),
])  # fmt: skip
def test_bad_input_to_respond(api, pat, body, status, code):
    call_id = _started(api, pat)
    response = api.post(f"{CALLS}{call_id}/respond/", body, format="json")
    assert response.status_code == status and response.json()["code"] == code


def test_a_phone_call_is_not_talked_to_through_the_text_api(api, pat):
    call = f.call(pat, status=CallStatus.IN_PROGRESS, provider="twilio")
    for step in ("start", "respond", "end"):
        response = api.post(f"{CALLS}{call.pk}/{step}/", {"text": "hi"}, format="json")
        assert response.status_code == 409 and response.json()["code"] == "NOT_A_TEXT_CALL"


def test_another_tenants_calls_and_leads_are_not_found(api_client_for, api, charlie, pat):
    call_id = _started(api, pat)
    outsider = api_client_for(charlie)
    for method, path in (("get", f"{CALLS}{call_id}/"), ("post", f"{CALLS}{call_id}/respond/"),
                         ("post", f"{CALLS}{call_id}/end/")):  # fmt: skip
        response = getattr(outsider, method)(path, {"text": "hi"}, format="json")
        assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    response = outsider.post(CALLS, {"lead_id": str(pat.pk)}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"


def test_agents_read_but_do_not_hold_calls(api_client_for, api, bob, pat):
    call_id = _started(api, pat)
    agent = api_client_for(bob)
    assert agent.get(f"{CALLS}{call_id}/").status_code == 200
    response = agent.post(f"{CALLS}{call_id}/respond/", {"text": "hi"}, format="json")
    assert response.status_code == 403


def test_it_needs_a_login(api_client, pat):
    assert api_client.post(CALLS, {"lead_id": str(pat.pk)}, format="json").status_code == 401
