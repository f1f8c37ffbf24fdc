"""Fixtures of the scoring tests: leads made through the leads service, calls as the dialer leaves
them (apps.calls.tests.factories), a generated population to train on (apps.scoring.synthetic),
and Celery in eager mode for the tests that run a task in process."""

import pytest

from apps.calls.tests import factories as f
from leadvoice.celery import app as celery_app

STRONG = {"job_title": "VP Sales", "company_name": "Initech", "email": "ann@initech.test", "company_size": "1000+",
          "annual_revenue": 50_000_000, "interest_level": "high", "source": "referral", "priority": 1}  # fmt: skip
WEAK = {"job_title": "", "company_name": "", "email": "", "source": "purchased list", "interest_level": "low",
        "priority": 5}  # fmt: skip


@pytest.fixture
def make_lead(acme):
    counter = iter(range(100, 10_000))

    def make(tenant=None, *, campaign=None, **values):
        return f.lead(tenant or acme, f"+1212555{next(counter):04d}", campaign=campaign, **values)

    return make


@pytest.fixture
def strong_lead(make_lead):
    return make_lead(first_name="Ann", **STRONG)


@pytest.fixture
def weak_lead(make_lead):
    return make_lead(first_name="Wes", **WEAK)


@pytest.fixture
def eager_celery():
    """Tasks run in process when sent (.delay, .apply_async), as a worker would run them."""
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = False
