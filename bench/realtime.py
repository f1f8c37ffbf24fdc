"""The realtime layer under load:

1. broadcast: uvicorn (2 workers) with 500 agent consoles connected to /ws/agent/ (each its own
   user and JWT, from one asyncio client process); a message published to the tenant's group (the
   path every tenant-wide event takes: apps.realtime.publish) 20 times: delivery latency to each
   socket, p50/p95/p99 over every (socket, message), and the slowest socket per round;
2. screen pop: the agent console in a real browser (Debian chromium through Playwright), signed in,
   available; 100 answered calls, each a correctly signed Twilio answer webhook: the time from
   posting the webhook to the lead's name rendered in the page's screen pop, p50/p95.

REALTIME_BENCH=broadcast,screenpop (the default: both) runs a part while working on it.
"""

import asyncio
import json
import os
import time

from bench.dialer import EVERY_DAY
from bench.harness import percentiles
from bench.leads import Server

NAME = "realtime"
SOCKETS = 500
ROUNDS = 20


# Set-up -------------------------------------------------------------------------------------------
def _tenant_with_agents(count: int):
    """A tenant with `count` agent users, each with a human agent profile; their access tokens."""
    from apps.agents.models import Agent, AgentKind
    from apps.tenants import tokens
    from apps.tenants.choices import Role
    from apps.tenants.models import Tenant, User

    tenant, _ = Tenant.objects.get_or_create(slug="bench-realtime", defaults={"name": "Bench Realtime"})
    have = set(User.objects.filter(tenant=tenant).values_list("email", flat=True))
    wanted = [f"agent{n}@bench-realtime.dev" for n in range(count)]
    missing = [email for email in wanted if email not in have]
    if missing:
        users = User.objects.bulk_create(
            [User(email=email, tenant=tenant, role=Role.AGENT, password="!") for email in missing]
        )
        Agent.objects.bulk_create(
            [Agent(tenant=tenant, name=user.email.split("@")[0], kind=AgentKind.HUMAN, user=user) for user in users]
        )
    users = list(User.objects.filter(tenant=tenant, email__in=wanted))
    return tenant, [tokens.tokens_issue(user=user)["access_token"] for user in users]


# 1. Broadcast -------------------------------------------------------------------------------------
async def _broadcast(base_ws: str, tokens_: list[str], tenant_id: str, rounds: int) -> dict:
    import websockets

    from apps.realtime.groups import tenant_group
    from apps.realtime.publish import send_now

    origin = base_ws.replace("ws://", "http://")

    async def connect(token: str):
        socket = await websockets.connect(f"{base_ws}/ws/agent/?token={token}", origin=origin, max_queue=None,
                                          open_timeout=60)  # fmt: skip
        hello = json.loads(await socket.recv())
        assert hello["event"] == "connected", hello
        return socket

    started = time.perf_counter()
    sockets = []
    for start in range(0, len(tokens_), 50):  # in waves: a 500-handshake burst is a test of the backlog
        sockets += await asyncio.gather(*(connect(token) for token in tokens_[start : start + 50]))
    connect_seconds = time.perf_counter() - started
    samples: list[float] = []
    slowest: list[float] = []

    async def receive(socket, sequence: int) -> float:
        while True:
            message = json.loads(await socket.recv())
            if message["event"] == "bench:broadcast" and message["data"]["sequence"] == sequence:
                return (time.time() - message["data"]["sent_at"]) * 1000

    loop = asyncio.get_running_loop()
    for sequence in range(rounds):
        waiting = [asyncio.ensure_future(receive(socket, sequence)) for socket in sockets]
        await asyncio.sleep(0.05)
        await loop.run_in_executor(None, lambda s=sequence: send_now(
            "bench:broadcast", {"sequence": s, "sent_at": time.time()}, [tenant_group(tenant_id)]))  # fmt: skip
        latencies = await asyncio.wait_for(asyncio.gather(*waiting), timeout=30)
        samples += latencies
        slowest.append(max(latencies))
        await asyncio.sleep(0.2)
    for socket in sockets:
        await socket.close()
    return {
        "sockets": len(sockets), "rounds": rounds, "connect_seconds": round(connect_seconds, 2),
        "delivery": percentiles(samples), "slowest_socket_per_round": percentiles(slowest),
    }  # fmt: skip


def bench_broadcast(server: Server, *, quick: bool) -> dict:
    count = 100 if quick else SOCKETS
    tenant, tokens_ = _tenant_with_agents(count)
    base_ws = server.base.replace("http://", "ws://")
    return asyncio.run(_broadcast(base_ws, tokens_, str(tenant.pk), 5 if quick else ROUNDS))


# 2. Screen pop ------------------------------------------------------------------------------------
POP_CALLS = 100
POP_PASSWORD = "bench-password-1"  # noqa: S105 (a bench database's user)
POP_EMAIL = "agent@bench-screenpop.dev"
# Zones one of which is in its daytime at any hour: the lead's own 08:00-21:00 must allow the call.
DAYTIME_ZONES = ["America/New_York", "Europe/London", "Asia/Kolkata", "Asia/Tokyo", "America/Los_Angeles",
                 "Pacific/Auckland"]  # fmt: skip


def _screenpop_tenant(calls: int):
    """A tenant with one human agent (a console user) and a progressive campaign of `calls` fresh leads
    in a zone where it is day; what earlier runs left is deleted first."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from apps.agents.models import Agent, AgentGroup, AgentKind, Presence
    from apps.calls.models import Call
    from apps.campaigns.models import Campaign, CampaignStatus, PacingMode
    from apps.core.actors import Actor
    from apps.leads import services as lead_services
    from apps.leads.models import Lead
    from apps.leads.normalize import LeadContext, normalize_lead
    from apps.tenants.choices import Role
    from apps.tenants.models import Tenant, User

    tenant, _ = Tenant.objects.get_or_create(slug="bench-screenpop", defaults={"name": "Bench Screen Pop"})
    Call.objects.filter(tenant=tenant).delete()
    Lead._base_manager.filter(tenant=tenant).delete()
    user = User.objects.filter(email=POP_EMAIL).first() or User.objects.create_user(
        email=POP_EMAIL, password=POP_PASSWORD, tenant=tenant, role=Role.AGENT
    )
    team, _ = AgentGroup.objects.get_or_create(tenant=tenant, name="Bench team")
    agent, _ = Agent.objects.update_or_create(tenant=tenant, user=user, defaults={
        "name": "Bench Agent", "kind": AgentKind.HUMAN, "group": team, "status": Presence.OFFLINE,
        "current_calls": 0})  # fmt: skip
    campaign, _ = Campaign.objects.update_or_create(tenant=tenant, name="Bench pops", defaults={
        "status": CampaignStatus.ACTIVE, "pacing_mode": PacingMode.PROGRESSIVE, "agent_group": team,
        "timezone": "UTC", "calling_hours_start": dt.time(0, 0), "calling_hours_end": dt.time(23, 59),
        "working_days": EVERY_DAY, "caller_id": "+12125550000", "default_country": "US",
        "max_concurrent_calls": 5, "calls_per_day": 100_000, "record_calls": False})  # fmt: skip
    now = timezone.now()
    zone = next(name for name in DAYTIME_ZONES if 10 <= now.astimezone(ZoneInfo(name)).hour < 19)
    leads = []
    for n in range(calls):
        raw = {"phone": f"+1{2125550100 + n}", "first_name": "Lead", "last_name": f"No{n}", "timezone": zone,
               "company_name": f"Company {n}", "notes": f"Bench lead {n}."}  # fmt: skip
        normalized = normalize_lead(raw, LeadContext(region="US", default_timezone="UTC"))
        leads.append(lead_services.lead_create(tenant=tenant, actor=Actor(label="bench"), values=normalized.values,
                                               campaign=campaign))  # fmt: skip
    return tenant, agent, leads


def bench_screenpop(*, quick: bool) -> dict:
    """One agent signed in to /console/ in headless chromium, available; each call placed with
    POST /calls/schedule/, answered by the simulator (whose answer webhook is signed and posted like
    Twilio's), popped, then hung up through the API before the next. Latency: from the answer
    webhook's CallEvent row (written in the request, before the pop is published) to the moment the
    page rendered the pop (`data-shown-at`, Date.now() in the page); one machine, one clock."""
    import requests
    from playwright.sync_api import sync_playwright

    from apps.agents.models import Agent
    from apps.calls.models import CallEvent
    from apps.tenants import tokens

    count = 10 if quick else POP_CALLS
    tenant, agent, leads = _screenpop_tenant(count)
    manager = _manager(tenant)
    server = Server(PUBLIC_BASE_URL="http://127.0.0.1:{port}", SIMULATOR_ODDS="answer=1", SIMULATOR_RING_SECONDS="0.2",
                    SIMULATOR_TALK_SECONDS="300", SIMULATOR_AGENT_ANSWER_RATE="1")  # fmt: skip
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {tokens.tokens_issue(user=manager)['access_token']}"
    samples: list[float] = []
    # Playwright's sync API keeps an event loop in this thread; the ORM reads below never run inside it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox"])  # fmt: skip
            page = browser.new_context().new_page()
            page.goto(f"{server.base}/console/")
            page.fill("#id_username", POP_EMAIL)
            page.fill("#id_password", POP_PASSWORD)
            page.click("#sign-in")
            page.wait_for_selector('#connection[data-state="live"]', timeout=30_000)
            page.click('.presence button[data-status="available"]')
            page.wait_for_selector('.presence button[data-status="available"][aria-pressed="true"]')
            for lead in leads:
                response = api.post(f"{server.base}/api/v1/calls/schedule/", json={"lead_id": str(lead.pk)}, timeout=10)
                if response.status_code != 200:
                    raise RuntimeError(f"schedule answered {response.status_code}: {response.text}")
                call_id = response.json()["call"]["id"]
                pop = page.wait_for_selector(f'#pop[data-call-id="{call_id}"]', state="attached", timeout=30_000)
                shown_at = int(pop.get_attribute("data-shown-at")) / 1000
                answered = CallEvent.objects.filter(call_id=call_id, kind="answer").order_by("created_at").first()
                samples.append((shown_at - answered.created_at.timestamp()) * 1000)
                api.post(f"{server.base}/api/v1/calls/{call_id}/hangup/", timeout=10).raise_for_status()
                deadline = time.monotonic() + 30
                while Agent.objects.filter(pk=agent.pk, current_calls__gt=0).exists():  # released by the call's end
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"call {call_id} never released the agent")
                    time.sleep(0.05)
                page.click("#next-call")
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        server.stop()
    return {"calls": len(samples), "answer_webhook_to_pop_ms": percentiles(samples)}


def _manager(tenant):
    from apps.tenants.choices import Role
    from apps.tenants.models import User

    email = "manager@bench-screenpop.dev"
    return User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=POP_PASSWORD, tenant=tenant, role=Role.MANAGER
    )


# Run ----------------------------------------------------------------------------------------------
def run(*, quick: bool) -> dict:
    parts = set(os.environ.get("REALTIME_BENCH", "broadcast,screenpop").split(","))
    figures: dict = {}
    if "broadcast" in parts:
        server = Server()
        try:
            figures["broadcast"] = bench_broadcast(server, quick=quick)
        finally:
            server.stop()
    if "screenpop" in parts:
        figures["screenpop"] = bench_screenpop(quick=quick)
    return figures
