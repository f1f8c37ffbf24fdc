import pytest

from apps.agents.models import Agent, AgentGroup, AgentKind
from apps.campaigns.models import CallerId, Campaign


@pytest.fixture
def ava(acme):
    return Agent.objects.create(tenant=acme, name="Ava", kind=AgentKind.AI)


@pytest.fixture
def sales_floor(acme, bob):
    group = AgentGroup.objects.create(tenant=acme, name="Sales floor")
    Agent.objects.create(tenant=acme, name="Bob", kind=AgentKind.HUMAN, user=bob, group=group)
    return group


@pytest.fixture
def acme_number(acme):
    return CallerId.objects.create(tenant=acme, phone_e164="+14155550100", label="Main line")


@pytest.fixture
def ready_campaign(acme, ava):
    """A draft that may start: a caller ID and an AI agent to take answered calls."""
    return Campaign.objects.create(tenant=acme, name="Ready", caller_id="+14155550100", ai_agent=ava,
                                   timezone="America/New_York")  # fmt: skip


@pytest.fixture
def globex_things(globex):
    group = AgentGroup.objects.create(tenant=globex, name="Globex floor")
    return {
        "agent": Agent.objects.create(tenant=globex, name="Gus", kind=AgentKind.AI),
        "group": group,
        "caller_id": CallerId.objects.create(tenant=globex, phone_e164="+14155550199"),
        "campaign": Campaign.objects.create(tenant=globex, name="Globex secret"),
    }
