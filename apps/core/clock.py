"""The time the dialer lives by. In production it is timezone.now(). Tests of a simulated day move it:
with CLOCK_OVERRIDE_ALLOWED (test settings only) an offset kept in Redis (so the Celery worker
processes see the same time as the test) is added to the real clock."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

_KEY = "clock:offset-seconds"


def now() -> datetime:
    real = timezone.now()
    if not getattr(settings, "CLOCK_OVERRIDE_ALLOWED", False):
        return real
    offset = cache.get(_KEY)
    return real + timedelta(seconds=offset) if offset else real


def travel_to(moment: datetime) -> None:
    """Tests: from now on (in every process), now() reads `moment` plus the real time that passes."""
    if not getattr(settings, "CLOCK_OVERRIDE_ALLOWED", False):
        raise RuntimeError("The clock can only be moved with CLOCK_OVERRIDE_ALLOWED (test settings).")
    cache.set(_KEY, (moment - timezone.now()).total_seconds(), None)


def reset() -> None:
    cache.delete(_KEY)
