"""The Twilio provider through the real twilio SDK, pointed (TWILIO_API_BASE) at a local fake of
Twilio's REST endpoints: what the SDK puts on the wire for each call we place, fetch, hang up or
redirect, how Twilio's errors become ProviderError, and the dialer placing a call exactly once."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection

from apps.calls.choices import CallStatus
from apps.calls.dialer.place import place, place_batch
from apps.calls.dialer.reaper import reconcile
from apps.calls.models import Call
from apps.calls.telephony import provider_for
from apps.calls.telephony.base import Originated, ProviderCallStatus, ProviderError, callback_urls
from apps.calls.telephony.twilio import TwilioProvider
from apps.calls.telephony.twiml import voicemail_twiml
from apps.calls.tests import factories as f
from apps.calls.tests.conftest import TWILIO_PLATFORM_SID
from apps.core import clock
from apps.leads.choices import LeadStatus

NOON_NY = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)  # a Wednesday, 12:00 in New York
FORM = "application/x-www-form-urlencoded"
SID = re.compile(r"^CA[0-9a-f]{32}$")


def _call(tenant, *, status=CallStatus.INITIATED, phone="+12125550101", **campaign_values) -> Call:
    campaign = f.campaign(tenant, **campaign_values)
    return f.call(f.lead(tenant, phone, campaign=campaign), status=status, provider="twilio")


def _originate(call: Call, **overrides) -> Originated:
    campaign = call.campaign
    options = {"machine_detection": campaign.amd_enabled, "record": campaign.record_calls,
               "timeout": campaign.dial_timeout_seconds, **overrides}  # fmt: skip
    return TwilioProvider().originate(call, **options)


def _placed(twilio_fake, call: Call) -> str:
    """A call the fake has (as after originate), its SID stored on our call."""
    sid = _originate(call).sid
    Call.objects.filter(pk=call.pk).update(call_sid=sid)
    call.refresh_from_db()
    return sid


# Originate -------------------------------------------------------------------------------------------
def test_it_sends_everything_a_call_needs(twilio_fake, acme):
    call = _call(acme, amd_enabled=True, voicemail_drop_text="Sorry we missed you.", record_calls=True,
                 call_duration_limit=600, dial_timeout_seconds=25)  # fmt: skip

    originated = _originate(call)

    [sent] = twilio_fake.received()
    urls = callback_urls(call)
    assert (sent.method, sent.path) == ("POST", f"/2010-04-01/Accounts/{TWILIO_PLATFORM_SID}/Calls.json")
    assert sent.content_type.startswith(FORM) and sent.username == TWILIO_PLATFORM_SID and sent.status == 201
    assert sent.get("To") == "+12125550101" == call.to_number
    assert sent.get("From") == "+14155550000" == call.campaign.caller_id == call.from_number
    assert (sent.get("Url"), sent.get("Method")) == (urls["answer"], "POST")
    assert (sent.get("StatusCallback"), sent.get("StatusCallbackMethod")) == (urls["status"], "POST")
    assert sent.getlist("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    assert sent.get("MachineDetection") == "DetectMessageEnd"
    assert (sent.get("AsyncAmd"), sent.get("AsyncAmdStatusCallback"), sent.get("AsyncAmdStatusCallbackMethod")) == (
        "true", urls["amd"], "POST")  # fmt: skip
    assert (sent.get("Record"), sent.get("RecordingStatusCallback")) == ("true", urls["recording"])
    assert sent.getlist("RecordingStatusCallbackEvent") == ["completed"]
    assert (sent.get("Timeout"), sent.get("TimeLimit")) == ("25", "600")
    # The callbacks come back to our public address, with the ids the signature covers.
    assert urls["answer"].startswith("http://127.0.0.1:8000/webhooks/twilio/answer/?")
    assert f"callId={call.pk}" in urls["status"] and f"tenantId={acme.pk}" in urls["status"]
    assert SID.match(originated.sid) and originated.status == "queued"
    assert twilio_fake.calls[originated.sid]["to"] == call.to_number


def test_it_leaves_out_what_the_campaign_does_not_use(twilio_fake, acme):
    call = _call(acme, amd_enabled=False, record_calls=False)

    _originate(call)

    [sent] = twilio_fake.received()
    absent = ("MachineDetection", "AsyncAmd", "AsyncAmdStatusCallback", "Record", "RecordingStatusCallback",
              "TimeLimit")  # fmt: skip
    assert [key for key in absent if key in sent.form] == []
    assert sent.get("Timeout") == "30" and len(sent.getlist("StatusCallbackEvent")) == 4


def test_it_detects_machines_synchronously_without_a_voicemail_drop(twilio_fake, acme):
    """No message to leave: the answer webhook gets AnsweredBy and hangs up on a machine at once."""
    call = _call(acme, amd_enabled=True, voicemail_drop_text="", voicemail_drop_url="")

    _originate(call)

    [sent] = twilio_fake.received()
    assert sent.get("MachineDetection") == "DetectMessageEnd"
    assert "AsyncAmd" not in sent.form and "AsyncAmdStatusCallback" not in sent.form


def test_it_uses_the_tenants_own_twilio_account(twilio_fake, acme):
    own_sid, own_token = "AC" + "b2" * 16, "acme-own-twilio-token"
    acme.twilio_account_sid, acme.twilio_auth_token = own_sid, own_token
    acme.save()
    twilio_fake.accounts[own_sid] = own_token
    call = _call(acme)
    call.tenant.refresh_from_db()

    originated = _originate(call)

    [sent] = twilio_fake.received()
    assert sent.path == f"/2010-04-01/Accounts/{own_sid}/Calls.json" and sent.username == own_sid
    assert twilio_fake.calls[originated.sid]["account_sid"] == own_sid
    assert provider_for(acme).name == "twilio"
    with connection.cursor() as cursor:  # the token is stored encrypted, and read back in clear
        cursor.execute("SELECT twilio_auth_token FROM tenants_tenant WHERE id = %s", [acme.pk])
        stored = cursor.fetchone()[0]
    assert stored and own_token not in stored


# Errors ----------------------------------------------------------------------------------------------
def test_a_wrong_token_is_a_permanent_provider_error(twilio_fake, acme, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    call = _call(acme)

    with pytest.raises(ProviderError) as caught:
        _originate(call)

    assert caught.value.code == "20003" and caught.value.transient is False
    assert [r.status for r in twilio_fake.received()] == [401] and twilio_fake.calls == {}


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_twilio_outage_is_a_transient_provider_error(twilio_fake, acme, status):
    call = _call(acme)
    twilio_fake.fail_next(status)

    with pytest.raises(ProviderError) as caught:
        _originate(call)

    assert caught.value.transient is True and caught.value.code == str(20000 + status)
    assert twilio_fake.calls == {}


def test_an_unreachable_twilio_is_a_transient_provider_error(twilio_fake, acme):
    call = _call(acme)
    twilio_fake.stop()  # nothing listens there any more

    with pytest.raises(ProviderError) as caught:
        _originate(call)

    assert caught.value.transient is True and caught.value.code == "TWILIO_UNREACHABLE"


def test_a_bad_request_is_a_permanent_provider_error(twilio_fake, acme):
    call = _call(acme)
    call.from_number = ""  # no caller ID

    with pytest.raises(ProviderError) as caught:
        _originate(call)

    assert caught.value.code == "21213" and caught.value.transient is False


# Fetch, hang up, redirect ----------------------------------------------------------------------------
def test_it_fetches_a_calls_status(twilio_fake, acme):
    call = _call(acme)
    sid = _placed(twilio_fake, call)
    assert TwilioProvider().fetch_status(call) == ProviderCallStatus(status="queued", duration=None, answered_by="",
                                                                     price=None, price_unit="USD")  # fmt: skip
    twilio_fake.set_call(sid, status="completed", duration="42", answered_by="machine_end_beep", price="-0.01400",
                         price_unit="USD")  # fmt: skip

    known = TwilioProvider().fetch_status(call)

    assert known == ProviderCallStatus(status="completed", duration=42, answered_by="machine_end_beep",
                                       price="-0.01400", price_unit="USD")  # fmt: skip
    fetch = twilio_fake.received("GET")[-1]
    assert fetch.path == f"/2010-04-01/Accounts/{TWILIO_PLATFORM_SID}/Calls/{sid}.json" and fetch.status == 200


def test_a_call_twilio_does_not_know_fetches_as_none(twilio_fake, acme):
    call = _call(acme)
    call.call_sid = "CA" + "0" * 32

    assert TwilioProvider().fetch_status(call) is None
    assert twilio_fake.received()[-1].status == 404


def test_it_hangs_up_with_status_completed(twilio_fake, acme):
    call = _call(acme)
    sid = _placed(twilio_fake, call)
    twilio_fake.set_call(sid, status="in-progress")

    TwilioProvider().hangup(call)

    update = twilio_fake.received("POST", f"/Calls/{sid}.json")[-1]
    assert update.form == {"Status": ["completed"]} and update.content_type.startswith(FORM)
    assert twilio_fake.calls[sid]["status"] == "completed"


def test_hanging_up_an_unknown_call_is_a_provider_error(twilio_fake, acme):
    call = _call(acme)
    call.call_sid = "CA" + "0" * 32

    with pytest.raises(ProviderError) as caught:
        TwilioProvider().hangup(call)

    assert caught.value.code == "20404" and caught.value.transient is False


def test_it_replaces_a_live_calls_twiml(twilio_fake, acme):
    call = _call(acme, voicemail_drop_text="Hello from {company}.")
    sid = _placed(twilio_fake, call)
    twilio_fake.set_call(sid, status="in-progress")
    twiml = voicemail_twiml(call)

    TwilioProvider().play_and_hangup(call, twiml)

    update = twilio_fake.received("POST", f"/Calls/{sid}.json")[-1]
    assert list(update.form) == ["Twiml"] and update.get("Twiml") == twiml
    assert [verb.tag for verb in ET.fromstring(update.get("Twiml"))] == ["Say", "Hangup"]  # noqa: S314


def test_the_reaper_reconciles_a_call_from_twilios_record(twilio_fake, acme):
    call = _call(acme)
    sid = _placed(twilio_fake, call)
    twilio_fake.set_call(sid, status="busy", duration="0")

    assert reconcile(Call.objects.select_related("tenant", "campaign", "lead").get(pk=call.pk), at=clock.now()) == (
        "reconciled: busy")  # fmt: skip

    call.refresh_from_db()
    assert call.status == CallStatus.BUSY and call.finalized_at is not None


# The dialer ------------------------------------------------------------------------------------------
@pytest.fixture
def noon(settings):
    settings.TELEPHONY_PROVIDER = "twilio"
    clock.travel_to(NOON_NY)
    yield NOON_NY
    clock.reset()


def test_placing_a_call_twice_rings_once(twilio_fake, acme, noon):
    call = _call(acme, status=CallStatus.QUEUED)
    type(call.lead).objects.filter(pk=call.lead_id).update(status=LeadStatus.QUEUED)  # as the claim leaves it
    assert provider_for(acme).name == "twilio"

    first, second = place(str(call.pk)), place(str(call.pk))  # a task delivered twice

    assert (first, second) == ("placed", "not queued")
    [create] = twilio_fake.creates()
    assert len(twilio_fake.received()) == 1
    call.refresh_from_db()
    assert call.call_sid in twilio_fake.calls and SID.match(call.call_sid)
    assert call.status == CallStatus.INITIATED and twilio_fake.calls[call.call_sid]["to"] == create.get("To")
    call.lead.refresh_from_db()
    assert call.lead.status == LeadStatus.CALLING


def test_a_batch_delivered_twice_rings_each_lead_once(twilio_fake, acme, noon):
    campaign = f.campaign(acme)
    calls = [f.call(f.lead(acme, number, campaign=campaign), provider="twilio") for number in f.numbers(3)]
    ids = [str(call.pk) for call in calls]

    assert place_batch(ids)["placed"] == 3
    assert place_batch(ids).get("placed", 0) == 0  # the redelivery finds nothing left to place

    assert len(twilio_fake.received()) == 3
    assert sorted(r.get("To") for r in twilio_fake.creates()) == sorted(call.to_number for call in calls)
    sids = set(Call.objects.filter(pk__in=ids).values_list("call_sid", flat=True))
    assert sids == set(twilio_fake.calls)


def test_a_refused_origination_fails_the_call_and_reaches_twilio_once(twilio_fake, acme, noon, settings):
    settings.TWILIO_AUTH_TOKEN = "revoked"
    call = _call(acme, status=CallStatus.QUEUED)

    assert place(str(call.pk)) == "failed"
    assert place(str(call.pk)) == "not queued"
    assert [r.status for r in twilio_fake.received()] == [401]
    call.refresh_from_db()
    call.lead.refresh_from_db()
    assert (call.status, call.error_code, call.call_sid) == (CallStatus.FAILED, "20003", "")
    assert call.finalized_at is not None and call.lead.attempts_count == 1
    assert call.lead.status == LeadStatus.SCHEDULED  # retry_on_failed: tried again later
