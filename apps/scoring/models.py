"""A tenant's scoring policy, its trained models and the training jobs that make them."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import TenantOwnedModel
from apps.scoring.choices import OPEN_TRAINING, TrainingStatus, TrainingTrigger


class ScoringPolicy(TenantOwnedModel):
    """A tenant's scoring settings. A tenant without a row gets the platform defaults
    (SCORING_HOT_LEAD_THRESHOLD, model on)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="scoring_policy")
    hot_lead_threshold = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text="A lead scoring at least this (0-100) is a hot lead. Empty: the platform default (70).",
    )  # fmt: skip
    use_model = models.BooleanField(
        default=True, help_text="Score with the tenant's trained model once it has one (off: always the rules)."
    )

    class Meta:
        verbose_name = "scoring policy"
        verbose_name_plural = "scoring policies"

    def __str__(self) -> str:
        return f"Scoring policy of {self.tenant_id}"


class ScoringModel(TenantOwnedModel):
    """A model trained on one tenant's finished leads: the fitted scikit-learn pipeline (joblib bytes),
    when and on what it was trained, and how well it ranked a held-out part of those leads. One per
    tenant is active; older ones are kept for comparison."""

    is_active = models.BooleanField(default=True)
    trained_at = models.DateTimeField()
    algorithm = models.CharField(max_length=50)
    feature_version = models.PositiveSmallIntegerField()
    library_version = models.CharField(max_length=20, help_text="scikit-learn's version when it was trained.")
    pipeline = models.BinaryField(help_text="The fitted pipeline, joblib-serialised (written by us only).")
    samples = models.PositiveIntegerField(help_text="Labelled leads it learned from.")
    positives = models.PositiveIntegerField(help_text="Of which converted.")
    train_samples = models.PositiveIntegerField()
    holdout_samples = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict, blank=True)
    job = models.OneToOneField("scoring.TrainingJob", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="model")  # fmt: skip

    class Meta:
        ordering = ["-trained_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_active=True), name="scoringmodel_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} of {self.trained_at:%Y-%m-%d %H:%M}"


class TrainingJob(TenantOwnedModel):
    """One training of a tenant's model, asked for through the API or by the weekly schedule. At most
    one is open (queued or running) per tenant, enforced in the database."""

    status = models.CharField(max_length=10, choices=TrainingStatus.choices, default=TrainingStatus.QUEUED)
    trigger = models.CharField(max_length=10, choices=TrainingTrigger.choices, default=TrainingTrigger.MANUAL)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")  # fmt: skip
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    samples = models.PositiveIntegerField(default=0, help_text="Labelled leads found.")
    positives = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(status__in=sorted(OPEN_TRAINING)), name="trainingjob_one_open"
            ),
            models.CheckConstraint(condition=Q(status__in=TrainingStatus.values), name="trainingjob_status_valid"),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="trainingjob_tenant_time")]

    def __str__(self) -> str:
        return f"Training {self.pk} ({self.status})"
