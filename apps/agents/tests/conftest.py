import pytest

from apps.agents.models import Agent, AgentGroup, AgentKind


@pytest.fixture
def sales(acme):
    return AgentGroup.objects.create(tenant=acme, name="Sales")


@pytest.fixture
def support(acme):
    return AgentGroup.objects.create(tenant=acme, name="Support")


@pytest.fixture
def bob_agent(acme, bob, sales):
    """Bob's own agent profile (bob has the agent role)."""
    return Agent.objects.create(tenant=acme, name="Bob Jones", kind=AgentKind.HUMAN, user=bob, group=sales,
                                email="bob@acme.test", timezone="America/New_York")  # fmt: skip


@pytest.fixture
def dana_agent(acme, support):
    """A colleague of bob's without a login."""
    return Agent.objects.create(tenant=acme, name="Dana Smith", kind=AgentKind.HUMAN, group=support,
                                email="dana@acme.test")  # fmt: skip


@pytest.fixture
def ava(acme):
    return Agent.objects.create(tenant=acme, name="Ava", kind=AgentKind.AI, voice_id="alloy")


@pytest.fixture
def globex_group(globex):
    return AgentGroup.objects.create(tenant=globex, name="Globex team")


@pytest.fixture
def globex_agent(globex, globex_group):
    return Agent.objects.create(tenant=globex, name="Gus", kind=AgentKind.HUMAN, group=globex_group)
