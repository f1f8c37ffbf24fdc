"""The dialer at scale:

1. claims: a tenant with 1,000,000 leads over 200 campaigns, most of them paused or completed (their
   leads still `new`: due, but undialable), a few active ones holding 100,000 due leads. After
   warm-up claims have used up the first due rows of every active queue (their index entries stay
   behind as dead entries until vacuum), claim(limit=1000) and a whole dispatch (one queue's tick:
   capacity, the calls-per-second budget, the claim, the place_calls tasks) are timed: p50/p95 per
   1,000-lead claim and leads claimed per second, with the claim's EXPLAIN;
2. originations: an active AI campaign, a real Celery worker (prefork, concurrency 2 and 4) ticked
   every second as beat would, the simulator carrier taking every call and sending no callbacks
   (SIMULATOR_ODDS=silent=1): calls placed (Call rows with a call_sid) per second over a sustained
   window; then the full call flow (default odds, callbacks to uvicorn, the drain): where the
   ceiling is, by the CPU each process used (psutil);
3. webhooks: uvicorn (2 workers) and concurrent keep-alive clients posting correctly signed Twilio
   status callbacks for existing calls: requests/s, p50/p95/p99, every callback stored (CallEvent
   rows counted); and how fast the drain then applies them;
4. pacing: a discrete-event simulation (no database) of a human-agent campaign dialed progressive
   (one line per free agent) and predictive (apps.calls.dialer.pacing.predictive_lines, what the
   dialer runs): agent utilisation and abandon rate for a few parameter sets.

DIALER_BENCH=claims,originations,webhooks,pacing (the default: all) runs a part while working on it.
"""

import datetime as dt
import heapq
import http.client
import itertools
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import deque
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlencode

import psutil
import requests

from bench.harness import percentiles
from bench.leads import _free_port

NAME = "dialer"
BASE_DIR = Path(__file__).resolve().parent.parent
TENANT = "bench-dialer"
# The claims' moment: a Tuesday, noon in New York (the claim leads' zone), so every lead is inside its
# own window whatever day the bench runs; every generated lead was due long before it.
CLAIM_AT = dt.datetime(2030, 1, 15, 17, 0, tzinfo=dt.UTC)
EVERY_DAY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MAX_LINES = 32767  # Campaign.max_concurrent_calls is a PositiveSmallIntegerField
# Zones to give the origination leads, one per UTC offset: the one where it is nearest 13:00 now
# puts every lead inside its local 08:00-21:00 whenever the bench runs.
ZONES = ["Pacific/Pago_Pago", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
         "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo", "America/Noronha",
         "Atlantic/Azores", "Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
         "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Brisbane",
         "Pacific/Noumea", "Pacific/Auckland"]  # fmt: skip


# Data -----------------------------------------------------------------------------------------------
def _tenant():
    from apps.agents.models import Agent, AgentKind
    from apps.tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT, defaults={"name": "Bench Dialer", "default_country": "US"})
    agent, _ = Agent.objects.get_or_create(tenant=tenant, name="Bench voice", defaults={"kind": AgentKind.AI})
    return tenant, agent


def _campaign(tenant, agent, name: str, status: str, **values):
    from apps.campaigns.models import Campaign, PacingMode

    defaults = {"status": status, "pacing_mode": PacingMode.AI, "ai_agent": agent, "timezone": "America/New_York",
                "calling_hours_start": dt.time(0, 0), "calling_hours_end": dt.time(23, 59),
                "working_days": EVERY_DAY, "caller_id": "+12125550000", "default_country": "US",
                "max_concurrent_calls": MAX_LINES, "record_calls": False, **values}  # fmt: skip
    campaign, created = Campaign.objects.get_or_create(tenant=tenant, name=name, defaults=defaults)
    if not created:
        Campaign.objects.filter(pk=campaign.pk).update(**{k: v for k, v in defaults.items() if k != "ai_agent"})
        campaign.refresh_from_db()
    return campaign


def _insert_leads(cursor, tenant, *, start: int, stop: int, special: dict, params: dict) -> None:
    """Leads i = start..stop in one INSERT ... SELECT over generate_series (bench/leads.py's way)."""
    from bench.leads import lead_insert_sql

    special = {
        "tenant_id": "%(tenant)s", "phone_region": "'US'", "phone_type": "'fixed_line_or_mobile'",
        "timezone_source": "'number'", "status": "'new'", "first_name": "'Lead'", "last_name": "'No' || i",
        "created_at": "now() - (i || ' seconds')::interval", "updated_at": "now()", **special,
    }  # fmt: skip
    sql = lead_insert_sql(special)
    cursor.execute(sql, {"tenant": str(tenant.pk), "start": start, "stop": stop, **params})


def _ensure_dnc(tenant, entries: int = 10_000) -> None:
    """The tenant's do-not-call list: 10,000 numbers, one lead in a hundred (the claim skips them)."""
    from django.db import connection

    from apps.leads.models import DoNotCallEntry

    if DoNotCallEntry.objects.filter(tenant=tenant).count() >= entries:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads_donotcallentry (id, tenant_id, phone_e164, reason, source, created_at, updated_at) "
            "SELECT gen_random_uuid(), %s, '+1212' || (2000000 + i * 97)::text, 'bench', 'import', now(), now() "
            "FROM generate_series(1, %s) AS i ON CONFLICT DO NOTHING", [str(tenant.pk), entries],
        )  # fmt: skip
        cursor.execute("VACUUM ANALYZE leads_donotcallentry")


def claims_dataset(*, size: int, campaigns: int, active: int):
    """The claims tenant's campaigns and leads (generated once, reused): `active` campaigns hold every
    tenth lead (all due), the others (two thirds paused, one third completed) the rest, all `new` and
    due too. Leads are interleaved (a campaign's leads are spread over the whole table, as imports
    over months leave them) and in New York, with NY numbers."""
    from django.db import connection

    from apps.campaigns.models import CampaignStatus
    from apps.leads.models import Lead

    tenant, agent = _tenant()
    tag = f"{size // 1000}k"
    # The active ones rest paused between runs (the origination bench's ticks must not dial them).
    queues = [_campaign(tenant, agent, f"Claims {tag} active {n + 1}", CampaignStatus.PAUSED) for n in range(active)]
    others = [
        _campaign(tenant, agent, f"Claims {tag} other {n + 1}",
                  CampaignStatus.PAUSED if n % 3 else CampaignStatus.COMPLETED)
        for n in range(campaigns - active)
    ]  # fmt: skip
    ids = [c.pk for c in queues + others]
    _ensure_dnc(tenant)
    have = Lead.objects.filter(campaign_id__in=ids).count()
    if have >= size:
        return tenant, queues
    if have:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM leads_lead WHERE campaign_id = ANY(%s)", [ids])
    started = time.monotonic()
    special = {
        "campaign_id": "(CASE WHEN i %% 10 = 0 THEN (%(active)s::uuid[])[1 + (i / 10) %% %(n_active)s] "
                       "ELSE (%(others)s::uuid[])[1 + i %% %(n_others)s] END)",
        "phone_e164": "'+1212' || (2000000 + i)::text", "phone_national": "'212' || (2000000 + i)::text",
        "timezone": "'America/New_York'", "subdivision": "'NY'", "priority": "1 + (i / 3) %% 5",
        "next_call_at": "'2026-06-01'::timestamptz - (((i::bigint * 7919) %% 5000000) || ' seconds')::interval",
    }  # fmt: skip
    params = {"active": [str(c.pk) for c in queues], "n_active": len(queues), "others": [str(c.pk) for c in others],
              "n_others": len(others)}  # fmt: skip
    chunk = 250_000
    with connection.cursor() as cursor:
        for start in range(1, size + 1, chunk):
            stop = min(start + chunk - 1, size)
            _insert_leads(cursor, tenant, start=start, stop=stop, special=special, params=params)
            print(f"   claims dataset: {stop}/{size} leads", flush=True)
        cursor.execute("VACUUM ANALYZE leads_lead")
    print(f"   generated the claims dataset in {time.monotonic() - started:.0f}s", flush=True)
    return tenant, queues


def _reset_claims(queues) -> None:
    """Undo what the claims bench did: its calls deleted, its leads `new` again, the table vacuumed
    (so its dead index entries go too): every run meets the same table."""
    from django.db import connection

    from apps.campaigns.models import Campaign, CampaignStatus

    ids = [c.pk for c in queues]
    Campaign.objects.filter(pk__in=ids).update(status=CampaignStatus.PAUSED)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM calls_callevent WHERE call_id IN (SELECT id FROM calls_call "
                       "WHERE campaign_id = ANY(%s))", [ids])  # fmt: skip
        cursor.execute("DELETE FROM calls_call WHERE campaign_id = ANY(%s)", [ids])
        cursor.execute("UPDATE leads_lead SET status = 'new' WHERE campaign_id = ANY(%s) AND status <> 'new'", [ids])
        cursor.execute("DELETE FROM calls_dialerstatus WHERE campaign_id = ANY(%s)", [ids])
        cursor.execute("VACUUM ANALYZE leads_lead")
        cursor.execute("VACUUM ANALYZE calls_call")


def _leftovers(queues) -> bool:
    from apps.calls.models import Call
    from apps.leads.models import Lead

    ids = [c.pk for c in queues]
    return Call.objects.filter(campaign_id__in=ids).exists() or Lead.objects.filter(campaign_id__in=ids).exclude(
        status="new").exists()  # fmt: skip


def _retire(queue) -> None:
    """The claimed calls end (as if placed and finished), so the next tick's capacity sees free lines;
    their leads stay out of the queue, as dialed leads do."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE calls_call SET status = 'completed', ended_at = %s WHERE campaign_id = %s "
                       "AND status = 'queued'", [CLAIM_AT, queue.campaign.pk])  # fmt: skip


def _index_stats() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size('lead_queue_campaign'), pg_relation_size('leads_lead'), "
                       "(SELECT count(*) FROM leads_lead)")  # fmt: skip
        index_bytes, table_bytes, rows = cursor.fetchone()
        cursor.execute("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'leads_lead'")
        dead = cursor.fetchone()[0]
    return {"leads_in_table": rows, "table_mb": round(table_bytes / 1e6), "queue_index_mb": round(index_bytes / 1e6),
            "dead_lead_rows": dead}  # fmt: skip


def _explain_claim(queue, rules) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of one real claim of 1,000 (rolled back): the claim's own SQL, run
    through a wrapper that prefixes it, so what is explained is exactly what the dialer sends."""
    from django.db import connection, transaction

    from apps.calls.dialer.claim import claim

    def explain(execute, sql, params, many, context):
        if sql.lstrip().startswith("WITH locked"):  # the claim (not the savepoints around it)
            sql = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(explain):
            lines = claim(queue, rules, at=CLAIM_AT, limit=1000, provider="simulator")
        transaction.set_rollback(True)
    return lines


def _time_ticks(dial_queues, rounds: int) -> dict:
    """A whole tick of one queue, as beat runs it (dispatch: capacity, the provider's budget, the claim,
    the place_calls tasks, the dialer status, once a minute the due count). The budget and the
    per-tick cap are raised so that the 1,000 are claimed (the defaults stop at 250: 50 calls/s x 5 s)."""
    from django.conf import settings
    from django.test import override_settings

    from apps.calls.dialer.tick import dispatch
    from apps.core.cache import redis_client

    ticks: list[list[float]] = [[] for _ in range(rounds)]
    with override_settings(TELEPHONY_CALLS_PER_SECOND=1_000_000, DIALER_MAX_CLAIM_PER_TICK=1000):
        for n in range(rounds):
            for queue in dial_queues:
                started = time.perf_counter()
                ids = dispatch(queue, at=CLAIM_AT)  # its own RuleBook, as tick() makes one a tick
                ticks[n].append((time.perf_counter() - started) * 1000)
                if len(ids) != 1000:
                    raise RuntimeError(f"a tick started {len(ids)} calls, not 1000")
                _retire(queue)
        redis_client().delete(f"dialer:cps:{int(CLAIM_AT.timestamp() // settings.DIALER_TICK_SECONDS)}")
    # A queue's first tick in a minute also counts its due leads for the dialer status (up to 10,000).
    out = {"all": percentiles([t for each in ticks for t in each]), "counting_due_leads": percentiles(ticks[0])}
    if rounds > 1:
        out["others"] = percentiles([t for each in ticks[1:] for t in each])
    return out


def bench_claims(*, quick: bool) -> dict:
    from apps.calls.compliance import RuleBook
    from apps.calls.dialer.claim import claim
    from apps.calls.dialer.queues import DialQueue
    from apps.campaigns.models import Campaign, CampaignStatus
    from leadvoice.celery import app

    size, campaigns, active = (200_000, 50, 4) if quick else (1_000_000, 200, 5)
    warm_rounds, claim_rounds, tick_rounds = (2, 1, 1) if quick else (8, 6, 4)
    tenant, queues = claims_dataset(size=size, campaigns=campaigns, active=active)
    if _leftovers(queues):
        _reset_claims(queues)  # what an interrupted run left
    Campaign.objects.filter(pk__in=[c.pk for c in queues]).update(status=CampaignStatus.ACTIVE)
    for campaign in queues:
        campaign.refresh_from_db()
    dial_queues = [DialQueue(tenant=tenant, campaign=c) for c in queues]
    rules = RuleBook.for_tenant(tenant.pk)
    figures: dict = {"leads": size, "campaigns": campaigns, "active_campaigns": active,
                     "due_leads_in_active_campaigns": size // 10, "at": CLAIM_AT.isoformat()}  # fmt: skip

    def timed_claim(queue, limit: int = 1000) -> float:
        started = time.perf_counter()
        ids = claim(queue, rules, at=CLAIM_AT, limit=limit, provider="simulator")
        took = (time.perf_counter() - started) * 1000
        if len(ids) != limit:
            raise RuntimeError(f"a claim took {len(ids)} leads, not {limit}")
        _retire(queue)
        return took

    rules.claim_sql(CLAIM_AT)  # the process's first look at every country's zones (~0.5 s, once) is no claim's
    meter = CpuMeter({"postgres": _pg_pid(), "bench": os.getpid()})
    meter.start()
    try:
        fresh = [timed_claim(q) for q in dial_queues]  # the first claim of each queue, on a vacuumed table
        for _ in range(warm_rounds - 1):
            for queue in dial_queues:
                timed_claim(queue)
        figures["warm_up_claimed"] = warm_rounds * len(dial_queues) * 1000
        figures["after_warm_up"] = _index_stats()
        samples = [timed_claim(q) for _ in range(claim_rounds) for q in dial_queues]
        figures["claim_1000_first"] = percentiles(fresh)
        figures["claim_1000"] = percentiles(samples)
        figures["claims_per_second"] = round(1000 * 1000 / statistics.median(samples))
        figures["tick_1000"] = _time_ticks(dial_queues, tick_rounds)
        # What a tick claims with the default settings: TELEPHONY_CALLS_PER_SECOND 50 x DIALER_TICK_SECONDS 5.
        figures["claim_250"] = percentiles(
            [timed_claim(q, 250) for _ in range(claim_rounds // 3 or 1) for q in dial_queues]
        )
        figures["cpu_percent_of_one_core"] = meter.stop()
        plan = _explain_claim(dial_queues[0], rules)
        # The plan without its long filter lines (the window and limit CASEs), each line cut at 150.
        skip = ("Filter:", "Recheck Cond:")
        kept = [line.rstrip() for line in plan if line.strip() and not line.lstrip().startswith(skip)]
        figures["explain"] = [line[:150] for line in kept]
    finally:
        app.control.purge()  # the ticks' place_calls tasks: their calls are deleted next
        _reset_claims(queues)
    return figures


# Processes ------------------------------------------------------------------------------------------
class Stack:
    """uvicorn and Celery workers of our own, stopped however the bench ends."""

    def __init__(self, **env):
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadvoice.settings.local", "LOG_LEVEL": "WARNING",
                    "DATABASE_POOL": "true", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                    **{k: str(v) for k, v in env.items()}}  # fmt: skip
        self.procs: dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=self.env, start_new_session=True)
        self.procs[name] = proc
        return proc

    def web(self, port: int, workers: int = 2) -> str:
        self._spawn("web", [sys.executable, "-m", "uvicorn", "leadvoice.asgi:application", "--port", str(port),
                            "--workers", str(workers), "--lifespan", "off", "--no-access-log", "--log-level",
                            "warning"])  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/health/live", timeout=1).ok:
                    # Both workers answer only once each has imported the app: warm them up.
                    for _ in range(8):
                        requests.get(f"{base}/health/live", timeout=5)
                    return base
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def worker(self, concurrency: int) -> None:
        from leadvoice.celery import app

        name = f"bench-dialer-{os.getpid()}-{time.monotonic_ns()}@localhost"
        proc = self._spawn("worker", [sys.executable, "-m", "celery", "-q", "-A", "leadvoice.celery", "worker",
                                      "--pool", "prefork", "--concurrency", str(concurrency), "-l", "WARNING", "-n",
                                      name, "--without-mingle", "--without-gossip"])  # fmt: skip
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the Celery worker did not start")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _pg_pid() -> int | None:
    """The bench's own PostgreSQL (postmaster.pid of the embedded server), None for an external one."""
    data_dir = Path(os.environ.get("LEADVOICE_DATA_DIR", BASE_DIR / ".data")).resolve()
    pidfile = data_dir / "bench" / "postgres" / "postmaster.pid"
    with suppress(OSError, ValueError, IndexError):
        return int(pidfile.read_text().split()[0])
    return None


def _redis_pid() -> int | None:
    from django.conf import settings

    port = settings.REDIS_URL.rsplit(":", 1)[-1].split("/")[0]
    for proc in psutil.process_iter(["name", "cmdline"]):
        with suppress(psutil.Error):
            # redis-server retitles itself "<path> 127.0.0.1:<port>"
            if "redis" in (proc.info["name"] or "") and f":{port}" in " ".join(proc.info["cmdline"] or []):
                return proc.pid
    return None


class CpuMeter:
    """CPU time each group of processes (a root and its descendants) used between start() and stop(),
    as % of one core (the machine has 200%), and what the rest of the machine used."""

    def __init__(self, groups: dict[str, int | None], *, alone: tuple[str, ...] = ("bench",)):
        self.groups = {name: pid for name, pid in groups.items() if pid}
        self.alone = alone  # groups counted without their children (this process: its children are measured apart)

    def _snapshot(self) -> dict:
        out = {}
        for name, pid in self.groups.items():
            times = {}
            with suppress(psutil.Error):
                root = psutil.Process(pid)
                for proc in [root, *([] if name in self.alone else root.children(recursive=True))]:
                    with suppress(psutil.Error):
                        cpu = proc.cpu_times()
                        times[proc.pid] = (cpu.user + cpu.system, proc.create_time())
            out[name] = times
        return out

    def start(self) -> None:
        self.t0, self.snap0, self.machine0 = time.monotonic(), self._snapshot(), psutil.cpu_times()

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        snap1, machine1 = self._snapshot(), psutil.cpu_times()
        used = {}
        for name, times in snap1.items():
            before = self.snap0.get(name, {})
            total = 0.0
            for pid, (cpu, _created) in times.items():
                total += cpu - before[pid][0] if pid in before else cpu  # a process started in the window
            used[name] = round(100 * total / wall)
        busy = (sum(machine1) - machine1.idle - machine1.iowait) - (
            sum(self.machine0) - self.machine0.idle - self.machine0.iowait
        )
        used["machine_total"] = round(100 * busy / wall)
        used["others_on_machine"] = max(0, used["machine_total"] - sum(v for k, v in used.items()
                                                                       if k != "machine_total"))  # fmt: skip
        return used


# Originations ---------------------------------------------------------------------------------------
def _zone_near(hour: int = 13) -> str:
    import zoneinfo

    now = dt.datetime.now(dt.UTC)

    def distance(zone: str) -> float:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        return abs(local.hour + local.minute / 60 - hour)

    return min(ZONES, key=distance)


def _forget_campaign(campaign, *, delete_leads: bool = True) -> None:
    """Delete what a campaign's run wrote (calls, their events and AI conversations, timeline, opt-outs, and
    its leads), in SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM calls_callevent WHERE call_id IN (SELECT id FROM calls_call "
                       "WHERE campaign_id = %s)", [campaign.pk])  # fmt: skip
        cursor.execute("DELETE FROM voice_conversation WHERE call_id IN (SELECT id FROM calls_call "
                       "WHERE campaign_id = %s)", [campaign.pk])  # fmt: skip
        cursor.execute("DELETE FROM calls_call WHERE campaign_id = %s", [campaign.pk])
        cursor.execute("DELETE FROM leads_leadactivity WHERE lead_id IN (SELECT id FROM leads_lead "
                       "WHERE campaign_id = %s)", [campaign.pk])  # fmt: skip
        cursor.execute("DELETE FROM leads_donotcallentry WHERE tenant_id = %s AND phone_e164 LIKE '+1646%%'",
                       [campaign.tenant_id])  # fmt: skip
        cursor.execute("DELETE FROM calls_dialerstatus WHERE campaign_id = %s", [campaign.pk])
        if delete_leads:
            cursor.execute("DELETE FROM leads_lead WHERE campaign_id = %s", [campaign.pk])


def _fresh_leads(tenant, campaign, count: int) -> str:
    """`count` due leads for a live campaign, in a zone where it is early afternoon now."""
    from django.db import connection

    zone = _zone_near()
    _forget_campaign(campaign)
    special = {"campaign_id": "%(campaign)s", "phone_e164": "'+1646' || (2000000 + i)::text",
               "phone_national": "'646' || (2000000 + i)::text", "timezone": "%(zone)s", "subdivision": "'NY'",
               "priority": "1 + i %% 5", "next_call_at": "now() - interval '1 day'"}  # fmt: skip
    with connection.cursor() as cursor:
        _insert_leads(cursor, tenant, start=1, stop=count, special=special,
                      params={"campaign": str(campaign.pk), "zone": zone})  # fmt: skip
        cursor.execute("ANALYZE leads_lead")
    return zone


def _forget_simulator() -> None:
    """The simulator's records of the bench's calls (its Redis keys), and anything still queued."""
    from apps.core.cache import redis_client
    from leadvoice.celery import app

    app.control.purge()
    client = redis_client()
    for pattern in ("sim:call:*", "sim:originated:+1646*", "dialer:cps:*", "calls:drain-pending"):
        batch = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(batch), 1000):
            client.delete(*batch[start : start + 1000])


def _counts(campaign, since: dt.datetime) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE call_sid <> ''), count(*), count(*) FILTER (WHERE finalized_at IS NOT "
            "NULL) FROM calls_call WHERE campaign_id = %s", [campaign.pk],
        )  # fmt: skip
        placed, claimed, finalized = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FILTER (WHERE e.kind NOT IN ('dialer', 'reconcile', 'action')), "
            "count(*) FILTER (WHERE e.processed_at IS NOT NULL AND e.kind NOT IN ('dialer', 'reconcile', 'action')) "
            "FROM calls_callevent e JOIN calls_call c ON c.id = e.call_id WHERE c.campaign_id = %s AND "
            "e.created_at >= %s", [campaign.pk, since],
        )  # fmt: skip
        callbacks, applied = cursor.fetchone()
    return {"placed": placed, "claimed": claimed, "finalized": finalized, "callbacks": callbacks,
            "callbacks_applied": applied}  # fmt: skip


def _queue_length() -> int:
    from apps.core.cache import redis_client

    return int(redis_client().llen("celery") or 0)


class Beat(threading.Thread):
    """Beat's part, played here: a dialer_tick task every second (the worker runs it)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.halt = threading.Event()

    def run(self) -> None:
        from apps.calls.tasks import dialer_tick

        while not self.halt.is_set():
            dialer_tick.delay()
            self.halt.wait(1.0)

    def stop(self) -> None:
        self.halt.set()
        self.join()


def _watch(campaign, since, *, window: float) -> dict:
    """Counts now and after the window, and the placements every 2 s between."""
    first = _counts(campaign, since)
    series: list[tuple[float, int]] = []
    started = time.monotonic()
    while time.monotonic() - started < window:
        time.sleep(2.0)
        series.append((time.monotonic() - started, _counts(campaign, since)["placed"]))
    return {"first": first, "last": _counts(campaign, since), "seconds": time.monotonic() - started,
            "series": series}  # fmt: skip


def bench_origination(tenant, campaign, *, concurrency: int, callbacks: bool, lines: int, warm: float, window: float,
                      leads: int) -> dict:  # fmt: skip
    """One configuration: fresh due leads, a worker of `concurrency` (and uvicorn when the simulator
    calls back), ticks every second, the rate of placements over `window` seconds after `warm`."""
    from django.utils import timezone

    from apps.campaigns.models import Campaign

    Campaign.objects.filter(pk=campaign.pk).update(max_concurrent_calls=lines)
    zone = _fresh_leads(tenant, campaign, leads)
    _forget_simulator()
    env = {"TELEPHONY_CALLS_PER_SECOND": 100_000, "DIALER_TICK_SECONDS": 1, "DIALER_MAX_CLAIM_PER_TICK": 1000,
           "CELERY_VISIBILITY_TIMEOUT": 3600}  # fmt: skip
    port = _free_port()
    if callbacks:
        env.update(SIMULATOR_SPEED=20, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    else:
        env.update(SIMULATOR_ODDS="silent=1")
    stack, beat = Stack(**env), Beat()
    try:
        if callbacks:
            stack.web(port)
        stack.worker(concurrency)
        groups = {"worker": stack.procs["worker"].pid, "postgres": _pg_pid(), "redis": _redis_pid(),
                  "bench": os.getpid(), **({"web": stack.procs["web"].pid} if callbacks else {})}  # fmt: skip
        meter = CpuMeter(groups)
        since = timezone.now()
        beat.start()
        time.sleep(warm)
        meter.start()
        seen = _watch(campaign, since, window=window)
        cpu = meter.stop()
        backlog = _queue_length()
        beat.stop()
    finally:
        if beat.is_alive():
            beat.stop()
        stack.stop()
        _forget_simulator()
    first, last, seconds = seen["first"], seen["last"], seen["seconds"]
    points = [(0.0, first["placed"]), *seen["series"]]
    out = {
        "worker_concurrency": concurrency, "callbacks": callbacks, "lines": lines, "leads": leads, "lead_zone": zone,
        "window_seconds": round(seconds, 1), "placed_per_second": round((last["placed"] - first["placed"]) / seconds),
        "placed_per_second_every_2s": [round((b - a) / (tb - ta)) for (ta, a), (tb, b) in itertools.pairwise(points)],
        "claimed_not_placed_at_end": last["claimed"] - last["placed"], "task_backlog_at_end": backlog,
        "cpu_percent_of_one_core": cpu,
    }  # fmt: skip
    if callbacks:
        out.update({
            "callbacks_stored_per_second": round((last["callbacks"] - first["callbacks"]) / seconds),
            "callbacks_applied_per_second": round((last["callbacks_applied"] - first["callbacks_applied"]) / seconds),
            "calls_finalized_per_second": round((last["finalized"] - first["finalized"]) / seconds),
            "callbacks_not_applied_at_end": last["callbacks"] - last["callbacks_applied"],
        })  # fmt: skip
    return out


def bench_originations(*, quick: bool) -> dict:
    from apps.campaigns.models import Campaign, CampaignStatus

    tenant, agent = _tenant()
    campaign = _campaign(tenant, agent, "Bench originations", CampaignStatus.ACTIVE, amd_enabled=True)
    # (name, worker concurrency, callbacks, lines, warm-up s, window s, leads). Silent runs offer 1,000
    # calls a tick to find the worker's ceiling; the full flow runs 100 lines, as a big campaign would,
    # so that it settles where placing and carrying calls balance instead of queueing without end (the
    # first calls end some 10 s in: the warm-up waits for them).
    runs = [("silent_c2", 2, False, MAX_LINES, 5, 16, 25_000), ("silent_c4", 4, False, MAX_LINES, 5, 16, 25_000),
            ("full_flow_c4", 4, True, 100, 15, 20, 6_000)]  # fmt: skip
    if quick:
        runs = [(name, c, cb, lines, warm * 2 // 3, 8, 10_000 if not cb else 4_000)
                for name, c, cb, lines, warm, *_ in runs]  # fmt: skip
    figures = {}
    try:
        for name, concurrency, callbacks, lines, warm, window, leads in runs:
            print(f"   originations: {name}", flush=True)
            figures[name] = bench_origination(tenant, campaign, concurrency=concurrency, callbacks=callbacks,
                                              lines=lines, warm=warm, window=window, leads=leads)  # fmt: skip
            print(f"   {figures[name]['placed_per_second']} placed/s, cpu {figures[name]['cpu_percent_of_one_core']}",
                  flush=True)  # fmt: skip
    finally:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)
        _forget_campaign(campaign)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE leads_lead")
            cursor.execute("VACUUM ANALYZE calls_call")
            cursor.execute("VACUUM ANALYZE calls_callevent")
    return figures


# Webhooks -------------------------------------------------------------------------------------------
def _webhook_calls(tenant, agent, count: int):
    from apps.calls.models import Call
    from apps.campaigns.models import CampaignStatus
    from apps.leads.models import Lead

    campaign = _campaign(tenant, agent, "Bench webhooks", CampaignStatus.PAUSED)
    _forget_campaign(campaign)
    from django.db import connection

    special = {"campaign_id": "%(campaign)s", "phone_e164": "'+1646' || (5000000 + i)::text",
               "phone_national": "'646' || (5000000 + i)::text", "timezone": "'America/New_York'",
               "subdivision": "'NY'", "status": "'calling'"}  # fmt: skip
    with connection.cursor() as cursor:
        _insert_leads(cursor, tenant, start=1, stop=count, special=special, params={"campaign": str(campaign.pk)})
    leads = list(Lead.objects.filter(campaign=campaign).values_list("pk", "phone_e164"))
    calls = Call.objects.bulk_create([
        Call(tenant=tenant, lead_id=pk, campaign=campaign, agent=agent, provider="simulator", status="initiated",
             call_sid=f"CA{n:032x}", from_number="+12125550000", to_number=phone, pacing_mode="ai")
        for n, (pk, phone) in enumerate(leads)
    ])  # fmt: skip
    return campaign, calls


def _signed_callbacks(base: str, tenant, calls, total: int) -> list[tuple[str, bytes, dict]]:
    """`total` status callbacks, as Twilio sends them (form-encoded, X-Twilio-Signature over
    PUBLIC_BASE_URL + path + query with the tenant's token), each a distinct (CallSid, SequenceNumber)."""
    from twilio.request_validator import RequestValidator

    from apps.calls.telephony.base import auth_token

    validator = RequestValidator(auth_token(tenant))
    statuses = ["initiated", "ringing", "in-progress", "completed"]
    out = []
    for n in range(total):
        call, sequence = calls[n % len(calls)], n // len(calls)
        path = f"/webhooks/twilio/status/?callId={call.pk}&tenantId={tenant.pk}"
        params = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": call.call_sid,
                  "CallStatus": statuses[min(sequence, 3)], "Direction": "outbound-api", "From": call.from_number,
                  "To": call.to_number, "SequenceNumber": str(sequence), "CallbackSource": "call-progress-events",
                  "Timestamp": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())}  # fmt: skip
        if statuses[min(sequence, 3)] == "completed":
            params["CallDuration"] = "17"
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": validator.compute_signature(base + path, params)}  # fmt: skip
        out.append((path, urlencode(params).encode(), headers))
    return out


def _post_all(base: str, bodies: list, clients: int) -> dict:
    host, port = base.removeprefix("http://").split(":")
    samples: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()

    def client(mine: list) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        local, local_codes = [], {}
        for path, body, headers in mine:
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            local.append((time.perf_counter() - started) * 1000)
            local_codes[resp.status] = local_codes.get(resp.status, 0) + 1
        conn.close()
        with lock:
            samples.extend(local)
            for code, n in local_codes.items():
                codes[code] = codes.get(code, 0) + n

    threads = [threading.Thread(target=client, args=(bodies[n::clients],)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(samples),
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(samples) / seconds),
        **percentiles(samples),
        "status_codes": codes,
    }


def bench_webhooks(*, quick: bool) -> dict:
    from django.db import connection

    from apps.calls.events import drain
    from apps.calls.models import CallEvent

    tenant, agent = _tenant()
    per_run, warm_up = (2000, 400) if quick else (4000, 800)
    levels = [8, 16]
    total = per_run * len(levels) + warm_up
    calls_n = math.ceil(total / 4)  # four callbacks a call: initiated, ringing, in-progress, completed
    campaign, calls = _webhook_calls(tenant, agent, calls_n)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bodies = _signed_callbacks(base, tenant, calls, total)
    stack = Stack(PUBLIC_BASE_URL=base)
    figures: dict = {"calls": calls_n}
    try:
        stack.web(port)
        meter = CpuMeter({"web": stack.procs["web"].pid, "postgres": _pg_pid(), "redis": _redis_pid(),
                          "bench": os.getpid()})  # fmt: skip
        _post_all(base, bodies[:warm_up], 8)  # warm-up: connections, pools, caches
        offset = warm_up
        for clients in levels:
            meter.start()
            figures[f"clients_{clients}"] = _post_all(base, bodies[offset : offset + per_run], clients)
            figures[f"clients_{clients}"]["cpu_percent_of_one_core"] = meter.stop()
            offset += per_run
    finally:
        stack.stop()
    stored = CallEvent.objects.filter(call__campaign=campaign, kind="status").count()
    figures["sent"] = len(bodies)
    figures["stored"] = stored
    figures["all_stored"] = stored == len(bodies)
    # The drain (a worker's task in production) applying what was stored, in this process.
    drain_n = 2000 if quick else 6000
    started = time.perf_counter()
    done = drain(limit=drain_n)
    seconds = time.perf_counter() - started
    figures["drain"] = {"events": done, "seconds": round(seconds, 2), "events_per_second": round(done / seconds)}
    _forget_simulator()
    _forget_campaign(campaign)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE calls_callevent")
    return figures


# Pacing ---------------------------------------------------------------------------------------------
class PacingDay:
    """One simulated day of a human-agent campaign, dialed the way apps.calls.dialer.pacing.pace does.

    Every tick (DIALER_TICK_SECONDS) the dialer dials `lines`: progressive, one per free agent minus the
    lines still ringing; predictive, predictive_lines() fed what pace() reads from the database: free
    agents, half of those talking for longer than 0.8 x the average handle time, the lines ringing, the
    answer rate of the last 2 hours (0.3 below 20 calls), the abandon rate so far (the 30-day window
    starts with this day) and the average handle time of finished calls. A call rings for 0.5-1.5 x
    ring_seconds, then is answered with probability answer_rate (else it ends); an answered call goes
    to the longest idle agent, waits at most `abandon_after` seconds for one (then it is abandoned),
    and lasts a lognormal handle time (mean handle_seconds, sigma 0.5). Utilisation is talk time over
    the agents' time; abandon rate is abandoned over answered calls. The steady state leaves out the
    first `warmup_hours`.
    """

    def __init__(self, *, mode: str, agents: int, answer_rate: float, handle_seconds: float, ring_seconds: float,
                 hours: float = 8.0, tick: float = 5.0, abandon_after: float = 2.0, max_abandon_rate: float = 0.03,
                 max_ratio: float = 3.0, warmup_hours: float = 1.0, seed: int = 1):  # fmt: skip
        self.mode, self.agents, self.answer_rate, self.ring_seconds = mode, agents, answer_rate, ring_seconds
        self.tick, self.abandon_after, self.max_abandon_rate, self.max_ratio = (
            tick,
            abandon_after,
            max_abandon_rate,
            max_ratio,
        )
        self.day, self.warm = hours * 3600, warmup_hours * 3600
        self.rng = random.Random(seed)
        self.sigma = 0.5
        self.mu = math.log(handle_seconds) - self.sigma**2 / 2
        self.events: list = []
        self.order = itertools.count()
        self.free = deque(range(agents))  # the longest idle first
        self.talking: dict[int, float] = {}  # agent -> when the call was answered
        self.ringing = 0
        self.waiting: deque = deque()  # [answered at, still waiting, dialed at]
        self.recent: deque = deque()  # (dialed at, answered) of calls with an outcome: the 2-hour answer rate
        self.month = {"answered": 0, "abandoned": 0, "talk": 0.0, "talked": 0}  # finalized calls, as _rates reads
        self.whole = {"dialed": 0, "answered": 0, "abandoned": 0, "talk": 0.0}
        self.steady = {"answered": 0, "abandoned": 0, "talk": 0.0}
        self.ratios: list[float] = []

    def schedule(self, when: float, kind: str, data=None) -> None:
        heapq.heappush(self.events, (when, next(self.order), kind, data))

    def connect(self, agent: int, answered: float, now: float) -> None:
        self.talking[agent] = answered
        self.schedule(now + self.rng.lognormvariate(self.mu, self.sigma), "hangup", (agent, answered, now))

    def lines(self, now: float) -> int:
        if self.mode == "progressive":
            return max(0, len(self.free) - self.ringing)
        from apps.calls.dialer.pacing import predictive_lines

        recent, month = self.recent, self.month
        while recent and recent[0][0] < now - 7200:
            recent.popleft()
        rate = sum(1 for _, answered in recent if answered) / len(recent) if len(recent) >= 20 else 0.3
        abandon = month["abandoned"] / month["answered"] if month["answered"] else 0.0
        handle = month["talk"] / month["talked"] if month["talked"] else 120.0
        soon = sum(1 for answered in self.talking.values() if answered <= now - handle * 0.8)
        lines, ratio = predictive_lines(free=len(self.free), soon_free=soon * 0.5, unanswered=self.ringing,
                                        answer_rate=rate, abandon_rate=abandon,
                                        max_abandon_rate=self.max_abandon_rate, max_ratio=self.max_ratio)  # fmt: skip
        self.ratios.append(ratio)
        return lines

    def on_tick(self, now: float, _data) -> None:
        if now >= self.day:
            return
        for _ in range(self.lines(now)):
            self.ringing += 1
            self.whole["dialed"] += 1
            answers = self.rng.random() < self.answer_rate
            self.schedule(now + self.ring_seconds * self.rng.uniform(0.5, 1.5), "rung", (now, answers))
        self.schedule(now + self.tick, "tick")

    def on_rung(self, now: float, data) -> None:
        dialed, answers = data
        self.ringing -= 1
        if not answers:
            self.recent.append((dialed, False))
            return
        self.whole["answered"] += 1
        self.steady["answered"] += now >= self.warm
        if self.free:
            self.connect(self.free.popleft(), now, now)
        else:
            entry = [now, True, dialed]
            self.waiting.append(entry)
            self.schedule(now + self.abandon_after, "abandon", entry)

    def on_abandon(self, _now: float, entry) -> None:
        if not entry[1]:
            return  # an agent took it in time
        entry[1] = False
        self.month["answered"] += 1
        self.month["abandoned"] += 1
        self.whole["abandoned"] += 1
        self.steady["abandoned"] += entry[0] >= self.warm
        self.recent.append((entry[2], True))

    def on_hangup(self, now: float, data) -> None:
        agent, answered, started = data
        del self.talking[agent]
        self.month["answered"] += 1
        self.month["talk"] += now - started
        self.month["talked"] += 1
        self.recent.append((answered, True))
        self.whole["talk"] += max(0.0, min(now, self.day) - started)
        self.steady["talk"] += max(0.0, min(now, self.day) - max(started, self.warm))
        while self.waiting and not self.waiting[0][1]:
            self.waiting.popleft()
        if self.waiting:
            entry = self.waiting.popleft()
            entry[1] = False
            self.connect(agent, entry[0], now)
        else:
            self.free.append(agent)

    def run(self) -> dict:
        handlers = {"tick": self.on_tick, "rung": self.on_rung, "abandon": self.on_abandon, "hangup": self.on_hangup}
        self.schedule(0.0, "tick")
        while self.events:
            now, _, kind, data = heapq.heappop(self.events)
            handlers[kind](now, data)
        whole, steady, agent_time = self.whole, self.steady, self.agents * self.day
        return {
            "dialed": whole["dialed"], "answered": whole["answered"], "abandoned": whole["abandoned"],
            "utilisation": whole["talk"] / agent_time, "abandon_rate": whole["abandoned"] / max(1, whole["answered"]),
            "steady_utilisation": steady["talk"] / (agent_time - self.agents * self.warm),
            "steady_abandon_rate": steady["abandoned"] / max(1, steady["answered"]),
            "mean_ratio": statistics.fmean(self.ratios) if self.ratios else 1.0,
        }  # fmt: skip


def bench_pacing(*, quick: bool) -> dict:
    from django.conf import settings

    tick = float(settings.DIALER_TICK_SECONDS)
    sets = [
        {"agents": 10, "answer_rate": 0.2, "handle_seconds": 120, "ring_seconds": 15},
        {"agents": 10, "answer_rate": 0.35, "handle_seconds": 120, "ring_seconds": 15},
        {"agents": 25, "answer_rate": 0.35, "handle_seconds": 120, "ring_seconds": 15},
        {"agents": 10, "answer_rate": 0.35, "handle_seconds": 300, "ring_seconds": 15},
    ]
    seeds = range(2 if quick else 5)
    out = []
    for params in sets:
        row = {**params, "hours": 8, "tick_seconds": tick}
        for mode in ("progressive", "predictive"):
            days = [PacingDay(mode=mode, tick=tick, seed=seed, **params).run() for seed in seeds]
            row[mode] = {
                "utilisation": round(statistics.fmean(d["utilisation"] for d in days), 3),
                "abandon_rate": round(statistics.fmean(d["abandon_rate"] for d in days), 4),
                "steady_utilisation": round(statistics.fmean(d["steady_utilisation"] for d in days), 3),
                "steady_abandon_rate": round(statistics.fmean(d["steady_abandon_rate"] for d in days), 4),
                "worst_day_steady_abandon_rate": round(max(d["steady_abandon_rate"] for d in days), 4),
                "answered_per_day": round(statistics.fmean(d["answered"] for d in days)),
                "mean_ratio": round(statistics.fmean(d["mean_ratio"] for d in days), 2),
            }
        out.append(row)
    return {"days_per_set": len(seeds), "sets": out}


def run(*, quick: bool) -> dict:
    parts = os.environ.get("DIALER_BENCH", "claims,originations,webhooks,pacing").split(",")
    figures: dict = {}
    for part, fn in [("pacing", bench_pacing), ("claims", bench_claims), ("webhooks", bench_webhooks),
                     ("originations", bench_originations)]:  # fmt: skip
        if part in parts:
            started = time.monotonic()
            print(f"-- {part}", flush=True)
            figures[part] = fn(quick=quick)
            figures[part]["seconds"] = round(time.monotonic() - started, 1)
    return figures
