"""The dialer's core in one process, against real PostgreSQL: the call state machine, claims and the
database's one-live-call rule, capacity, outcomes and retries, the reaper."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.calls import outcomes
from apps.calls.choices import CallOutcome, CallStatus
from apps.calls.compliance import RuleBook
from apps.calls.dialer import claim as claims
from apps.calls.dialer.capacity import capacity_for
from apps.calls.dialer.queues import DialQueue
from apps.calls.dialer.reaper import reap
from apps.calls.dialer.tick import dispatch
from apps.calls.models import Call, CallEvent, DialerStatus
from apps.calls.tests import factories as f
from apps.calls.transitions import call_move, event_apply, event_record
from apps.leads.choices import LeadStatus
from apps.leads.models import DoNotCallEntry, Lead

NOON_NY = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)  # a Wednesday, 12:00 in New York


@pytest.fixture
def no_enqueue(monkeypatch):
    """Claims in these tests are not handed to Celery (the integration tests do that)."""
    sent = []
    monkeypatch.setattr("apps.calls.dialer.tick._enqueue", sent.extend)
    return sent


def _claim(campaign, at=NOON_NY, limit=100):
    queue = DialQueue(tenant=campaign.tenant, campaign=campaign)
    return claims.claim(queue, RuleBook.for_tenant(campaign.tenant_id), at=at, limit=limit, provider="simulator")


# The state machine ---------------------------------------------------------------------------------
def test_a_call_only_moves_forward(acme):
    c = f.campaign(acme)
    call = f.call(f.lead(acme, "+12125550101", campaign=c))
    assert call_move(call=call, to=CallStatus.RINGING)
    assert not call_move(call=call, to=CallStatus.INITIATED)  # backwards
    assert call_move(call=call, to=CallStatus.COMPLETED)
    assert not call_move(call=call, to=CallStatus.FAILED)  # nothing leaves a final state
    call.refresh_from_db()
    assert call.status == CallStatus.COMPLETED and call.ringing_at and call.ended_at
    assert [e.to_status for e in call.events.all()] == [CallStatus.RINGING, CallStatus.COMPLETED]


def test_a_stale_move_loses_to_the_one_that_won(acme):
    call = f.call(f.lead(acme, "+12125550102", campaign=f.campaign(acme)))
    stale = Call.objects.get(pk=call.pk)
    assert call_move(call=call, to=CallStatus.INITIATED)
    assert call_move(call=stale, to=CallStatus.INITIATED) is False  # compare-and-swap on the old status


def test_a_duplicate_callback_is_stored_once_and_an_older_one_changes_nothing(acme):
    call = f.call(f.lead(acme, "+12125550103", campaign=f.campaign(acme)), status=CallStatus.IN_PROGRESS)
    first = event_record(tenant_id=acme.pk, call_id=call.pk, kind="status", dedupe_key="status:CA1:3",
                         payload={"CallStatus": "completed"})  # fmt: skip
    assert event_record(tenant_id=acme.pk, call_id=call.pk, kind="status", dedupe_key="status:CA1:3") is None
    assert event_apply(event=first, to=CallStatus.COMPLETED, fields={"duration": 42}) == CallStatus.COMPLETED
    late = event_record(tenant_id=acme.pk, call_id=call.pk, kind="status", dedupe_key="status:CA1:1", sequence=1)
    ringing_at = NOON_NY - dt.timedelta(seconds=20)
    assert event_apply(event=late, to=CallStatus.RINGING, at=ringing_at) == CallStatus.COMPLETED  # stays completed
    call.refresh_from_db()
    assert (call.status, call.duration) == (CallStatus.COMPLETED, 42)
    assert call.ringing_at == ringing_at  # the late callback's own time is still kept
    late.refresh_from_db()
    assert late.processed_at is not None and late.to_status == ""
    assert CallEvent.objects.filter(call=call, dedupe_key="status:CA1:3").count() == 1


def test_the_database_keeps_one_live_call_per_lead(acme):
    person = f.lead(acme, "+12125550104", campaign=f.campaign(acme))
    f.call(person, status=CallStatus.RINGING)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.call(person, status=CallStatus.QUEUED)
    f.call(person, status=CallStatus.COMPLETED)  # finished calls are not live: as many as you like


# Claims ---------------------------------------------------------------------------------------------
def test_a_claim_takes_due_leads_best_first_and_makes_their_calls(acme):
    c = f.campaign(acme)
    low = f.lead(acme, "+12125550110", campaign=c, priority=5)
    high = f.lead(acme, "+12125550111", campaign=c, priority=1)
    later = f.lead(acme, "+12125550112", campaign=c)
    Lead.objects.filter(pk=later.pk).update(next_call_at=NOON_NY + dt.timedelta(hours=1), status=LeadStatus.SCHEDULED)
    ids = _claim(c)
    calls = [Call.objects.get(pk=i) for i in ids]
    assert [call.lead_id for call in calls] == [high.pk, low.pk]
    assert all(call.status == CallStatus.QUEUED and call.from_number == c.caller_id for call in calls)
    assert set(Lead.objects.filter(status=LeadStatus.QUEUED).values_list("pk", flat=True)) == {high.pk, low.pk}
    assert _claim(c) == []  # claimed leads are no longer due


def test_a_claim_skips_what_may_not_be_called(acme):
    c = f.campaign(acme, max_attempts=2)
    ok = f.lead(acme, "+12125550120", campaign=c)
    f.lead(acme, "+12125550121", campaign=c, do_not_call="yes")
    blocked = f.lead(acme, "+12125550122", campaign=c)
    DoNotCallEntry.objects.create(tenant=acme, phone_e164=blocked.phone_e164)
    tired = f.lead(acme, "+12125550123", campaign=c)
    Lead.objects.filter(pk=tired.pk).update(attempts_count=2)
    gone = f.lead(acme, "+12125550124", campaign=c)
    Lead.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    night = f.lead(acme, "+12125550125", campaign=c)  # New York: 03:00 local at the moment below
    at_3am = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    london = f.lead(acme, "+442071838750", campaign=c)  # 08:00 in London: may be called
    assert {Call.objects.get(pk=i).lead_id for i in _claim(c, at=at_3am)} == {london.pk}
    assert {Call.objects.get(pk=i).lead_id for i in _claim(c)} == {ok.pk, night.pk}


def test_two_claims_at_once_never_take_the_same_lead(acme):
    """SKIP LOCKED: while one claim's transaction holds its leads, another claim takes the rest."""
    c = f.campaign(acme)
    for number in f.numbers(6, start=2125550130):
        f.lead(acme, number, campaign=c)
    queue, rules = DialQueue(tenant=acme, campaign=c), RuleBook.for_tenant(acme.pk)
    where, params = claims.due_condition(queue, rules, NOON_NY)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT l.id FROM leads_lead l WHERE {where} ORDER BY l.priority LIMIT 3 FOR UPDATE", params)
        held = {row[0] for row in cursor.fetchall()}
        from django.db import connections

        other = connections.create_connection("default")
        try:
            with other.cursor() as cur2:
                cur2.execute(f"SELECT l.id FROM leads_lead l WHERE {where} FOR UPDATE SKIP LOCKED", params)
                skipped_to = {row[0] for row in cur2.fetchall()}
        finally:
            other.close()
    assert len(held) == 3 and not held & skipped_to


# Capacity ---------------------------------------------------------------------------------------------
def test_capacity_is_the_smallest_limit(acme):
    c = f.campaign(acme, max_concurrent_calls=10, calls_per_day=4, budget=Decimal("5.00"), cost_per_call=Decimal("2"))
    person = f.lead(acme, "+12125550140", campaign=c)
    f.call(person, status=CallStatus.COMPLETED, cost=Decimal("1.00"))  # today, 1.00 of the budget
    f.call(person, status=CallStatus.RINGING)
    queue = DialQueue(tenant=acme, campaign=c)
    cap = capacity_for(queue, timezone.now())
    assert cap.limits == {"lines": 9, "daily_limit": 2, "budget": 1}  # (5 - 1 - 2) / 2
    assert cap.allowed == 1
    acme.monthly_call_quota = 2
    assert capacity_for(queue, timezone.now()).allowed == 0


def test_dispatch_says_why_a_campaign_is_not_dialing(acme, no_enqueue):
    c = f.campaign(acme, calling_hours_start=dt.time(9), calling_hours_end=dt.time(17))
    f.lead(acme, "+12125550150", campaign=c)
    at_night = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)  # 22:00 in New York
    assert dispatch(DialQueue(tenant=acme, campaign=c), at=at_night) == []
    status = DialerStatus.objects.get(campaign=c)
    assert (status.dialing, status.reason) == (False, "outside_window")
    assert status.next_opening == dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.UTC)  # 09:00 New York
    assert len(dispatch(DialQueue(tenant=acme, campaign=c), at=NOON_NY)) == 1
    status.refresh_from_db()
    assert status.dialing and status.claimed == 1 and len(no_enqueue) == 1


# Outcomes and retries ---------------------------------------------------------------------------------
def _finish(call, status: str, **fields):
    call_move(call=call, to=CallStatus.INITIATED)
    if status in (CallStatus.COMPLETED,):
        call_move(call=call, to=CallStatus.IN_PROGRESS)
    call_move(call=call, to=status, fields=fields)
    outcomes.finalize(call)
    call.refresh_from_db()
    call.lead.refresh_from_db()
    return call


@pytest.mark.parametrize(
    ("status", "answered_by", "outcome", "lead_status"),
    [
        (CallStatus.NO_ANSWER, "", CallOutcome.NO_ANSWER, LeadStatus.SCHEDULED),
        (CallStatus.BUSY, "", CallOutcome.BUSY, LeadStatus.SCHEDULED),
        (CallStatus.FAILED, "", CallOutcome.FAILED, LeadStatus.SCHEDULED),
        (CallStatus.COMPLETED, "machine_end_beep", CallOutcome.VOICEMAIL, LeadStatus.DONE),  # no retry on voicemail
        (CallStatus.COMPLETED, "human", CallOutcome.ANSWERED, LeadStatus.DONE),  # a conversation: spec 000 "completed"
    ],
)
def test_outcomes_and_the_retry_policy(acme, status, answered_by, outcome, lead_status):
    c = f.campaign(acme, retry_delay_minutes=30, retry_backoff=Decimal("2"), retry_on_voicemail=False)
    call = _finish(f.call(f.lead(acme, "+12125550160", campaign=c)), status, answered_by=answered_by)
    assert call.outcome == outcome and call.finalized_at is not None
    lead = call.lead
    assert (lead.status, lead.attempts_count) == (lead_status, 1)
    if lead_status == LeadStatus.SCHEDULED:
        assert lead.next_call_at - call.finalized_at == dt.timedelta(minutes=30)
    assert lead.activities.filter(activity_type="call_attempt").count() == 1
    assert outcomes.finalize(call) is False  # once


def test_backoff_and_max_attempts_end_with_no_answer(acme):
    c = f.campaign(acme, max_attempts=3, retry_delay_minutes=10, retry_backoff=Decimal("3"))
    person = f.lead(acme, "+12125550170", campaign=c)
    delays = []
    for _ in range(3):
        call = _finish(f.call(person), CallStatus.BUSY)
        person.refresh_from_db()
        if person.next_call_at:
            delays.append(round((person.next_call_at - call.finalized_at).total_seconds() / 60))
    assert delays == [10, 30]  # 10, then 10 x 3
    assert (person.status, person.disposition, person.attempts_count) == (LeadStatus.DONE, "no_answer", 3)


def test_a_human_disposition_overrides(acme):
    c = f.campaign(acme)
    callback = dt.datetime(2026, 12, 10, 15, 0, tzinfo=dt.UTC)
    call = _finish(f.call(f.lead(acme, "+12125550180", campaign=c), disposition="callback_requested",
                          callback_at=callback), CallStatus.COMPLETED, answered_by="human")  # fmt: skip
    assert (call.lead.status, call.lead.next_call_at) == (LeadStatus.SCHEDULED, callback)
    sale = _finish(f.call(f.lead(acme, "+12125550181", campaign=c), disposition="sale"), CallStatus.COMPLETED)
    assert (sale.lead.status, sale.lead.stage, sale.lead.disposition) == (LeadStatus.DONE, "converted", "converted")
    same_number_elsewhere = f.lead(acme, "+12125550182", campaign=f.campaign(acme))
    stop = _finish(f.call(f.lead(acme, "+12125550182", campaign=c), disposition="do_not_call"), CallStatus.COMPLETED)
    assert stop.lead.status == LeadStatus.DNC and stop.lead.do_not_call
    assert DoNotCallEntry.objects.get(tenant=acme, phone_e164="+12125550182").source == "call"
    same_number_elsewhere.refresh_from_db()  # the list applies to every lead with the number, as any entry does
    assert (same_number_elsewhere.status, same_number_elsewhere.do_not_call) == (LeadStatus.DNC, True)
    wrong = _finish(f.call(f.lead(acme, "+12125550183", campaign=c), disposition="wrong_number"), CallStatus.COMPLETED)
    assert wrong.lead.status == LeadStatus.FAILED


def test_direct_agent_leads_follow_the_agents_policy(acme):
    agent = f.ai_agent(acme, max_attempts=2, retry_delay_minutes=5)
    person = f.lead(acme, "+12125550190", agent=agent)
    first = _finish(f.call(person), CallStatus.NO_ANSWER)
    person.refresh_from_db()
    assert person.next_call_at - first.finalized_at == dt.timedelta(minutes=5)
    _finish(f.call(person), CallStatus.NO_ANSWER)
    person.refresh_from_db()
    assert (person.status, person.disposition) == (LeadStatus.DONE, "no_answer")


# The reaper --------------------------------------------------------------------------------------------
def test_the_reaper_returns_stale_claims_and_reconciles_lost_calls(acme, settings):
    settings.DIALER_STALE_QUEUED_SECONDS = 60
    c = f.campaign(acme)
    stale = f.lead(acme, "+12125550195", campaign=c)
    claimed = Call.objects.get(pk=_claim(c, at=timezone.now())[0])
    Call.objects.filter(pk=claimed.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=5))
    lost = f.call(f.lead(acme, "+12125550196", campaign=c), status=CallStatus.INITIATED)  # no SID: lost mid-origination
    Call.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    result = reap()
    assert result["queued"] == 1 and result["live"] == 1
    claimed.refresh_from_db()
    stale.refresh_from_db()
    assert claimed.status == CallStatus.CANCELED and stale.status == LeadStatus.NEW and stale.attempts_count == 0
    lost.refresh_from_db()
    assert lost.status == CallStatus.FAILED and lost.finalized_at is not None


def test_a_callback_asked_for_on_the_last_attempt_is_still_made(acme):
    c = f.campaign(acme, max_attempts=1)
    person = f.lead(acme, "+12125550197", campaign=c)
    callback = NOON_NY + dt.timedelta(hours=2)
    _finish(f.call(person, disposition="callback_requested", callback_at=callback), CallStatus.COMPLETED,
            answered_by="human")  # fmt: skip
    person.refresh_from_db()
    assert (person.status, person.sub_status, person.attempts_count) == (LeadStatus.SCHEDULED, "callback", 1)
    assert len(_claim(c, at=callback + dt.timedelta(minutes=1))) == 1  # past max attempts, by request
    call = Call.objects.get(lead=person, status=CallStatus.QUEUED)
    _finish(call, CallStatus.NO_ANSWER)
    person.refresh_from_db()
    assert (person.status, person.sub_status) == (LeadStatus.DONE, "")


def test_why_a_lead_is_not_called(acme, api_client_for, alice, charlie):
    from apps.calls.dialer.explain import explain

    c = f.campaign(acme, calling_hours_start=dt.time(9), calling_hours_end=dt.time(17), max_attempts=2)
    miami = f.lead(acme, "+13055550198", campaign=c)
    at_night = dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)  # 22:00 in New York and Miami
    result = explain(miami, at_night)
    assert not result["callable_now"]
    assert {r["code"] for r in result["reasons"]} == {"outside_queue_window", "outside_lead_window"}
    assert result["next_allowed_at"] == "2026-12-03T14:00:00Z"  # 09:00 New York: both windows open
    assert explain(miami, NOON_NY)["callable_now"]
    Lead.objects.filter(pk=miami.pk).update(attempts_count=2)
    DoNotCallEntry.objects.create(tenant=acme, phone_e164=miami.phone_e164)
    miami.refresh_from_db()
    codes = {r["code"] for r in explain(miami, NOON_NY)["reasons"]}
    assert codes == {"max_attempts", "do_not_call"} and explain(miami, NOON_NY)["next_allowed_at"] is None
    resp = api_client_for(alice).get(f"/api/v1/dialer/leads/{miami.pk}/")
    assert resp.status_code == 200 and not resp.json()["callable_now"]
    assert api_client_for(charlie).get(f"/api/v1/dialer/leads/{miami.pk}/").status_code == 404


# The drain --------------------------------------------------------------------------------------------
def test_a_drain_facing_a_backlog_starts_helpers_up_to_the_limit(acme, settings):
    import json

    from apps.calls.events import DRAINS_KEY, drain
    from apps.calls.ingest import Callback, store_many
    from apps.core.cache import redis_client
    from leadvoice.celery import app

    settings.DRAIN_PARALLEL = 1
    lead = f.lead(acme, "+12125550180", campaign=f.campaign(acme))
    call = f.call(lead, status=CallStatus.RINGING, call_sid="CAbacklog")
    store_many([Callback(tenant_id=str(acme.pk), call_id=str(call.pk), kind="status", dedupe_key=f"status:CAx:{n}",
                         provider_status="ringing", sequence=n, payload={"CallStatus": "ringing"},
                         received_at=timezone.now()) for n in range(401)])  # fmt: skip
    client, broker = redis_client(), app.connection().default_channel.client
    client.delete(DRAINS_KEY)
    broker.delete("celery")

    assert drain(limit=1) == 200  # a full page pending: a helper is asked for, and the page applied
    assert drain(limit=1) == 200  # a full page again, but the helpers' limit is reached: nobody else is asked

    assert int(client.get(DRAINS_KEY)) == 1
    queued = [json.loads(m)["headers"] for m in broker.lrange("celery", 0, -1)]
    helpers = [h for h in queued if h["task"] == "apps.calls.tasks.drain_events" and "helper" in h["kwargsrepr"]]
    assert len(helpers) == 1
    client.delete(DRAINS_KEY)
    broker.delete("celery")
