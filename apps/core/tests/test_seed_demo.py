"""The demo seed is idempotent and gives the documented logins."""

from django.core.management import call_command

from apps.tenants.models import Tenant, User


def test_it_seeds_the_demo_tenant_and_logins_once(db, api_client):
    call_command("seed_demo")
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="demo")
    assert tenant.name == "Demo"
    owner = User.objects.get(email="demo@leadvoice.dev")
    assert owner.tenant == tenant and owner.role == "owner" and owner.is_staff
    assert User.objects.filter(email="ops@leadvoice.dev", is_superuser=True, tenant=None).count() == 1
    resp = api_client.post(
        "/api/v1/auth/login/", {"email": "demo@leadvoice.dev", "password": "leadvoice-demo"}, format="json"
    )
    assert resp.status_code == 200


def test_reseeding_keeps_what_people_changed(db):
    call_command("seed_demo")
    owner = User.objects.get(email="demo@leadvoice.dev")
    owner.set_password("my-own-password-now")
    owner.save()
    call_command("seed_demo")
    owner.refresh_from_db()
    assert owner.check_password("my-own-password-now")


def test_the_demo_has_leads_a_campaign_and_agents(db):
    from apps.agents.models import Agent
    from apps.campaigns.models import Campaign
    from apps.leads.models import DoNotCallEntry, Lead

    call_command("seed_demo")
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="demo")
    # 200 in Q1 Outreach, 48 around the world, 30 for the console's agent (apps.realtime.demo)
    assert Lead.objects.for_tenant(tenant).count() == 278
    campaigns = dict(Campaign.objects.for_tenant(tenant).values_list("name", "status"))
    assert campaigns == {"Q1 Outreach": "active", "Spring renewals": "scheduled", "Around the clock": "active",
                         "Warm follow-ups": "active"}  # started through the lifecycle  # fmt: skip
    world = Lead.objects.for_tenant(tenant).filter(campaign__name="Around the clock")
    assert world.values("timezone").distinct().count() >= 10  # always someone in their daytime
    assert Agent.objects.for_tenant(tenant).count() == 4  # Ava, Sam, and the console's agent and manager
    assert DoNotCallEntry.objects.for_tenant(tenant).count() == 2
    assert Lead.objects.for_tenant(tenant).filter(status="dnc").count() == 2
    assert Lead.objects.for_tenant(tenant).filter(is_hot_lead=True).exists()
