"""Fixtures of the calls tests.

- `twilio_fake`: the local fake of Twilio's REST API (fake_twilio.py), with the SDK pointed at it and
  the platform's account set (TWILIO_PLATFORM_SID).
- The API and admin tests (test_api.py, test_admin.py) use the `api_*` fixtures: an AI agent and
  bob's human agent in Acme, an active campaign that may call at any hour, leads, and calls made
  directly with the ORM in any state and at any time (`api_make_call`).
"""

import datetime as dt

import pytest
from django.utils import timezone

from apps.agents.models import Agent, AgentKind
from apps.calls.choices import CallStatus
from apps.calls.models import Call
from apps.calls.tests.fake_twilio import FakeTwilio
from apps.campaigns.models import CallerId, Campaign, CampaignStatus
from apps.core.actors import Actor
from apps.leads import services as lead_services
from apps.leads.normalize import LeadContext, normalize_lead

# The platform's Twilio account in tests (its auth token is the test settings' TWILIO_AUTH_TOKEN).
TWILIO_PLATFORM_SID = "AC" + "a1" * 16


@pytest.fixture
def twilio_fake(settings):
    """Twilio's REST API on 127.0.0.1, knowing the platform's account; the SDK talks to it."""
    fake = FakeTwilio(accounts={TWILIO_PLATFORM_SID: settings.TWILIO_AUTH_TOKEN}).start()
    settings.TWILIO_ACCOUNT_SID = TWILIO_PLATFORM_SID
    settings.TWILIO_API_BASE = fake.base_url
    yield fake
    fake.stop()


# The API and admin tests ----------------------------------------------------------------------------
API_EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@pytest.fixture
def api_ai_agent(acme):
    return Agent.objects.create(tenant=acme, name="Ava Voice", kind=AgentKind.AI)


@pytest.fixture
def api_bob_agent(acme, bob):
    """Bob's own agent profile (bob has the agent role)."""
    return Agent.objects.create(tenant=acme, name="Bob Jones", kind=AgentKind.HUMAN, user=bob)


@pytest.fixture
def api_dana_agent(acme):
    """A colleague of bob's without a login."""
    return Agent.objects.create(tenant=acme, name="Dana Smith", kind=AgentKind.HUMAN)


@pytest.fixture
def api_campaign(acme, api_ai_agent):
    """An active AI campaign with a caller ID that may call at any hour of any day (its own window;
    the lead's local 08:00-21:00 still applies)."""
    CallerId.objects.create(tenant=acme, phone_e164="+14155550100", label="Main line")
    return Campaign.objects.create(
        tenant=acme, name="Spring Outreach", status=CampaignStatus.ACTIVE, ai_agent=api_ai_agent,
        caller_id="+14155550100", timezone="America/New_York", calling_hours_start=dt.time(0, 0),
        calling_hours_end=dt.time(23, 59), working_days=API_EVERY_DAY, max_concurrent_calls=5, default_country="US",
    )  # fmt: skip


@pytest.fixture
def api_make_lead(acme):
    def make(tenant=None, *, phone: str = "+14155552671", campaign=None, agent=None, **values):
        tenant = tenant or acme
        raw = {"phone": phone, "first_name": values.pop("first_name", "Sara"), **values}
        normalized = normalize_lead(raw, LeadContext(region="US", default_timezone="UTC"))
        assert not normalized.errors, normalized.errors
        return lead_services.lead_create(tenant=tenant, actor=Actor(label="test"), values=normalized.values,
                                         campaign=campaign, agent=agent)  # fmt: skip

    return make


@pytest.fixture
def api_make_call():
    """A Call row as the dialer and the webhooks would have left it. `created_at` (aware) backdates it."""

    def make(lead, *, status: str = CallStatus.COMPLETED, created_at: dt.datetime | None = None, **values) -> Call:
        values.setdefault("campaign_id", lead.campaign_id)
        values.setdefault("to_number", lead.phone_e164)
        call = Call.objects.create(tenant_id=lead.tenant_id, lead=lead, provider=values.pop("provider", "simulator"),
                                   from_number=values.pop("from_number", "+14155550100"), status=status,
                                   **values)  # fmt: skip
        if created_at is not None:
            Call.objects.filter(pk=call.pk).update(created_at=created_at)
            call.created_at = created_at
        return call

    return make


@pytest.fixture
def api_globex_call(globex, api_make_lead, api_make_call):
    """A call of the outsider's tenant."""
    campaign = Campaign.objects.create(tenant=globex, name="Globex secret")
    lead = api_make_lead(globex, phone="+14155550999", campaign=campaign, first_name="Gina")
    return api_make_call(lead, outcome="answered", disposition="answered", created_at=timezone.now())


# The platform's calling rules -------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def platform_rules(request):
    """The rules migration calls 0002 seeds, present in every test that uses the database: a test that
    commits (transactional_db) truncates every table when it ends, seeded rows included."""
    if not {"db", "transactional_db"} & set(request.fixturenames) and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db" if _commits(request) else "db")
    from apps.calls.models import ComplianceRule
    from apps.calls.seeds import platform_rules as rules

    for rule in rules():
        ComplianceRule.objects.get_or_create(tenant=None, country=rule["country"], subdivision=rule["subdivision"],
                                             weekday=rule["weekday"], defaults=rule)  # fmt: skip


def _commits(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))
