"""A finished call rescores its lead: finalize queues the task after commit, the task keeps the new
score and the timeline says so; the call's history moves the score the right way."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.calls import outcomes
from apps.calls.choices import CallOutcome, CallStatus
from apps.calls.tests import factories as f
from apps.calls.transitions import call_move
from apps.leads.models import LeadActivity
from apps.scoring import services, tasks
from apps.scoring.services import SCORE_CHANGED

pytestmark = pytest.mark.django_db


def _end(call, *, disposition: str, talk: int = 240):
    start = timezone.now() - dt.timedelta(seconds=talk + 30)
    call_move(call=call, to=CallStatus.INITIATED)
    call_move(call=call, to=CallStatus.IN_PROGRESS, fields={"answered_at": start, "answered_by": "human"})
    call_move(call=call, to=CallStatus.COMPLETED, fields={"ended_at": start + dt.timedelta(seconds=talk),
                                                           "disposition": disposition})  # fmt: skip
    assert outcomes.finalize(call)


def test_a_finished_call_rescores_its_lead_after_commit(acme, make_lead, eager_celery,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    campaign = f.campaign(acme)
    lead = make_lead(campaign=campaign, job_title="Director of Sales", email="d@x.test", company_name="X")
    before = services.lead_score_compute(lead_id=lead.pk, tenant_id=acme.pk)["lead_score"]
    call = f.call(lead)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        _end(call, disposition="interested")
    lead.refresh_from_db()
    assert lead.lead_score == before  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending:
            callback()
    lead.refresh_from_db()
    assert lead.lead_score > before and lead.score_breakdown["scored_by"] == "rules"
    assert "Answered 1 of 1 calls" in lead.score_breakdown["factors"]["positive_factors"]
    entry = LeadActivity.objects.filter(lead=lead, activity_type=SCORE_CHANGED).first()
    assert entry.metadata["reason"] == "call_ended" and entry.metadata["call_id"] == str(call.pk)
    assert entry.metadata["from"] == before and entry.metadata["to"] == lead.lead_score


def test_not_interested_lowers_the_score(acme, make_lead, eager_celery, django_capture_on_commit_callbacks):
    campaign = f.campaign(acme)
    lead = make_lead(campaign=campaign, job_title="CEO", email="c@x.test", interest_level="medium")
    before = services.lead_score_compute(lead_id=lead.pk, tenant_id=acme.pk)["lead_score"]
    with django_capture_on_commit_callbacks(execute=True):
        _end(f.call(lead), disposition="not_interested", talk=40)
    lead.refresh_from_db()
    assert lead.lead_score < before
    assert "Said not interested" in lead.score_breakdown["factors"]["negative_factors"]


def test_calls_without_an_answer_count_against_and_canceled_ones_do_not(acme, make_lead):
    lead = make_lead()
    for _ in range(3):
        f.call(lead, status=CallStatus.NO_ANSWER, outcome=CallOutcome.NO_ANSWER, disposition="no_answer")
    f.call(lead, status=CallStatus.CANCELED, outcome=CallOutcome.CANCELED, disposition="canceled")
    body = services.lead_score_compute(lead_id=lead.pk, tenant_id=acme.pk)
    assert "3 calls without an answer" in body["factors"]["negative_factors"]


def test_the_task_is_safe_for_a_lead_that_is_gone(acme, make_lead):
    import uuid

    assert tasks.lead_rescore(str(uuid.uuid4())) == "gone"
    lead = make_lead()
    assert tasks.lead_rescore(str(lead.pk)).isdigit()


def test_the_conversation_engines_signals_count(acme, make_lead):
    lead = make_lead()
    f.call(lead, status=CallStatus.COMPLETED, outcome=CallOutcome.ANSWERED, disposition="answered", talk_time=200,
           analysis={"summary": {"interest_signals": ["demo_interest"], "objections_raised": ["price"],
                                 "overall_sentiment": 0.6}})  # fmt: skip
    body = services.lead_score_compute(lead_id=lead.pk, tenant_id=acme.pk)
    assert "Requested product demo" in body["factors"]["positive_factors"]
    assert "Raised objections: price" in body["factors"]["negative_factors"]
