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


# Run ----------------------------------------------------------------------------------------------
def run(*, quick: bool) -> dict:
    parts = set(os.environ.get("REALTIME_BENCH", "broadcast,screenpop").split(","))
    figures: dict = {}
    server = Server()
    try:
        if "broadcast" in parts:
            figures["broadcast"] = bench_broadcast(server, quick=quick)
    finally:
        server.stop()
    return figures
