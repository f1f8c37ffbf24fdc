"""Reads of the scoring app: the training status and the model's performance, per tenant."""

from apps.core.serializers import iso
from apps.scoring import services
from apps.scoring.models import ScoringModel, TrainingJob


def job_to_dict(job: TrainingJob | None) -> dict | None:
    if job is None:
        return None
    model_id = ScoringModel.objects.filter(job_id=job.pk).values_list("id", flat=True).first()
    return {
        "job_id": str(job.pk), "status": job.status, "trigger": job.trigger, "created_at": iso(job.created_at),
        "started_at": iso(job.started_at), "finished_at": iso(job.finished_at), "samples": job.samples,
        "positives": job.positives, "error_code": job.error_code or None, "error_message": job.error_message or None,
        "model_id": str(model_id) if model_id else None,
    }  # fmt: skip


def _model(tenant_id) -> ScoringModel | None:
    return ScoringModel.objects.filter(tenant_id=tenant_id, is_active=True).defer("pipeline").first()


def _model_summary(model: ScoringModel | None) -> dict | None:
    if model is None:
        return None
    return {"model_id": str(model.pk), "trained_at": iso(model.trained_at), "algorithm": model.algorithm,
            "samples": model.samples, "positives": model.positives, "auc": model.metrics.get("auc"),
            "precision_at_top_decile": model.metrics.get("precision_at_top_decile")}  # fmt: skip


def training_status(*, tenant_id) -> dict:
    """Spec 002's GET /ml/training/status: what scores the tenant's leads, the latest job, whether
    there are enough labelled leads to train, and the policy."""
    model = _model(tenant_id)
    job = TrainingJob.objects.filter(tenant_id=tenant_id).first()
    total, positives = services.label_counts(tenant_id)
    threshold, use_model = services.policy_of(tenant_id)
    why = services.shortfall(total, positives)
    training = job is not None and job.status in ("queued", "running")
    return {
        "status": "training" if training else ("trained" if model else "not_trained"),
        "scoring_method": "model" if model is not None and use_model and services.active_model(tenant_id) else "rules",
        "model": _model_summary(model),
        "latest_job": job_to_dict(job),
        "labelled_leads": total,
        "positive_leads": positives,
        "ready_to_train": not why,
        "not_ready_reason": why or None,
        "requirements": services.requirements(),
        "hot_lead_threshold": threshold,
        "use_model": use_model,
        "retraining": "weekly (beat: scoring-retrain-weekly)",
    }


def performance(*, tenant_id) -> dict:
    """Spec 002's GET /ml/performance: how the active model ranked leads it had not seen (ROC AUC,
    precision in the top decile), beside the rule-based score on the same leads."""
    model = _model(tenant_id)
    total, positives = services.label_counts(tenant_id)
    m = model.metrics if model is not None else {}
    return {
        "trained": model is not None,
        "scoring_method": "model" if model is not None and services.policy_of(tenant_id)[1] else "rules",
        "model_id": str(model.pk) if model else None, "trained_at": iso(model.trained_at) if model else None,
        "algorithm": model.algorithm if model else None,
        "auc": m.get("auc"), "precision_at_top_decile": m.get("precision_at_top_decile"),
        "rules_auc": m.get("rules_auc"), "rules_precision_at_top_decile": m.get("rules_precision_at_top_decile"),
        "base_rate": m.get("base_rate"), "samples": model.samples if model else 0,
        "positives": model.positives if model else 0, "negatives": model.samples - model.positives if model else 0,
        "train_samples": model.train_samples if model else 0, "holdout_samples": model.holdout_samples if model else 0,
        "holdout_positives": m.get("holdout_positives"), "top_features": m.get("top_features", []),
        "labelled_leads": total, "positive_leads": positives,
    }  # fmt: skip
