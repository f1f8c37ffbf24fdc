"""Demo leads: a campaign, an AI agent, a human agent and 200 leads with realistic variety, a few
on the do-not-call list. Created once; re-seeding leaves whatever people changed alone."""

import random

from apps.agents.models import Agent, AgentKind
from apps.campaigns.models import Campaign
from apps.core.actors import Actor
from apps.leads import services
from apps.leads.importing.engine import ImportSpec, import_leads
from apps.leads.importing.readers import json_rows
from apps.leads.models import DncSource, Lead

FIRST = ["John", "Jane", "Ana", "Ravi", "Mei", "Omar", "Lucía", "Tom", "Aisha", "Ken", "Sara", "Luca", "Nina", "Yusuf"]
LAST = ["Doe", "Smith", "García", "Patel", "Chen", "Haddad", "Müller", "Brown", "Khan", "Sato", "Rossi", "Novak"]
COMPANIES = ["Acme Corp", "Initech", "Globex", "Umbrella", "Hooli", "Vandelay", "Stark Industries", "Wayne Enterprises"]
INDUSTRIES = ["technology", "healthcare", "finance", "real_estate", "solar", "retail"]
SOURCES = ["website", "referral", "expo", "linkedin", "cold_list"]
# Area codes across US time zones, so the demo shows leads whose local time differs.
AREAS = ["212", "415", "312", "305", "206", "713", "617", "702", "303", "404", "503", "602"]


def seed(tenant) -> None:
    campaign, _ = Campaign.objects.get_or_create(
        tenant=tenant, name="Q1 Outreach",
        defaults={"description": "Demo campaign", "default_country": "US", "timezone": "America/New_York"},
    )  # fmt: skip
    Agent.objects.get_or_create(tenant=tenant, name="Ava (AI)", defaults={"kind": AgentKind.AI})
    Agent.objects.get_or_create(tenant=tenant, name="Sam (human)", defaults={"kind": AgentKind.HUMAN})
    if Lead.objects.for_tenant(tenant).exists():
        return
    rng = random.Random(42)  # noqa: S311 - demo data, the same every time
    rows = []
    for n in range(200):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append({
            "first_name": first, "last_name": last,
            "phone": f"+1{rng.choice(AREAS)}555{n:04d}",
            "email": f"{first.lower()}.{last.lower()}{n}@example.com".replace("í", "i").replace("ü", "u"),
            "company_name": rng.choice(COMPANIES), "industry": rng.choice(INDUSTRIES),
            "source": rng.choice(SOURCES), "priority": rng.randint(1, 5), "lead_score": rng.randint(5, 98),
            "interest_level": rng.choice(["low", "medium", "high"]),
            "tags": rng.sample(["vip", "q1", "expo", "renewal", "enterprise"], k=rng.randint(0, 2)),
        })  # fmt: skip
    spec = ImportSpec(tenant=tenant, campaign=campaign, actor_label="demo-seed", source_name="demo seed")
    import_leads(json_rows(rows), spec)
    Lead.objects.for_tenant(tenant).filter(lead_score__gte=85).update(is_hot_lead=True)
    services.dnc_bulk_add(tenant=tenant, actor=Actor(label="demo-seed"), phones=[rows[7]["phone"], "+12125550000"],
                          reason="Asked not to be called", source=DncSource.LEAD_REQUEST)  # fmt: skip
