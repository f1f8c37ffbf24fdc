"""The agents services called directly: the rules hold whoever calls them."""

import pytest
from rest_framework.exceptions import NotFound, ValidationError

from apps.agents import services
from apps.agents.models import Agent, AgentKind
from apps.core.exceptions import ApplicationError


def test_agent_create_defaults_the_time_zone_to_the_tenants(acme):
    acme.default_timezone = "Europe/Paris"
    agent = services.agent_create(tenant=acme, name="Ava")
    assert (agent.kind, agent.timezone) == (AgentKind.AI, "Europe/Paris")


def test_agent_create_checks_the_tenant_of_the_user_and_group_itself(acme, charlie, globex_group):
    with pytest.raises(NotFound):
        services.agent_create(tenant=acme, name="X", kind=AgentKind.HUMAN, user=charlie)
    with pytest.raises(NotFound):
        services.agent_create(tenant=acme, name="X", kind=AgentKind.HUMAN, group=globex_group)
    assert not Agent.objects.exists()


def test_agent_create_refuses_fields_it_does_not_own(acme):
    with pytest.raises(TypeError, match="total_talk_seconds"):
        services.agent_create(tenant=acme, name="X", total_talk_seconds=5)


def test_model_validation_is_reported_with_api_names(acme):
    with pytest.raises(ValidationError) as caught:
        services.agent_create(tenant=acme, name="X", kind=AgentKind.HUMAN, phone="12345")
    assert "phone" in caught.value.detail


def test_agent_update_writes_only_the_given_fields(bob_agent):
    stale = Agent.objects.get(pk=bob_agent.pk)
    services.agent_set_presence(agent=bob_agent, status="available")
    services.agent_update(agent=stale, name="Robert")
    bob_agent.refresh_from_db()
    assert (bob_agent.name, bob_agent.status) == ("Robert", "available")  # the stale copy did not undo presence


def test_agent_set_presence_refuses_unknown_statuses(bob_agent):
    with pytest.raises(ValidationError):
        services.agent_set_presence(agent=bob_agent, status="lunch")


def test_group_delete_counts_what_uses_it(sales, bob_agent, dana_agent):
    with pytest.raises(ApplicationError) as caught:
        services.agent_group_delete(group=sales)
    assert caught.value.extra == {"agent_count": 1, "campaign_count": 0}
