"""Demo data for the dialer: a campaign that may call at any hour, with people on every continent,
so `make run` shows calls flowing through the simulator whatever the time, answered by its scripted
personas (the AI agent books demos, takes callbacks, lets go, lists do-not-calls, leaves voicemails).
Each person is still only called between 08:00 and 21:00 in their own time (and the dialer status
page says who waits why)."""

import datetime as dt

from apps.agents.models import Agent, AgentKind
from apps.campaigns import lifecycle
from apps.campaigns.models import CallerId, Campaign, CampaignStatus
from apps.core.actors import Actor
from apps.core.weekdays import WEEKDAYS
from apps.leads.importing.engine import ImportSpec, import_leads
from apps.leads.importing.readers import json_rows

# (first name, last name, number): London, Berlin, Johannesburg, Mumbai, Singapore, Tokyo, Sydney,
# São Paulo, Mexico City, Toronto, New York, San Francisco.
PEOPLE = [
    ("Olivia", "Hughes", "+442079460{:03d}"), ("Jonas", "Becker", "+4930123{:04d}"),
    ("Thandi", "Nkosi", "+2721555{:04d}"), ("Priya", "Sharma", "+9198765{:05d}"),
    ("Wei", "Tan", "+659876{:04d}"), ("Haruto", "Sato", "+81312{:06d}"), ("Chloe", "Walker", "+614123{:05d}"),
    ("Lucas", "Souza", "+55119123{:05d}"), ("Sofía", "Hernández", "+525512{:06d}"),
    ("Liam", "Tremblay", "+1647555{:04d}"), ("Maya", "Johnson", "+1212555{:04d}"), ("Ethan", "Lee", "+1415555{:04d}"),
]  # fmt: skip
SCRIPT = ("Hello {first_name}, this is {agent_name} from {business_name}. We help teams like {company_name} "
          "with {client_service}. Do you have a minute?")  # fmt: skip


def seed(tenant) -> None:
    if Campaign.objects.filter(tenant=tenant, name="Around the clock").exists():
        return
    number, _ = CallerId.objects.get_or_create(tenant=tenant, phone_e164="+14155550100",
                                               defaults={"label": "Demo main line"})  # fmt: skip
    ava, _ = Agent.objects.get_or_create(tenant=tenant, name="Ava (AI)", defaults={"kind": AgentKind.AI})
    campaign = Campaign.objects.create(
        tenant=tenant, name="Around the clock", description="The AI agent calls people on every continent, each "
        "in their own daytime (the simulator answers)", caller_id=number.phone_e164, caller_id_number=number,
        ai_agent=ava, timezone="UTC", calling_hours_start=dt.time(0), calling_hours_end=dt.time(23, 59),
        working_days=list(WEEKDAYS), max_concurrent_calls=3, max_attempts=3, retry_delay_minutes=20,
        script_template=SCRIPT, client_service="customer follow-ups", success_criteria="Book a demo.",
        voicemail_drop_text="Hi, this is {company}. Sorry we missed you. Please call us back at {callback_number}.",
        record_calls=True, cost_per_call="0.05", budget="100.00", status=CampaignStatus.DRAFT,
    )  # fmt: skip
    rows = [
        {"first_name": first, "last_name": last, "phone": pattern.format(70 + n), "company_name": f"{last} & Co",
         "source": "demo"}
        for n in range(4) for first, last, pattern in PEOPLE
    ]  # fmt: skip
    import_leads(json_rows(rows), ImportSpec(tenant=tenant, campaign=campaign, actor_label="demo-seed",
                                             source_name="demo seed"))  # fmt: skip
    lifecycle.start(campaign, actor=Actor(label="demo seed"))
