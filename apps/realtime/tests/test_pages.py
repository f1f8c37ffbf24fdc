"""The console and supervisor pages with Django's test client: sign-in, who may see which page, what
each page is given (only the user's own tenant and agent), the session signing the API in (with the
CSRF token for writes), and the pages' scripts and styles served as the ASGI app serves them.

Personas: alice owns Acme, maria manages it, bob is an Acme agent, charlie owns Globex."""

import json
import re

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from apps.agents.models import Agent, AgentGroup, AgentKind
from apps.calls.tests import factories as f
from apps.campaigns.models import Campaign, CampaignStatus, PacingMode
from apps.tenants.choices import TenantStatus
from apps.tenants.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = ["/console/", "/supervisor/", "/supervisor/campaigns/"]
ASSETS = {
    "/static/console/console.js": "javascript",
    "/static/console/live.js": "javascript",
    "/static/console/console.css": "css",
    "/static/supervisor/supervisor.js": "javascript",
    "/static/supervisor/supervisor.css": "css",
    "/static/vendor/twilio-voice-sdk/twilio.min.js": "javascript",
}


@pytest.fixture
def bob_agent(acme, bob):
    return Agent.objects.create(tenant=acme, name="Bob Jones", kind=AgentKind.HUMAN, user=bob)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _config(response, script_id: str) -> dict:
    match = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', response.content.decode(),
                      re.S)  # fmt: skip
    assert match, f"no {script_id} in the page"
    return json.loads(match.group(1))


# Signing in -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_it_sends_a_signed_out_visitor_to_sign_in(db, path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/console/login/?next={path}"


def test_an_agent_signs_in_and_lands_on_the_console(bob, bob_agent):
    client = Client()
    assert client.get("/console/login/").status_code == 200
    response = client.post("/console/login/", {"username": "bob@acme.test", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/console/"
    page = client.get("/console/")
    assert page.status_code == 200
    assert _config(page, "console-config")["agent"] == {"id": str(bob_agent.pk), "name": "Bob Jones",
                                                        "status": "offline", "statusChangedAt": None}  # fmt: skip


def test_it_goes_back_where_the_visitor_was_going(maria):
    response = Client().post(
        "/console/login/?next=/supervisor/",
        {"username": "maria@acme.test", "password": PASSWORD, "next": "/supervisor/"},
    )
    assert response["Location"] == "/supervisor/"


def test_a_wrong_password_is_refused_on_the_page(bob):
    response = Client().post("/console/login/", {"username": "bob@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct email and password" in response.content.decode().lower()


def test_platform_staff_without_a_tenant_cannot_sign_in_here(db):
    User.objects.create_superuser(email="ops@platform.test", password=PASSWORD)
    response = Client().post("/console/login/", {"username": "ops@platform.test", "password": PASSWORD})
    assert response.status_code == 200
    assert "belongs to no tenant" in response.content.decode()


def test_the_people_of_a_suspended_tenant_cannot_sign_in(acme, bob):
    acme.status = TenantStatus.SUSPENDED
    acme.save()
    response = Client().post("/console/login/", {"username": "bob@acme.test", "password": PASSWORD})
    assert response.status_code == 200
    assert "suspended" in response.content.decode()


def test_a_suspended_tenant_closes_the_pages_of_a_session_already_open(acme, maria):
    client = _signed_in(maria)
    acme.status = TenantStatus.SUSPENDED
    acme.save()
    for path in ("/console/", "/supervisor/"):
        assert client.get(path).status_code == 403
    assert client.get("/supervisor/campaigns/").status_code == 403


def test_sign_in_attempts_are_throttled_with_the_apis(bob, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})
    client = Client()
    for _ in range(2):
        assert client.post("/console/login/", {"username": "bob@acme.test", "password": "nope"}).status_code == 200
    response = client.post("/console/login/", {"username": "bob@acme.test", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_signing_out_ends_the_session(bob, bob_agent):
    client = _signed_in(bob)
    response = client.post("/console/logout/")
    assert response.status_code == 302 and response["Location"] == "/console/login/"
    assert client.get("/console/").status_code == 302


# Who sees what ----------------------------------------------------------------------------------------
def test_a_member_without_an_agent_profile_is_told_why(alice):
    page = _signed_in(alice).get("/console/")
    assert page.status_code == 200
    assert 'id="no-agent"' in page.content.decode()
    assert _config(page, "console-config")["agent"] is None


def test_the_console_is_given_only_the_users_own_agent(acme, bob, bob_agent):
    Agent.objects.create(tenant=acme, name="Dana Smith", kind=AgentKind.HUMAN)
    page = _signed_in(bob).get("/console/")
    config = _config(page, "console-config")
    assert config["agent"]["id"] == str(bob_agent.pk)
    assert config["tenant"]["name"] == "Acme" and config["user"]["role"] == "agent"
    assert config["isStaff"] is False and config["urls"]["socket"] == "/ws/agent/"
    assert "Dana Smith" not in page.content.decode()


def test_platform_staff_signed_in_elsewhere_get_a_403_page(db):
    ops = User.objects.create_superuser(email="ops@platform.test", password=PASSWORD)
    response = _signed_in(ops).get("/console/")
    assert response.status_code == 403
    assert "platform staff" in response.content.decode()


def test_the_supervisor_page_is_for_managers_and_up(bob, bob_agent, maria, alice):
    response = _signed_in(bob).get("/supervisor/")
    assert response.status_code == 403 and "owners, admins and managers" in response.content.decode()
    assert _signed_in(bob).get("/supervisor/campaigns/").status_code == 403
    for user in (maria, alice):
        page = _signed_in(user).get("/supervisor/")
        assert page.status_code == 200
        config = _config(page, "supervisor-config")
        assert config["urls"]["socket"] == "/ws/dashboard/" and config["supervisorAgent"] is None


def test_the_supervisor_page_knows_the_managers_own_agent_profile(acme, maria):
    own = Agent.objects.create(tenant=acme, name="Maria (coach)", kind=AgentKind.HUMAN, user=maria)
    config = _config(_signed_in(maria).get("/supervisor/"), "supervisor-config")
    assert config["supervisorAgent"]["id"] == str(own.pk)


def test_the_supervisor_sees_the_live_counters_of_their_tenants_campaigns_only(acme, globex, maria, charlie):
    floor = AgentGroup.objects.create(tenant=acme, name="Floor")
    dialing = f.campaign(acme, pacing=PacingMode.PROGRESSIVE, group=floor, name="Renewals", max_abandon_rate=3)
    f.campaign(acme, name="Drafted", status=CampaignStatus.DRAFT)
    f.campaign(globex, name="Globex secret")
    body = _signed_in(maria).get("/supervisor/campaigns/").json()
    assert [row["name"] for row in body["campaigns"]] == ["Renewals"]
    stats = body["campaigns"][0]
    assert stats["campaignId"] == str(dialing.pk) and stats["max_abandon_rate"] == 3.0
    assert {"today", "live", "agents", "abandon_rate_30d"} <= set(stats)  # campaign:stats' shape
    theirs = _signed_in(charlie).get("/supervisor/campaigns/").json()
    assert [row["name"] for row in theirs["campaigns"]] == ["Globex secret"]


# The session signs the API in ---------------------------------------------------------------------------
def test_the_pages_session_signs_the_api_in_and_writes_need_the_csrf_token(bob, bob_agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    page = client.get("/console/").content.decode()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    assert client.get(f"/api/v1/agents/{bob_agent.pk}/").status_code == 200
    path = f"/api/v1/agents/{bob_agent.pk}/status/"
    refused = client.put(path, {"status": "available"}, content_type="application/json")
    assert refused.status_code == 403
    accepted = client.put(path, {"status": "available"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200 and accepted.json()["status"] == "available"


def test_the_api_keeps_another_tenants_agent_away_from_a_session(bob, bob_agent, charlie):
    assert _signed_in(charlie).get(f"/api/v1/agents/{bob_agent.pk}/").status_code == 404


# Scripts and styles ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "kind"), ASSETS.items())
def test_the_pages_scripts_and_styles_are_served(db, path, kind):
    response = Client().get(path)
    assert response.status_code == 200
    assert kind in response["Content-Type"]
    assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_the_pages_link_the_files_that_are_served(bob, bob_agent, maria):
    pages = [_signed_in(bob).get("/console/"), _signed_in(maria).get("/supervisor/")]
    linked = {path for page in pages for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.content.decode())}
    assert linked and linked <= set(ASSETS)
    assert _config(pages[0], "console-config")["twilioSdk"] == "/static/vendor/twilio-voice-sdk/twilio.min.js"
    supervisor = Client().get("/static/supervisor/supervisor.js")
    source = b"".join(supervisor.streaming_content).decode()
    assert 'from "../console/live.js"' in source  # resolves to /static/console/live.js, served above


# The demo ------------------------------------------------------------------------------------------------
def test_the_demo_agent_and_manager_sign_in_to_their_pages(db):
    from django.core.management import call_command

    from apps.realtime import demo

    call_command("seed_demo")
    call_command("seed_demo")
    agent_page = Client()
    agent_page.post("/console/login/", {"username": demo.AGENT_EMAIL, "password": demo.AGENT_PASSWORD})
    config = _config(agent_page.get("/console/"), "console-config")
    agent = Agent.objects.get(pk=config["agent"]["id"])
    campaign = Campaign.objects.get(name=demo.CAMPAIGN)
    assert (campaign.status, campaign.pacing_mode, campaign.agent_group_id) == ("active", "progressive", agent.group_id)
    assert campaign.leads.count() == 30
    manager_page = Client()
    manager_page.post("/console/login/", {"username": demo.MANAGER_EMAIL, "password": demo.MANAGER_PASSWORD})
    board = _config(manager_page.get("/supervisor/"), "supervisor-config")
    assert board["supervisorAgent"]["name"] == "Morgan Lee (supervisor)"
    assert demo.CAMPAIGN in [row["name"] for row in manager_page.get("/supervisor/campaigns/").json()["campaigns"]]
