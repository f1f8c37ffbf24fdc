"""The lifecycle: every transition allowed and refused, readiness, history, the schedule edges."""

import datetime as dt
import time

import pytest
import time_machine

from apps.campaigns import lifecycle
from apps.campaigns.models import Campaign, CampaignStatus, CampaignTransition, PacingMode
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead

S = CampaignStatus
CAMPAIGNS = "/api/v1/campaigns/"

# (from, action) -> to; every pair not listed must be refused with 409.
ALLOWED = {
    (S.DRAFT, "start"): S.ACTIVE, (S.SCHEDULED, "start"): S.ACTIVE,
    (S.ACTIVE, "pause"): S.PAUSED, (S.PAUSED, "resume"): S.ACTIVE,
    (S.ACTIVE, "complete"): S.COMPLETED, (S.PAUSED, "complete"): S.COMPLETED,
    (S.DRAFT, "cancel"): S.CANCELLED, (S.SCHEDULED, "cancel"): S.CANCELLED,
    (S.ACTIVE, "cancel"): S.CANCELLED, (S.PAUSED, "cancel"): S.CANCELLED,
}  # fmt: skip
ALL_PAIRS = [(state, action) for state in S.values for action in lifecycle.TRANSITIONS]


def _in_state(campaign: Campaign, state: str) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(status=state)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize("state,action", ALL_PAIRS)
def test_every_transition_through_the_api(api_client_for, alice, ready_campaign, state, action):
    campaign = _in_state(ready_campaign, state)
    resp = api_client_for(alice).post(f"{CAMPAIGNS}{campaign.id}/{action}/")
    campaign.refresh_from_db()
    if (state, action) in ALLOWED:
        assert resp.status_code == 200, resp.json()
        assert resp.json()["campaign"]["status"] == ALLOWED[(state, action)] == campaign.status
        row = CampaignTransition.objects.get(campaign=campaign)
        assert (row.from_status, row.to_status, row.action) == (state, campaign.status, action)
        assert row.actor_id == alice.pk and row.actor_label == "alice@acme.test"
    else:
        assert resp.status_code == 409
        body = resp.json()
        assert body["code"] == "INVALID_TRANSITION"
        assert body["current_status"] == state
        assert f"is {state}" in body["detail"]
        assert campaign.status == state
        assert not CampaignTransition.objects.filter(campaign=campaign).exists()


def test_start_with_a_future_schedule_lands_on_scheduled(ready_campaign):
    ready_campaign.schedule_start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    ready_campaign.save()
    assert lifecycle.start(ready_campaign).status == S.SCHEDULED


@pytest.mark.parametrize(
    "change,problem",
    [
        ({"caller_id": ""}, "it has no caller ID"),
        ({"ai_agent": None}, "it has no AI agent to handle answered calls"),
        ({"pacing_mode": PacingMode.PROGRESSIVE}, "progressive pacing needs an agent group to take answered calls"),
    ],
)
def test_a_campaign_cannot_start_without_a_caller_id_or_someone_to_answer(
    api_client_for, alice, ready_campaign, change, problem
):
    Campaign.objects.filter(pk=ready_campaign.pk).update(**change)
    resp = api_client_for(alice).post(f"{CAMPAIGNS}{ready_campaign.id}/start/")
    assert resp.status_code == 409
    body = resp.json()
    assert body["code"] == "CAMPAIGN_NOT_READY" and problem in body["problems"]
    assert Campaign.objects.get(pk=ready_campaign.pk).status == S.DRAFT


def test_a_group_without_an_active_human_agent_cannot_take_calls(ready_campaign, sales_floor):
    sales_floor.agents.update(is_active=False)
    Campaign.objects.filter(pk=ready_campaign.pk).update(pacing_mode=PacingMode.PREDICTIVE, agent_group=sales_floor)
    with pytest.raises(ApplicationError) as refused:
        lifecycle.start(Campaign.objects.get(pk=ready_campaign.pk))
    assert "has no active human agent" in str(refused.value.detail)
    sales_floor.agents.update(is_active=True)
    assert lifecycle.start(Campaign.objects.get(pk=ready_campaign.pk)).status == S.ACTIVE


def test_stopping_releases_the_leads_the_dialer_had_queued(ready_campaign, acme):
    lifecycle.start(ready_campaign)
    fresh = Lead.objects.create(tenant=acme, campaign=ready_campaign, phone_e164="+14155550111",
                                status=LeadStatus.QUEUED)  # fmt: skip
    retried = Lead.objects.create(tenant=acme, campaign=ready_campaign, phone_e164="+14155550112",
                                  status=LeadStatus.QUEUED, attempts_count=2)  # fmt: skip
    lifecycle.complete(ready_campaign)
    assert Lead.objects.get(pk=fresh.pk).status == LeadStatus.NEW
    assert Lead.objects.get(pk=retried.pk).status == LeadStatus.SCHEDULED
    assert not Campaign.objects.get(pk=ready_campaign.pk).is_dialing


def test_the_history_lists_each_change_with_who_and_when(api_client_for, alice, ready_campaign):
    client = api_client_for(alice)
    for action in ("start", "pause", "resume", "complete"):
        assert client.post(f"{CAMPAIGNS}{ready_campaign.id}/{action}/").status_code == 200
    history = client.get(f"{CAMPAIGNS}{ready_campaign.id}/transitions/").json()["transitions"]
    assert [(t["from_status"], t["to_status"]) for t in reversed(history)] == [
        ("draft", "active"), ("active", "paused"), ("paused", "active"), ("active", "completed")]  # fmt: skip
    assert all(t["actor"] == "alice@acme.test" and t["at"] for t in history)


# spec 003's PATCH status -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "state,word,expected",
    [(S.DRAFT, "active", S.ACTIVE), (S.ACTIVE, "paused", S.PAUSED), (S.PAUSED, "active", S.ACTIVE),
     (S.PAUSED, "running", S.ACTIVE), (S.ACTIVE, "completed", S.COMPLETED), (S.DRAFT, "cancelled", S.CANCELLED)],
)  # fmt: skip
def test_patch_status_maps_onto_the_same_functions(api_client_for, alice, ready_campaign, state, word, expected):
    campaign = _in_state(ready_campaign, state)
    resp = api_client_for(alice).patch(f"{CAMPAIGNS}{campaign.id}/status/", {"status": word}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["message"] == "Campaign status updated successfully"
    assert Campaign.objects.get(pk=campaign.pk).status == expected
    assert CampaignTransition.objects.filter(campaign=campaign, to_status=expected).count() == 1


@pytest.mark.parametrize(
    "state,word,status_code,code",
    [(S.COMPLETED, "active", 409, "INVALID_TRANSITION"), (S.DRAFT, "paused", 409, "INVALID_TRANSITION"),
     (S.ACTIVE, "draft", 409, "INVALID_TRANSITION"), (S.DRAFT, "exploded", 400, "VALIDATION_ERROR")],
)  # fmt: skip
def test_patch_status_refusals(api_client_for, alice, ready_campaign, state, word, status_code, code):
    campaign = _in_state(ready_campaign, state)
    resp = api_client_for(alice).patch(f"{CAMPAIGNS}{campaign.id}/status/", {"status": word}, format="json")
    assert resp.status_code == status_code
    assert resp.json()["code"] == code
    assert Campaign.objects.get(pk=campaign.pk).status == state


# Schedule edges (beat) -------------------------------------------------------------------------------
START = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 3, 20, 21, 0, tzinfo=dt.UTC)


@pytest.fixture
def scheduled(ready_campaign):
    ready_campaign.schedule_start, ready_campaign.schedule_end = START, END
    ready_campaign.save()
    with time_machine.travel(START - dt.timedelta(days=1), tick=False):
        campaign = lifecycle.start(ready_campaign, actor=Actor(label="alice"))
    assert campaign.status == S.SCHEDULED
    return campaign


def test_a_scheduled_campaign_starts_itself_at_its_start_and_completes_at_its_end(scheduled):
    with time_machine.travel(START - dt.timedelta(seconds=1), tick=False):
        assert lifecycle.advance_schedules() == {"started": 0, "completed": 0, "not_ready": 0}
    assert Campaign.objects.get(pk=scheduled.pk).status == S.SCHEDULED
    with time_machine.travel(START, tick=False):
        assert lifecycle.advance_schedules()["started"] == 1
        assert lifecycle.advance_schedules()["started"] == 0  # idempotent: a second beat finds nothing
    campaign = Campaign.objects.get(pk=scheduled.pk)
    assert campaign.status == S.ACTIVE and campaign.started_at == START
    with time_machine.travel(END - dt.timedelta(seconds=1), tick=False):
        assert lifecycle.advance_schedules()["completed"] == 0
    with time_machine.travel(END, tick=False):
        assert lifecycle.advance_schedules()["completed"] == 1
    campaign = Campaign.objects.get(pk=scheduled.pk)
    assert campaign.status == S.COMPLETED and campaign.completed_at == END
    last = CampaignTransition.objects.filter(campaign=campaign).first()
    assert (last.action, last.actor_label, last.reason) == ("complete", "system", "schedule ended")


def test_a_paused_campaign_still_completes_at_its_end(scheduled):
    with time_machine.travel(START, tick=False):
        lifecycle.advance_schedules()
        lifecycle.pause(Campaign.objects.get(pk=scheduled.pk))
    with time_machine.travel(END + dt.timedelta(minutes=5), tick=False):
        lifecycle.advance_schedules()
    assert Campaign.objects.get(pk=scheduled.pk).status == S.COMPLETED


def test_a_scheduled_campaign_that_lost_its_agent_stays_scheduled_and_says_why(scheduled, caplog):
    scheduled.ai_agent.is_active = False
    scheduled.ai_agent.save()
    with time_machine.travel(START + dt.timedelta(minutes=1), tick=False):
        assert lifecycle.advance_schedules()["not_ready"] == 1
    assert Campaign.objects.get(pk=scheduled.pk).status == S.SCHEDULED
    assert "is not active" in caplog.text


def test_the_beat_task_runs_on_a_real_worker(celery_worker_process, ready_campaign):
    from apps.campaigns.tasks import advance_schedules

    Campaign.objects.filter(pk=ready_campaign.pk).update(
        status=S.ACTIVE, schedule_end=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    advance_schedules.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Campaign.objects.get(pk=ready_campaign.pk).status != S.COMPLETED:
        time.sleep(0.2)
    assert Campaign.objects.get(pk=ready_campaign.pk).status == S.COMPLETED
