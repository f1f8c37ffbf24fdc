import pytest

from apps.agents.models import Agent, AgentKind
from apps.campaigns.models import Campaign
from apps.core.actors import Actor
from apps.leads import services
from apps.leads.normalize import LeadContext, normalize_lead


@pytest.fixture
def campaign(acme):
    return Campaign.objects.create(tenant=acme, name="Q1 Outreach", default_country="US", timezone="America/New_York")


@pytest.fixture
def uk_campaign(acme):
    return Campaign.objects.create(tenant=acme, name="London", default_country="GB", timezone="Europe/London")


@pytest.fixture
def ai_agent(acme):
    return Agent.objects.create(tenant=acme, name="Ava", kind=AgentKind.AI)


@pytest.fixture
def human_agent(acme, bob):
    return Agent.objects.create(tenant=acme, name="Bob", kind=AgentKind.HUMAN, user=bob)


@pytest.fixture
def globex_campaign(globex):
    return Campaign.objects.create(tenant=globex, name="Globex secret")


@pytest.fixture
def globex_agent(globex):
    return Agent.objects.create(tenant=globex, name="Gus")


@pytest.fixture
def make_lead(acme):
    def make(tenant=None, campaign=None, agent=None, **values):
        tenant = tenant or acme
        raw = {"phone": "+14155552671", "first_name": "John", **values}
        normalized = normalize_lead(raw, LeadContext(region="US", default_timezone=tenant.default_timezone))
        assert not normalized.errors, normalized.errors
        return services.lead_create(tenant=tenant, actor=Actor(label="test"), values=normalized.values,
                                    campaign=campaign, agent=agent)  # fmt: skip

    return make
