"""Shared fixtures: two tenants and their people (the healthchecks personas).

alice owns Acme, bob is an Acme agent, maria is an Acme manager; charlie owns Globex, the outsider.
`api_client_for(user)` signs requests with a real JWT issued by the login code path;
`api_key_for(tenant, scope)` mints a real key.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.tenants import services, tokens
from apps.tenants.choices import ApiKeyScope, Role, TenantStatus, Tier
from apps.tenants.models import Tenant

BASE_DIR = Path(__file__).resolve().parent
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty Django cache (throttle counters, token denylist). Only our own
    prefix is removed: the same Redis carries Celery's queues, which FLUSHDB would destroy."""
    yield
    from django.conf import settings
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def acme(db):
    return Tenant.objects.create(name="Acme", slug="acme", tier=Tier.GROWTH, status=TenantStatus.ACTIVE)


@pytest.fixture
def globex(db):
    return Tenant.objects.create(name="Globex", slug="globex", tier=Tier.STARTER, status=TenantStatus.ACTIVE)


def _person(tenant, email, role, first_name):
    return services.user_create(tenant=tenant, email=email, password=PASSWORD, role=role, first_name=first_name)


@pytest.fixture
def alice(acme):
    return _person(acme, "alice@acme.test", Role.OWNER, "Alice")


@pytest.fixture
def maria(acme):
    return _person(acme, "maria@acme.test", Role.MANAGER, "Maria")


@pytest.fixture
def bob(acme):
    return _person(acme, "bob@acme.test", Role.AGENT, "Bob")


@pytest.fixture
def charlie(globex):
    return _person(globex, "charlie@globex.test", Role.OWNER, "Charlie")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.tokens_issue(user=user)['access_token']}")
        return client

    return make


@pytest.fixture
def api_key_for():
    def make(tenant, scope: str = ApiKeyScope.WRITE, name: str = "integration") -> str:
        _, raw = services.api_key_create(tenant=tenant, name=name, scope=scope)
        return raw

    return make


def database_url_for_subprocess() -> str:
    """The URL of the database the tests use (the test database), for processes the tests start."""
    db = connection.settings_dict
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker process on the test database and the test Redis. Tests that use it see
    committed data only, hence transactional_db."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadvoice.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        "PYTHONUNBUFFERED": "1",
    }
    hostname = f"test-{os.getpid()}-{time.monotonic_ns()}@localhost"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadvoice.celery", "worker", "--pool", "solo", "-l", "WARNING",
         "-n", hostname, "--without-mingle", "--without-gossip"],
        cwd=BASE_DIR, env=env, start_new_session=True,
    )  # fmt: skip
    from leadvoice.celery import app

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if app.control.ping(destination=[hostname], timeout=0.5):
            break
        if proc.poll() is not None:
            pytest.fail(f"Celery worker exited with {proc.returncode} during start-up")
    else:
        proc.kill()
        pytest.fail("Celery worker did not answer ping within 30 s")
    yield proc
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
