"""Demo data for the agent console and the supervisor page: an agent and a manager who can sign in,
each with a human agent profile, and a progressive campaign the agent's team works. With `make run`:
sign in at /console/ as the agent and go available; the dialer rings people in their daytime, the
simulator answers some, and each answered call pops on the console. /supervisor/ (as the manager)
watches it all live. Created once; re-seeding leaves whatever people changed alone."""

import datetime as dt

from apps.agents.models import Agent, AgentGroup, AgentKind, Presence
from apps.campaigns import lifecycle
from apps.campaigns.models import CallerId, Campaign, CampaignStatus, PacingMode
from apps.core.actors import Actor
from apps.core.weekdays import WEEKDAYS
from apps.leads.importing.engine import ImportSpec, import_leads
from apps.leads.importing.readers import json_rows
from apps.tenants.choices import Role
from apps.tenants.models import User

AGENT_EMAIL, AGENT_PASSWORD = "agent@leadvoice.dev", "leadvoice-agent"  # documented demo credentials
MANAGER_EMAIL, MANAGER_PASSWORD = "manager@leadvoice.dev", "leadvoice-manager"
CAMPAIGN = "Warm follow-ups"
# People on every continent, so that someone is in their own 08:00-21:00 whenever the demo runs.
PEOPLE = [
    ("Amelia", "Clarke", "+442079460{:03d}", "Clarke Solar"), ("Felix", "Wagner", "+4930123{:04d}", "Wagner GmbH"),
    ("Naledi", "Dlamini", "+2721555{:04d}", "Dlamini Foods"), ("Arjun", "Mehta", "+9198765{:05d}", "Mehta Textiles"),
    ("Yui", "Tanaka", "+81312{:06d}", "Tanaka Robotics"), ("Jack", "Wilson", "+614123{:05d}", "Wilson Surf"),
    ("Camila", "Rocha", "+55119123{:05d}", "Rocha Café"), ("Noah", "Martin", "+1647555{:04d}", "Martin Hardware"),
    ("Ella", "Brooks", "+1212555{:04d}", "Brooks Media"), ("Diego", "Ramos", "+1415555{:04d}", "Ramos Bikes"),
]  # fmt: skip
NOTES = ["Asked for pricing on the website.", "Downloaded the brochure last week.", "Referred by a customer."]


def _person(tenant, *, email: str, password: str, role: str, first: str, last: str) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, tenant=tenant, role=role, first_name=first,
                                        last_name=last)  # fmt: skip
    return user


def seed(tenant) -> None:
    if Campaign.objects.filter(tenant=tenant, name=CAMPAIGN).exists():
        return
    agent_user = _person(tenant, email=AGENT_EMAIL, password=AGENT_PASSWORD, role=Role.AGENT, first="Alex",
                         last="Rivera")  # fmt: skip
    manager = _person(tenant, email=MANAGER_EMAIL, password=MANAGER_PASSWORD, role=Role.MANAGER, first="Morgan",
                      last="Lee")  # fmt: skip
    team, _ = AgentGroup.objects.get_or_create(tenant=tenant, name="Console team")
    coaches, _ = AgentGroup.objects.get_or_create(tenant=tenant, name="Supervisors")  # rung by no campaign
    Agent.objects.get_or_create(tenant=tenant, user=agent_user, defaults={
        "name": "Alex Rivera", "kind": AgentKind.HUMAN, "group": team, "status": Presence.OFFLINE})  # fmt: skip
    Agent.objects.get_or_create(tenant=tenant, user=manager, defaults={
        "name": "Morgan Lee (supervisor)", "kind": AgentKind.HUMAN, "group": coaches})  # fmt: skip
    number, _ = CallerId.objects.get_or_create(tenant=tenant, phone_e164="+14155550100",
                                               defaults={"label": "Demo main line"})  # fmt: skip
    campaign = Campaign.objects.create(
        tenant=tenant, name=CAMPAIGN, description="Alex's team calls back warm leads; each answered call pops on "
        "the agent console (/console/)", caller_id=number.phone_e164, caller_id_number=number,
        pacing_mode=PacingMode.PROGRESSIVE, agent_group=team, timezone="UTC", calling_hours_start=dt.time(0),
        calling_hours_end=dt.time(23, 59), working_days=list(WEEKDAYS), max_concurrent_calls=2, max_attempts=3,
        retry_delay_minutes=30, status=CampaignStatus.DRAFT,
    )  # fmt: skip
    rows = [
        {"first_name": first, "last_name": last, "phone": pattern.format(950 + n), "company_name": company,
         "notes": NOTES[(i + n) % len(NOTES)], "source": "demo"}
        for n in range(3) for i, (first, last, pattern, company) in enumerate(PEOPLE)
    ]  # fmt: skip
    import_leads(json_rows(rows), ImportSpec(tenant=tenant, campaign=campaign, actor_label="demo-seed",
                                             source_name="console demo seed"))  # fmt: skip
    lifecycle.start(campaign, actor=Actor(label="demo seed"))
