"""The dialer end to end with real processes: uvicorn serving the webhooks, Celery workers (and
beats) on the test database and Redis, and the simulator carrier calling back over HTTP with signed
Twilio-format requests. The production code path, all of it."""

import datetime as dt
import signal
import time

import pytest
from django.utils import timezone

from apps.calls.choices import LIVE, CallOutcome, CallStatus
from apps.calls.models import Call, CallEvent
from apps.calls.tasks import dialer_tick
from apps.calls.telephony.simulator import originations
from apps.calls.tests import factories as f
from apps.calls.tests.processes import base_env, free_port, processes, wait_for
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)


def _env(port: int, **extra) -> dict:
    values = {"PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "SIMULATOR_SPEED": 25, "DIALER_TICK_SECONDS": 1,
              "CELERY_VISIBILITY_TIMEOUT": 5, **extra}  # fmt: skip
    return base_env(**values)


def _finished(campaign, count: int):
    def check() -> bool:
        calls = Call.objects.filter(campaign=campaign)
        return calls.count() == count and not calls.filter(finalized_at__isnull=True).exists()

    return check


def test_calls_flow_through_the_simulator_and_the_webhooks(acme):
    campaign = f.campaign(acme, record_calls=True, retry_delay_minutes=30)
    leads = [f.lead(acme, number, campaign=campaign) for number in f.numbers(12, start=2125550300)]
    port = free_port()
    env = _env(port, SIMULATOR_ODDS="answer=0.5,no_answer=0.2,busy=0.1,voicemail=0.1,failed=0.1")
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="flow", concurrency=4)
        dialer_tick.delay()
        wait_for(_finished(campaign, len(leads)), timeout=90, message="every call finished and given to its lead")
        answered = Call.objects.filter(campaign=campaign, outcome=CallOutcome.ANSWERED)
        wait_for(lambda: not answered.filter(recording_sid="").exists(), timeout=30,
                 message="the recordings (their callbacks come after the call ends)")  # fmt: skip
    calls = list(Call.objects.filter(campaign=campaign).select_related("lead"))
    assert {call.lead_id for call in calls} == {lead.pk for lead in leads}
    for call in calls:
        statuses = list(call.events.filter(kind="status").values_list("provider_status", flat=True))
        assert "initiated" in statuses and call.call_sid.startswith("CA")
        assert call.status in (CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED)
        lead = call.lead
        assert lead.attempts_count == 1 and lead.last_call_at is not None
        if call.outcome == CallOutcome.ANSWERED:
            assert call.answered_at and call.ended_at and call.answered_by == "human"
            assert call.transcript and call.transcript[0]["speaker"] == "agent"  # the AI voice app's greeting
            assert call.recording_sid.startswith("RE")
        if call.outcome in (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED):
            assert lead.status == LeadStatus.SCHEDULED and lead.next_call_at > call.finalized_at
    outcomes = {call.outcome for call in calls}
    assert CallOutcome.ANSWERED in outcomes and len(outcomes) >= 2  # the odds play out: more than one way
    assert CallEvent.objects.filter(call__campaign=campaign, processed_at__isnull=True).count() == 0


def test_two_workers_and_two_beats_call_every_lead_exactly_once(acme, tmp_path):
    """5,000 due leads, two workers and two beats ticking every 0.2 s. The carrier keeps its own
    count of calls to each number: exactly one each, and never two live calls for a lead."""
    campaign = f.campaign(acme, max_concurrent_calls=10_000, max_attempts=1)
    numbers = f.numbers(5000, start=2125560000)
    from apps.leads.importing.engine import ImportSpec, import_leads
    from apps.leads.importing.readers import open_rows

    csv = ("phone,first_name\n" + "".join(f"{n},Lead\n" for n in numbers)).encode()
    import io

    outcome = import_leads(open_rows(io.BytesIO(csv), "race.csv"), ImportSpec(tenant=acme, campaign=campaign))
    assert outcome.inserted == 5000
    Lead.objects.filter(campaign=campaign).update(next_call_at=timezone.now() - dt.timedelta(minutes=1))
    port = free_port()
    env = _env(port, SIMULATOR_ODDS="silent=1", DIALER_TICK_SECONDS=0.2, TELEPHONY_CALLS_PER_SECOND=100_000)
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="race-a", concurrency=2)
        p.worker(env, name="race-b", concurrency=2)
        p.beat(env, schedule=tmp_path / "beat-a")
        p.beat(env, schedule=tmp_path / "beat-b")
        wait_for(lambda: Call.objects.filter(campaign=campaign).exclude(call_sid="").count() >= 5000, timeout=120,
                 every=1, message="5,000 calls placed")  # fmt: skip
        time.sleep(2)  # more ticks: nothing more may be claimed or placed
    calls = Call.objects.filter(campaign=campaign)
    assert calls.count() == 5000
    assert calls.values("lead_id").distinct().count() == 5000
    assert sorted(originations(number) for number in numbers) == [1] * 5000


def test_a_worker_killed_mid_dispatch_loses_no_lead(acme, tmp_path, settings):
    """SIGKILL a worker while it places calls: afterwards every lead is called or back in the queue."""
    campaign = f.campaign(acme, max_concurrent_calls=1000)
    leads = [f.lead(acme, number, campaign=campaign) for number in f.numbers(300, start=2125570000)]
    port = free_port()
    env = _env(port, SIMULATOR_ODDS="silent=1", TELEPHONY_CALLS_PER_SECOND=100_000, DIALER_STALE_QUEUED_SECONDS=2)
    with processes() as p:
        p.server(env, port)
        doomed = p.worker(env, name="doomed", concurrency=1)
        dialer_tick.delay()
        wait_for(lambda: Call.objects.filter(campaign=campaign).exclude(call_sid="").exists(), timeout=30,
                 every=0.05, message="the first calls placed")  # fmt: skip
        p.kill(doomed, signal.SIGKILL)
        placed_before = Call.objects.filter(campaign=campaign).exclude(call_sid="").count()
        assert 0 < placed_before < len(leads)  # killed in the middle
        p.worker(env, name="survivor", concurrency=2)
        time.sleep(3)  # the claims left behind are now stale
        from apps.calls.tasks import reap

        reap.delay()

        def settled() -> bool:
            stuck = Lead.objects.filter(campaign=campaign, status__in=[LeadStatus.QUEUED]).count()
            unplaced = Call.objects.filter(campaign=campaign, status=CallStatus.QUEUED).count()
            return stuck == 0 and unplaced == 0

        wait_for(settled, timeout=60, every=0.5, message="no lead stuck in the queue")
    for lead in Lead.objects.filter(campaign=campaign):
        live = Call.objects.filter(lead=lead, status__in=LIVE).count()
        assert live <= 1
        if lead.status == LeadStatus.CALLING:
            assert live == 1  # called: its call is with the carrier
        else:
            assert lead.status in (LeadStatus.NEW, LeadStatus.SCHEDULED) and live == 0  # back in the queue
    assert all(originations(lead.phone_e164) <= 1 for lead in leads)


def test_a_simulated_day_calls_nobody_outside_any_window(acme, tmp_path):
    """One day (US DST starts that morning) on a moved clock: hourly ticks of the real beat task
    on a real worker, the carrier playing every call. Leads in seven zones, a state with its own
    hours and 24-hour limit, a lead of unknown zone and one on the far side of the world. Retries up
    to max attempts, the daily limit, a budget that runs out, callbacks, and the platform stopped
    for an hour."""
    from apps.calls.compliance import RuleBook
    from apps.calls.models import DialerStatus
    from apps.calls.services import dialing_set
    from apps.campaigns import schedule
    from apps.core import clock
    from apps.core.actors import SYSTEM

    day = dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC)  # 00:00 in New York; clocks go forward at 02:00
    working = f.campaign(acme, calling_hours_start=dt.time(9), calling_hours_end=dt.time(17), max_attempts=5,
                         retry_delay_minutes=30, calls_per_day=60, timezone="America/New_York")  # fmt: skip
    budgeted = f.campaign(acme, budget="5.00", cost_per_call="1.00", max_attempts=5, retry_delay_minutes=30)
    numbers = ["+12125550401", "+12125550402", "+13105550403", "+13105550404", "+13055550405", "+13055550406",
               "+12145550407", "+18085550408", "+442071838751", "+61291234567", "+12125550409"]  # fmt: skip
    leads = [f.lead(acme, number, campaign=working) for number in numbers]
    Lead.objects.filter(pk=leads[-1].pk).update(timezone="")  # a US lead of unknown zone
    sydney = leads[-2]
    for number in f.numbers(8, start=2125550500):
        f.lead(acme, number, campaign=budgeted)
    Lead.objects.all().update(next_call_at=day - dt.timedelta(hours=1))
    port = free_port()
    env = _env(port, SIMULATOR_SPEED=60, SIMULATOR_ODDS="answer=0.25,no_answer=0.35,busy=0.2,voicemail=0.1,failed=0.1")
    stop_at, resume_at = (
        day + dt.timedelta(hours=14),
        day + dt.timedelta(hours=15),
    )  # 14:00-15:00 in New York (EDT: 10-11)
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="day", concurrency=4)
        for hour in range(24):
            now = day + dt.timedelta(hours=hour, minutes=1)
            clock.travel_to(now)
            if now >= stop_at and now < resume_at:
                dialing_set(enabled=False, actor=SYSTEM, reason="maintenance")
            else:
                dialing_set(enabled=True, actor=SYSTEM)
            time.sleep(1.1)  # the workers' one-second reading of the switch
            dialer_tick.delay()
            time.sleep(0.5)
            wait_for(lambda: not Call.objects.filter(status__in=LIVE).exists()
                     and not Call.objects.filter(finalized_at__isnull=True).exists(), timeout=120,
                     message=f"hour {hour}: every call finished")  # fmt: skip
    clock.reset()
    rules = RuleBook.for_tenant(acme.pk)
    placed = list(Call.objects.exclude(status=CallStatus.CANCELED).select_related("lead", "campaign"))
    assert placed, "the day placed calls"
    for call in placed:
        assert call.initiated_at is not None
        assert schedule.calling_allowed(call.campaign, call.initiated_at), (call.to_number, call.initiated_at)
        assert rules.lead_verdict(call.lead, call.initiated_at)[0], (call.to_number, call.initiated_at)
        assert not (stop_at <= call.initiated_at < resume_at), "nothing is placed while dialing is stopped"
    assert not Call.objects.filter(lead=sydney).exists()  # 08:00-21:00 in Sydney never meets 09:00-17:00 New York
    for lead in Lead.objects.filter(campaign=working):
        calls = Call.objects.filter(lead=lead).exclude(status=CallStatus.CANCELED)
        attempts = calls.count()
        assert attempts == lead.attempts_count
        if lead.subdivision == "FL":
            assert attempts <= 3  # Florida: three calls in 24 hours
        if calls.filter(disposition="callback_requested").exists():
            continue  # a callback the person asked for is kept beyond the attempts limit
        assert attempts <= 5
        if attempts == 5 and lead.status not in (LeadStatus.DONE, LeadStatus.DNC):  # a persona may ask not to be called
            raise AssertionError(f"{lead.phone_e164}: five attempts and still {lead.status}")
    budget_calls = Call.objects.filter(campaign=budgeted).exclude(status=CallStatus.CANCELED).count()
    assert budget_calls == 5  # five calls of 1.00 spend the 5.00
    assert DialerStatus.objects.get(campaign=budgeted).reason == "budget"
    assert Call.objects.filter(campaign=working).exclude(status=CallStatus.CANCELED).count() <= 60
    for call in Call.objects.filter(disposition="callback_requested"):
        call.lead.refresh_from_db()
        assert call.lead.status == LeadStatus.SCHEDULED and call.lead.next_call_at == call.callback_at
