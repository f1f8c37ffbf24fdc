from django.apps import AppConfig


class ScoringConfig(AppConfig):
    """Lead scoring: a rule-based score from the lead's fields and its calls, and, once a tenant has
    enough finished leads, a model trained on that tenant's own outcomes (scikit-learn)."""

    name = "apps.scoring"
    label = "scoring"
