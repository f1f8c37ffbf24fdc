"""Lead scoring (issue 7): does a tenant's trained model rank leads better than the rules?

A generated population (apps.scoring.synthetic) where conversion depends on known features plus
noise, in a tenant of its own: finished leads with the calls that decided them (what the model
learns from, through the production training path: apps.scoring.services.training_run), and a
separate set of open leads with their calls so far, whose future outcome only the bench knows.
Both the rule-based score and the trained model score the open leads (the production scoring
path, batched), and their ROC AUC and precision in the top decile are compared. Also timed: the
training, batch scoring, and one lead scored and kept (POST /leads/{id}/score/'s service).
"""

import time

from bench.harness import percentiles

NAME = "scoring"
TENANT = "bench-scoring"


def _fresh_tenant():
    """The bench's tenant, emptied of what an earlier run left."""
    from apps.calls.models import Call
    from apps.leads.models import Lead, LeadActivity
    from apps.scoring.models import ScoringModel, TrainingJob
    from apps.tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT, defaults={"name": "Bench Scoring", "industry": "healthcare"})
    LeadActivity.objects.filter(tenant=tenant).delete()
    Call.objects.filter(tenant=tenant).delete()
    Lead.objects.filter(tenant=tenant)._raw_delete(Lead.objects.db)
    ScoringModel.objects.filter(tenant=tenant).delete()
    TrainingJob.objects.filter(tenant=tenant).delete()
    return tenant


def _holdout_facts(tenant, lead_ids: list) -> list:
    from apps.leads.models import Lead
    from apps.scoring.features import LEAD_FIELDS, histories, lead_facts

    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=lead_ids).only(*LEAD_FIELDS)}
    facts = []
    for start in range(0, len(lead_ids), 2000):
        chunk = lead_ids[start : start + 2000]
        history = histories(chunk, tenant_id=tenant.pk)
        facts += [lead_facts(leads[pk], history=history[pk], tenant_industry=tenant.industry) for pk in chunk]
    return facts


def run(*, quick: bool) -> dict:
    from apps.scoring import learning, services, synthetic
    from apps.scoring.models import ScoringModel, TrainingJob

    train_size, holdout_size = (1500, 1000) if quick else (6000, 3000)
    tenant = _fresh_tenant()
    started = time.monotonic()
    finished = synthetic.make(tenant, train_size, seed=1)
    holdout = synthetic.make(tenant, holdout_size, labelled=False, seed=2, phone_start=5_000_000)
    figures: dict = {"generate_seconds": round(time.monotonic() - started, 1), "train_leads": train_size,
                     "train_base_rate": round(sum(c for _, c in finished) / train_size, 3),
                     "holdout_leads": holdout_size,
                     "holdout_base_rate": round(sum(c for _, c in holdout) / holdout_size, 3)}  # fmt: skip

    job = TrainingJob.objects.create(tenant=tenant)
    started = time.monotonic()
    outcome = services.training_run(job_id=job.pk, rescore=False)
    figures["training_seconds"] = round(time.monotonic() - started, 2)
    if outcome != "succeeded":
        job.refresh_from_db()
        raise RuntimeError(f"training {outcome}: {job.error_code} {job.error_message}")
    metrics = ScoringModel.objects.get(tenant=tenant, is_active=True).metrics
    figures["in_training_holdout"] = {key: metrics[key] for key in ("auc", "rules_auc", "precision_at_top_decile",
                                                                    "rules_precision_at_top_decile")}  # fmt: skip

    facts = _holdout_facts(tenant, [pk for pk, _ in holdout])
    labels = [int(converted) for _, converted in holdout]
    model = services.active_model(tenant.pk)
    started = time.monotonic()
    by_rules = services.score_many(facts, threshold=70, model=None)
    rules_seconds = time.monotonic() - started
    started = time.monotonic()
    by_model = services.score_many(facts, threshold=70, model=model)
    model_seconds = time.monotonic() - started
    rules_scores = [s.overall for s in by_rules]
    model_scores = [s.conversion_probability for s in by_model]
    figures.update({
        "model_auc": round(learning.auc(labels, model_scores), 4),
        "rules_auc": round(learning.auc(labels, rules_scores), 4),
        "model_precision_at_top_decile": round(learning.precision_at_top(labels, model_scores), 4),
        "rules_precision_at_top_decile": round(learning.precision_at_top(labels, rules_scores), 4),
        "batch_scoring_leads_per_second": {"rules": round(len(facts) / max(rules_seconds, 1e-9)),
                                           "model": round(len(facts) / max(model_seconds, 1e-9))},
    })  # fmt: skip
    figures["auc_gain"] = round(figures["model_auc"] - figures["rules_auc"], 4)

    # One lead at a time, kept on the lead: what POST /leads/{id}/score/ and a call's end cost.
    samples = []
    for pk, _ in holdout[: 100 if quick else 300]:
        started = time.perf_counter()
        services.lead_score_compute(lead_id=pk, tenant_id=tenant.pk, reason="bench")
        samples.append((time.perf_counter() - started) * 1000)
    figures["score_one_lead_with_model"] = percentiles(samples)
    _fresh_tenant()
    return figures
