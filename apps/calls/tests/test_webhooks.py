"""Twilio's webhooks (spec 004) as Twilio calls them: form-encoded POSTs to the public URL with a
valid X-Twilio-Signature (apps.calls.tests.fake_twilio.post_callback), through Django's test client
and the real middleware, against real PostgreSQL and Redis.

Verified (403 and nothing stored otherwise), idempotent (a duplicate is a no-op, an older status
never overwrites a newer one: 1,000 callbacks twice and shuffled end where in-order delivery does),
fast (status-type callbacks are stored and answered 204; the drain applies them), and the TwiML the
answer, voice and opt-out webhooks give in every mode.
"""

import random
import secrets
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db.models import Count
from django.test import override_settings
from twilio.request_validator import RequestValidator

from apps.agents.models import Agent, Presence
from apps.calls.choices import CallOutcome, CallStatus, EventKind
from apps.calls.events import drain
from apps.calls.models import Call, CallEvent, ComplianceRule
from apps.calls.tasks import dial_agent_leg
from apps.calls.telephony.base import callback_urls, public_url
from apps.calls.telephony.twilio import TwilioProvider
from apps.calls.telephony.twiml import DISCLOSURE
from apps.calls.tests import factories as f
from apps.calls.tests.fake_twilio import UNSIGNED, post_callback
from apps.campaigns.models import PacingMode
from apps.leads.choices import ActivityType, LeadStatus
from apps.leads.models import DncSource, DoNotCallEntry, Lead, LeadActivity

GLOBEX_TOKEN = "globex-own-twilio-token"


def _twiml(response) -> ET.Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "Response"
    return root


def _verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def _params(call: Call, **values) -> dict[str, str]:
    """What Twilio sends with every call webhook."""
    return {"AccountSid": "AC" + "a1" * 16, "ApiVersion": "2010-04-01", "CallSid": call.call_sid,
            "From": call.from_number, "To": call.to_number, "Direction": "outbound-api", **values}  # fmt: skip


def _status(call: Call, status: str, sequence: int | None = None, **values) -> dict[str, str]:
    params = _params(call, CallStatus=status, **values)
    if sequence is not None:
        params["SequenceNumber"] = str(sequence)
    return params


def _url(call: Call, name: str, **query) -> str:
    """The public URL of one of the call's webhooks, as Twilio is given it."""
    if name in ("answer", "status", "amd", "recording", "conference"):
        return callback_urls(call)[name]
    return public_url(f"webhooks:twilio-{name}", callId=str(call.pk), tenantId=str(call.tenant_id), **query)


def _live_call(tenant, *, phone: str = "+12125550101", pacing: str = PacingMode.AI, status=CallStatus.RINGING,
               group=None, **campaign_values) -> Call:  # fmt: skip
    campaign = f.campaign(tenant, pacing=pacing, group=group, **campaign_values)
    lead = f.lead(tenant, phone, campaign=campaign, first_name="Pat", last_name="Lee")
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CALLING)
    return f.call(lead, status=status, provider="twilio", call_sid="CA" + secrets.token_hex(16))


def _same_url(one: str, other: str) -> bool:
    """The same address and query parameters, in whatever order."""
    a, b = urlsplit(one), urlsplit(other)
    return a._replace(query="") == b._replace(query="") and parse_qs(a.query) == parse_qs(b.query)


def _snapshot(call: Call) -> dict:
    return Call.objects.filter(pk=call.pk).values().get()


@pytest.fixture
def globex_own_token(globex):
    """Globex has its own Twilio account: its callbacks are signed with its own token."""
    globex.twilio_account_sid, globex.twilio_auth_token = "AC" + "c3" * 16, GLOBEX_TOKEN
    globex.save()
    return GLOBEX_TOKEN


@pytest.fixture
def california_records_with_consent(db):
    """The platform's rule (seeded by a migration) that recording a Californian needs everyone's consent."""
    ComplianceRule.objects.get_or_create(tenant=None, country="US", subdivision="CA", weekday=None,
                                         defaults={"all_party_consent": True})  # fmt: skip
    ComplianceRule.objects.filter(tenant=None, country="US", subdivision="CA").update(all_party_consent=True)


# Verification ----------------------------------------------------------------------------------------
WEBHOOKS = {
    "answer": {"CallStatus": "in-progress", "AnsweredBy": "human"},
    "status": {"CallStatus": "completed", "SequenceNumber": "3", "CallDuration": "20"},
    "amd": {"AnsweredBy": "machine_end_beep"},
    "recording": {
        "RecordingSid": "RE" + "1" * 32,
        "RecordingStatus": "completed",
        "RecordingDuration": "20",
        "RecordingUrl": "https://api.twilio.com/recording.wav",
    },
    "agent-answer": {"CallStatus": "in-progress"},
    "conference": {"ConferenceSid": "CF" + "2" * 32, "StatusCallbackEvent": "participant-join"},
    "voice": {"SpeechResult": "Please stop calling me", "Confidence": "0.9"},
    "optout": {"Digits": "9"},
}


def _any_url(call: Call, name: str) -> str:
    if name == "agent-answer":
        return public_url("webhooks:twilio-agent-answer", tenantId=str(call.tenant_id), leadName="Pat Lee",
                          conferenceName=f"call_{call.pk}")  # fmt: skip
    return _url(call, name)


@pytest.mark.parametrize("name", list(WEBHOOKS))
@pytest.mark.parametrize("forgery", ["bad", "missing", "other_tenants_token", "tampered"])
def test_every_webhook_refuses_a_forged_request_and_changes_nothing(client, acme, globex_own_token, name, forgery):
    call = _live_call(acme, voicemail_drop_text="Hello", status=CallStatus.IN_PROGRESS)
    before, params, url = _snapshot(call), _params(call, **WEBHOOKS[name]), _any_url(call, name)
    signature = {
        "bad": "c2lnbmVkIHdpdGggbm90aGluZw==",
        "missing": UNSIGNED,
        "other_tenants_token": None,  # signed, with Globex's token
        "tampered": None,  # signed, then a parameter changed
    }[forgery]
    token = GLOBEX_TOKEN if forgery == "other_tenants_token" else None
    if forgery == "tampered":
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
        params = {**params, "CallSid": "CA" + "f" * 32}

    response = post_callback(client, url, params, token=token, signature=signature)

    assert response.status_code == 403
    assert CallEvent.objects.filter(call=call).count() == 0
    assert _snapshot(call) == before
    assert not DoNotCallEntry.objects.exists()


def test_a_signed_request_passes_every_webhook(client, acme):
    """The other side of the test above: the same requests, correctly signed, are served."""
    for name, values in WEBHOOKS.items():
        call = _live_call(acme, phone=f"+1212555{len(name):04d}", status=CallStatus.IN_PROGRESS)
        response = post_callback(client, _any_url(call, name), _params(call, **values))
        assert response.status_code in (200, 204), (name, response.status_code)


def test_a_tenant_with_its_own_account_is_verified_with_its_own_token(client, globex, globex_own_token, settings):
    call = _live_call(globex)
    url, params = _url(call, "status"), _status(call, "ringing", 1)

    assert post_callback(client, url, params, token=settings.TWILIO_AUTH_TOKEN).status_code == 403  # the platform's
    assert post_callback(client, url, params, token=GLOBEX_TOKEN).status_code == 204


def test_the_signature_covers_the_public_url_behind_a_proxy(client, acme, settings):
    settings.PUBLIC_BASE_URL = "https://calls.leadvoice.example"
    call = _live_call(acme)
    url = _url(call, "status")
    assert url.startswith("https://calls.leadvoice.example/webhooks/twilio/status/?")
    internal = "http://testserver" + url.removeprefix("https://calls.leadvoice.example")

    assert post_callback(client, internal, _status(call, "ringing", 1), public_base="http://testserver").status_code == (
        403)  # fmt: skip
    assert post_callback(client, url, _status(call, "ringing", 1)).status_code == 204


def test_a_malformed_tenant_id_is_refused_not_a_server_error(client, acme):
    call = _live_call(acme)
    url = public_url("webhooks:twilio-status", callId=str(call.pk), tenantId="not-a-uuid")

    assert post_callback(client, url, _status(call, "ringing", 1)).status_code == 403
    assert not CallEvent.objects.exists()


def test_a_malformed_attempt_in_the_answer_url_is_the_first_attempt_not_a_server_error(client, acme):
    call = _live_call(acme)
    url = _url(call, "answer").replace("attempt=1", "attempt=x") if "attempt=" in _url(call, "answer") else (
        _url(call, "answer") + "&attempt=x")  # fmt: skip

    root = _twiml(post_callback(client, url, _params(call, CallStatus="in-progress")))

    assert root.tag == "Response"
    assert Call.objects.get(pk=call.pk).status == CallStatus.IN_PROGRESS


def test_webhooks_answer_only_post(client, acme):
    call = _live_call(acme)
    path = _url(call, "status").removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 405


# Status callbacks: stored at once, applied after -----------------------------------------------------
def test_a_status_callback_is_stored_and_answered_without_processing(
    client, acme, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    call = _live_call(acme, status=CallStatus.INITIATED)
    post_callback(client, _url(call, "status"), _status(call, "initiated", 0))  # the tenant's token now cached

    with django_assert_max_num_queries(6), django_capture_on_commit_callbacks() as woken:
        started = time.perf_counter()
        response = post_callback(client, _url(call, "status"), _status(call, "ringing", 1, Timestamp="now"))
        elapsed = time.perf_counter() - started

    assert response.status_code == 204 and response.content == b""
    assert elapsed < 0.5  # milliseconds in practice; generous for a loaded machine
    assert [cb.__name__ for cb in woken] == ["wake_drain"]  # the drain is woken after the commit
    event = CallEvent.objects.get(call=call, sequence_number=1)
    assert (event.kind, event.provider_status, event.processed_at) == (EventKind.STATUS, "ringing", None)
    assert event.payload["CallStatus"] == "ringing" and event.payload["CallSid"] == call.call_sid
    call.refresh_from_db()
    assert call.status == CallStatus.INITIATED  # nothing applied in the request

    drain()

    call.refresh_from_db()
    event.refresh_from_db()
    assert (call.status, call.sequence) == (CallStatus.RINGING, 1) and call.ringing_at is not None
    assert event.processed_at is not None and event.applied and event.to_status == CallStatus.RINGING


def test_a_duplicate_status_callback_is_a_no_op(client, acme, django_capture_on_commit_callbacks):
    call = _live_call(acme)
    params = _status(call, "completed", 3, CallDuration="17")

    with django_capture_on_commit_callbacks() as woken:
        responses = [post_callback(client, _url(call, "status"), params).status_code for _ in range(3)]

    assert responses == [204, 204, 204] and len(woken) == 1
    assert CallEvent.objects.filter(call=call, kind=EventKind.STATUS).count() == 1
    drain()
    assert post_callback(client, _url(call, "status"), params).status_code == 204  # again, after it was applied
    drain()
    call.refresh_from_db()
    assert (call.status, call.duration, call.outcome) == (CallStatus.COMPLETED, 17, CallOutcome.ANSWERED)
    assert LeadActivity.objects.filter(lead_id=call.lead_id, activity_type=ActivityType.CALL_ATTEMPT).count() == 1
    assert Lead.objects.get(pk=call.lead_id).attempts_count == 1


def test_a_duplicate_without_a_sequence_number_is_known_by_its_status(client, acme):
    call = _live_call(acme)
    for _ in range(2):
        assert post_callback(client, _url(call, "status"), _status(call, "busy")).status_code == 204
    assert CallEvent.objects.filter(call=call).count() == 1


def test_an_older_status_never_overwrites_a_newer_one(client, acme):
    call = _live_call(acme, status=CallStatus.INITIATED)
    for params in (_status(call, "completed", 3, CallDuration="31", AnsweredBy="human"),
                   _status(call, "in-progress", 2, AnsweredBy="human"), _status(call, "ringing", 1)):  # fmt: skip
        assert post_callback(client, _url(call, "status"), params).status_code == 204

    drain()

    call.refresh_from_db()
    assert (call.status, call.duration, call.sequence, call.answered_by) == (CallStatus.COMPLETED, 31, 3, "human")
    applied = dict(CallEvent.objects.filter(call=call, kind=EventKind.STATUS).values_list("provider_status", "applied"))
    assert applied == {"completed": True, "in-progress": False, "ringing": False}


def test_a_status_callback_for_an_unknown_call_stores_nothing(client, acme):
    call = _live_call(acme)
    url = public_url("webhooks:twilio-status", callId=str(uuid.uuid4()), tenantId=str(acme.pk))

    assert post_callback(client, url, _status(call, "completed", 3)).status_code == 404
    bad = public_url("webhooks:twilio-status", callId="not-a-uuid", tenantId=str(acme.pk))
    assert post_callback(client, bad, _status(call, "completed", 3)).status_code == 404
    assert not CallEvent.objects.exists()


@pytest.mark.parametrize("name", ["status", "amd", "recording", "conference"])
def test_another_tenant_cannot_move_our_call_with_its_own_valid_signature(client, acme, globex, globex_own_token, name):
    """Globex signs correctly for Globex, but names Acme's call: 404, nothing stored, nothing applied."""
    call = _live_call(acme, voicemail_drop_text="Hello")
    before = _snapshot(call)
    url = public_url(f"webhooks:twilio-{'conference-status' if name == 'conference' else name}", callId=str(call.pk),
                     tenantId=str(globex.pk))  # fmt: skip

    response = post_callback(client, url, _params(call, **WEBHOOKS[name]), token=GLOBEX_TOKEN)

    assert response.status_code == 404
    drain()
    assert not CallEvent.objects.exists() and _snapshot(call) == before


def test_a_recording_callback_fills_the_recording_once(client, acme):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)
    params = _params(call, **WEBHOOKS["recording"])
    for _ in range(2):
        assert post_callback(client, _url(call, "recording"), params).status_code == 204

    drain()

    call.refresh_from_db()
    assert (call.recording_sid, call.recording_duration) == ("RE" + "1" * 32, 20)
    assert call.recording_url == "https://api.twilio.com/recording.wav"
    assert CallEvent.objects.filter(call=call, kind=EventKind.RECORDING).count() == 1


def test_a_conference_callback_keeps_the_conference(client, acme):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)
    for event in ("conference-start", "participant-join", "participant-join"):
        params = _params(call, ConferenceSid="CF" + "2" * 32, StatusCallbackEvent=event)
        assert post_callback(client, _url(call, "conference"), params).status_code == 204

    drain()

    call.refresh_from_db()
    assert call.conference_sid == "CF" + "2" * 32
    assert CallEvent.objects.filter(call=call, kind=EventKind.CONFERENCE).count() == 2


def test_asynchronous_amd_drops_the_voicemail_through_twilio(client, acme, twilio_fake):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS, voicemail_drop_text="Hi, this is {company}.")
    sid = TwilioProvider().originate(call, machine_detection=True, record=False, timeout=30).sid
    Call.objects.filter(pk=call.pk).update(call_sid=sid)
    call.refresh_from_db()
    twilio_fake.set_call(sid, status="in-progress")
    twilio_fake.requests.clear()
    for _ in range(2):  # delivered twice
        params = _params(call, AnsweredBy="machine_end_beep", MachineDetectionDuration="4200")
        assert post_callback(client, _url(call, "amd"), params).status_code == 204
    assert twilio_fake.received() == []  # nothing sent to Twilio in the request

    drain()

    [redirect] = twilio_fake.received("POST", f"/Calls/{call.call_sid}.json")
    root = ET.fromstring(redirect.get("Twiml"))  # noqa: S314
    assert _verbs(root) == ["Say", "Hangup"] and root[0].text == "Hi, this is Acme."
    call.refresh_from_db()
    assert call.answered_by == "machine_end_beep" and call.metadata["voicemail_dropped"] is True


def test_a_voicemail_dropped_by_the_answer_webhook_is_not_dropped_again_by_the_amd_callback(client, acme, twilio_fake):
    call = _live_call(acme, status=CallStatus.RINGING, voicemail_drop_text="Hi, this is {company}.")
    twilio_fake.requests.clear()
    machine = {"AnsweredBy": "machine_end_beep", "CallStatus": "in-progress"}

    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, **machine)))
    assert post_callback(client, _url(call, "amd"), _params(call, **machine)).status_code == 204
    drain()

    assert _verbs(root) == ["Say", "Hangup"]  # dropped once, by the answer's TwiML
    assert twilio_fake.received("POST", f"/Calls/{call.call_sid}.json") == []  # not again through the REST API
    assert Call.objects.get(pk=call.pk).metadata["voicemail_dropped"] is True


def test_asynchronous_amd_leaves_a_person_alone(client, acme, twilio_fake):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS, voicemail_drop_text="Hi")
    assert post_callback(client, _url(call, "amd"), _params(call, AnsweredBy="human")).status_code == 204

    drain()

    call.refresh_from_db()
    assert call.answered_by == "human" and "voicemail_dropped" not in call.metadata
    assert twilio_fake.received() == []


# 1,000 callbacks, twice and shuffled -----------------------------------------------------------------
ANSWERED, UNANSWERED = 170, 50  # 170 calls x 5 callbacks + 50 calls x 3 = 1,000 callbacks


def _script(call: Call, n: int) -> list[tuple[str, dict[str, str]]]:
    """Call n's callbacks (webhook, parameters) in the order Twilio sends them: its status callbacks
    (SequenceNumber 0, 1, 2...), and after an answered call its recording."""
    if n < ANSWERED:
        answered_by = "human" if n % 2 == 0 else "machine_end_beep"
        end = {"CallDuration": str(10 + n % 50), "AnsweredBy": answered_by}
        if n % 3 == 0:
            end.update(Price="-0.01300", PriceUnit="USD")
        steps = [("initiated", {}), ("ringing", {}), ("in-progress", {"AnsweredBy": answered_by}), ("completed", end)]
    else:
        steps = [("initiated", {}), ("ringing", {}), (["busy", "no-answer", "failed"][n % 3], {"CallDuration": "0"})]
    script = [("status", _status(call, status, seq, **extra)) for seq, (status, extra) in enumerate(steps)]
    if n < ANSWERED:
        script.append(("recording", _params(call, RecordingSid=f"RE{n:032d}", RecordingStatus="completed",
                                            RecordingDuration=end["CallDuration"],
                                            RecordingUrl=f"https://api.twilio.com/recordings/RE{n:032d}")))  # fmt: skip
    return script


def _batch(tenant, name: str) -> list[Call]:
    """ANSWERED + UNANSWERED calls just placed (initiated, with their SIDs), one lead each."""
    campaign = f.campaign(tenant, name=name, amd_enabled=True)
    numbers = f.numbers(ANSWERED + UNANSWERED)
    leads = Lead.objects.bulk_create(
        [Lead(tenant=tenant, campaign=campaign, phone_e164=number, phone_region="US", timezone="America/New_York",
              first_name=f"Lead {n}", status=LeadStatus.CALLING) for n, number in enumerate(numbers)]
    )  # fmt: skip
    return Call.objects.bulk_create(
        [Call(tenant=tenant, lead=lead, campaign=campaign, provider="twilio", status=CallStatus.INITIATED,
              call_sid="CA" + secrets.token_hex(16), from_number="+14155550000", to_number=lead.phone_e164)
         for lead in leads]
    )  # fmt: skip


def _finals(calls: list[Call]) -> list[dict]:
    """Where each call and its lead ended, field by field (in the order of `calls`)."""
    ids = [call.pk for call in calls]
    rows = {row["id"]: row for row in Call.objects.filter(pk__in=ids).values(
        "id", "status", "outcome", "disposition", "duration", "answered_by", "sequence", "cost", "cost_unit",
        "recording_sid", "recording_duration", "finalized_at", "ended_at", "lead__status", "lead__attempts_count",
        "lead__disposition", "lead__stage", "lead__do_not_call", "lead__next_call_at")}  # fmt: skip
    attempts = dict(
        LeadActivity.objects.filter(lead__calls__in=ids, activity_type=ActivityType.CALL_ATTEMPT)
        .values_list("lead__calls").annotate(n=Count("id"))
    )  # fmt: skip
    finals = []
    for pk in ids:
        row = rows[pk]
        row["finalized"], row["ended"] = row.pop("finalized_at") is not None, row.pop("ended_at") is not None
        row["lead_retry_later"] = row.pop("lead__next_call_at") is not None
        row["attempt_rows"] = attempts.get(pk, 0)
        del row["id"]
        finals.append(row)
    return finals


def _deliver(client, call: Call, webhook: str, params: dict[str, str]) -> None:
    assert post_callback(client, _url(call, webhook), params).status_code == 204


def test_a_thousand_callbacks_twice_and_shuffled_end_where_in_order_delivery_does(client, acme):
    in_order, shuffled = _batch(acme, "In order"), _batch(acme, "Shuffled")
    callbacks = [(call, *callback) for n, call in enumerate(in_order) for callback in _script(call, n)]
    assert len(callbacks) == 1000
    for call, webhook, params in callbacks:
        _deliver(client, call, webhook, params)
    drain()

    twice = [(call, *callback) for n, call in enumerate(shuffled) for callback in _script(call, n)] * 2
    random.Random(20260401).shuffle(twice)
    for count, (call, webhook, params) in enumerate(twice, start=1):
        _deliver(client, call, webhook, params)
        if count % 250 == 0:
            drain()  # the drain runs while callbacks still arrive, as in production
    drain()

    assert CallEvent.objects.filter(call__in=shuffled).exclude(kind=EventKind.DIALER).count() == 1000  # no dupes
    assert not CallEvent.objects.filter(processed_at__isnull=True).exists()
    expected = _finals(in_order)
    assert _finals(shuffled) == expected
    # ...and in-order delivery itself ended where each call's last status callback says.
    outcomes = {}
    for n, final in enumerate(expected):
        last = [params for webhook, params in _script(in_order[n], n) if webhook == "status"][-1]
        outcomes[final["status"], final["outcome"]] = outcomes.get((final["status"], final["outcome"]), 0) + 1
        assert final["finalized"] and final["lead__attempts_count"] == 1 and final["attempt_rows"] == 1
        assert (final["sequence"], final["duration"]) == (int(last["SequenceNumber"]), int(last["CallDuration"]))
        assert final["recording_sid"] == (f"RE{n:032d}" if n < ANSWERED else "")
    assert outcomes == {
        (CallStatus.COMPLETED, CallOutcome.ANSWERED): 85, (CallStatus.COMPLETED, CallOutcome.VOICEMAIL): 85,
        (CallStatus.BUSY, CallOutcome.BUSY): 17, (CallStatus.NO_ANSWER, CallOutcome.NO_ANSWER): 16,
        (CallStatus.FAILED, CallOutcome.FAILED): 17,
    }  # fmt: skip
    assert expected[0]["answered_by"] == "human" and expected[0]["cost"] is not None
    assert expected[1]["answered_by"] == "machine_end_beep" and expected[1]["cost"] is None
    assert expected[ANSWERED]["lead__status"] == LeadStatus.SCHEDULED and expected[ANSWERED]["lead_retry_later"]


# The answer webhook: the TwiML of every mode --------------------------------------------------------
def test_an_ai_call_goes_to_the_voice_app(client, acme):
    call = _live_call(acme, record_calls=False)

    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Redirect"]
    assert root[0].text == _url(call, "voice") and root[0].get("method") == "POST"
    call.refresh_from_db()
    assert call.status == CallStatus.IN_PROGRESS and call.answered_at is not None
    assert CallEvent.objects.filter(call=call, kind=EventKind.ANSWER).count() == 2  # the callback, and the move


def test_a_recorded_call_to_california_discloses_the_recording_first(client, acme, california_records_with_consent):
    call = _live_call(acme, phone="+14155550123", record_calls=True)
    assert (call.lead.phone_region, call.lead.subdivision) == ("US", "CA")

    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Say", "Redirect"] and root[0].text == DISCLOSURE


@pytest.mark.parametrize(("phone", "record"), [("+12125550123", True), ("+14155550123", False)])
def test_no_disclosure_where_none_is_needed(client, acme, california_records_with_consent, phone, record):
    """New York needs one party's consent; an unrecorded call needs none."""
    call = _live_call(acme, phone=phone, record_calls=record)

    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Redirect"]


@pytest.mark.parametrize("pacing", [PacingMode.PROGRESSIVE, PacingMode.PREDICTIVE, PacingMode.PREVIEW])
def test_a_human_campaign_puts_the_lead_in_a_free_agents_conference(client, acme, pacing):
    group, (agent, _other) = f.human_agents(acme, 2)
    Agent.objects.filter(pk=_other.pk).update(status=Presence.BREAK)
    call = _live_call(acme, pacing=pacing, group=group, record_calls=True)

    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Dial"]
    dial = root[0]
    assert dial.get("record") == "record-from-answer-dual" and dial.get("recordingStatusCallback") == _url(
        call, "recording")  # fmt: skip
    [conference] = list(dial)
    assert conference.tag == "Conference" and conference.text == f"call_{call.pk}"
    assert conference.get("statusCallback") == _url(call, "conference")
    assert conference.get("statusCallbackEvent") == "start end join leave"
    assert (conference.get("startConferenceOnEnter"), conference.get("endConferenceOnExit")) == ("true", "true")
    call.refresh_from_db()
    agent.refresh_from_db()
    assert call.agent_id == agent.pk and call.metadata["agent_connected"] and agent.current_calls == 1


def test_a_californian_hears_the_disclosure_before_the_agent(client, acme, california_records_with_consent):
    group, _ = f.human_agents(acme, 1)
    call = _live_call(acme, phone="+14155550124", pacing=PacingMode.PROGRESSIVE, group=group, record_calls=True)

    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Say", "Dial"] and root[0].text == DISCLOSURE


def test_twilio_asking_twice_does_not_take_a_second_agent(client, acme):
    group, agents = f.human_agents(acme, 2)
    call = _live_call(acme, pacing=PacingMode.PROGRESSIVE, group=group)
    params = _params(call, CallStatus="in-progress")

    first = ET.tostring(_twiml(post_callback(client, _url(call, "answer"), params)))
    second = ET.tostring(_twiml(post_callback(client, _url(call, "answer"), params)))

    assert first == second
    assert sorted(Agent.objects.filter(pk__in=[a.pk for a in agents]).values_list("current_calls", flat=True)) == [0, 1]


@override_settings(DIALER_ABANDON_SECONDS=3)
def test_with_no_agent_free_the_caller_waits_then_hears_the_abandon_message(client, acme):
    group, _ = f.human_agents(acme, 1, status=Presence.BUSY)
    call = _live_call(acme, pacing=PacingMode.PROGRESSIVE, group=group, record_calls=False)
    url = _url(call, "answer")
    for attempt in (1, 2):
        root = _twiml(post_callback(client, url, _params(call, CallStatus="in-progress")))
        assert _verbs(root) == ["Pause", "Redirect"] and root[0].get("length") == "1"
        url = root[1].text  # Twilio follows the redirect: the answer webhook again, attempt + 1
        assert f"attempt={attempt + 1}" in url and root[1].get("method") == "POST"

    root = _twiml(post_callback(client, url, _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Gather", "Hangup"]
    gather = root[0]
    assert (gather.get("numDigits"), gather.get("action")) == ("1", _url(call, "optout"))
    said = gather.find("Say").text
    assert "Acme" in said and "1 4 1 5 5 5 5 0 0 0 0" in said and "press 9" in said
    call.refresh_from_db()
    assert call.outcome == CallOutcome.ABANDONED and call.agent_id is None
    post_callback(client, _url(call, "status"), _status(call, "completed", 3, CallDuration="12"))
    drain()
    call.refresh_from_db()
    assert (call.status, call.outcome, call.disposition) == (CallStatus.COMPLETED, CallOutcome.ABANDONED, "abandoned")


def test_an_agent_freed_while_the_caller_waits_takes_the_call(client, acme):
    group, (agent,) = f.human_agents(acme, 1, status=Presence.BUSY)
    call = _live_call(acme, pacing=PacingMode.PROGRESSIVE, group=group)
    root = _twiml(post_callback(client, _url(call, "answer"), _params(call, CallStatus="in-progress")))
    Agent.objects.filter(pk=agent.pk).update(status=Presence.AVAILABLE)

    root = _twiml(post_callback(client, root[1].text, _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Dial"] and root[0][0].tag == "Conference"


@pytest.mark.parametrize(
    ("drop", "verbs", "disposition"),
    [
        ({"voicemail_drop_url": "https://cdn.example/message.mp3"}, ["Play", "Hangup"], "voicemail_left"),
        ({"voicemail_drop_text": "Hello from {company}."}, ["Say", "Hangup"], "voicemail_left"),
        ({}, ["Hangup"], "voicemail"),
    ],
)
def test_an_answering_machine_gets_the_voicemail_drop_or_a_hang_up(client, acme, drop, verbs, disposition):
    call = _live_call(acme, record_calls=False, **drop)

    root = _twiml(post_callback(client, _url(call, "answer"),
                                _params(call, CallStatus="in-progress", AnsweredBy="machine_end_beep")))  # fmt: skip

    assert _verbs(root) == verbs
    if "voicemail_drop_url" in drop:
        assert root[0].text == "https://cdn.example/message.mp3"
    if "voicemail_drop_text" in drop:
        assert root[0].text == "Hello from Acme."
    post_callback(client, _url(call, "status"),
                  _status(call, "completed", 3, CallDuration="25", AnsweredBy="machine_end_beep"))  # fmt: skip
    drain()
    call.refresh_from_db()
    assert (call.outcome, call.disposition) == (CallOutcome.VOICEMAIL, disposition)
    assert call.answered_by == "machine_end_beep"


@pytest.mark.parametrize("name", ["answer", "voice", "optout"])
@pytest.mark.parametrize("call_id", ["unknown", "not-a-uuid"])
def test_an_unknown_call_is_hung_up(client, acme, name, call_id):
    call = _live_call(acme)
    url = public_url(f"webhooks:twilio-{name}", callId=str(uuid.uuid4()) if call_id == "unknown" else call_id,
                     tenantId=str(acme.pk))  # fmt: skip

    assert _verbs(_twiml(post_callback(client, url, _params(call, **WEBHOOKS[name])))) == ["Hangup"]
    assert not CallEvent.objects.exists() and not DoNotCallEntry.objects.exists()


@pytest.mark.parametrize("name", ["answer", "voice", "optout"])
def test_another_tenants_call_is_hung_up_and_left_alone(client, acme, globex, globex_own_token, name):
    call = _live_call(acme)
    before = _snapshot(call)
    url = public_url(f"webhooks:twilio-{name}", callId=str(call.pk), tenantId=str(globex.pk))

    root = _twiml(post_callback(client, url, _params(call, **WEBHOOKS[name]), token=GLOBEX_TOKEN))

    assert _verbs(root) == ["Hangup"]
    assert _snapshot(call) == before and not CallEvent.objects.exists() and not DoNotCallEntry.objects.exists()


def test_the_agents_leg_hears_who_is_calling_then_joins_the_conference(client, acme):
    call = _live_call(acme, pacing=PacingMode.PROGRESSIVE)
    url = public_url("webhooks:twilio-agent-answer", tenantId=str(acme.pk), leadName="Pat Lee",
                     campaign="Spring", conferenceName=f"call_{call.pk}")  # fmt: skip

    root = _twiml(post_callback(client, url, _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Say", "Dial"] and root[0].text == "Lead Pat Lee, campaign Spring"
    assert root[1][0].tag == "Conference" and root[1][0].text == f"call_{call.pk}"


def test_the_chosen_agent_is_rung_once_in_their_softphone(client, acme, twilio_fake,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    group, [agent] = f.human_agents(acme, 1)
    call = _live_call(acme, pacing=PacingMode.PROGRESSIVE, group=group, name="Spring")
    Call.objects.filter(pk=call.pk).update(status=CallStatus.IN_PROGRESS)
    params = _params(call, CallStatus="in-progress")

    with django_capture_on_commit_callbacks() as first:
        post_callback(client, _url(call, "answer"), params)
    with django_capture_on_commit_callbacks() as again:
        post_callback(client, _url(call, "answer"), params)
    rings = [callback for callback in first if "agent_ring" in getattr(callback, "__qualname__", "")]
    assert len(rings) == 1 and again == []  # Twilio asking twice rings nobody twice (nor pops the screen)

    dial_agent_leg(str(call.pk), str(agent.pk))  # what the worker runs

    [sent] = twilio_fake.creates()
    assert sent.get("To") == f"client:agent-{agent.pk}" and sent.get("From") == call.from_number
    query = parse_qs(urlsplit(sent.get("Url")).query)
    assert urlsplit(sent.get("Url")).path == "/webhooks/twilio/agent-answer/"
    assert query["conferenceName"] == [f"call_{call.pk}"] and query["leadName"] == ["Pat Lee"]
    assert query["campaign"] == ["Spring"] and query["tenantId"] == [str(acme.pk)]
    call.refresh_from_db()
    assert call.metadata["agent_leg_sid"] in twilio_fake.calls
    # The whisper the agent's leg then asks for is the one above, signed like every webhook.
    root = _twiml(post_callback(client, sent.get("Url"), _params(call, CallStatus="in-progress")))
    assert _verbs(root) == ["Say", "Dial"] and root[0].text == "Lead Pat Lee, campaign Spring"


def test_an_agent_leg_for_a_call_already_over_is_not_dialled(acme, twilio_fake):
    group, [agent] = f.human_agents(acme, 1)
    call = _live_call(acme, pacing=PacingMode.PROGRESSIVE, group=group, status=CallStatus.COMPLETED)

    dial_agent_leg(str(call.pk), str(agent.pk))

    assert twilio_fake.creates() == []


# The voice app and the opt-out -----------------------------------------------------------------------
def test_the_voice_app_greets_then_listens_for_speech(client, acme):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)

    root = _twiml(post_callback(client, _url(call, "voice"), _params(call, CallStatus="in-progress")))

    assert _verbs(root) == ["Gather", "Redirect"]
    gather = root[0]
    assert (gather.get("input"), gather.get("action"), gather.get("method")) == ("speech", _url(call, "voice"), "POST")
    assert gather.find("Say").text.startswith("Hello Pat")
    assert _same_url(root[1].text, _url(call, "voice", silence="1"))
    call.refresh_from_db()
    assert [turn["speaker"] for turn in call.transcript] == ["agent"]


@pytest.mark.parametrize(("voice_id", "said_by"), [("Polly.Joanna", "Polly.Joanna"), ("bella", None), ("", None)])
def test_the_voice_app_speaks_with_the_campaigns_voice_and_listens_in_its_language(client, acme, voice_id, said_by):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS, ai_voice_id=voice_id, ai_voice_language="es-MX",
                      client_service="Solar panels")  # fmt: skip

    gather = _twiml(post_callback(client, _url(call, "voice"), _params(call, CallStatus="in-progress")))[0]

    assert (gather.get("language"), gather.get("speechTimeout"), gather.get("bargeIn")) == ("es-MX", "auto", "true")
    assert {"Acme", "Solar panels", "call me back", "not interested"} <= set(gather.get("hints").split(", "))
    say = gather.find("Say")
    assert (say.get("language"), say.get("voice")) == ("es-MX", said_by)  # only a voice Twilio has


def test_silence_twice_ends_the_call_politely(client, acme):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)
    silent = _url(call, "voice", silence="1")

    assert _verbs(_twiml(post_callback(client, silent, _params(call)))) == ["Gather", "Redirect"]
    assert _verbs(_twiml(post_callback(client, silent, _params(call)))) == ["Say", "Hangup"]


def test_stop_calling_me_puts_the_number_on_the_dnc_list_at_once(client, acme):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)
    post_callback(client, _url(call, "voice"), _params(call))  # the greeting

    root = _twiml(post_callback(client, _url(call, "voice"),
                                _params(call, SpeechResult="Please stop calling me.", Confidence="0.93")))  # fmt: skip

    assert _verbs(root) == ["Say", "Hangup"] and "will not call you again" in root[0].text
    call.refresh_from_db()
    assert call.disposition == "do_not_call"
    assert [turn["speaker"] for turn in call.transcript] == ["agent", "customer", "agent"]
    entry = DoNotCallEntry.objects.get(tenant=acme)  # at once (the AI engine), not when the call ends
    assert (entry.phone_e164, entry.source) == (call.to_number, DncSource.CALL)
    assert Lead.objects.get(pk=call.lead_id).do_not_call
    post_callback(client, _url(call, "status"), _status(call, "completed", 3, CallDuration="40", AnsweredBy="human"))

    drain()

    assert DoNotCallEntry.objects.filter(tenant=acme).count() == 1
    lead = Lead.objects.get(pk=call.lead_id)
    assert lead.do_not_call and lead.status == LeadStatus.DNC


def test_pressing_9_on_the_abandon_message_opts_out(client, acme):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)

    root = _twiml(post_callback(client, _url(call, "optout"), _params(call, Digits="9")))

    assert _verbs(root) == ["Say", "Hangup"] and "will not be called again" in root[0].text
    entry = DoNotCallEntry.objects.get(tenant=acme, phone_e164=call.to_number)
    assert entry.source == DncSource.LEAD_REQUEST
    assert Lead.objects.get(pk=call.lead_id).do_not_call


@pytest.mark.parametrize("digits", ["1", ""])
def test_any_other_key_just_hangs_up(client, acme, digits):
    call = _live_call(acme, status=CallStatus.IN_PROGRESS)

    root = _twiml(post_callback(client, _url(call, "optout"), _params(call, Digits=digits)))

    assert _verbs(root) == ["Hangup"] and not DoNotCallEntry.objects.exists()
