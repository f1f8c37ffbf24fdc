"""Probes: /health (who am I), /health/live (the process answers), /health/ready (PostgreSQL and Redis
answer; 503 naming the failing part otherwise). Plain Django views: no auth, no throttling."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.exceptions import envelope

HEARTBEAT_KEY = "leadvoice:heartbeat"
HEARTBEAT_STALE_SECONDS = 60


def redis_client(**overrides) -> redis.Redis:
    options = {"socket_connect_timeout": 1, "socket_timeout": 1, **overrides}
    return redis.Redis.from_url(settings.REDIS_URL, **options)


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        extra = check() or {}
    except Exception as exc:  # any failure makes the part unavailable; the message says why
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 2), **extra}


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> dict:
    client = redis_client()
    try:
        client.ping()
        beat = client.get(HEARTBEAT_KEY)
    finally:
        client.close()
    if beat is None:
        return {"workers": "no heartbeat yet"}
    age = time.time() - float(beat)
    return {"workers": "ok" if age < HEARTBEAT_STALE_SECONDS else f"last heartbeat {age:.0f}s ago"}


@never_cache
@require_GET
def health(request):
    return JsonResponse(
        {
            "status": "healthy",
            "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
            "version": settings.VERSION,
            "environment": settings.ENVIRONMENT,
        }
    )


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "alive", "timestamp": timezone.now().isoformat().replace("+00:00", "Z")})


@never_cache
@require_GET
def ready(request):
    checks = {"database": _timed(_check_database), "redis": _timed(_check_redis)}
    failing = [name for name, result in checks.items() if result["status"] != "ok"]
    if failing:
        detail = "; ".join(f"{name} unavailable ({checks[name]['error']})" for name in failing)
        body = envelope(detail, "SERVICE_UNAVAILABLE", status="unavailable", failing=failing, checks=checks)
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ready", "checks": checks})
