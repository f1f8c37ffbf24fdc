"""Leads at scale (issue 3):

1. import: a generated 100,000-row, 10-column CSV with mixed phone formats (E.164, US national with
   dashes and brackets, UK, Indian, ~5% junk) POSTed to /api/v1/leads/import/ on a real ASGI server
   (uvicorn, 2 workers) with normalisation, dedupe and DNC scrub: rows/s end to end and the server's
   peak memory during the import;
2. the same file through django-import-export's admin import path (LeadResource.import_data, row by
   row), and the ratio between the two;
3. listing on a tenant with 1,000,000 leads (among other tenants): GET /api/v1/leads/?per_page=50,
   with a filter and with a search, 4 concurrent keep-alive clients on loopback: p50/p99 and req/s.
"""

import csv
import http.client
import io
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import requests

from bench.harness import percentiles

NAME = "leads"
BASE_DIR = Path(__file__).resolve().parent.parent
BIG_TENANT = "bench-big"


# Data -----------------------------------------------------------------------------------------------
def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["first_name", "last_name", "phone", "email", "company", "title", "city", "state", "source", "notes"]
    )
    for n in range(rows):
        kind = rng.random()
        if kind < 0.05:
            phone = rng.choice(["n/a", "12345", "555-01", "call me", "+1 (000) 000-0000"])
        elif kind < 0.35:
            phone = f"+1{rng.choice(['212', '415', '312', '617', '206'])}{rng.randint(2000000, 9999999)}"
        elif kind < 0.55:
            phone = (
                f"{rng.choice(['212', '415', '312', '617', '206'])}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            )
        elif kind < 0.75:
            phone = (
                f"({rng.choice(['212', '415', '312', '617', '206'])}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            )
        elif kind < 0.88:
            phone = f"+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        else:
            phone = f"+91 9{rng.randint(100000000, 999999999)}"
        writer.writerow([
            f"First{n}", f"Last{n % 997}", phone, f"person{n}@example.com", f"Company {n % 5000}",
            rng.choice(["CEO", "CTO", "VP Sales", "Manager"]), rng.choice(["Austin", "Boston", "London"]),
            rng.choice(["TX", "MA", ""]), rng.choice(["web", "expo", "referral"]), "imported in bench",
        ])  # fmt: skip
    return out.getvalue().encode()


def ensure_big_tenant(size: int):
    """A tenant with `size` leads (generated in SQL), two other tenants for company, and an owner."""
    from django.db import connection

    from apps.campaigns.models import Campaign
    from apps.leads.models import Lead
    from apps.tenants.choices import Role
    from apps.tenants.models import Tenant, User

    tenant, _ = Tenant.objects.get_or_create(slug=BIG_TENANT, defaults={"name": "Bench Big", "default_country": "US"})
    if not User.objects.filter(email="bench@leadvoice.dev").exists():
        User.objects.create_user(email="bench@leadvoice.dev", password="bench-password-1", tenant=tenant,
                                 role=Role.OWNER, is_staff=True)  # fmt: skip
    campaign, _ = Campaign.objects.get_or_create(tenant=tenant, name="Bench list", defaults={"default_country": "US"})
    have = Lead.objects.for_tenant(tenant).count()
    if have >= size:
        return tenant, campaign
    others = [
        Tenant.objects.get_or_create(slug=f"bench-other-{n}", defaults={"name": f"Other {n}"})[0] for n in range(2)
    ]
    started = time.monotonic()
    for target, count, offset in [(tenant, size - have, have), *[(t, 50_000, 0) for t in others]]:
        if target is not tenant and Lead.objects.for_tenant(target).exists():
            continue
        target_campaign = (
            campaign if target is tenant else Campaign.objects.get_or_create(tenant=target, name="Other")[0]
        )
        _generate(connection, target, target_campaign, count, offset)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")
    print(f"   generated leads in {time.monotonic() - started:.0f}s", flush=True)
    return tenant, campaign


def lead_insert_sql(special: dict) -> str:
    """INSERT ... SELECT over generate_series(%(start)s, %(stop)s) AS i: `special` gives a column's SQL
    expression (in i), every other column takes its field's default."""
    from apps.leads.importing.writer import sql_literal
    from apps.leads.models import Lead

    columns, expressions = [], []
    for field in Lead._meta.concrete_fields:
        if field.column in ("id", "search_document"):
            continue
        columns.append(f'"{field.column}"')
        expressions.append(special[field.column] if field.column in special else sql_literal(field.get_default()))
    return (f'INSERT INTO leads_lead (id, {", ".join(columns)}) SELECT gen_random_uuid(), {", ".join(expressions)} '
            f"FROM generate_series(%(start)s, %(stop)s) AS i")  # fmt: skip


def _generate(connection, tenant, campaign, count: int, offset: int) -> None:
    special = {
        "tenant_id": "%(tenant)s", "campaign_id": "%(campaign)s",
        "first_name": "(ARRAY['John','Jane','Ana','Ravi','Mei','Omar','Tom','Aisha','Ken','Sara'])[1 + i %% 10]",
        "last_name": "'Name' || (i %% 9973)", "email": "'lead' || i || '@example.com'",
        "company_name": "'Company ' || (i %% 20000)", "phone_e164": "'+1' || (2002000000 + i)::text",
        "phone_national": "(2002000000 + i)::text", "phone_region": "'US'", "phone_type": "'fixed_line_or_mobile'",
        "timezone": "'America/New_York'", "timezone_source": "'number'",
        "status": "(ARRAY['new','new','new','scheduled','done','failed'])[1 + i %% 6]",
        "stage": "(ARRAY['new','contacted','qualified','converted','lost'])[1 + i %% 5]",
        "source": "(ARRAY['web','expo','referral','linkedin'])[1 + i %% 4]",
        "city": "(ARRAY['Austin','Boston','Denver','Miami','Seattle'])[1 + i %% 5]",
        "priority": "1 + i %% 5", "lead_score": "i %% 101", "is_hot_lead": "(i %% 101) > 85",
        "next_call_at": "now() + ((i %% 1000) || ' minutes')::interval",
        "created_at": "now() - (i || ' seconds')::interval", "updated_at": "now()",
    }  # fmt: skip
    sql = lead_insert_sql(special)
    chunk = 250_000
    with connection.cursor() as cursor:
        for start in range(offset + 1, offset + count + 1, chunk):
            stop = min(start + chunk - 1, offset + count)
            cursor.execute(sql, {"tenant": str(tenant.pk), "campaign": str(campaign.pk), "start": start, "stop": stop})
            print(f"   {tenant.slug}: {stop - offset}/{count} leads", flush=True)


# Server ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """The product on loopback: uvicorn with 2 workers (one per core of this machine) and one Celery
    worker process, on the bench's embedded PostgreSQL and Redis."""

    def __init__(self, workers: int = 2, **extra_env: str):
        self.port = _free_port()
        self.worker_name = f"bench-{os.getpid()}@localhost"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadvoice.settings.local", "LOG_LEVEL": "WARNING",
               "DATABASE_POOL": "true", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
               **{key: value.format(port=self.port) for key, value in extra_env.items()}}  # fmt: skip
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "leadvoice.asgi:application", "--port", str(self.port), "--workers",
                 str(workers), "--lifespan", "off", "--no-access-log", "--log-level", "warning"],
                cwd=BASE_DIR, env=env,
            ),
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "leadvoice.celery", "worker", "--pool", "solo", "-l", "WARNING",
                 "-n", self.worker_name],
                cwd=BASE_DIR, env=env,
            ),
        ]  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/health/live", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError("uvicorn did not start")
        # The import's clock must not include the worker's own start-up.
        from leadvoice.celery import app

        while not app.control.ping(destination=[self.worker_name], timeout=0.5):
            if time.monotonic() > deadline or self.procs[1].poll() is not None:
                raise RuntimeError("the Celery worker did not start")

    def rss(self) -> int:
        total = 0
        for proc in self.procs:
            try:
                parent = psutil.Process(proc.pid)
                total += sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _import_tenant():
    from apps.tenants.choices import Role
    from apps.tenants.models import Tenant, User

    tenant, _ = Tenant.objects.get_or_create(
        slug="bench-import", defaults={"name": "Bench Import", "default_country": "US"}
    )
    if not User.objects.filter(email="bench-import@leadvoice.dev").exists():
        User.objects.create_user(email="bench-import@leadvoice.dev", password="bench-password-1", tenant=tenant,
                                 role=Role.OWNER, is_staff=True)  # fmt: skip
    return tenant


def _token(base: str, email: str = "bench@leadvoice.dev") -> str:
    resp = requests.post(f"{base}/api/v1/auth/login/", json={"email": email, "password": "bench-password-1"},
                         timeout=30)  # fmt: skip
    resp.raise_for_status()
    return resp.json()["access_token"]


# Benchmarks -------------------------------------------------------------------------------------------
def bench_import(server: "Server", token: str, content: bytes, rows: int, campaign_id: str) -> dict:
    """POST the file and wait for the import to finish, whichever way the API takes it: in the
    request (up to 10 MB) or as a job on the Celery worker (202, then poll the job)."""
    peak = [server.rss()]
    baseline = peak[0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], server.rss())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    resp = requests.post(f"{server.base}/api/v1/leads/import/", headers=headers,
                         files={"file": ("bench.csv", content, "text/csv")}, data={"campaign_id": campaign_id},
                         timeout=600)  # fmt: skip
    resp.raise_for_status()
    path = "request"
    body = resp.json()
    if resp.status_code == 202:
        path = "background job"
        while body["status"] not in ("completed", "failed"):
            time.sleep(0.1)
            body = requests.get(f"{server.base}{resp.headers['Location']}", headers=headers, timeout=30).json()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    # The import leaves its search-index entries in the index's pending list and queues their merge
    # (apps.leads.search_index); the leads are searchable already. Wait for that merge (this call
    # waits for one in progress, then merges what is left) so the listing figures do not share the
    # machine with it, and report how long after the import it ends.
    from apps.leads.search_index import merge_pending

    merge_pending()
    merged_after = time.perf_counter() - started - seconds
    return {"rows": rows, "file_mb": round(len(content) / 1e6, 2), "path": path, "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds), "results": body["results"],
            "search_index_merged_after_seconds": round(merged_after, 2),
            "rss_before_mb": round(baseline / 1e6, 1), "rss_peak_mb": round(peak[0] / 1e6, 1),
            "rss_growth_mb": round((peak[0] - baseline) / 1e6, 1)}  # fmt: skip


def _forget_imports(tenant) -> None:
    """Delete what the import benchmarks wrote (in SQL: the ORM would collect 100k objects first) and
    vacuum, so the table is the same size at every run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM leads_leadactivity WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("DELETE FROM leads_lead WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("VACUUM leads_lead, leads_leadactivity")


def bench_admin_import(tenant, content: bytes, rows: int) -> dict:
    import tablib
    from django.db import transaction

    from apps.campaigns.models import Campaign
    from apps.leads.resources import LeadResource

    campaign = Campaign.objects.create(tenant=tenant, name=f"Admin import {time.time():.0f}", default_country="US")
    dataset = tablib.Dataset().load(content.decode(), format="csv")
    resource = LeadResource(tenant=tenant, campaign=campaign)
    started = time.perf_counter()
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, raise_errors=False, use_transactions=True)
    seconds = time.perf_counter() - started
    totals = dict(result.totals)
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds),
            "totals": {k: v for k, v in totals.items() if v}}  # fmt: skip


def bench_list(server: Server, token: str, path: str, *, clients: int = 4, per_client: int = 150) -> dict:
    """`clients` threads, each on its own keep-alive connection, each sending the next request as soon
    as the last answered. The clients share the machine with the server, so they speak plain
    http.client: requests' own overhead would be CPU taken from the server under test."""
    samples: list[float] = []
    lock = threading.Lock()
    errors = [0]
    host, port = server.base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)

        def get() -> int:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status

        for _ in range(5):
            get()
        local = []
        for _ in range(per_client):
            started = time.perf_counter()
            code = get()
            local.append((time.perf_counter() - started) * 1000)
            if code != 200:
                errors[0] += 1
        conn.close()
        with lock:
            samples.extend(local)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    body = requests.get(f"{server.base}{path}", headers=headers, timeout=30).json()
    return {
        "path": path, "clients": clients, **percentiles(samples),
        "requests_per_second": round(len(samples) / seconds), "errors": errors[0], "total": body.get("total"),
        "total_is_estimate": body.get("total_is_estimate", False),
    }  # fmt: skip


def run(*, quick: bool) -> dict:
    """LEADS_BENCH=import,list,admin (the default: all three) runs a part while working on it."""
    parts = set(os.environ.get("LEADS_BENCH", "import,list,admin").split(","))
    big_size = 100_000 if quick else 1_000_000
    import_rows = 20_000 if quick else 100_000
    ensure_big_tenant(big_size)
    content = make_csv(import_rows)
    figures: dict = {"big_tenant_leads": big_size}
    server = Server()
    try:
        token = _token(server.base)
        if "import" in parts:
            _bench_imports(figures, server, content, import_rows, quick=quick)
        if "list" in parts:
            _bench_lists(figures, server, token, quick=quick)
    finally:
        server.stop()
    if "admin" in parts:
        figures["import_admin"] = bench_admin_import(_import_tenant(), content, import_rows)
        _forget_imports(_import_tenant())
    if "import_api" in figures and "import_admin" in figures:
        figures["import_speedup_vs_admin"] = round(
            figures["import_api"]["rows_per_second"] / max(1, figures["import_admin"]["rows_per_second"]), 1
        )
    return figures


def _bench_imports(figures: dict, server: Server, content: bytes, import_rows: int, *, quick: bool) -> None:
    from apps.campaigns.models import Campaign

    # Imports land in a tenant of their own, so the listing tenant keeps exactly its million leads,
    # and are deleted after each run, so every run (and every later bench) meets the same table.
    # The machine is shared and noisy: the median of three runs is the figure.
    import_tenant = _import_tenant()
    token_import = _token(server.base, "bench-import@leadvoice.dev")
    runs = []
    for _ in range(1 if quick else 3):
        import_campaign = Campaign.objects.create(tenant=import_tenant, name=f"Import {time.time():.0f}",
                                                  default_country="US")  # fmt: skip
        runs.append(bench_import(server, token_import, content, import_rows, str(import_campaign.id)))
        _forget_imports(import_tenant)
    figures["import_api"] = {**sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2],
                             "runs_rows_per_second": [r["rows_per_second"] for r in runs]}  # fmt: skip


def _bench_lists(figures: dict, server: Server, token: str, *, quick: bool) -> None:
    per_client = 50 if quick else 150
    figures["list_plain"] = bench_list(server, token, "/api/v1/leads/?per_page=50", per_client=per_client)
    figures["list_filtered"] = bench_list(server, token, "/api/v1/leads/?per_page=50&status=new&city=Boston",
                                          per_client=per_client)  # fmt: skip
    figures["list_search"] = bench_list(
        server, token, "/api/v1/leads/?per_page=50&search=name4217", per_client=per_client
    )
    figures["list_search_broad"] = bench_list(
        server, token, "/api/v1/leads/?per_page=50&search=jane", per_client=max(10, per_client // 5)
    )
