"""The calls API: spec 004's list, detail and statistics, spec 000's history, metrics and
schedule-now, the actions on a call and who may take them, the tenant's dispositions and
compliance rules, the dialer status; tenancy (another tenant's id is a 404) and bad input (4xx with
a code) throughout."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.calls import outcomes
from apps.calls.choices import CallStatus, EventKind
from apps.calls.models import Call, CallDisposition, CallEvent, ComplianceRule, DialerStatus, DialerSwitch
from apps.campaigns.models import Campaign, CampaignStatus
from apps.core import clock
from apps.leads.choices import LeadStage, LeadStatus
from apps.leads.models import Lead
from apps.tenants.choices import ApiKeyScope

CALLS = "/api/v1/calls/"
DISPOSITIONS = "/api/v1/calls/dispositions/"
RULES = "/api/v1/calls/compliance-rules/"
DIALER = "/api/v1/dialer/status/"
# A Wednesday: 17:00 UTC is 09:00 in Los Angeles (the +1 415 leads' zone), noon in New York.
WEDNESDAY_NOON_NY = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)
UTC = dt.UTC


def url(call, suffix: str = "") -> str:
    return f"{CALLS}{call.pk}/{suffix}"


def ids(resp, key: str = "calls") -> set[str]:
    assert resp.status_code == 200, resp.json()
    return {row["id"] for row in resp.json()[key]}


def assert_error(resp, status: int, code: str, loc: list | None = None) -> dict:
    assert resp.status_code == status, resp.json()
    body = resp.json()
    assert body["code"] == code, body
    assert body["request_id"]
    if loc is not None:
        assert loc in [e["loc"] for e in body["errors"]], body["errors"]
    return body


@pytest.fixture
def sara(api_make_lead, api_campaign):
    return api_make_lead(phone="+14155552671", campaign=api_campaign, first_name="Sara", last_name="Ahmed")


@pytest.fixture
def tom(api_make_lead, api_campaign):
    return api_make_lead(phone="+14155552672", campaign=api_campaign, first_name="Tom", last_name="Lee")


@pytest.fixture
def answered(api_make_call, sara, api_ai_agent):
    """A finished, answered call of spec 004's example."""
    start = dt.datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    return api_make_call(
        sara, agent=api_ai_agent, outcome="answered", answered_by="human", disposition="answered",
        call_sid="CA1234567890abcdef", initiated_at=start, answered_at=start + dt.timedelta(seconds=15),
        ended_at=start + dt.timedelta(seconds=330), duration=330, talk_time=315, cost=Decimal("0.07700"),
        recording_url="https://api.twilio.com/recordings/RE123", recording_sid="RE123", recording_duration=315,
        summary="Interested in the premium plan.", transcript=[{"role": "agent", "text": "Hello Sara"}],
        created_at=start,
    )  # fmt: skip


# The list (spec 004) ------------------------------------------------------------------------------------
def test_spec_004_list_returns_every_field(api_client_for, alice, answered, api_campaign, api_ai_agent, acme):
    resp = api_client_for(alice).get(CALLS)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert {k: body[k] for k in ("total", "page", "per_page", "total_pages")} == {
        "total": 1, "page": 1, "per_page": 10, "total_pages": 1}  # fmt: skip
    [call] = body["calls"]
    for key in ("id", "tenant_id", "campaign_id", "lead_id", "agent_id", "call_sid", "conference_sid", "from_number",
                "to_number", "direction", "status", "outcome", "answered_by", "start_time", "answer_time", "end_time",
                "duration", "talk_time", "disposition", "recording_url", "recording_sid", "recording_duration", "cost",
                "metadata", "notes", "created_at", "first_name", "last_name", "phone", "campaign_name", "agent_name",
                "attempt", "error_code", "error_message"):  # fmt: skip
        assert key in call, key
    assert call["tenant_id"] == str(acme.pk) and call["campaign_id"] == str(api_campaign.pk)
    assert call["agent_id"] == str(api_ai_agent.pk) and call["agent_name"] == "Ava Voice"
    assert (call["first_name"], call["last_name"], call["phone"]) == ("Sara", "Ahmed", "+14155552671")
    assert call["campaign_name"] == "Spring Outreach" and call["direction"] == "outbound"
    assert call["start_time"] == "2024-01-15T10:30:00Z" and call["answer_time"] == "2024-01-15T10:30:15Z"
    assert call["end_time"] == "2024-01-15T10:35:30Z" and call["duration"] == 330 and call["talk_time"] == 315
    assert call["cost"] == 0.077 and call["notes"] is None and call["conference_sid"] is None
    assert call["status"] == "completed" and call["outcome"] == "answered" and call["answered_by"] == "human"


def test_start_time_is_the_creation_until_the_provider_has_it(api_client_for, alice, sara, api_make_call):
    created = dt.datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    api_make_call(sara, status=CallStatus.QUEUED, created_at=created)
    [call] = api_client_for(alice).get(CALLS).json()["calls"]
    assert call["start_time"] == "2024-03-01T12:00:00Z" and call["outcome"] is None and call["answer_time"] is None


def test_limit_and_offset_page_the_list_newest_first(api_client_for, alice, sara, api_make_call):
    made = [api_make_call(sara, created_at=dt.datetime(2024, 1, day, tzinfo=UTC)) for day in (1, 2, 3)]
    body = api_client_for(alice).get(f"{CALLS}?limit=2&offset=1").json()
    assert [row["id"] for row in body["calls"]] == [str(made[1].pk), str(made[0].pk)]
    assert (body["limit"], body["offset"], body["total"]) == (2, 1, 3)


def test_the_list_costs_the_same_queries_for_few_or_many_calls(api_client_for, alice, sara, tom, api_make_call,
                                                              api_ai_agent, api_dana_agent):  # fmt: skip
    client = api_client_for(alice)
    api_make_call(sara, agent=api_ai_agent)
    client.get(CALLS)  # the first request also loads the caller (then cached)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CALLS).status_code == 200
    for n in range(12):
        api_make_call(tom if n % 2 else sara, agent=api_dana_agent if n % 3 else None)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{CALLS}?per_page=100").json()["calls"]) == 13
    assert len(many.captured_queries) == len(few.captured_queries) <= 4


def test_another_tenants_calls_are_invisible(api_client_for, alice, charlie, answered, api_globex_call):
    assert ids(api_client_for(alice).get(CALLS)) == {str(answered.pk)}
    assert ids(api_client_for(charlie).get(CALLS)) == {str(api_globex_call.pk)}
    assert_error(api_client_for(charlie).get(url(answered)), 404, "NOT_FOUND")
    assert_error(api_client_for(alice).get(url(api_globex_call)), 404, "NOT_FOUND")
    assert_error(api_client_for(alice).get(f"{CALLS}{uuid.uuid4()}/"), 404, "NOT_FOUND")
    assert api_client_for(alice).get(f"{CALLS}not-a-uuid/").status_code == 404


def test_an_agent_reads_the_tenants_calls(api_client_for, bob, answered):
    assert ids(api_client_for(bob).get(CALLS)) == {str(answered.pk)}


# Filters ------------------------------------------------------------------------------------------------
@pytest.fixture
def mix(acme, api_make_lead, api_make_call, api_campaign, api_ai_agent, api_dana_agent, sara, tom):
    """Calls of two campaigns, two agents and three leads, ending every way."""
    other = Campaign.objects.create(tenant=acme, name="Winter", status=CampaignStatus.ACTIVE)
    lena = api_make_lead(phone="+14155552673", campaign=other, first_name="Lena", last_name="Park")
    return {
        "sale": api_make_call(sara, agent=api_dana_agent, outcome="answered", answered_by="human", disposition="sale"),
        "voicemail": api_make_call(sara, agent=api_ai_agent, outcome="voicemail", answered_by="machine_end_beep",
                                   disposition="voicemail_left"),
        "no_answer": api_make_call(tom, agent=api_ai_agent, status=CallStatus.NO_ANSWER, outcome="no_answer",
                                   disposition="no_answer"),
        "busy": api_make_call(tom, status=CallStatus.BUSY, outcome="busy", disposition="busy"),
        "live": api_make_call(lena, status=CallStatus.IN_PROGRESS, answered_by="human", agent=api_dana_agent),
        "other": other,
    }  # fmt: skip


def test_filters_by_campaign_agent_and_lead(api_client_for, alice, mix, api_campaign, api_dana_agent, tom):
    client = api_client_for(alice)
    campaign_calls = {str(mix[k].pk) for k in ("sale", "voicemail", "no_answer", "busy")}
    assert ids(client.get(f"{CALLS}?campaign_id={api_campaign.pk}")) == campaign_calls
    assert ids(client.get(f"{CALLS}?campaign_id={mix['other'].pk}")) == {str(mix["live"].pk)}
    assert ids(client.get(f"{CALLS}?agent_id={api_dana_agent.pk}")) == {str(mix["sale"].pk), str(mix["live"].pk)}
    assert ids(client.get(f"{CALLS}?lead_id={tom.pk}")) == {str(mix["no_answer"].pk), str(mix["busy"].pk)}
    assert ids(client.get(f"{CALLS}?campaign_id={uuid.uuid4()}")) == set()


def test_filters_by_status(api_client_for, alice, mix):
    client = api_client_for(alice)
    assert ids(client.get(f"{CALLS}?status=in_progress")) == {str(mix["live"].pk)}
    assert ids(client.get(f"{CALLS}?status=no-answer,busy")) == {str(mix["no_answer"].pk), str(mix["busy"].pk)}


def test_filters_by_spec_004_disposition_words_and_our_codes(api_client_for, alice, mix):
    client = api_client_for(alice)
    # spec 004's words are how the call ended: "answered" finds the sale, "voicemail" the message left
    assert ids(client.get(f"{CALLS}?disposition=answered")) == {str(mix["sale"].pk)}
    assert ids(client.get(f"{CALLS}?disposition=voicemail")) == {str(mix["voicemail"].pk)}
    assert ids(client.get(f"{CALLS}?disposition=sale")) == {str(mix["sale"].pk)}
    assert ids(client.get(f"{CALLS}?disposition=voicemail_left,busy")) == {str(mix["voicemail"].pk),
                                                                          str(mix["busy"].pk)}  # fmt: skip


def test_filters_by_outcome_with_the_specs_words(api_client_for, alice, mix):
    client = api_client_for(alice)
    assert ids(client.get(f"{CALLS}?outcome=completed")) == {str(mix["sale"].pk)}  # completed means answered
    assert ids(client.get(f"{CALLS}?outcome=no_answer,busy")) == {str(mix["no_answer"].pk), str(mix["busy"].pk)}
    assert ids(client.get(f"{CALLS}?outcome=machine")) == {str(mix["voicemail"].pk)}


def test_filters_by_who_answered(api_client_for, alice, mix):
    client = api_client_for(alice)
    assert ids(client.get(f"{CALLS}?answered_by=human")) == {str(mix["sale"].pk), str(mix["live"].pk)}
    assert ids(client.get(f"{CALLS}?answered_by=machine_end_beep")) == {str(mix["voicemail"].pk)}
    assert ids(client.get(f"{CALLS}?answered_by=machine")) == {str(mix["voicemail"].pk)}


@pytest.fixture
def new_york_days(acme, sara, api_make_call):
    """Acme keeps New York time: 03:00 UTC on the 15th is still the 14th there."""
    acme.default_timezone = "America/New_York"
    acme.save()
    return {
        "14th": api_make_call(sara, created_at=dt.datetime(2024, 1, 15, 3, 0, tzinfo=UTC)),
        "15th": api_make_call(sara, created_at=dt.datetime(2024, 1, 15, 15, 0, tzinfo=UTC)),
        "16th": api_make_call(sara, created_at=dt.datetime(2024, 1, 16, 6, 0, tzinfo=UTC)),
    }


def test_dates_are_whole_days_in_the_tenants_time_zone(api_client_for, alice, new_york_days):
    client = api_client_for(alice)
    day = {k: str(v.pk) for k, v in new_york_days.items()}
    assert ids(client.get(f"{CALLS}?date_from=2024-01-15&date_to=2024-01-15")) == {day["15th"]}
    assert ids(client.get(f"{CALLS}?date_to=2024-01-14")) == {day["14th"]}
    assert ids(client.get(f"{CALLS}?date_from=2024-01-16")) == {day["16th"]}
    assert ids(client.get(f"{CALLS}?start_date=2024-01-15&end_date=2024-01-16")) == {day["15th"], day["16th"]}


def test_search_finds_lead_names_numbers_in_any_format_and_agent_names(api_client_for, alice, mix):
    client = api_client_for(alice)
    assert ids(client.get(f"{CALLS}?search=ahmed")) == {str(mix["sale"].pk), str(mix["voicemail"].pk)}
    assert ids(client.get(f"{CALLS}?search=Sara Ahm")) == {str(mix["sale"].pk), str(mix["voicemail"].pk)}
    assert ids(client.get(f"{CALLS}?search=(415) 555-2672")) == {str(mix["no_answer"].pk), str(mix["busy"].pk)}
    assert ids(client.get(f"{CALLS}?q=%2B14155552673")) == {str(mix["live"].pk)}
    assert ids(client.get(f"{CALLS}?search=dana")) == {str(mix["sale"].pk), str(mix["live"].pk)}
    assert ids(client.get(f"{CALLS}?search=nobody")) == set()


@pytest.mark.parametrize("query, name", [
    ("status=ringing_out", "status"), ("outcome=maybe", "outcome"), ("disposition=bogus", "disposition"),
    ("answered_by=robot", "answered_by"), ("date_from=2024-13-01", "date_from"), ("date_to=15/01/2024", "date_to"),
    ("start_date=2024-01-16&end_date=2024-01-15", "start_date"), ("campaign_id=not-a-uuid", "campaign_id"),
    ("agent_id=42", "agent_id"), ("lead_id=x", "lead_id"), ("per_page=abc", "per_page"), ("offset=-1", "offset"),
])  # fmt: skip
def test_a_bad_filter_is_a_400_naming_it(api_client_for, alice, query, name):
    paths = [CALLS, f"{CALLS}history/"]
    if name not in ("per_page", "offset"):  # the statistics are not pages
        paths += [f"{CALLS}metrics/", f"{CALLS}stats/summary/", f"{CALLS}stats/by-disposition/"]
    for path in paths:
        assert_error(api_client_for(alice).get(f"{path}?{query}"), 400, "VALIDATION_ERROR", ["query", name])


# Detail --------------------------------------------------------------------------------------------------
def test_the_detail_has_the_events_and_what_was_said(api_client_for, alice, answered):
    CallEvent.objects.create(tenant_id=answered.tenant_id, call=answered, kind=EventKind.STATUS,
                             provider_status="ringing", from_status="initiated", to_status="ringing", applied=True,
                             dedupe_key="status:ringing")  # fmt: skip
    CallEvent.objects.create(tenant_id=answered.tenant_id, call=answered, kind=EventKind.STATUS,
                             provider_status="ringing", applied=False, note="duplicate", dedupe_key="status:ringing:2")  # fmt: skip
    resp = api_client_for(alice).get(url(answered))
    assert resp.status_code == 200, resp.json()
    call = resp.json()
    assert call["id"] == str(answered.pk) and call["first_name"] == "Sara"
    assert call["transcript"] == [{"role": "agent", "text": "Hello Sara"}] and call["summary"].startswith("Interested")
    assert call["analysis"] == {}
    assert [(e["kind"], e["provider_status"], e["to_status"], e["applied"]) for e in call["events"]] == [
        ("status", "ringing", "ringing", True), ("status", "ringing", None, False)]  # fmt: skip
    assert {"note", "from_status", "created_at"} <= set(call["events"][0])


# History (spec 000) --------------------------------------------------------------------------------------
def test_spec_000_history_returns_its_contract(api_client_for, alice, answered, api_ai_agent):
    resp = api_client_for(alice).get(f"{CALLS}history/")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert (body["total"], body["page"], body["per_page"]) == (1, 1, 10)
    [call] = body["calls"]
    assert {k: call[k] for k in ("id", "lead_id", "agent_id", "lead_name", "lead_phone", "agent_name", "status",
                                 "outcome", "duration_seconds", "summary", "created_at")} == {
        "id": str(answered.pk), "lead_id": str(answered.lead_id), "agent_id": str(api_ai_agent.pk),
        "lead_name": "Sara Ahmed", "lead_phone": "+14155552671", "agent_name": "Ava Voice", "status": "completed",
        "outcome": "answered", "duration_seconds": 330, "summary": "Interested in the premium plan.",
        "created_at": "2024-01-15T10:30:00Z"}  # fmt: skip
    assert call["transcript_url"] == f"http://testserver{CALLS}{answered.pk}/"


def test_history_has_no_transcript_url_without_a_transcript(api_client_for, alice, sara, api_make_call):
    api_make_call(sara, outcome="no_answer")
    [call] = api_client_for(alice).get(f"{CALLS}history/").json()["calls"]
    assert call["transcript_url"] is None and call["summary"] is None and call["agent_name"] is None


def test_history_filters_like_spec_000(api_client_for, alice, mix, api_ai_agent, new_york_days):
    client = api_client_for(alice)
    history = f"{CALLS}history/"
    assert ids(client.get(f"{history}?agent_id={api_ai_agent.pk}&outcome=no_answer")) == {str(mix["no_answer"].pk)}
    assert ids(client.get(f"{history}?outcome=answered")) == {str(mix["sale"].pk)}
    assert ids(client.get(f"{history}?start_date=2024-01-15&end_date=2024-01-15")) == {str(new_york_days["15th"].pk)}
    assert ids(client.get(f"{history}?search=Tom")) == {str(mix["no_answer"].pk), str(mix["busy"].pk)}


def test_history_pages_at_most_100(api_client_for, alice, sara, api_make_call):
    Call.objects.bulk_create([Call(tenant_id=sara.tenant_id, lead=sara, provider="simulator", to_number=sara.phone_e164,
                                   status=CallStatus.COMPLETED, outcome="answered") for _ in range(105)])  # fmt: skip
    body = api_client_for(alice).get(f"{CALLS}history/?per_page=500&page=1").json()
    assert body["per_page"] == 100 and len(body["calls"]) == 100 and body["total"] == 105
    assert len(api_client_for(alice).get(f"{CALLS}history/?per_page=100&page=2").json()["calls"]) == 5


# Metrics and statistics --------------------------------------------------------------------------------
def test_spec_000_metrics(api_client_for, alice, mix, sara, api_make_call):
    api_make_call(sara, status=CallStatus.FAILED, outcome="failed", disposition="failed")
    api_make_call(sara, status=CallStatus.CANCELED, outcome="canceled")  # never rang: not a call
    resp = api_client_for(alice).get(f"{CALLS}metrics/")
    assert resp.status_code == 200, resp.json()
    metrics = resp.json()
    assert {k: metrics[k] for k in ("total_calls", "answered_calls", "no_answer_calls", "failed_calls",
                                    "pickup_rate", "average_attempts_per_lead", "active_agents")} == {
        "total_calls": 6, "answered_calls": 1, "no_answer_calls": 3, "failed_calls": 1,
        "pickup_rate": 20.0,  # 1 answered of 5 finished (the live call has no outcome yet)
        "average_attempts_per_lead": 2.0, "active_agents": 2}  # fmt: skip
    assert (metrics["busy_calls"], metrics["voicemail_calls"], metrics["live_calls"]) == (1, 1, 1)


def test_metrics_filter_by_agent_and_dates_in_one_query(api_client_for, alice, mix, api_ai_agent, new_york_days):
    client = api_client_for(alice)
    client.get(f"{CALLS}metrics/")
    with CaptureQueriesContext(connection) as queries:
        by_agent = client.get(f"{CALLS}metrics/?agent_id={api_ai_agent.pk}").json()
    assert sum("calls_call" in q["sql"] for q in queries.captured_queries) == 1
    assert (by_agent["total_calls"], by_agent["no_answer_calls"], by_agent["active_agents"]) == (2, 2, 1)
    by_day = client.get(f"{CALLS}metrics/?start_date=2024-01-14&end_date=2024-01-14").json()
    assert by_day["total_calls"] == 1


def test_metrics_of_nothing_are_zeros(api_client_for, alice):
    metrics = api_client_for(alice).get(f"{CALLS}metrics/").json()
    assert metrics["total_calls"] == 0 and metrics["pickup_rate"] == 0.0 and metrics["average_attempts_per_lead"] == 0


def test_spec_004_stats_summary(api_client_for, alice, mix, answered, api_campaign):
    resp = api_client_for(alice).get(f"{CALLS}stats/summary/?campaign_id={api_campaign.pk}")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["success"] is True
    assert body["stats"] == {
        "total_calls": 5, "answered_calls": 2, "voicemail_calls": 1, "no_answer_calls": 1, "busy_calls": 1,
        "failed_calls": 0, "abandoned_calls": 0, "live_calls": 0, "human_answered": 2, "machine_answered": 1,
        "avg_duration": 330.0, "avg_talk_time": 315.0, "total_cost": 0.08,
    }  # fmt: skip


def test_stats_filter_by_dates(api_client_for, alice, new_york_days, answered):
    client = api_client_for(alice)
    stats = client.get(f"{CALLS}stats/summary/?date_from=2024-01-15&date_to=2024-01-15").json()["stats"]
    assert stats["total_calls"] == 2  # the 15th in New York, and the answered call at 10:30 UTC
    assert client.get(f"{CALLS}stats/summary/?date_from=2030-01-01").json()["stats"]["total_calls"] == 0


def test_spec_004_breakdown_by_disposition(api_client_for, alice, mix, answered, api_campaign, sara, api_make_call):
    api_make_call(sara, outcome="answered", disposition="sale")
    client = api_client_for(alice)
    client.get(DISPOSITIONS)  # the standard set, with its labels
    body = client.get(f"{CALLS}stats/by-disposition/?campaign_id={api_campaign.pk}").json()
    assert body["success"] is True
    assert body["dispositions"] == [
        {"disposition": "sale", "label": "Sale", "count": 2},
        {"disposition": "answered", "label": "Answered", "count": 1},
        {"disposition": "busy", "label": "Busy", "count": 1},
        {"disposition": "no_answer", "label": "No answer", "count": 1},
        {"disposition": "voicemail_left", "label": "Voicemail message left", "count": 1},
    ]
    assert client.get(f"{CALLS}stats/by-disposition/?date_from=2030-01-01").json()["dispositions"] == []


def test_stats_are_the_callers_tenants_only(api_client_for, charlie, answered, api_globex_call):
    client = api_client_for(charlie)
    assert client.get(f"{CALLS}stats/summary/").json()["stats"]["total_calls"] == 1
    assert client.get(f"{CALLS}metrics/").json()["total_calls"] == 1
    assert client.get(f"{CALLS}stats/by-disposition/").json()["dispositions"][0]["count"] == 1


# Schedule now (spec 000) ---------------------------------------------------------------------------------
@pytest.fixture
def wednesday_noon():
    """The dialer's clock on a Wednesday at noon in New York (09:00 for the +1 415 leads)."""
    clock.travel_to(WEDNESDAY_NOON_NY)
    yield WEDNESDAY_NOON_NY
    clock.reset()


def test_spec_000_schedule_dials_the_lead_now(api_client_for, alice, sara, wednesday_noon, api_ai_agent,
                                              django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks() as placed:
        resp = api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json")
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["message"] == "Lead scheduled successfully"
    call = body["call"]
    assert call["lead_id"] == str(sara.pk) and call["status"] == "queued" and call["agent_id"] == str(api_ai_agent.pk)
    assert call["to_number"] == "+14155552671" and call["from_number"] == "+14155550100" and call["attempt"] == 1
    assert len(placed) == 1  # place_call, once the claim commits
    sara.refresh_from_db()
    assert sara.status == LeadStatus.QUEUED


def test_schedule_works_for_a_lead_with_only_an_ai_agent(api_client_for, alice, api_make_lead, api_ai_agent,
                                                         wednesday_noon):  # fmt: skip
    lead = api_make_lead(phone="+14155552680", agent=api_ai_agent, first_name="John")
    resp = api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(lead.pk)}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["call"]["campaign_id"] is None and resp.json()["call"]["agent_id"] == str(api_ai_agent.pk)


def test_schedule_works_with_no_calling_rule_at_all(api_client_for, alice, sara, wednesday_noon):
    ComplianceRule.objects.all().delete()  # only the dialer's own 08:00-21:00 window is left
    resp = api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json")
    assert resp.status_code == 200, resp.json()


def test_schedule_outside_the_leads_hours_says_when_it_may(api_client_for, alice, sara):
    clock.travel_to(dt.datetime(2026, 12, 2, 11, 0, tzinfo=UTC))  # 03:00 in Los Angeles
    body = assert_error(api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"),
                        409, "OUTSIDE_CALLING_WINDOW")  # fmt: skip
    assert body["next_allowed_at"] == "2026-12-02T16:00:00Z"  # 08:00 there
    assert "03:00" in body["detail"]
    assert not Call.objects.exists()


def test_schedule_refuses_a_do_not_call_lead(api_client_for, alice, sara, wednesday_noon):
    Lead.objects.filter(pk=sara.pk).update(do_not_call=True, status=LeadStatus.DNC)
    assert_error(api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"),
                 409, "LEAD_IS_DNC")  # fmt: skip


def test_schedule_refuses_a_lead_already_in_a_call(api_client_for, alice, sara, api_make_call, wednesday_noon):
    api_make_call(sara, status=CallStatus.RINGING)
    assert_error(api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"),
                 409, "LEAD_IN_CALL")  # fmt: skip


def test_schedule_refuses_when_every_line_is_busy(api_client_for, alice, sara, tom, api_make_call, api_campaign,
                                                 wednesday_noon):  # fmt: skip
    Campaign.objects.filter(pk=api_campaign.pk).update(max_concurrent_calls=1)
    api_make_call(tom, status=CallStatus.IN_PROGRESS)
    body = assert_error(api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"),
                        409, "NO_CAPACITY")  # fmt: skip
    assert body["limit"] == "lines"


def test_schedule_refuses_a_paused_campaigns_lead_and_a_stopped_platform(api_client_for, alice, sara, api_campaign,
                                                                        wednesday_noon):  # fmt: skip
    client = api_client_for(alice)
    DialerSwitch.objects.create(pk=1, dialing_enabled=False, reason="carrier outage")
    caches["local"].clear()  # each process keeps its reading of the switch a second
    assert_error(client.post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"), 409, "DIALING_STOPPED")
    DialerSwitch.objects.filter(pk=1).update(dialing_enabled=True)
    caches["local"].clear()
    Campaign.objects.filter(pk=api_campaign.pk).update(status=CampaignStatus.PAUSED)
    assert_error(client.post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"), 409,
                 "CAMPAIGN_NOT_ACTIVE")  # fmt: skip


def test_schedule_another_tenants_lead_is_a_404(api_client_for, charlie, sara, wednesday_noon):
    assert_error(api_client_for(charlie).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"),
                 404, "NOT_FOUND")  # fmt: skip
    assert not Call.objects.exists()


def test_schedule_a_deleted_lead_is_a_404(api_client_for, alice, sara, wednesday_noon):
    Lead.objects.filter(pk=sara.pk).update(deleted_at=timezone.now())
    assert_error(api_client_for(alice).post(f"{CALLS}schedule/", {"lead_id": str(sara.pk)}, format="json"),
                 404, "NOT_FOUND")  # fmt: skip


@pytest.mark.parametrize("body, loc", [
    ({}, ["body", "lead_id"]), ({"lead_id": "not-a-uuid"}, ["body", "lead_id"]),
    ({"lead_id": str(uuid.uuid4()), "when": "now"}, ["body", "when"]),
])  # fmt: skip
def test_schedule_with_a_bad_body_is_a_400(api_client_for, alice, body, loc):
    assert_error(api_client_for(alice).post(f"{CALLS}schedule/", body, format="json"), 400, "VALIDATION_ERROR", loc)


# Actions on a call ---------------------------------------------------------------------------------------
def test_hang_up_a_live_call(api_client_for, alice, sara, api_make_call):
    call = api_make_call(sara, status=CallStatus.IN_PROGRESS, call_sid="CA" + "0" * 32)
    resp = api_client_for(alice).post(url(call, "hangup/"))
    assert resp.status_code == 200, resp.json()
    assert resp.json()["message"] == "Hang-up requested" and resp.json()["call"]["id"] == str(call.pk)
    assert CallEvent.objects.filter(call=call, kind=EventKind.ACTION, note__startswith="hang up asked by").exists()


def test_hang_up_a_call_not_placed_yet_cancels_it(api_client_for, alice, sara, api_make_call):
    call = api_make_call(sara, status=CallStatus.QUEUED)
    resp = api_client_for(alice).post(url(call, "hangup/"))
    assert resp.status_code == 200, resp.json()
    assert resp.json()["call"]["status"] == "canceled"


def test_hang_up_a_finished_call_is_a_409(api_client_for, alice, answered):
    body = assert_error(api_client_for(alice).post(url(answered, "hangup/")), 409, "CALL_ENDED")
    assert body["status"] == "completed"


def test_an_agent_acts_on_their_own_calls_only(api_client_for, bob, sara, tom, api_make_call, api_bob_agent,
                                               api_dana_agent):  # fmt: skip
    mine = api_make_call(sara, status=CallStatus.IN_PROGRESS, agent=api_bob_agent)
    theirs = api_make_call(tom, status=CallStatus.IN_PROGRESS, agent=api_dana_agent)
    client = api_client_for(bob)
    assert client.post(url(mine, "hangup/")).status_code == 200
    assert_error(client.post(url(theirs, "hangup/")), 403, "OWN_CALLS_ONLY")
    assert_error(client.post(url(theirs, "disposition/"), {"disposition": "sale"}, format="json"), 403,
                 "OWN_CALLS_ONLY")  # fmt: skip


def test_operators_act_on_any_call_and_outsiders_on_none(api_client_for, maria, charlie, sara, api_make_call,
                                                         api_dana_agent):  # fmt: skip
    call = api_make_call(sara, status=CallStatus.IN_PROGRESS, agent=api_dana_agent)
    for suffix in ("hangup/", "accept/", "skip/"):
        assert_error(api_client_for(charlie).post(url(call, suffix)), 404, "NOT_FOUND")
    assert_error(api_client_for(charlie).post(url(call, "disposition/"), {"disposition": "x"}, format="json"), 404,
                 "NOT_FOUND")  # fmt: skip
    assert api_client_for(maria).post(url(call, "hangup/")).status_code == 200


def test_a_read_only_api_key_reads_calls_but_does_not_act(api_client, acme, api_key_for, answered):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, ApiKeyScope.READ))
    assert ids(api_client.get(CALLS)) == {str(answered.pk)}
    assert_error(api_client.post(url(answered, "hangup/")), 403, "API_KEY_READ_ONLY")


@pytest.fixture
def finished(sara, api_make_call, api_ai_agent):
    """An answered call whose result the lead has already taken (finalized)."""
    start = timezone.now() - dt.timedelta(minutes=5)
    call = api_make_call(sara, agent=api_ai_agent, answered_by="human", initiated_at=start, answered_at=start,
                         ended_at=start + dt.timedelta(minutes=2), duration=120)  # fmt: skip
    assert outcomes.finalize(call)
    return call


def test_set_a_disposition_decides_the_leads_next_step(api_client_for, alice, finished, sara):
    resp = api_client_for(alice).post(url(finished, "disposition/"), {"disposition": "sale", "notes": "Signed up"},
                                      format="json")  # fmt: skip
    assert resp.status_code == 200, resp.json()
    assert resp.json()["call"]["disposition"] == "sale" and resp.json()["call"]["notes"] == "Signed up"
    sara.refresh_from_db()
    assert sara.stage == LeadStage.CONVERTED and sara.status == LeadStatus.DONE


def test_a_callback_disposition_needs_and_keeps_its_time(api_client_for, alice, finished, sara):
    client = api_client_for(alice)
    body = {"disposition": "callback_requested"}
    assert_error(client.post(url(finished, "disposition/"), body, format="json"), 400, "CALLBACK_TIME_REQUIRED")
    resp = client.post(url(finished, "disposition/"), {**body, "callback_at": "2030-01-02T15:00:00Z"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["call"]["callback_at"] == "2030-01-02T15:00:00Z"
    sara.refresh_from_db()
    assert sara.status == LeadStatus.SCHEDULED and sara.next_call_at == dt.datetime(2030, 1, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize("body, code, loc", [
    ({"disposition": "teleported"}, "UNKNOWN_DISPOSITION", None),
    ({}, "VALIDATION_ERROR", ["body", "disposition"]),
    ({"disposition": "sale", "callback_at": "tomorrow"}, "VALIDATION_ERROR", ["body", "callback_at"]),
    ({"disposition": "sale", "mood": "happy"}, "VALIDATION_ERROR", ["body", "mood"]),
])  # fmt: skip
def test_a_bad_disposition_body_is_a_400(api_client_for, alice, finished, body, code, loc):
    assert_error(api_client_for(alice).post(url(finished, "disposition/"), body, format="json"), 400, code, loc)


@pytest.fixture
def preview(sara, api_make_call, api_bob_agent):
    """A preview call waiting for bob to accept or skip it."""
    return api_make_call(sara, status=CallStatus.QUEUED, agent=api_bob_agent, metadata={"preview": True},
                         pacing_mode="preview")  # fmt: skip


def test_the_agent_accepts_a_preview(api_client_for, bob, preview, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as placed:
        resp = api_client_for(bob).post(url(preview, "accept/"))
    assert resp.status_code == 200, resp.json()
    assert resp.json()["message"] == "Preview accepted: dialing" and len(placed) == 1


def test_the_agent_skips_a_preview(api_client_for, bob, preview, sara):
    resp = api_client_for(bob).post(url(preview, "skip/"))
    assert resp.status_code == 200, resp.json()
    assert resp.json()["call"]["status"] == "canceled"
    sara.refresh_from_db()
    assert sara.attempts_count == 0


def test_accept_or_skip_what_is_not_a_preview_is_a_409(api_client_for, alice, answered):
    for suffix in ("accept/", "skip/"):
        assert_error(api_client_for(alice).post(url(answered, suffix)), 409, "NOT_A_PREVIEW")


# Dispositions ---------------------------------------------------------------------------------------------
def test_the_dispositions_start_with_the_standard_set(api_client_for, bob, acme):
    resp = api_client_for(bob).get(f"{DISPOSITIONS}?per_page=100")
    assert resp.status_code == 200, resp.json()
    rows = {row["code"]: row for row in resp.json()["dispositions"]}
    assert {"answered", "sale", "callback_requested", "no_answer", "voicemail", "do_not_call"} <= set(rows)
    assert rows["answered"]["is_system"] is True and rows["sale"]["is_system"] is False
    assert rows["sale"]["sale"] is True and rows["callback_requested"]["callback"] is True
    assert resp.json()["total"] == CallDisposition.objects.filter(tenant=acme).count() == 15


def test_a_manager_adds_and_changes_a_disposition(api_client_for, maria, acme):
    client = api_client_for(maria)
    resp = client.post(DISPOSITIONS, {"code": "demo_booked", "label": "Demo booked", "contact": True,
                                      "completed": True, "sort_order": 35}, format="json")  # fmt: skip
    assert resp.status_code == 201, resp.json()
    created = resp.json()
    assert created["is_system"] is False and created["tenant_id"] == str(acme.pk) and created["contact"] is True
    resp = client.patch(f"{DISPOSITIONS}{created['id']}/", {**created, "label": "Demo booked!", "code": "demo"},
                        format="json")  # fmt: skip
    assert resp.status_code == 200, resp.json()
    assert resp.json()["label"] == "Demo booked!" and resp.json()["code"] == "demo"
    assert client.delete(f"{DISPOSITIONS}{created['id']}/").status_code == 204
    assert not CallDisposition.objects.filter(pk=created["id"]).exists()


def test_system_dispositions_keep_their_code_stay_active_and_stay(api_client_for, alice, acme):
    client = api_client_for(alice)
    client.get(DISPOSITIONS)
    no_answer = CallDisposition.objects.get(tenant=acme, code="no_answer")
    path = f"{DISPOSITIONS}{no_answer.pk}/"
    assert_error(client.patch(path, {"code": "unanswered"}, format="json"), 409, "SYSTEM_DISPOSITION")
    assert_error(client.patch(path, {"is_active": False}, format="json"), 409, "SYSTEM_DISPOSITION")
    assert_error(client.delete(path), 409, "SYSTEM_DISPOSITION")
    resp = client.patch(path, {"label": "Nobody picked up", "retry": False}, format="json")
    assert resp.status_code == 200 and resp.json()["label"] == "Nobody picked up" and resp.json()["retry"] is False


def test_a_disposition_in_use_is_not_deleted_or_renamed(api_client_for, alice, acme, sara, api_make_call):
    client = api_client_for(alice)
    created = client.post(DISPOSITIONS, {"code": "demo_booked", "label": "Demo"}, format="json").json()
    api_make_call(sara, outcome="answered", disposition="demo_booked")
    assert assert_error(client.delete(f"{DISPOSITIONS}{created['id']}/"), 409, "DISPOSITION_IN_USE")["calls"] == 1
    assert_error(client.patch(f"{DISPOSITIONS}{created['id']}/", {"code": "demo"}, format="json"), 409,
                 "DISPOSITION_IN_USE")  # fmt: skip
    assert client.patch(f"{DISPOSITIONS}{created['id']}/", {"is_active": False}, format="json").status_code == 200


def test_a_taken_code_is_a_409(api_client_for, alice):
    client = api_client_for(alice)
    assert_error(client.post(DISPOSITIONS, {"code": "sale", "label": "Sale again"}, format="json"), 409,
                 "DUPLICATE_DISPOSITION")  # fmt: skip
    mine = client.post(DISPOSITIONS, {"code": "demo", "label": "Demo"}, format="json").json()
    assert_error(client.patch(f"{DISPOSITIONS}{mine['id']}/", {"code": "sale"}, format="json"), 409,
                 "DUPLICATE_DISPOSITION")  # fmt: skip


@pytest.mark.parametrize("body, loc", [
    ({"label": "No code"}, ["body", "code"]), ({"code": "has space", "label": "x"}, ["body", "code"]),
    ({"code": "x" * 33, "label": "x"}, ["body", "code"]), ({"code": "ok", "label": "x", "sale": "maybe"},
                                                           ["body", "sale"]),
    ({"code": "ok", "label": "x", "colour": "red"}, ["body", "colour"]),
])  # fmt: skip
def test_a_bad_disposition_is_a_400(api_client_for, alice, body, loc):
    assert_error(api_client_for(alice).post(DISPOSITIONS, body, format="json"), 400, "VALIDATION_ERROR", loc)


def test_agents_read_dispositions_but_do_not_change_them(api_client_for, bob, acme):
    client = api_client_for(bob)
    assert client.get(DISPOSITIONS).status_code == 200
    sale = CallDisposition.objects.get(tenant=acme, code="sale")
    assert_error(client.post(DISPOSITIONS, {"code": "x", "label": "x"}, format="json"), 403, "ROLE_FORBIDDEN")
    assert_error(client.patch(f"{DISPOSITIONS}{sale.pk}/", {"label": "x"}, format="json"), 403, "ROLE_FORBIDDEN")


def test_another_tenants_disposition_is_a_404(api_client_for, alice, charlie, globex):
    api_client_for(charlie).get(DISPOSITIONS)
    theirs = CallDisposition.objects.get(tenant=globex, code="sale")
    client = api_client_for(alice)
    assert_error(client.get(f"{DISPOSITIONS}{theirs.pk}/"), 404, "NOT_FOUND")
    assert_error(client.patch(f"{DISPOSITIONS}{theirs.pk}/", {"label": "Mine"}, format="json"), 404, "NOT_FOUND")
    assert_error(client.delete(f"{DISPOSITIONS}{theirs.pk}/"), 404, "NOT_FOUND")
    assert str(theirs.pk) not in ids(client.get(f"{DISPOSITIONS}?per_page=100"), "dispositions")


def test_dispositions_filter_by_active_and_system(api_client_for, alice, acme):
    client = api_client_for(alice)
    client.post(DISPOSITIONS, {"code": "old", "label": "Old", "is_active": False}, format="json")
    assert [r["code"] for r in client.get(f"{DISPOSITIONS}?is_active=false").json()["dispositions"]] == ["old"]
    system = client.get(f"{DISPOSITIONS}?is_system=true&per_page=100").json()["dispositions"]
    assert system and all(r["is_system"] for r in system)
    assert_error(client.get(f"{DISPOSITIONS}?is_active=perhaps"), 400, "VALIDATION_ERROR", ["query", "is_active"])


# Compliance rules ----------------------------------------------------------------------------------------
@pytest.fixture
def platform_rule(db):
    return ComplianceRule.objects.create(tenant=None, country="US", subdivision="ZZ", start_local=dt.time(9),
                                         end_local=dt.time(20), source="A platform rule")  # fmt: skip


def test_rules_list_the_platforms_and_the_tenants_own(api_client_for, alice, acme, globex, platform_rule):
    mine = ComplianceRule.objects.create(tenant=acme, country="US", subdivision="NY", max_calls_per_24h=2)
    theirs = ComplianceRule.objects.create(tenant=globex, country="US", subdivision="NY", no_calls=True)
    rows = {row["id"]: row for row in api_client_for(alice).get(f"{RULES}?per_page=100").json()["compliance_rules"]}
    assert rows[platform_rule.pk]["scope"] == "platform" and rows[platform_rule.pk]["tenant_id"] is None
    assert rows[platform_rule.pk]["start_local"] == "09:00" and rows[platform_rule.pk]["end_local"] == "20:00"
    assert rows[mine.pk]["scope"] == "tenant" and rows[mine.pk]["max_calls_per_24h"] == 2
    assert theirs.pk not in rows
    assert_error(api_client_for(alice).get(f"{RULES}{theirs.pk}/"), 404, "NOT_FOUND")
    assert_error(api_client_for(alice).patch(f"{RULES}{theirs.pk}/", {"no_calls": False}, format="json"), 404,
                 "NOT_FOUND")  # fmt: skip
    assert_error(api_client_for(alice).delete(f"{RULES}{theirs.pk}/"), 404, "NOT_FOUND")


def test_rules_filter_by_scope_country_and_subdivision(api_client_for, alice, acme, platform_rule):
    mine = ComplianceRule.objects.create(tenant=acme, country="CA", subdivision="ON", no_calls=True, weekday=6)
    client = api_client_for(alice)
    assert ids(client.get(f"{RULES}?scope=tenant"), "compliance_rules") == {mine.pk}
    assert mine.pk not in ids(client.get(f"{RULES}?scope=platform&per_page=100"), "compliance_rules")
    assert ids(client.get(f"{RULES}?country=ca"), "compliance_rules") == {mine.pk}
    assert ids(client.get(f"{RULES}?subdivision=zz"), "compliance_rules") == {platform_rule.pk}
    assert_error(client.get(f"{RULES}?scope=everyone"), 400, "VALIDATION_ERROR", ["query", "scope"])


def test_a_manager_adds_changes_and_removes_a_rule(api_client_for, maria, acme):
    client = api_client_for(maria)
    resp = client.post(RULES, {"country": "us", "subdivision": "ny", "weekday": "Sunday", "start_local": "12:00",
                               "end_local": "18:00", "source": "House rule"}, format="json")  # fmt: skip
    assert resp.status_code == 201, resp.json()
    rule = resp.json()
    assert (rule["country"], rule["subdivision"], rule["weekday"], rule["weekday_name"]) == ("US", "NY", 6, "sunday")
    assert rule["scope"] == "tenant" and rule["tenant_id"] == str(acme.pk)
    resp = client.patch(f"{RULES}{rule['id']}/", {**rule, "end_local": "17:30"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["end_local"] == "17:30"
    assert_error(client.patch(f"{RULES}{rule['id']}/", {"start_local": "18:00"}, format="json"), 400,
                 "VALIDATION_ERROR", ["body", "end_local"])  # fmt: skip
    assert client.delete(f"{RULES}{rule['id']}/").status_code == 204
    assert not ComplianceRule.objects.filter(pk=rule["id"]).exists()


def test_platform_rules_are_read_only(api_client_for, alice, platform_rule):
    client = api_client_for(alice)
    assert client.get(f"{RULES}{platform_rule.pk}/").json()["scope"] == "platform"
    assert_error(client.patch(f"{RULES}{platform_rule.pk}/", {"end_local": "21:00"}, format="json"), 409,
                 "PLATFORM_RULE")  # fmt: skip
    assert_error(client.delete(f"{RULES}{platform_rule.pk}/"), 409, "PLATFORM_RULE")
    assert ComplianceRule.objects.get(pk=platform_rule.pk).end_local == dt.time(20)


@pytest.mark.parametrize("body, loc", [
    ({}, ["body", "country"]), ({"country": "XX"}, ["body", "country"]), ({"country": "USA"}, ["body", "country"]),
    ({"country": "US", "subdivision": "ABCD"}, ["body", "subdivision"]),
    ({"country": "US", "subdivision": "F-L"}, ["body", "subdivision"]),
    ({"country": "US", "weekday": 7}, ["body", "weekday"]), ({"country": "US", "weekday": "someday"}, ["body", "weekday"]),
    ({"country": "US", "start_local": "20:00", "end_local": "09:00"}, ["body", "end_local"]),
    ({"country": "US", "start_local": "25:00"}, ["body", "start_local"]),
    ({"country": "US", "max_calls_per_24h": 0}, ["body", "max_calls_per_24h"]),
    ({"country": "US", "tenant_id": str(uuid.uuid4()), "law": "x"}, ["body", "law"]),
])  # fmt: skip
def test_a_bad_rule_is_a_400(api_client_for, alice, body, loc):
    assert_error(api_client_for(alice).post(RULES, body, format="json"), 400, "VALIDATION_ERROR", loc)
    assert not ComplianceRule.objects.filter(tenant__isnull=False).exists()


def test_agents_read_rules_but_do_not_write_them(api_client_for, bob, platform_rule):
    client = api_client_for(bob)
    assert platform_rule.pk in ids(client.get(f"{RULES}?per_page=100"), "compliance_rules")
    assert_error(client.post(RULES, {"country": "US"}, format="json"), 403, "ROLE_FORBIDDEN")


def test_a_tenants_rule_applies_to_its_calls_only(api_client_for, alice, acme, globex):
    from apps.calls.compliance import RuleBook

    api_client_for(alice).post(RULES, {"country": "US", "no_calls": True, "weekday": 2}, format="json")
    assert RuleBook.for_tenant(acme.pk).window("US", "", 2) is None
    assert RuleBook.for_tenant(globex.pk).window("US", "", 2) is not None


# Dialer status --------------------------------------------------------------------------------------------
def test_the_dialer_status_says_why_each_queue_dials_or_not(api_client_for, bob, acme, globex, api_campaign,
                                                           api_ai_agent):  # fmt: skip
    checked = timezone.now()
    DialerStatus.objects.create(tenant=acme, campaign=api_campaign, dialing=False, reason="outside_window",
                                message="Not dialing: outside calling hours.", due_leads=12, capacity=5,
                                next_opening=dt.datetime(2030, 1, 1, 14, tzinfo=UTC), checked_at=checked,
                                details={"capacity": {"lines": 5}})  # fmt: skip
    DialerStatus.objects.create(tenant=acme, agent=api_ai_agent, dialing=True, claimed=2, in_flight=2, calls_today=9)
    DialerStatus.objects.create(tenant=globex, campaign=Campaign.objects.create(tenant=globex, name="Theirs"))
    resp = api_client_for(bob).get(DIALER)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["dialing_enabled"] is True and body["reason"] is None and body["total"] == 2
    by_queue = {row["queue"]: row for row in body["queues"]}
    campaign = by_queue["campaign"]
    assert campaign["campaign_id"] == str(api_campaign.pk) and campaign["campaign_name"] == "Spring Outreach"
    assert (campaign["dialing"], campaign["reason"], campaign["due_leads"], campaign["capacity"]) == (
        False, "outside_window", 12, 5)  # fmt: skip
    assert campaign["next_opening"] == "2030-01-01T14:00:00Z" and campaign["details"] == {"capacity": {"lines": 5}}
    agent = by_queue["agent"]
    assert agent["agent_name"] == "Ava Voice" and agent["dialing"] is True and agent["calls_today"] == 9
    filtered = api_client_for(bob).get(f"{DIALER}?campaign_id={api_campaign.pk}").json()
    assert [row["queue"] for row in filtered["queues"]] == ["campaign"]


def test_the_switch_and_a_paused_campaign_override_the_last_tick(api_client_for, alice, acme, api_campaign):
    DialerStatus.objects.create(tenant=acme, campaign=api_campaign, dialing=True, claimed=3)
    DialerSwitch.objects.create(pk=1, dialing_enabled=False, reason="carrier outage")
    body = api_client_for(alice).get(DIALER).json()
    assert body["dialing_enabled"] is False and body["reason"] == "carrier outage"
    assert (body["queues"][0]["dialing"], body["queues"][0]["reason"]) == (False, "dialing_stopped")
    DialerSwitch.objects.filter(pk=1).update(dialing_enabled=True)
    Campaign.objects.filter(pk=api_campaign.pk).update(status=CampaignStatus.PAUSED)
    [queue] = api_client_for(alice).get(DIALER).json()["queues"]
    assert (queue["dialing"], queue["reason"], queue["campaign_status"]) == (False, "campaign_not_active", "paused")


def test_the_dialer_status_rejects_a_bad_filter(api_client_for, alice):
    assert_error(api_client_for(alice).get(f"{DIALER}?campaign_id=nope"), 400, "VALIDATION_ERROR",
                 ["query", "campaign_id"])  # fmt: skip


def test_the_schema_documents_the_404s_and_409s(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "404" in paths["/api/v1/calls/{id}/"]["get"]["responses"]
    assert "another tenant" in paths["/api/v1/calls/{id}/"]["get"]["responses"]["404"]["description"]
    assert {"404", "409"} <= set(paths["/api/v1/calls/schedule/"]["post"]["responses"])
    assert "OUTSIDE_CALLING_WINDOW" in paths["/api/v1/calls/schedule/"]["post"]["responses"]["409"]["description"]
    assert "409" in paths["/api/v1/calls/compliance-rules/{id}/"]["patch"]["responses"]
