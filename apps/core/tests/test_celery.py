"""A real Celery worker process picks up tasks from the real Redis broker."""

import time

import pytest

from apps.core.health import HEARTBEAT_KEY, redis_client
from apps.core.tasks import heartbeat


@pytest.mark.slow
def test_a_worker_process_runs_the_heartbeat_task(celery_worker_process):
    client = redis_client()
    client.delete(HEARTBEAT_KEY)
    sent_at = time.time()
    heartbeat.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and client.get(HEARTBEAT_KEY) is None:
        time.sleep(0.1)
    value = client.get(HEARTBEAT_KEY)
    assert value is not None, "the worker never ran the task"
    assert float(value) >= sent_at
