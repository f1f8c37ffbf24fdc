"""The scoring back office: a tenant's staff set its policy once and see its models and jobs, never
another tenant's; models are shown without their bytes and never edited."""

import pytest

from apps.scoring import services, synthetic
from apps.scoring.models import ScoringModel, ScoringPolicy, TrainingJob


@pytest.fixture
def staff(client, alice):
    client.force_login(alice)
    return client


def test_staff_set_their_tenants_policy_once(staff, acme):
    resp = staff.post("/admin/scoring/scoringpolicy/add/", {"hot_lead_threshold": 80, "use_model": "on"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    policy = ScoringPolicy.objects.get()
    assert (policy.tenant_id, policy.hot_lead_threshold, policy.use_model) == (acme.pk, 80, True)
    assert services.policy_of(acme.pk) == (80, True)
    assert staff.get("/admin/scoring/scoringpolicy/add/").status_code == 403  # one per tenant: change it instead
    assert staff.get(f"/admin/scoring/scoringpolicy/{policy.pk}/change/").status_code == 200


def test_models_and_jobs_are_shown_for_the_tenant_only(staff, acme, globex):
    synthetic.make(acme, 240, seed=4)
    synthetic.make(globex, 240, seed=4)
    for tenant in (acme, globex):
        job, _ = services.training_request(tenant_id=tenant.pk)
        assert services.training_run(job_id=job.pk, rescore=False) == "succeeded"
    ours, theirs = ScoringModel.objects.get(tenant=acme), ScoringModel.objects.get(tenant=globex)
    page = staff.get("/admin/scoring/scoringmodel/").content.decode()
    assert str(ours.pk) in page and str(theirs.pk) not in page
    detail = staff.get(f"/admin/scoring/scoringmodel/{ours.pk}/change/")
    assert detail.status_code == 200 and "field-pipeline" not in detail.content.decode()
    assert "field-metrics" in detail.content.decode()
    assert staff.get(f"/admin/scoring/scoringmodel/{theirs.pk}/change/").status_code == 302  # "does not exist"
    assert staff.get("/admin/scoring/scoringmodel/add/").status_code == 403
    jobs = staff.get("/admin/scoring/trainingjob/").content.decode()
    assert str(TrainingJob.objects.get(tenant=acme).pk) in jobs
    assert str(TrainingJob.objects.get(tenant=globex).pk) not in jobs
