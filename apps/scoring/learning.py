"""The per-tenant model (scikit-learn): the lead's facts as a feature dictionary, one-hot encoded and
scaled, into a logistic regression. Small, fast to fit on a few thousand leads, calibrated to the
tenant's own conversion rate, and its coefficients say what mattered.

`train` holds out a quarter of the labelled leads (stratified) to measure the model (ROC AUC,
precision in the top decile) against the rule-based score on the very same leads, then fits the
stored pipeline on all of them. scikit-learn is imported inside the functions: a web process that
never scores with a model never pays for loading it.
"""

import io
import math
from bisect import bisect_right
from dataclasses import dataclass

from apps.scoring.features import LeadFacts

FEATURE_VERSION = 1
ALGORITHM = "logistic_regression"
HOLDOUT_SHARE = 0.25
TOP_SHARE = 0.10  # "precision at top decile"


def vector(f: LeadFacts) -> dict[str, float | str]:
    """The model's features. What decided the outcome itself (converted, do-not-call) is left out;
    string values are one-hot encoded by the pipeline."""
    h = f.history
    return {
        "seniority": float(f.seniority),
        "size_band": float(f.size_band),
        "size_known": float(f.employees is not None),
        "size": f"band{f.size_band}",  # one-hot too: the best size need not be the biggest
        "log_revenue": math.log10(max(f.revenue, 1.0)) if f.revenue is not None else 0.0,
        "revenue_known": float(f.revenue is not None),
        "industry": f.industry or "unknown",
        "industry_match": float(f.industry_match),
        "interest": {"low": 1.0, "medium": 2.0, "high": 3.0}.get(f.interest, 0.0),
        "interest_known": float(bool(f.interest)),
        "priority": float(f.priority),
        "has_email": float(f.has_email),
        "has_company": float(f.has_company),
        "has_title": float(f.has_title),
        "source": f.source,
        "pain_points": float(min(f.pain_points, 5)),
        "requirements": float(min(f.requirements, 5)),
        "attempts": float(h.attempts),
        "answered": float(h.answered),
        "answer_rate": h.answer_rate,
        "contacts": float(h.contacts),
        "talk_minutes_log": math.log1p(h.talk_seconds / 60.0),
        "unanswered": float(h.unanswered),
        "unanswered_streak": float(h.unanswered_streak),
        "voicemails": float(h.voicemails),
        "callbacks": float(h.callbacks),
        "positive": float(h.positive),
        "not_interested": float(h.not_interested),
        "hung_up": float(h.hung_up),
        "demo_signal": float("demo_interest" in h.signals),
        "pricing_signal": float("pricing_interest" in h.signals),
        "signals": float(len(h.signals)),
        "objections": float(len(h.objections)),
        "sentiment": h.sentiment or 0.0,
    }


def library_version() -> str:
    import sklearn

    return sklearn.__version__


def _pipeline():
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([
        ("features", DictVectorizer(sparse=False)),
        ("scale", StandardScaler()),
        ("model", LogisticRegression(C=0.5, max_iter=2000)),
    ])  # fmt: skip


def precision_at_top(labels: list[int], scores: list[float], share: float = TOP_SHARE) -> float:
    """Of the leads scored highest (the top `share`), the fraction that converted."""
    ranked = sorted(zip(scores, labels, strict=True), key=lambda pair: -pair[0])
    top = ranked[: max(1, math.ceil(len(ranked) * share))]
    return sum(label for _, label in top) / len(top)


def auc(labels: list[int], scores: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


@dataclass
class Trained:
    blob: bytes
    metrics: dict
    samples: int
    positives: int
    train_samples: int
    holdout_samples: int


def train(rows: list[dict], labels: list[int], baseline: list[float], *, seed: int = 0) -> Trained:
    """Measure on a stratified held-out quarter (model and `baseline`, the rule-based overall
    scores of the same leads), then fit on everything."""
    import joblib
    import numpy as np
    from sklearn.model_selection import train_test_split

    train_rows, test_rows, train_y, test_y, _, test_base = train_test_split(
        rows, labels, baseline, test_size=HOLDOUT_SHARE, stratify=labels, random_state=seed
    )
    measured = _pipeline().fit(train_rows, train_y)
    predicted = measured.predict_proba(test_rows)[:, 1].tolist()
    final = _pipeline().fit(rows, labels)
    everyone = final.predict_proba(rows)[:, 1]
    names = final.named_steps["features"].get_feature_names_out()
    weights = final.named_steps["model"].coef_[0]
    top = sorted(zip(names, weights, strict=True), key=lambda pair: -abs(pair[1]))[:8]
    metrics = {
        "auc": round(auc(test_y, predicted), 4),
        "precision_at_top_decile": round(precision_at_top(test_y, predicted), 4),
        "rules_auc": round(auc(test_y, test_base), 4),
        "rules_precision_at_top_decile": round(precision_at_top(test_y, test_base), 4),
        "base_rate": round(sum(labels) / len(labels), 4),
        "holdout_positives": int(sum(test_y)),
        "top_features": [{"feature": str(name), "weight": round(float(w), 4)} for name, w in top],
        # Where a probability ranks among the tenant's labelled leads: the model's overall score.
        "rank_quantiles": [round(float(q), 6) for q in np.quantile(everyone, np.linspace(0, 1, 101))],
    }
    buffer = io.BytesIO()
    joblib.dump(final, buffer)
    return Trained(blob=buffer.getvalue(), metrics=metrics, samples=len(rows), positives=int(sum(labels)),
                   train_samples=len(train_rows), holdout_samples=len(test_rows))  # fmt: skip


def load(blob: bytes):
    """The pipeline from its stored bytes. They are ours (written by `train`, never taken from a
    request), which is what makes unpickling them safe."""
    import joblib

    return joblib.load(io.BytesIO(bytes(blob)))


def predict(pipeline, rows: list[dict]) -> list[float]:
    if not rows:
        return []
    return pipeline.predict_proba(rows)[:, 1].tolist()


def rank(probability: float, quantiles: list[float]) -> float:
    """The share of the tenant's labelled leads this probability beats, in [0, 1]."""
    if not quantiles:
        return probability
    return max(0, bisect_right(quantiles, probability) - 1) / (len(quantiles) - 1)
