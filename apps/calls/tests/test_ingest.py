"""The status-type callbacks answered in front of Django (apps.calls.ingest.CallbackIngest), through a
real uvicorn serving leadvoice.asgi: verified against the public URL, stored once per key in batches
by the writer thread, refused with the same answers as the Django views (403, 404, 400), and a burst
of concurrent deliveries, duplicates included, stored exactly once each."""

import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests

from apps.calls.choices import CallStatus, EventKind
from apps.calls.ingest import callback_from
from apps.calls.models import CallEvent
from apps.calls.telephony.base import auth_token, callback_urls, sign
from apps.calls.tests import factories as f
from apps.calls.tests.processes import base_env, free_port, processes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(settings):
    port = free_port()
    settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{port}"
    with processes() as p:
        yield p.server(base_env(PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL), port)


def _calls(tenant, count: int):
    campaign = f.campaign(tenant)
    return [
        f.call(lead, status=CallStatus.RINGING, provider="twilio", call_sid="CA" + secrets.token_hex(16))
        for lead in (f.lead(tenant, number, campaign=campaign) for number in f.numbers(count, start=2125550400))
    ]


def _status(call, status: str, sequence: int) -> dict[str, str]:
    return {"AccountSid": "AC" + "a1" * 16, "CallSid": call.call_sid, "CallStatus": status,
            "SequenceNumber": str(sequence), "From": call.from_number, "To": call.to_number}  # fmt: skip


def _post(url: str, params: dict, *, token: str | None = None, session=requests) -> requests.Response:
    signature = sign(url, params, token or auth_token(None))
    return session.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def test_a_status_callback_is_stored_once_and_answered_204(server, acme):
    [call] = _calls(acme, 1)
    url = callback_urls(call)["status"]

    first = _post(url, _status(call, "ringing", 1))
    again = _post(url, _status(call, "ringing", 1))

    assert (first.status_code, again.status_code) == (204, 204) and first.content == b""
    [event] = CallEvent.objects.filter(call=call)
    assert (event.kind, event.provider_status, event.sequence_number) == (EventKind.STATUS, "ringing", 1)
    assert event.dedupe_key == f"status:{call.call_sid}:1" and event.payload["CallSid"] == call.call_sid
    assert event.tenant_id == acme.pk and event.processed_at is None


def test_each_kind_is_stored_with_its_key(server, acme):
    [call] = _calls(acme, 1)
    urls = callback_urls(call)
    agent_url = urls["status"].replace("/twilio/status/", "/twilio/agent-status/") + "&agentId=a1"
    posts = [
        (urls["amd"], {"CallSid": call.call_sid, "AnsweredBy": "human"}, f"amd:{call.call_sid}:human"),
        (urls["recording"], {"CallSid": call.call_sid, "RecordingSid": "RE1", "RecordingStatus": "completed"},
         "recording:RE1:completed"),
        (urls["conference"], {"CallSid": call.call_sid, "ConferenceSid": "CF1", "StatusCallbackEvent": "conference-start"},
         f"conference:CF1:conference-start:{call.call_sid}"),
        (agent_url, {"CallSid": "CAagent", "CallStatus": "ringing"}, "agent:CAagent:ringing"),
    ]  # fmt: skip
    for url, params, _ in posts:
        assert _post(url, params).status_code == 204, url

    stored = dict(CallEvent.objects.filter(call=call).values_list("dedupe_key", "kind"))
    kinds = [EventKind.AMD, EventKind.RECORDING, EventKind.CONFERENCE, EventKind.AGENT]
    assert stored == dict(zip([key for *_, key in posts], kinds, strict=True))
    assert CallEvent.objects.get(call=call, kind=EventKind.AGENT).payload["agent_id"] == "a1"


def test_a_bad_or_missing_signature_is_403_and_stores_nothing(server, acme):
    [call] = _calls(acme, 1)
    url, params = callback_urls(call)["status"], _status(call, "completed", 9)

    wrong = _post(url, params, token="not-the-token")
    missing = requests.post(url, data=params, timeout=10)
    tampered = requests.post(url, data={**params, "CallStatus": "busy"}, timeout=10,
                             headers={"X-Twilio-Signature": sign(url, params, auth_token(None))})  # fmt: skip

    assert [r.status_code for r in (wrong, missing, tampered)] == [403, 403, 403]
    assert not CallEvent.objects.filter(call=call).exists()


def test_unknown_and_malformed_ids_are_refused_without_a_server_error(server, acme, globex):
    [call] = _calls(acme, 1)
    base = f"{server}/webhooks/twilio/status/"
    params = _status(call, "completed", 9)
    cases = {
        "no ids": (base, 400),
        "not an id": (f"{base}?{urlencode({'callId': 'nope', 'tenantId': str(acme.pk)})}", 404),
        "no such call": (f"{base}?{urlencode({'callId': 'b' * 8 + '-0000-4000-8000-' + '0' * 12, 'tenantId': str(acme.pk)})}", 404),
        "another tenant's call": (f"{base}?{urlencode({'callId': str(call.pk), 'tenantId': str(globex.pk)})}", 404),
        "not a tenant id": (f"{base}?{urlencode({'callId': str(call.pk), 'tenantId': 'x'})}", 403),
    }  # fmt: skip
    for label, (url, expected) in cases.items():
        assert _post(url, params).status_code == expected, label
    assert not CallEvent.objects.exists()


def test_a_body_that_is_not_utf8_is_400_and_stores_nothing(server, acme):
    [call] = _calls(acme, 1)
    url = callback_urls(call)["status"]
    body = b"CallSid=" + call.call_sid.encode() + b"&CallStatus=ringing&Caller=\xff\xfe"

    response = requests.post(url, data=body, timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "whatever"})  # fmt: skip

    assert response.status_code == 400 and not CallEvent.objects.exists()


def test_an_oversized_body_is_413_and_other_methods_reach_django(server, acme):
    [call] = _calls(acme, 1)
    url = callback_urls(call)["status"]

    big = requests.post(url, data={"CallSid": call.call_sid, "Junk": "x" * 70_000}, timeout=10)
    get = requests.get(url, timeout=10)

    assert (big.status_code, get.status_code) == (413, 405)
    assert not CallEvent.objects.exists()


def test_a_burst_of_concurrent_callbacks_with_duplicates_is_stored_exactly_once(server, acme):
    calls = _calls(acme, 20)
    script = [(callback_urls(call)["status"], _status(call, status, n))
              for call in calls for n, status in enumerate(["initiated", "ringing", "in-progress", "completed"], 1)]  # fmt: skip
    deliveries = script * 3  # every callback three times, concurrently

    def deliver(item) -> int:
        url, params = item
        return _post(url, params).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(deliver, deliveries))

    assert codes == [204] * len(deliveries)
    assert CallEvent.objects.filter(call__in=calls).count() == len(script)
    for call in calls:
        assert sorted(CallEvent.objects.filter(call=call).values_list("sequence_number", flat=True)) == [1, 2, 3, 4]


def test_a_sequence_number_too_big_for_the_column_is_kept_as_none(acme):
    ids = {"callId": "01a2339a-3ea6-7bac-878f-3721f5df2c30", "tenantId": str(acme.pk)}
    big = callback_from("status", ids, {"CallSid": "CA1", "CallStatus": "ringing", "SequenceNumber": "9" * 12})
    small = callback_from("status", ids, {"CallSid": "CA1", "CallStatus": "ringing", "SequenceNumber": "7"})
    assert (big.sequence, small.sequence) == (None, 7)  # one such callback must not fail its whole batch
