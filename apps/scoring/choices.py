"""Enumerations of the scoring app."""

from django.db import models


class TrainingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (too few labelled leads)"


OPEN_TRAINING = frozenset({TrainingStatus.QUEUED, TrainingStatus.RUNNING})


class TrainingTrigger(models.TextChoices):
    MANUAL = "manual", "Asked for (API or admin)"
    SCHEDULE = "schedule", "Weekly retraining"


class ScoredBy(models.TextChoices):
    RULES = "rules", "Rule-based score"
    MODEL = "model", "The tenant's trained model"


class ScoreMethod(models.TextChoices):
    """What a caller of POST /leads/{id}/score/ may ask for."""

    AUTO = "auto", "The tenant's model when it has one, else the rules"
    RULES = "rules", "The rule-based score"
    MODEL = "model", "The tenant's model (409 when it has none)"
