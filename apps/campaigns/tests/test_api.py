"""Campaigns API: create in every spec's shape, validation, filters, cross-tenant references,
stats, the campaign's leads, roles, delete."""

import pytest

from apps.campaigns.models import Campaign, CampaignStatus, CampaignTransition
from apps.core.actors import Actor
from apps.leads import services as lead_services

CAMPAIGNS = "/api/v1/campaigns/"

SPEC_003_BODY = {
    "name": "Customer Survey Campaign", "description": "Automated survey", "status": "draft", "priority": "high",
    "campaign_type": "outbound", "calls_per_day": 50, "calling_hours_start": "09:00:00",
    "calling_hours_end": "17:00:00", "time_zone": "America/Chicago",
    "working_days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], "ai_voice_id": "voice-123",
    "ai_voice_language": "en-US", "ai_voice_gender": "female", "system_prompt": "You are friendly.",
    "script_template": "Hello {customer_name}, this is {company_name} calling.",
    "fallback_script": "Would another time suit you better?", "max_attempts_per_lead": 3,
    "retry_delay_minutes": 60, "call_duration_limit": 300, "success_criteria": "80% of questions",
    "expected_completion_date": "2026-12-31", "budget": 1000.00, "cost_per_call": 0.50,
    "tags": ["customer-survey", "q4"], "notes": "Focus on service", "start_date": "2026-03-01 09:00:00",
    "end_date": "2026-12-31 17:00:00", "recurrence_rule": "FREQ=DAILY;INTERVAL=1", "company_id": 1,
}  # fmt: skip
SPEC_004_BODY = {
    "name": "Q1 2024 Outreach", "caller_id": "+14155551234", "schedule_start": "2026-01-01T09:00:00Z",
    "schedule_end": "2026-03-31T17:00:00Z", "timezone": "America/Los_Angeles", "calling_hours_start": "09:00:00",
    "calling_hours_end": "17:00:00",
    "retry_policy": {"max_attempts": 4, "delay_minutes": 90, "retry_on_no_answer": True, "retry_on_busy": True,
                     "retry_on_voicemail": False},
    "amd_enabled": True, "voicemail_message_url": "https://example.com/voicemail.mp3", "record_calls": True,
}  # fmt: skip
SPEC_002_BODY = {"name": "Mumbai Real Estate Q1", "niche": "real_estate", "client_name": "ABC Properties",
                 "client_service": "Premium Apartments", "target_cities": ["Mumbai", "Pune"],
                 "target_lead_count": 500, "daily_call_limit": 100}  # fmt: skip


def test_create_in_spec_003s_shape(api_client_for, alice):
    resp = api_client_for(alice).post(CAMPAIGNS, SPEC_003_BODY, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["status"] == "draft" and body["priority"] == "high" and body["timezone"] == "America/Chicago"
    assert body["working_days"] == ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert body["max_attempts_per_lead"] == 3 and body["budget"] == 1000.0 and body["cost_per_call"] == 0.5
    assert body["owner_id"] == str(alice.id)  # the creator owns it unless told otherwise
    assert body["tenant_id"] == str(alice.tenant_id)  # company_id is ignored: the caller's tenant decides


def test_create_in_spec_004s_and_002s_shapes(api_client_for, alice):
    client = api_client_for(alice)
    four = client.post(CAMPAIGNS, SPEC_004_BODY, format="json").json()
    assert four["caller_id"] == "+14155551234"
    assert four["retry_policy"] == {"max_attempts": 4, "delay_minutes": 90, "backoff": 1.0, "retry_on_no_answer": True,
                                    "retry_on_busy": True, "retry_on_voicemail": False, "retry_on_failed": True}  # fmt: skip
    assert four["voicemail_message_url"] == "https://example.com/voicemail.mp3"
    two = client.post(CAMPAIGNS, SPEC_002_BODY, format="json").json()
    assert (two["calls_per_day"], two["target_cities"], two["niche"]) == (100, ["Mumbai", "Pune"], "real_estate")


def test_create_active_starts_it_or_refuses_everything(api_client_for, alice, ava):
    client = api_client_for(alice)
    refused = client.post(CAMPAIGNS, {"name": "Now", "status": "active"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "CAMPAIGN_NOT_READY"
    assert not Campaign.objects.filter(name="Now").exists()  # nothing half-made
    started = client.post(CAMPAIGNS, {"name": "Now", "status": "active", "caller_id": "+14155550100",
                                      "ai_agent_id": str(ava.id)}, format="json")  # fmt: skip
    assert started.status_code == 201 and started.json()["status"] == "active"


@pytest.mark.parametrize(
    "body,field,message",
    [
        ({"calling_hours_start": "17:00", "calling_hours_end": "09:00"}, "calling_hours_end", "allow_overnight"),
        ({"calling_hours_start": "09:00", "calling_hours_end": "09:00"}, "calling_hours_end", "same time"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "IANA time zone"),
        ({"time_zone": "EST5EDT-ish"}, "timezone", "IANA time zone"),
        ({"working_days": ["Monday", "Caturday"]}, "working_days", "'Caturday' is not a day of the week"),
        ({"working_days": []}, "working_days", "At least one working day"),
        ({"working_days": 5}, "working_days", "must be a list of day names"),
        ({"voicemail_message_url": "not a url"}, "voicemail_drop_url", "valid URL"),
        ({"tags": ["t"] * 51}, "tags", "no more than 50"),
        ({"budget": -1}, "budget", "greater than or equal to 0"),
        ({"cost_per_call": -0.5}, "cost_per_call", "greater than or equal to 0"),
        ({"calls_per_day": 0}, "calls_per_day", "greater than or equal to 1"),
        ({"max_concurrent_calls": 0}, "max_concurrent_calls", "greater than or equal to 1"),
        ({"retry_policy": {"max_attempts": 0}}, "max_attempts", "greater than or equal to 1"),
        ({"retry_policy": {"tries": 3}}, "retry_policy", "Unknown key"),
        ({"script_template": "Hi {first_name}, code {promo}"}, "script_template", "Unknown placeholder {promo}"),
        ({"recurrence_rule": "FREQ=HOURLY"}, "recurrence_rule", "daily, weekly, monthly or yearly"),
        ({"caller_id": "555-1234"}, "caller_id", "E.164"),
        ({"schedule_start": "2026-05-01T00:00:00Z", "schedule_end": "2026-04-01T00:00:00Z"}, "schedule_end",
         "end after it starts"),
        ({"name": "x" * 101}, "name", "100 characters"),
        ({"status": "completed"}, "status", "lifecycle actions"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)  # fmt: skip
def test_validation_names_the_field_and_says_why(api_client_for, alice, body, field, message):
    resp = api_client_for(alice).post(CAMPAIGNS, {"name": "Bad", **body}, format="json")
    assert resp.status_code == 400, resp.json()
    payload = resp.json()
    assert payload["code"] == "VALIDATION_ERROR"
    assert any(error["loc"][-1] == field and message in error["msg"] for error in payload["errors"]), payload
    assert not Campaign.objects.exists()


def test_overnight_hours_are_accepted_when_asked_for(api_client_for, alice):
    resp = api_client_for(alice).post(CAMPAIGNS, {"name": "Night", "calling_hours_start": "20:00",
                                                  "calling_hours_end": "02:00", "allow_overnight": True},
                                      format="json")  # fmt: skip
    assert resp.status_code == 201 and resp.json()["allow_overnight"] is True


def test_a_body_that_is_not_an_object_is_a_400(api_client_for, alice):
    resp = api_client_for(alice).post(CAMPAIGNS, ["not", "an", "object"], format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "VALIDATION_ERROR"


# Cross-tenant references ----------------------------------------------------------------------------
@pytest.mark.parametrize("field,key", [("ai_agent_id", "agent"), ("agent_group_id", "group"),
                                       ("caller_id_number_id", "caller_id")])  # fmt: skip
def test_a_campaign_cannot_point_at_another_tenants_agent_group_or_caller_id(
    api_client_for, alice, ready_campaign, globex_things, field, key
):
    client = api_client_for(alice)
    other = str(globex_things[key].id)
    assert client.post(CAMPAIGNS, {"name": "Sneaky", field: other}, format="json").status_code == 404
    assert not Campaign.objects.filter(name="Sneaky").exists()
    assert client.patch(f"{CAMPAIGNS}{ready_campaign.id}/", {field: other}, format="json").status_code == 404
    ready_campaign.refresh_from_db()
    assert getattr(ready_campaign, field) != globex_things[key].id


def test_another_tenants_campaign_is_a_404_everywhere(api_client_for, alice, globex_things):
    client = api_client_for(alice)
    other = globex_things["campaign"].id
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "start/"), ("get", "stats/"),
                         ("get", "lead-stats/"), ("get", "leads/"), ("patch", "status/"), ("get", "transitions/")]:  # fmt: skip
        assert getattr(client, method)(f"{CAMPAIGNS}{other}/{path}", {}, format="json").status_code == 404, path


def test_a_human_agent_cannot_be_the_ai_agent(api_client_for, alice, sales_floor):
    human = sales_floor.agents.first()
    resp = api_client_for(alice).post(CAMPAIGNS, {"name": "Mixed", "ai_agent_id": str(human.id)}, format="json")
    assert resp.status_code == 400 and "human agent" in resp.json()["detail"]


def test_a_caller_id_and_a_record_that_disagree_are_refused(api_client_for, alice, acme_number):
    resp = api_client_for(alice).post(CAMPAIGNS, {"name": "Two numbers", "caller_id": "+14155550111",
                                                  "caller_id_number_id": str(acme_number.id)}, format="json")  # fmt: skip
    assert resp.status_code == 400 and "different numbers" in resp.json()["detail"]
    assert not Campaign.objects.filter(name="Two numbers").exists()


def test_a_registered_caller_id_links_to_its_record(api_client_for, alice, acme_number):
    body = api_client_for(alice).post(CAMPAIGNS, {"name": "Linked", "caller_id": "+14155550100"}, format="json").json()
    assert body["caller_id_number_id"] == str(acme_number.id)


# Lists ------------------------------------------------------------------------------------------------
@pytest.fixture
def several(acme, ava):
    made = {}
    for name, status, priority, tags in [("Alpha survey", "draft", "high", ["survey"]),
                                         ("Beta outreach", "active", "low", ["sales", "q1"]),
                                         ("Gamma renewals", "paused", "medium", ["sales"])]:  # fmt: skip
        made[name] = Campaign.objects.create(tenant=acme, name=name, status=status, priority=priority, tags=tags,
                                             description=f"{name} description")  # fmt: skip
    return made


@pytest.mark.parametrize(
    "query,names",
    [("status=active", ["Beta outreach"]), ("status=running", ["Beta outreach"]),
     ("status=draft,paused", ["Alpha survey", "Gamma renewals"]), ("priority=high", ["Alpha survey"]),
     ("is_active=true", ["Beta outreach"]), ("tags=sales", ["Beta outreach", "Gamma renewals"]),
     ("search=renewal", ["Gamma renewals"]), ("q=SURVEY", ["Alpha survey"])],
)  # fmt: skip
def test_list_filters(api_client_for, alice, several, query, names):
    body = api_client_for(alice).get(f"{CAMPAIGNS}?{query}").json()
    assert sorted(c["name"] for c in body["campaigns"]) == names
    assert body["total"] == len(names)


def test_sort_and_order_and_both_paging_styles(api_client_for, alice, several):
    client = api_client_for(alice)
    by_name = client.get(f"{CAMPAIGNS}?sort=name&order=asc").json()["campaigns"]
    assert [c["name"] for c in by_name] == ["Alpha survey", "Beta outreach", "Gamma renewals"]
    page = client.get(f"{CAMPAIGNS}?sort=name&order=desc&limit=1&offset=1").json()
    assert [c["name"] for c in page["campaigns"]] == ["Beta outreach"] and page["total"] == 3
    assert client.get(f"{CAMPAIGNS}?page=2&per_page=2").json()["total_pages"] == 2
    bad = client.get(f"{CAMPAIGNS}?sort=password")
    assert bad.status_code == 400 and bad.json()["errors"][0]["loc"] == ["query", "sort"]
    assert client.get(f"{CAMPAIGNS}?status=exploded").status_code == 400


def test_active_lists_only_dialing_campaigns(api_client_for, alice, several):
    body = api_client_for(alice).get(f"{CAMPAIGNS}active/").json()
    assert [c["name"] for c in body["campaigns"]] == ["Beta outreach"]


# Stats and leads ----------------------------------------------------------------------------------------
def _lead(campaign, phone, **values):
    return lead_services.lead_create(tenant=campaign.tenant, actor=Actor(label="test"), campaign=campaign,
                                     values={"phone_e164": phone, "first_name": "L", **values})  # fmt: skip


def test_stats_count_calls_outcomes_money_and_today(api_client_for, alice, ready_campaign):
    ready_campaign.budget, ready_campaign.cost_per_call, ready_campaign.calls_per_day = 10, 0.5, 100
    ready_campaign.save()
    leads = [_lead(ready_campaign, f"+1415555{n:04d}") for n in range(210, 214)]
    actor = Actor(label="test")
    for lead, outcome, seconds in [(leads[0], "converted", 120), (leads[1], "no_answer", 0),
                                   (leads[2], "not_interested", 40), (leads[3], "completed", 60)]:  # fmt: skip
        lead_services.lead_record_call_attempt(lead=lead, actor=actor, duration=seconds, disposition=outcome)
    stats = api_client_for(alice).get(f"{CAMPAIGNS}{ready_campaign.id}/stats/").json()
    assert stats["total_leads"] == 4 and stats["calls_made"] == 4
    assert (stats["completed_calls"], stats["successful_calls"], stats["failed_calls"]) == (3, 2, 1)
    assert stats["success_rate"] == 66.67
    assert (stats["total_cost"], stats["remaining_budget"]) == (2.0, 8.0)
    assert (stats["calls_today"], stats["remaining_calls_today"]) == (4, 96)
    assert stats["total_talk_seconds"] == 220 and stats["leads_called"] == 4


def test_lead_stats_and_the_campaigns_lead_list(api_client_for, alice, ready_campaign, acme):
    _lead(ready_campaign, "+14155550301", lead_score=80)
    _lead(ready_campaign, "+14155550302", lead_score=40)
    other = Campaign.objects.create(tenant=acme, name="Other")
    _lead(other, "+14155550303")
    client = api_client_for(alice)
    stats = client.get(f"{CAMPAIGNS}{ready_campaign.id}/lead-stats/").json()
    assert stats["total_leads"] == 2 and stats["average_lead_score"] == 60.0 and stats["by_status"] == {"new": 2}
    leads = client.get(f"{CAMPAIGNS}{ready_campaign.id}/leads/?per_page=10").json()
    assert leads["total"] == 2 and {lead["phone_e164"] for lead in leads["leads"]} == {"+14155550301", "+14155550302"}
    filtered = client.get(f"{CAMPAIGNS}{ready_campaign.id}/leads/?min_score=50").json()
    assert [lead["phone_e164"] for lead in filtered["leads"]] == ["+14155550301"]


# Roles, update, delete ------------------------------------------------------------------------------------
def test_agents_read_campaigns_but_cannot_manage_them(api_client_for, bob, ready_campaign):
    client = api_client_for(bob)
    assert client.get(CAMPAIGNS).status_code == 200
    assert client.post(CAMPAIGNS, {"name": "Mine"}, format="json").status_code == 403
    assert client.post(f"{CAMPAIGNS}{ready_campaign.id}/start/").status_code == 403
    assert client.patch(f"{CAMPAIGNS}{ready_campaign.id}/", {"name": "x"}, format="json").status_code == 403


def test_update_checks_hours_against_the_stored_values(api_client_for, alice, ready_campaign):
    client = api_client_for(alice)
    resp = client.patch(f"{CAMPAIGNS}{ready_campaign.id}/", {"calling_hours_end": "08:00"}, format="json")
    assert resp.status_code == 400  # 09:00 stored as the start
    ok = client.put(f"{CAMPAIGNS}{ready_campaign.id}/", {"calling_hours_end": "18:30", "tags": ["x"]}, format="json")
    assert ok.status_code == 200 and ok.json()["calling_hours_end"] == "18:30:00"


def test_a_finished_campaign_cannot_be_edited_and_a_running_one_cannot_be_deleted(
    api_client_for, alice, ready_campaign
):
    client = api_client_for(alice)
    client.post(f"{CAMPAIGNS}{ready_campaign.id}/start/")
    refused = client.delete(f"{CAMPAIGNS}{ready_campaign.id}/")
    assert refused.status_code == 409 and refused.json()["current_status"] == "active"
    client.post(f"{CAMPAIGNS}{ready_campaign.id}/complete/")
    assert client.patch(f"{CAMPAIGNS}{ready_campaign.id}/", {"name": "Again"}, format="json").status_code == 409
    assert client.delete(f"{CAMPAIGNS}{ready_campaign.id}/").json() == {"message": "Campaign deleted successfully"}
    assert client.get(f"{CAMPAIGNS}{ready_campaign.id}/").status_code == 404
    assert Campaign.objects.filter(pk=ready_campaign.pk, deleted_at__isnull=False).exists()  # kept, hidden


def test_team_members_must_be_people_of_the_tenant(api_client_for, alice, maria, charlie):
    client = api_client_for(alice)
    ok = client.post(CAMPAIGNS, {"name": "Team", "team_members": [str(maria.id)]}, format="json")
    assert ok.status_code == 201 and ok.json()["team_members"] == [str(maria.id)]
    assert client.post(CAMPAIGNS, {"name": "Spy", "team_members": [str(charlie.id)]}, format="json").status_code == 404


def test_caller_ids_are_the_tenants_own(api_client_for, alice, charlie, acme_number, ready_campaign):
    client = api_client_for(alice)
    created = client.post("/api/v1/caller-ids/", {"phone": "+14155550177", "label": "Sales"}, format="json")
    assert created.status_code == 201
    assert client.post("/api/v1/caller-ids/", {"phone_e164": "+14155550177"}, format="json").status_code == 409
    assert client.post("/api/v1/caller-ids/", {"phone_e164": "12345"}, format="json").status_code == 400
    assert api_client_for(charlie).get(f"/api/v1/caller-ids/{acme_number.id}/").status_code == 404
    Campaign.objects.filter(pk=ready_campaign.pk).update(caller_id_number=acme_number)
    assert client.delete(f"/api/v1/caller-ids/{acme_number.id}/").status_code == 409  # in use


def test_stats_survive_hand_written_call_entries(api_client_for, alice, ready_campaign):
    """Activities posted through the API may say anything; they count with 0 seconds instead of
    turning the stats into a 500, and an entry without an outcome counts as answered (as for agents)."""
    lead = _lead(ready_campaign, "+14155550401")
    client = api_client_for(alice)
    for metadata in ({"duration": "2 min", "disposition": "completed"}, {"duration": -5}, {"duration": 30.5}):
        resp = client.post(f"/api/v1/leads/{lead.id}/activities/",
                           {"activity_type": "call_attempt", "description": "by hand", "metadata": metadata},
                           format="json")  # fmt: skip
        assert resp.status_code == 201, resp.json()
    stats = client.get(f"{CAMPAIGNS}{ready_campaign.id}/stats/")
    assert stats.status_code == 200
    body = stats.json()
    assert (body["calls_made"], body["completed_calls"], body["total_talk_seconds"]) == (3, 3, 30)
    assert client.get(f"{CAMPAIGNS}{ready_campaign.id}/lead-stats/").json()["average_call_duration"] == 10.2


def test_a_status_in_an_update_body_goes_through_the_lifecycle(api_client_for, alice, ready_campaign):
    client = api_client_for(alice)
    started = client.put(f"{CAMPAIGNS}{ready_campaign.id}/", {"status": "active", "notes": "go"}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "active"
    assert CampaignTransition.objects.filter(campaign=ready_campaign, action="start").count() == 1
    back = client.put(f"{CAMPAIGNS}{ready_campaign.id}/", {"status": "draft"}, format="json")
    assert back.status_code == 409 and back.json()["current_status"] == "active"
    paused = client.put(f"{CAMPAIGNS}{ready_campaign.id}/", {"status": "paused"}, format="json")
    assert paused.status_code == 400 and "lifecycle actions" in paused.json()["detail"]  # /pause/ does that
    assert Campaign.objects.get(pk=ready_campaign.pk).status == CampaignStatus.ACTIVE
