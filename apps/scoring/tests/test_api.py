"""POST /api/v1/leads/{id}/score/ (spec 001): the shape, what is kept on the lead, the hot-lead flag
over the tenant's threshold, tenancy, roles and bad input."""

import uuid

import pytest

from apps.calls.choices import CallOutcome, CallStatus
from apps.calls.tests import factories as f
from apps.leads.models import Lead, LeadActivity
from apps.scoring.models import ScoringPolicy
from apps.scoring.services import SCORE_CHANGED
from apps.tenants.choices import ApiKeyScope

pytestmark = pytest.mark.django_db
PARTS = ("overall_score", "demographic_score", "behavioral_score", "engagement_score", "intent_score",
         "conversion_probability")  # fmt: skip


def interested_call(lead, *, talk: int = 300):
    """A finished call in which the person talked for `talk` seconds and was interested."""
    return f.call(lead, status=CallStatus.COMPLETED, outcome=CallOutcome.ANSWERED, disposition="interested",
                  talk_time=talk, duration=talk + 5)  # fmt: skip


def score_url(lead) -> str:
    return f"/api/v1/leads/{getattr(lead, 'pk', lead)}/score/"


def assert_error(resp, status: int, code: str, loc: list | None = None) -> dict:
    assert resp.status_code == status, resp.json()
    body = resp.json()
    assert body["code"] == code and body["request_id"], body
    if loc is not None:
        assert loc in [e["loc"] for e in body["errors"]], body["errors"]
    return body


def test_it_answers_spec_001s_shape_and_keeps_the_score_on_the_lead(api_client_for, alice, strong_lead):
    resp = api_client_for(alice).post(score_url(strong_lead))
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    for part in PARTS:
        assert 0 <= body[part] <= 1, (part, body[part])
    assert set(body["factors"]) == {"positive_factors", "negative_factors", "recommendations"}
    assert "Senior title/decision maker" in body["factors"]["positive_factors"]
    assert body["scored_by"] == "rules" and body["model_id"] is None and body["saved"] is True
    assert body["lead_score"] == round(body["overall_score"] * 100) and body["lead_id"] == str(strong_lead.pk)

    strong_lead.refresh_from_db()
    assert strong_lead.lead_score == body["lead_score"]
    assert strong_lead.score_breakdown["overall_score"] == body["overall_score"]
    assert strong_lead.score_breakdown["factors"] == body["factors"]
    entry = LeadActivity.objects.get(lead=strong_lead, activity_type=SCORE_CHANGED)
    assert entry.metadata["from"] == 0 and entry.metadata["to"] == body["lead_score"]
    assert entry.metadata["reason"] == "api" and entry.actor_id == alice.pk
    # The lead's own representation carries it (specs 002/003: lead_score 0-100, is_hot_lead).
    lead = api_client_for(alice).get(f"/api/v1/leads/{strong_lead.pk}/").json()
    assert lead["lead_score"] == body["lead_score"] and lead["score_breakdown"]["scored_by"] == "rules"


def test_scoring_again_without_change_adds_no_timeline_entry(api_client_for, alice, strong_lead):
    client = api_client_for(alice)
    first = client.post(score_url(strong_lead)).json()
    second = client.post(score_url(strong_lead)).json()
    assert first["lead_score"] == second["lead_score"]
    assert LeadActivity.objects.filter(lead=strong_lead, activity_type=SCORE_CHANGED).count() == 1


def test_the_hot_lead_flag_follows_the_tenants_threshold(api_client_for, alice, acme, strong_lead, weak_lead):
    interested_call(strong_lead)
    client = api_client_for(alice)
    strong = client.post(score_url(strong_lead)).json()
    weak = client.post(score_url(weak_lead)).json()
    assert strong["hot_lead_threshold"] == 70  # the platform default
    assert strong["lead_score"] >= 70 and strong["is_hot_lead"] is True
    assert weak["lead_score"] < 70 and weak["is_hot_lead"] is False
    hot = client.get("/api/v1/leads/hot/").json()["leads"]
    assert [row["id"] for row in hot] == [str(strong_lead.pk)]

    ScoringPolicy.objects.create(tenant=acme, hot_lead_threshold=strong["lead_score"] + 1)
    again = client.post(score_url(strong_lead)).json()
    assert again["is_hot_lead"] is False and again["hot_lead_threshold"] == strong["lead_score"] + 1
    assert not Lead.objects.get(pk=strong_lead.pk).is_hot_lead
    entry = LeadActivity.objects.filter(lead=strong_lead, activity_type=SCORE_CHANGED).first()
    assert "no longer a hot lead" in entry.description


def test_a_do_not_call_lead_is_never_hot(api_client_for, alice, make_lead):
    lead = make_lead(do_not_call=True, job_title="CEO", interest_level="high", email="x@y.test")
    body = api_client_for(alice).post(score_url(lead)).json()
    assert body["overall_score"] == 0 and body["is_hot_lead"] is False
    assert body["factors"]["recommendations"] == ["Do not call: keep off every campaign"]


def test_a_dry_run_keeps_nothing(api_client_for, alice, strong_lead):
    body = api_client_for(alice).post(score_url(strong_lead), {"dry_run": True}, format="json").json()
    assert body["saved"] is False and body["lead_score"] > 0
    strong_lead.refresh_from_db()
    assert strong_lead.lead_score == 0 and strong_lead.score_breakdown == {}
    assert not LeadActivity.objects.filter(lead=strong_lead, activity_type=SCORE_CHANGED).exists()


def test_another_tenants_lead_is_not_found(api_client_for, charlie, strong_lead):
    assert_error(api_client_for(charlie).post(score_url(strong_lead)), 404, "NOT_FOUND")
    assert_error(api_client_for(charlie).post(score_url(uuid.uuid4())), 404, "NOT_FOUND")
    strong_lead.refresh_from_db()
    assert strong_lead.lead_score == 0


def test_a_deleted_lead_and_a_malformed_id_are_not_found(api_client_for, alice, strong_lead):
    Lead.objects.filter(pk=strong_lead.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert_error(api_client_for(alice).post(score_url(strong_lead)), 404, "NOT_FOUND")
    assert_error(api_client_for(alice).post("/api/v1/leads/not-an-id/score/"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "loc"),
    [({"method": "psychic"}, ["body", "method"]), ({"dry_run": "perhaps"}, ["body", "dry_run"]),
     ({"lead_score": 99}, ["body", "lead_score"])],
)  # fmt: skip
def test_bad_input_is_a_400_with_a_code(api_client_for, alice, strong_lead, body, loc):
    assert_error(api_client_for(alice).post(score_url(strong_lead), body, format="json"), 400, "VALIDATION_ERROR",
                 loc)  # fmt: skip


def test_a_body_that_is_not_an_object_is_a_400(api_client_for, alice, strong_lead):
    assert_error(api_client_for(alice).post(score_url(strong_lead), [1, 2], format="json"), 400, "VALIDATION_ERROR")
    resp = api_client_for(alice).post(score_url(strong_lead), "{nope", content_type="application/json")
    assert_error(resp, 400, "PARSE_ERROR")


def test_asking_for_the_model_without_one_is_a_409(api_client_for, alice, strong_lead):
    assert_error(api_client_for(alice).post(score_url(strong_lead), {"method": "model"}, format="json"), 409,
                 "NO_TRAINED_MODEL")  # fmt: skip


def test_agents_score_leads_and_read_only_keys_do_not(api_client_for, api_client, api_key_for, acme, bob,
                                                      strong_lead):  # fmt: skip
    assert api_client_for(bob).post(score_url(strong_lead)).status_code == 200
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, ApiKeyScope.READ))
    assert_error(api_client.post(score_url(strong_lead)), 403, "API_KEY_READ_ONLY")
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, ApiKeyScope.WRITE))
    assert api_client.post(score_url(strong_lead)).status_code == 200


def test_it_needs_credentials(api_client, strong_lead):
    assert_error(api_client.post(score_url(strong_lead)), 401, "AUTHENTICATION_ERROR")
