"""/api/v1/agent-groups/: CRUD, agent counts, tenancy, and delete refused while the group is used."""

import pytest

from apps.agents.models import Agent, AgentGroup
from apps.campaigns.models import Campaign

GROUPS = "/api/v1/agent-groups/"


def test_crud(api_client_for, maria, acme):
    client = api_client_for(maria)
    created = client.post(GROUPS, {"name": "Closers", "description": "Senior reps"}, format="json")
    assert created.status_code == 201, created.json()
    group = created.json()
    assert {k: group[k] for k in ("name", "description", "is_active", "agent_count", "tenant_id")} == {
        "name": "Closers", "description": "Senior reps", "is_active": True, "agent_count": 0,
        "tenant_id": str(acme.id)}  # fmt: skip
    at = f"{GROUPS}{group['id']}/"
    assert client.get(at).json()["name"] == "Closers"
    assert client.put(at, {"name": "Senior closers"}, format="json").json()["name"] == "Senior closers"
    assert client.patch(at, {"is_active": False}, format="json").json()["is_active"] is False
    assert client.delete(at).status_code == 204
    assert not AgentGroup.objects.exists()


def test_the_list_counts_agents_and_filters(api_client_for, bob, sales, support, bob_agent, dana_agent, acme):
    Agent.objects.create(tenant=acme, name="Eve", group=sales, kind="human")
    AgentGroup.objects.filter(pk=support.pk).update(is_active=False)
    client = api_client_for(bob)
    body = client.get(GROUPS).json()
    assert [(g["name"], g["agent_count"]) for g in body["agent_groups"]] == [("Sales", 2), ("Support", 1)]
    assert body["total"] == 2
    assert [g["name"] for g in client.get(f"{GROUPS}?is_active=false").json()["agent_groups"]] == ["Support"]
    assert [g["name"] for g in client.get(f"{GROUPS}?search=ale").json()["agent_groups"]] == ["Sales"]
    assert client.get(f"{GROUPS}{sales.pk}/").json()["agent_count"] == 2


def test_a_duplicate_name_is_409(api_client_for, alice, sales):
    resp = api_client_for(alice).post(GROUPS, {"name": "Sales"}, format="json")
    assert resp.status_code == 409 and resp.json()["code"] == "GROUP_NAME_TAKEN"


def test_another_tenant_may_use_the_same_name(api_client_for, charlie, sales):
    assert api_client_for(charlie).post(GROUPS, {"name": "Sales"}, format="json").status_code == 201


@pytest.mark.parametrize("body, field", [({}, "name"), ({"name": ""}, "name"), ({"name": "X" * 101}, "name"),
                                         ({"name": "X", "is_active": "?"}, "is_active"),
                                         ({"name": "X", "members": []}, "members")])  # fmt: skip
def test_bad_input_is_400(api_client_for, alice, body, field):
    resp = api_client_for(alice).post(GROUPS, body, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "VALIDATION_ERROR"
    assert resp.json()["errors"][0]["loc"] == ["body", field]


def test_delete_is_refused_while_a_campaign_uses_the_group(api_client_for, alice, acme, sales):
    Campaign.objects.create(tenant=acme, name="Spring", agent_group=sales)
    resp = api_client_for(alice).delete(f"{GROUPS}{sales.pk}/")
    assert resp.status_code == 409
    assert resp.json()["code"] == "GROUP_IN_USE"
    assert resp.json()["campaign_count"] == 1
    assert "1 campaign" in resp.json()["detail"]
    assert AgentGroup.objects.filter(pk=sales.pk).exists()


def test_delete_is_refused_while_an_agent_is_in_the_group(api_client_for, alice, sales, bob_agent):
    resp = api_client_for(alice).delete(f"{GROUPS}{sales.pk}/")
    assert resp.status_code == 409
    assert (resp.json()["code"], resp.json()["agent_count"]) == ("GROUP_IN_USE", 1)
    bob_agent.refresh_from_db()
    assert bob_agent.group_id == sales.pk


def test_another_tenants_group_is_404(api_client_for, charlie, sales):
    client = api_client_for(charlie)
    for resp in (client.get(f"{GROUPS}{sales.pk}/"), client.patch(f"{GROUPS}{sales.pk}/", {"name": "X"}, format="json"),
                 client.delete(f"{GROUPS}{sales.pk}/")):  # fmt: skip
        assert resp.status_code == 404 and resp.json()["code"] == "NOT_FOUND"
    assert client.get(GROUPS).json()["agent_groups"] == []
    assert AgentGroup.objects.get(pk=sales.pk).name == "Sales"
