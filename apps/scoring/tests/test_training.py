"""The per-tenant model (spec 002's /ml/ endpoints): refused with a code while there are too few
labelled leads, trained on a generated population where it must beat chance, reported with real
metrics, then used to score; one open job per tenant; the weekly schedule; a real worker runs it."""

import time

import pytest
from django.conf import settings

from apps.scoring import services, synthetic, tasks
from apps.scoring.choices import TrainingStatus, TrainingTrigger
from apps.scoring.models import ScoringModel, TrainingJob
from apps.scoring.tests.test_api import assert_error, score_url

STATUS, TRIGGER, PERFORMANCE = "/api/v1/ml/training/status/", "/api/v1/ml/training/trigger/", "/api/v1/ml/performance/"


@pytest.fixture
def population(acme):
    """300 finished leads of Acme, about a quarter converted, with their calls."""
    people = synthetic.make(acme, 300, seed=11)
    assert 40 <= sum(converted for _, converted in people) <= 200
    return people


def test_training_is_refused_with_a_code_while_labels_are_too_few(api_client_for, alice, acme, strong_lead):
    synthetic.make(acme, 30, seed=3)
    client = api_client_for(alice)
    body = assert_error(client.post(TRIGGER), 409, "INSUFFICIENT_TRAINING_DATA")
    assert body["labelled_leads"] == 30 and body["min_labelled_leads"] == 200 and "rule-based" in body["detail"]
    status = client.get(STATUS).json()
    assert status["status"] == "not_trained" and status["scoring_method"] == "rules"
    assert status["ready_to_train"] is False and "30 labelled leads" in status["not_ready_reason"]
    assert status["labelled_leads"] == 30 and status["requirements"]["min_positive_leads"] == 20
    assert not TrainingJob.objects.exists()
    perf = client.get(PERFORMANCE).json()
    assert perf["trained"] is False and perf["auc"] is None and perf["labelled_leads"] == 30
    # Open leads (still being called) are not labels.
    assert services.label_counts(acme.pk)[0] == 30


def test_too_few_converted_leads_is_refused_too(api_client_for, alice, acme):
    from apps.leads.models import Lead

    synthetic.make(acme, 220, seed=5)
    Lead.objects.filter(tenant=acme, stage="converted").update(stage="lost", converted_at=None)
    body = assert_error(api_client_for(alice).post(TRIGGER), 409, "INSUFFICIENT_TRAINING_DATA")
    assert body["positive_leads"] == 0 and "converted leads" in body["detail"]


def test_only_operators_trigger_a_training(api_client_for, bob, charlie, population):
    assert_error(api_client_for(bob).post(TRIGGER), 403, "ROLE_FORBIDDEN")
    assert api_client_for(bob).get(STATUS).status_code == 200  # every member reads
    # Another tenant has no labels of its own: Acme's population is not theirs.
    assert_error(api_client_for(charlie).post(TRIGGER), 409, "INSUFFICIENT_TRAINING_DATA")


def test_a_training_runs_reports_real_metrics_and_then_scores_leads(api_client_for, maria, acme, population,
                                                                     make_lead, strong_lead, eager_celery,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    client = api_client_for(maria)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(TRIGGER)
    assert resp.status_code == 202, resp.json()
    job_id = resp.json()["job_id"]
    assert resp.json()["already_queued"] is False
    job = TrainingJob.objects.get(pk=job_id)
    assert job.status == TrainingStatus.SUCCEEDED, (job.error_code, job.error_message)
    assert job.trigger == TrainingTrigger.MANUAL and job.requested_by_id == maria.pk
    assert client.get(f"/api/v1/ml/training/jobs/{job_id}/").json()["status"] == "succeeded"

    perf = client.get(PERFORMANCE).json()
    model = ScoringModel.objects.get(tenant=acme, is_active=True)
    assert perf["trained"] is True and perf["model_id"] == str(model.pk) and perf["scoring_method"] == "model"
    assert perf["samples"] == 300 and perf["positives"] + perf["negatives"] == 300
    assert perf["train_samples"] + perf["holdout_samples"] == 300 and perf["holdout_samples"] == 75
    assert 0.6 < perf["auc"] <= 1.0, perf  # the population's pattern is learnable: far from a coin toss
    assert 0 <= perf["precision_at_top_decile"] <= 1 and 0 < perf["base_rate"] < 1
    assert perf["rules_auc"] is not None and perf["top_features"] and perf["trained_at"]
    status = client.get(STATUS).json()
    assert status["status"] == "trained" and status["scoring_method"] == "model"
    assert status["model"]["model_id"] == str(model.pk) and status["latest_job"]["job_id"] == job_id

    # New scores come from the model; the open lead was rescored when the model arrived (eager).
    strong_lead.refresh_from_db()
    assert strong_lead.score_breakdown["scored_by"] == "model"
    body = client.post(score_url(strong_lead)).json()
    assert body["scored_by"] == "model" and body["model_id"] == str(model.pk)
    assert 0 < body["conversion_probability"] < 1 and 0 <= body["overall_score"] <= 1
    rules = client.post(score_url(strong_lead), {"method": "rules", "dry_run": True}, format="json").json()
    assert rules["scored_by"] == "rules"


def test_one_open_job_per_tenant_and_a_redelivered_task_does_nothing(api_client_for, alice, acme, population,
                                                                    django_capture_on_commit_callbacks):  # fmt: skip
    client = api_client_for(alice)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(TRIGGER).json()
        second = client.post(TRIGGER)
    assert second.status_code == 202 and second.json()["job_id"] == first["job_id"]
    assert second.json()["already_queued"] is True and len(queued) == 1
    assert services.training_run(job_id=first["job_id"], rescore=False) == TrainingStatus.SUCCEEDED
    assert services.training_run(job_id=first["job_id"], rescore=False) == "not_queued"
    assert ScoringModel.objects.filter(tenant=acme).count() == 1
    # A second training replaces the active model; the old one is kept, inactive.
    job, created = services.training_request(tenant_id=acme.pk)
    assert created and services.training_run(job_id=job.pk, rescore=False) == TrainingStatus.SUCCEEDED
    assert ScoringModel.objects.filter(tenant=acme).count() == 2
    assert ScoringModel.objects.get(tenant=acme, is_active=True).job_id == job.pk


def test_a_job_left_open_too_long_is_closed_on_the_next_request(acme, population):
    job, _ = services.training_request(tenant_id=acme.pk)
    TrainingJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at.replace(year=2000))
    again, created = services.training_request(tenant_id=acme.pk)
    assert created and again.pk != job.pk
    job.refresh_from_db()
    assert (job.status, job.error_code) == (TrainingStatus.FAILED, "TRAINING_LOST")


def test_a_training_that_breaks_says_so_on_its_job(acme, population, monkeypatch):
    from apps.scoring import learning

    job, _ = services.training_request(tenant_id=acme.pk)
    monkeypatch.setattr(learning, "train", lambda *a, **k: 1 / 0)
    assert services.training_run(job_id=job.pk) == TrainingStatus.FAILED
    job.refresh_from_db()
    assert job.error_code == "TRAINING_FAILED" and "ZeroDivisionError" in job.error_message
    assert not ScoringModel.objects.exists()


def test_the_weekly_schedule_queues_tenants_with_enough_outcomes(acme, globex, population,
                                                                django_capture_on_commit_callbacks):  # fmt: skip
    synthetic.make(globex, 20, seed=2)
    assert settings.CELERY_BEAT_SCHEDULE["scoring-retrain-weekly"]["task"] == "apps.scoring.tasks.training_schedule"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert tasks.training_schedule() == 1
    job = TrainingJob.objects.get()
    assert job.tenant_id == acme.pk and job.trigger == TrainingTrigger.SCHEDULE and len(queued) == 1
    with django_capture_on_commit_callbacks(execute=False):
        assert tasks.training_schedule() == 0  # its job is still open


@pytest.mark.slow
def test_a_real_worker_trains_the_model(api_client_for, alice, acme, celery_worker_process):
    synthetic.make(acme, 260, seed=17)
    resp = api_client_for(alice).post(TRIGGER)
    assert resp.status_code == 202, resp.json()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = TrainingJob.objects.get(pk=resp.json()["job_id"])
        if job.status not in (TrainingStatus.QUEUED, TrainingStatus.RUNNING):
            break
        time.sleep(0.3)
    assert job.status == TrainingStatus.SUCCEEDED, (job.status, job.error_code, job.error_message)
    perf = api_client_for(alice).get(PERFORMANCE).json()
    assert perf["trained"] and perf["samples"] == 260 and perf["auc"] > 0.5
