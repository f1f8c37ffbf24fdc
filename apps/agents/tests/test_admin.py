"""The agents back office: tenant-scoped lists, fieldsets by kind, the same rules as the API."""

import pytest

from apps.agents.models import Agent


@pytest.fixture
def staff(client, alice):
    client.force_login(alice)
    return client


def test_the_changelist_shows_the_tenants_agents_with_kind_status_and_group(staff, bob_agent, ava, globex_agent):
    page = staff.get("/admin/agents/agent/").content.decode()
    assert "Bob Jones" in page and "Ava" in page and "Gus" not in page
    assert "Sales" in page and "Offline" in page
    assert "Bob Jones" not in staff.get("/admin/agents/agent/?kind__exact=ai").content.decode()
    assert "Bob Jones" in staff.get("/admin/agents/agent/?q=bob%40acme").content.decode()


def test_the_change_page_separates_ai_and_human_fields(staff, bob_agent):
    page = staff.get(f"/admin/agents/agent/{bob_agent.pk}/change/").content.decode()
    assert "AI voice agent" in page and "Human agent" in page and "Presence and totals" in page
    assert 'name="tenant"' not in page


def _form(**values) -> dict:
    return {"name": "Zed", "kind": "human", "timezone": "UTC", "working_hours": "{}", "is_active": "on",
            "language": "en-US", "max_attempts": 3, "retry_delay_minutes": 60, "max_concurrent_calls": 1,
            "user": "", "group": "", "phone": "", "email": "", **values}  # fmt: skip


def test_adding_an_agent_normalises_the_hours(staff, acme):
    resp = staff.post("/admin/agents/agent/add/", _form(working_hours='{"Monday": {"start": "9:00", "end": "17:00"}}'))
    assert resp.status_code == 302, resp.content.decode()[:3000]
    zed = Agent.objects.get(name="Zed")
    assert zed.tenant == acme and zed.working_hours == {"monday": [{"start": "09:00", "end": "17:00"}]}


def test_the_admin_refuses_bad_hours_and_an_ai_agent_in_a_group(staff, sales):
    bad = staff.post("/admin/agents/agent/add/", _form(working_hours='{"monday": {"start": "17:00", "end": "09:00"}}'))
    assert bad.status_code == 200 and "is not after start" in bad.content.decode()
    ai = staff.post("/admin/agents/agent/add/", _form(kind="ai", group=str(sales.pk)))
    assert ai.status_code == 200 and "An AI agent is in no group" in ai.content.decode()
    assert not Agent.objects.filter(name="Zed").exists()


def test_the_presence_actions_use_the_service(staff, bob_agent, ava):
    staff.post("/admin/agents/agent/", {"action": "set_available", "_selected_action": [bob_agent.pk, ava.pk]})
    bob_agent.refresh_from_db()
    assert bob_agent.status == "available" and bob_agent.status_changed_at is not None
    ava.refresh_from_db()
    assert ava.status == "offline"  # AI agents have no presence


def test_the_group_list_counts_agents_and_the_page_lists_them(staff, sales, bob_agent, globex_group):
    page = staff.get("/admin/agents/agentgroup/").content.decode()
    assert "Sales" in page and "Globex team" not in page
    change = staff.get(f"/admin/agents/agentgroup/{sales.pk}/change/").content.decode()
    assert "Agents in this group" in change and "Bob Jones" in change


def test_an_agent_role_user_has_no_admin(client, bob, bob_agent):
    client.force_login(bob)
    assert client.get("/admin/agents/agent/").status_code in (302, 403)
