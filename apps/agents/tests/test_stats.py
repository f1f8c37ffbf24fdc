"""GET /agents/{id}/stats/: call attempts on the agent's leads, whole days in the agent's time zone."""

from datetime import UTC, datetime

import pytest

from apps.core.actors import Actor
from apps.leads import services as lead_services
from apps.leads.models import LeadActivity
from apps.leads.normalize import LeadContext, normalize_lead


@pytest.fixture
def lead_for(acme):
    def make(phone: str, **relations):
        values = normalize_lead({"phone": phone}, LeadContext(region="US")).values
        return lead_services.lead_create(tenant=acme, actor=Actor(label="test"), values=values, **relations)

    return make


@pytest.fixture
def call(db):
    """A call attempt recorded on `lead` at `at` (UTC)."""

    def make(lead, at: datetime, duration=0, disposition: str = ""):
        lead_services.lead_record_call_attempt(lead=lead, actor=Actor(label="test"), duration=duration,
                                               disposition=disposition)  # fmt: skip
        activity = LeadActivity.objects.filter(lead=lead, activity_type="call_attempt").latest("created_at")
        LeadActivity.objects.filter(pk=activity.pk).update(created_at=at)

    return make


def stats(client, agent, query: str = ""):
    resp = client.get(f"/api/v1/agents/{agent.pk}/stats/{query}")
    assert resp.status_code == 200, resp.json()
    return resp.json()


def test_it_counts_calls_of_the_agents_leads(api_client_for, alice, bob_agent, ava, lead_for, call):
    assigned = lead_for("+14155550101", assigned_to=bob_agent)
    someone_elses = lead_for("+14155550102", agent=ava)
    call(assigned, datetime(2024, 1, 10, 15, tzinfo=UTC), duration=120, disposition="completed")
    call(assigned, datetime(2024, 1, 11, 15, tzinfo=UTC), duration=60, disposition="callback_requested")
    call(assigned, datetime(2024, 1, 12, 15, tzinfo=UTC), duration=0, disposition="no_answer")
    call(assigned, datetime(2024, 1, 12, 16, tzinfo=UTC), duration=5, disposition="voicemail")
    call(someone_elses, datetime(2024, 1, 12, 16, tzinfo=UTC), duration=300, disposition="completed")
    body = stats(api_client_for(alice), bob_agent)
    assert body["agent"]["id"] == str(bob_agent.id)
    assert body["stats"] == {"total_calls": 4, "answered_calls": 2, "avg_talk_time": 90.0, "total_talk_time": 185}
    assert body["period"] == {"date_from": None, "date_to": None, "timezone": "America/New_York"}
    assert stats(api_client_for(alice), ava)["stats"]["total_calls"] == 1


def test_no_calls_is_all_zeros(api_client_for, bob, bob_agent):
    assert stats(api_client_for(bob), bob_agent)["stats"] == {
        "total_calls": 0, "answered_calls": 0, "avg_talk_time": 0.0, "total_talk_time": 0}  # fmt: skip


def test_the_dates_are_whole_days_in_the_agents_zone(api_client_for, alice, bob_agent, lead_for, call):
    lead = lead_for("+14155550101", assigned_to=bob_agent)  # bob works in New York (UTC-5 in January)
    call(lead, datetime(2024, 1, 1, 4, 59, tzinfo=UTC), duration=10)  # Dec 31, 23:59 in New York
    call(lead, datetime(2024, 1, 1, 5, 0, tzinfo=UTC), duration=20)  # Jan 1, 00:00
    call(lead, datetime(2024, 2, 1, 4, 59, tzinfo=UTC), duration=30)  # Jan 31, 23:59
    call(lead, datetime(2024, 2, 1, 5, 0, tzinfo=UTC), duration=40)  # Feb 1, 00:00
    body = stats(api_client_for(alice), bob_agent, "?date_from=2024-01-01&date_to=2024-01-31")
    assert body["stats"]["total_calls"] == 2 and body["stats"]["total_talk_time"] == 50
    assert body["period"]["date_from"] == "2024-01-01" and body["period"]["date_to"] == "2024-01-31"
    one_day = stats(api_client_for(alice), bob_agent, "?date_from=2024-01-01&date_to=2024-01-01")
    assert one_day["stats"]["total_calls"] == 1
    assert stats(api_client_for(alice), bob_agent, "?date_from=2024-02-01")["stats"]["total_talk_time"] == 40
    assert stats(api_client_for(alice), bob_agent, "?date_to=2023-12-31")["stats"]["total_talk_time"] == 10


def test_hand_written_call_attempts_with_odd_durations_count_as_zero(api_client_for, alice, bob_agent, lead_for):
    lead = lead_for("+14155550101", assigned_to=bob_agent)
    for metadata in ({"duration": "long"}, {"duration": -30}, {}, {"duration": 12.5, "disposition": "busy"}):
        LeadActivity.objects.create(tenant=lead.tenant, lead=lead, activity_type="call_attempt", metadata=metadata)
    body = stats(api_client_for(alice), bob_agent)
    assert body["stats"] == {"total_calls": 4, "answered_calls": 3, "avg_talk_time": 0.0, "total_talk_time": 12}


@pytest.mark.parametrize("query, name", [
    ("?date_from=2024-13-01", "date_from"),
    ("?date_from=yesterday", "date_from"),
    ("?date_to=20240131", "date_to"),
    ("?date_to=2024-02-30", "date_to"),
    ("?date_from=2024-02-01&date_to=2024-01-01", "date_from"),
])  # fmt: skip
def test_bad_dates_are_400_pointing_at_the_query(api_client_for, alice, bob_agent, query, name):
    resp = api_client_for(alice).get(f"/api/v1/agents/{bob_agent.pk}/stats/{query}")
    assert resp.status_code == 400
    assert resp.json()["code"] == "VALIDATION_ERROR"
    assert resp.json()["errors"][0]["loc"] == ["query", name]
