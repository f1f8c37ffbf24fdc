"""The agents API: CRUD, filters, presence and its role rule, tenancy, statistics, bad input."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.agents.models import Agent, AgentKind, Presence
from apps.tenants.choices import ApiKeyScope

AGENTS = "/api/v1/agents/"


def url(agent, suffix: str = "") -> str:
    return f"{AGENTS}{agent.pk}/{suffix}"


def names(resp) -> list[str]:
    assert resp.status_code == 200, resp.json()
    return [row["name"] for row in resp.json()["agents"]]


def assert_error(resp, status: int, code: str, loc: list | None = None):
    assert resp.status_code == status, resp.json()
    body = resp.json()
    assert body["code"] == code, body
    assert body["request_id"]
    if loc is not None:
        assert loc in [e["loc"] for e in body["errors"]], body["errors"]
    return body


# Create ------------------------------------------------------------------------------------------------
def test_spec_004_create_makes_a_human_agent(api_client_for, maria, acme, sales):
    body = {"name": "John Doe", "phone": "+14155553333", "email": "john@example.com",
            "agent_group_id": str(sales.id), "max_concurrent_calls": 2,
            "working_hours": {"monday": {"start": "09:00", "end": "17:00"}}}  # fmt: skip
    resp = api_client_for(maria).post(AGENTS, body, format="json")
    assert resp.status_code == 201, resp.json()
    agent = resp.json()
    for key in ("id", "tenant_id", "user_id", "name", "phone", "email", "agent_group_id", "status",
                "max_concurrent_calls", "current_calls", "total_calls_handled", "total_call_duration_seconds",
                "working_hours", "is_active", "created_at", "last_active_at", "status_changed_at", "timezone",
                "voice_id", "language", "voice_gender", "system_prompt", "default_script", "max_attempts",
                "retry_delay_minutes"):  # fmt: skip
        assert key in agent, key
    assert agent["kind"] == "human" and agent["status"] == "offline"
    assert agent["agent_group_id"] == str(sales.id) and agent["tenant_id"] == str(acme.id)
    assert agent["working_hours"] == {"monday": [{"start": "09:00", "end": "17:00"}]}
    assert agent["timezone"] == acme.default_timezone
    assert agent["total_call_duration_seconds"] == 0 and agent["current_calls"] == 0


def test_an_ai_agent_carries_its_voice_and_retry_policy(api_client_for, alice):
    body = {"name": "Ava", "kind": "ai", "voice_id": "alloy", "language": "en-GB", "system_prompt": "Be kind.",
            "default_script": "Hi {first_name}", "max_attempts": 5, "retry_delay_minutes": 30,
            "timezone": "Europe/London"}  # fmt: skip
    resp = api_client_for(alice).post(AGENTS, body, format="json")
    assert resp.status_code == 201, resp.json()
    ava = Agent.objects.get(pk=resp.json()["id"])
    assert (ava.kind, ava.voice_id, ava.max_attempts, ava.retry_delay_minutes, ava.timezone) == (
        "ai",
        "alloy",
        5,
        30,
        "Europe/London",
    )


def test_a_human_agent_may_be_linked_to_a_user_of_the_tenant(api_client_for, alice, bob):
    resp = api_client_for(alice).post(AGENTS, {"name": "Bob", "user_id": str(bob.id)}, format="json")
    assert resp.status_code == 201
    assert resp.json()["user_id"] == str(bob.id)
    again = api_client_for(alice).post(AGENTS, {"name": "Bob again", "user_id": str(bob.id)}, format="json")
    assert_error(again, 409, "USER_ALREADY_AGENT")


def test_an_ai_agent_has_no_user_and_no_group(api_client_for, alice, bob, sales):
    client = api_client_for(alice)
    with_user = client.post(AGENTS, {"name": "Ava", "kind": "ai", "user_id": str(bob.id)}, format="json")
    assert_error(with_user, 400, "VALIDATION_ERROR", ["body", "user_id"])
    with_group = client.post(AGENTS, {"name": "Ava", "kind": "ai", "agent_group_id": str(sales.id)}, format="json")
    assert_error(with_group, 400, "VALIDATION_ERROR", ["body", "agent_group_id"])
    assert not Agent.objects.exists()


# Tenancy -------------------------------------------------------------------------------------------------
def test_another_tenants_group_or_user_is_404_and_nothing_is_written(api_client_for, alice, globex_group, charlie):
    client = api_client_for(alice)
    group = client.post(AGENTS, {"name": "X", "agent_group_id": str(globex_group.id)}, format="json")
    assert_error(group, 404, "NOT_FOUND")
    assert group.json()["detail"] == "Agent group not found."
    user = client.post(AGENTS, {"name": "X", "user_id": str(charlie.id)}, format="json")
    assert_error(user, 404, "NOT_FOUND")
    made_up = client.post(AGENTS, {"name": "X", "user_id": str(uuid.uuid4())}, format="json")
    assert made_up.json() == {**user.json(), "request_id": made_up.json()["request_id"]}
    assert not Agent.objects.filter(name="X").exists()


def test_another_tenants_group_cannot_be_put_on_an_agent_by_update(api_client_for, alice, dana_agent, globex_group):
    resp = api_client_for(alice).patch(url(dana_agent), {"agent_group_id": str(globex_group.id)}, format="json")
    assert_error(resp, 404, "NOT_FOUND")
    dana_agent.refresh_from_db()
    assert dana_agent.group.tenant_id == dana_agent.tenant_id


def test_another_tenants_agent_is_404_everywhere(api_client_for, charlie, bob_agent):
    client = api_client_for(charlie)
    assert_error(client.get(url(bob_agent)), 404, "NOT_FOUND")
    assert_error(client.patch(url(bob_agent), {"name": "Hacked"}, format="json"), 404, "NOT_FOUND")
    assert_error(client.delete(url(bob_agent)), 404, "NOT_FOUND")
    assert_error(client.put(url(bob_agent, "status/"), {"status": "break"}, format="json"), 404, "NOT_FOUND")
    assert_error(client.get(url(bob_agent, "stats/")), 404, "NOT_FOUND")
    assert bob_agent.name not in names(client.get(AGENTS))
    bob_agent.refresh_from_db()
    assert (bob_agent.name, bob_agent.status, bob_agent.is_active) == ("Bob Jones", "offline", True)


# Read, update, delete -----------------------------------------------------------------------------------
def test_every_member_reads_agents(api_client_for, bob, bob_agent, dana_agent, ava):
    resp = api_client_for(bob).get(AGENTS)
    assert names(resp) == ["Ava", "Bob Jones", "Dana Smith"]
    assert {k: resp.json()[k] for k in ("total", "page", "per_page", "total_pages")} == {
        "total": 3, "page": 1, "per_page": 10, "total_pages": 1}  # fmt: skip
    assert api_client_for(bob).get(url(dana_agent)).json()["name"] == "Dana Smith"


def test_the_list_costs_the_same_queries_for_few_or_many_agents(api_client_for, alice, acme, sales):
    client = api_client_for(alice)
    Agent.objects.create(tenant=acme, name="One", kind=AgentKind.HUMAN, group=sales)
    client.get(AGENTS)  # the first request also loads the caller (then cached)
    with CaptureQueriesContext(connection) as few:
        client.get(AGENTS)
    Agent.objects.bulk_create([Agent(tenant=acme, name=f"A{i}", kind=AgentKind.HUMAN, group=sales) for i in range(9)])
    with CaptureQueriesContext(connection) as many:
        client.get(AGENTS)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_put_and_patch_change_only_what_is_given(api_client_for, maria, dana_agent, support):
    client = api_client_for(maria)
    resp = client.put(url(dana_agent), {"name": "Dana S.", "max_concurrent_calls": 3}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["name"] == "Dana S." and resp.json()["max_concurrent_calls"] == 3
    assert resp.json()["agent_group_id"] == str(support.id) and resp.json()["email"] == "dana@acme.test"
    patched = client.patch(url(dana_agent), {"agent_group_id": None, "working_hours": {
        "Friday": [{"start": "13:00", "end": "17:00"}, {"start": "08:00", "end": "12:00"}]}}, format="json")  # fmt: skip
    assert patched.json()["agent_group_id"] is None
    assert patched.json()["working_hours"] == {
        "friday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    }


def test_a_get_representation_may_be_sent_back(api_client_for, alice, bob_agent):
    client = api_client_for(alice)
    current = client.get(url(bob_agent)).json()
    resp = client.put(url(bob_agent), {**current, "name": "Robert"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["name"] == "Robert"


def test_presence_is_not_written_through_update(api_client_for, alice, bob_agent):
    resp = api_client_for(alice).patch(url(bob_agent), {"status": "available"}, format="json")
    assert_error(resp, 400, "VALIDATION_ERROR", ["body", "status"])


def test_turning_a_human_into_an_ai_agent_requires_dropping_the_user_and_group(api_client_for, alice, bob_agent):
    client = api_client_for(alice)
    assert_error(client.patch(url(bob_agent), {"kind": "ai"}, format="json"), 400, "VALIDATION_ERROR",
                 ["body", "user_id"])  # fmt: skip
    resp = client.patch(url(bob_agent), {"kind": "ai", "user_id": None, "agent_group_id": None}, format="json")
    assert resp.status_code == 200, resp.json()
    assert (resp.json()["kind"], resp.json()["user_id"], resp.json()["agent_group_id"]) == ("ai", None, None)


def test_delete_deactivates_and_the_agent_can_come_back(api_client_for, alice, bob_agent):
    client = api_client_for(alice)
    Agent.objects.filter(pk=bob_agent.pk).update(status=Presence.AVAILABLE)
    assert client.delete(url(bob_agent)).status_code == 204
    bob_agent.refresh_from_db()
    assert (bob_agent.is_active, bob_agent.status) == (False, "offline")
    assert bob_agent.status_changed_at is not None
    assert client.get(url(bob_agent)).json()["is_active"] is False
    assert client.patch(url(bob_agent), {"is_active": True}, format="json").json()["is_active"] is True


def test_only_operators_write(api_client_for, bob, dana_agent, sales):
    client = api_client_for(bob)
    assert_error(client.post(AGENTS, {"name": "Me"}, format="json"), 403, "ROLE_FORBIDDEN")
    assert_error(client.patch(url(dana_agent), {"name": "X"}, format="json"), 403, "ROLE_FORBIDDEN")
    assert_error(client.delete(url(dana_agent)), 403, "ROLE_FORBIDDEN")
    assert_error(client.post("/api/v1/agent-groups/", {"name": "Mine"}, format="json"), 403, "ROLE_FORBIDDEN")
    assert_error(client.delete(f"/api/v1/agent-groups/{sales.pk}/"), 403, "ROLE_FORBIDDEN")


def test_a_read_only_api_key_reads_but_does_not_write(api_client, acme, api_key_for, dana_agent):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, ApiKeyScope.READ))
    assert names(api_client.get(AGENTS)) == ["Dana Smith"]
    assert_error(api_client.put(url(dana_agent, "status/"), {"status": "busy"}, format="json"), 403,
                 "API_KEY_READ_ONLY")  # fmt: skip


# Filters ---------------------------------------------------------------------------------------------------
@pytest.fixture
def roster(acme, bob_agent, dana_agent, ava):
    Agent.objects.filter(pk=bob_agent.pk).update(status=Presence.AVAILABLE)
    Agent.objects.filter(pk=dana_agent.pk).update(status=Presence.BREAK, is_active=False)


@pytest.mark.parametrize("query, expected", [
    ("status=available", ["Bob Jones"]),
    ("status=break&status=available", ["Bob Jones", "Dana Smith"]),
    ("status=offline", ["Ava"]),
    ("kind=ai", ["Ava"]),
    ("kind=human", ["Bob Jones", "Dana Smith"]),
    ("is_active=false", ["Dana Smith"]),
    ("is_active=true", ["Ava", "Bob Jones"]),
    ("agent_group=sales", ["Bob Jones"]),
    ("search=smith", ["Dana Smith"]),
    ("search=bob@acme", ["Bob Jones"]),
    ("q=AV", ["Ava"]),
    ("ordering=-name", ["Dana Smith", "Bob Jones", "Ava"]),
])  # fmt: skip
def test_each_filter(api_client_for, alice, roster, query, expected):
    assert names(api_client_for(alice).get(f"{AGENTS}?{query}")) == expected


def test_the_group_and_user_id_filters(api_client_for, alice, roster, sales, support, bob):
    client = api_client_for(alice)
    assert names(client.get(f"{AGENTS}?agent_group_id={sales.id}")) == ["Bob Jones"]
    assert names(client.get(f"{AGENTS}?agent_group_id={support.id}&status=break")) == ["Dana Smith"]
    assert names(client.get(f"{AGENTS}?user_id={bob.id}")) == ["Bob Jones"]


@pytest.mark.parametrize("query, name", [("status=lunch", "status"), ("kind=robot", "kind"),
                                         ("agent_group_id=nope", "agent_group_id"), ("is_active=maybe", "is_active"),
                                         ("per_page=0", "per_page")])  # fmt: skip
def test_a_bad_filter_is_400_pointing_at_the_query(api_client_for, alice, query, name):
    assert_error(api_client_for(alice).get(f"{AGENTS}?{query}"), 400, "VALIDATION_ERROR", ["query", name])


# Presence -------------------------------------------------------------------------------------------------
def test_bob_sets_his_own_presence(api_client_for, bob, bob_agent):
    resp = api_client_for(bob).put(url(bob_agent, "status/"), {"status": "available"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "available"
    bob_agent.refresh_from_db()
    assert bob_agent.status == "available"
    assert bob_agent.status_changed_at is not None and bob_agent.last_active_at == bob_agent.status_changed_at


def test_bob_may_not_set_a_colleagues_presence(api_client_for, bob, bob_agent, dana_agent):
    resp = api_client_for(bob).put(url(dana_agent, "status/"), {"status": "available"}, format="json")
    assert_error(resp, 403, "OWN_PRESENCE_ONLY")
    dana_agent.refresh_from_db()
    assert dana_agent.status == "offline"


def test_bob_without_a_profile_is_refused_too(api_client_for, bob, dana_agent):
    assert_error(api_client_for(bob).put(url(dana_agent, "status/"), {"status": "busy"}, format="json"), 403,
                 "OWN_PRESENCE_ONLY")  # fmt: skip


def test_maria_sets_anyones_presence_with_put_patch_or_post(api_client_for, maria, bob_agent, dana_agent):
    client = api_client_for(maria)
    assert client.put(url(bob_agent, "status/"), {"status": "break"}, format="json").json()["status"] == "break"
    assert client.patch(url(dana_agent, "status/"), {"status": "busy"}, format="json").json()["status"] == "busy"
    assert client.post(url(dana_agent, "status/"), {"status": "offline"}, format="json").json()["status"] == "offline"


def test_an_invalid_presence_is_400(api_client_for, bob, bob_agent):
    client = api_client_for(bob)
    for body in ({"status": "lunch"}, {}, {"status": None}):
        assert_error(client.put(url(bob_agent, "status/"), body, format="json"), 400, "VALIDATION_ERROR",
                     ["body", "status"])  # fmt: skip


def test_the_same_presence_again_keeps_when_it_changed(api_client_for, bob, bob_agent):
    client = api_client_for(bob)
    first = client.put(url(bob_agent, "status/"), {"status": "available"}, format="json").json()
    second = client.put(url(bob_agent, "status/"), {"status": "available"}, format="json").json()
    assert second["status_changed_at"] == first["status_changed_at"]
    assert second["last_active_at"] > first["last_active_at"]


def test_ai_agents_and_deactivated_agents_refuse_presence(api_client_for, maria, ava, dana_agent):
    client = api_client_for(maria)
    assert_error(client.put(url(ava, "status/"), {"status": "available"}, format="json"), 409, "NOT_A_HUMAN_AGENT")
    client.delete(url(dana_agent))
    assert_error(client.put(url(dana_agent, "status/"), {"status": "available"}, format="json"), 409,
                 "AGENT_INACTIVE")  # fmt: skip
    assert client.put(url(dana_agent, "status/"), {"status": "offline"}, format="json").status_code == 200


# Bad input -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "X", "kind": "robot"}, "kind"),
    ({"name": "X", "phone": "415-555-3333"}, "phone"),
    ({"name": "X", "phone": "+1415555"}, "phone"),
    ({"name": "X", "email": "not-an-email"}, "email"),
    ({"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
    ({"name": "X", "max_concurrent_calls": 0}, "max_concurrent_calls"),
    ({"name": "X", "max_concurrent_calls": "two"}, "max_concurrent_calls"),
    ({"name": "X", "kind": "ai", "max_attempts": 0}, "max_attempts"),
    ({"name": "X", "kind": "ai", "max_attempts": 51}, "max_attempts"),
    ({"name": "X", "kind": "ai", "retry_delay_minutes": 0}, "retry_delay_minutes"),
    ({"name": "X", "agent_group_id": "not-a-uuid"}, "agent_group_id"),
    ({"name": "X", "is_active": "perhaps"}, "is_active"),
    ({"name": "X", "colour": "blue"}, "colour"),
    ({"name": "X" * 101}, "name"),
])  # fmt: skip
def test_bad_input_is_400_naming_the_field(api_client_for, alice, body, field):
    assert_error(api_client_for(alice).post(AGENTS, body, format="json"), 400, "VALIDATION_ERROR", ["body", field])
    assert not Agent.objects.exists()


@pytest.mark.parametrize("hours, loc, kind", [
    ({"funday": {"start": "09:00", "end": "17:00"}}, ["body", "working_hours", "funday"], "unknown_day"),
    ({"monday": {"start": "9am", "end": "17:00"}}, ["body", "working_hours", "monday"], "invalid_time"),
    ({"monday": {"start": "17:00", "end": "09:00"}}, ["body", "working_hours", "monday"], "end_not_after_start"),
    ({"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
     ["body", "working_hours", "monday"], "overlap"),
    ("9-5", ["body", "working_hours"], "invalid"),
])  # fmt: skip
def test_bad_working_hours_are_400_with_the_day_and_a_reason(api_client_for, alice, hours, loc, kind):
    resp = api_client_for(alice).post(AGENTS, {"name": "X", "working_hours": hours}, format="json")
    body = assert_error(resp, 400, "VALIDATION_ERROR", loc)
    assert body["errors"][0]["type"] == kind


def test_malformed_json_and_a_list_body_are_400(api_client_for, alice):
    client = api_client_for(alice)
    assert_error(client.post(AGENTS, "{nope", content_type="application/json"), 400, "PARSE_ERROR")
    assert_error(client.post(AGENTS, [{"name": "X"}], format="json"), 400, "VALIDATION_ERROR")


def test_a_malformed_id_in_the_path_is_404(api_client_for, alice):
    assert_error(api_client_for(alice).get(f"{AGENTS}42/"), 404, "NOT_FOUND")
