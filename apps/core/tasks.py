"""Periodic housekeeping shared by every app."""

import time

from celery import shared_task


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat schedules it, a worker runs it: a fresh timestamp proves both alive (read by /health/ready)."""
    from apps.core.health import HEARTBEAT_KEY, redis_client

    client = redis_client()
    try:
        client.set(HEARTBEAT_KEY, time.time(), ex=3600)
    finally:
        client.close()
