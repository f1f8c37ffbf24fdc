"""Campaigns: the unit the dialer works on. Who is called (its leads), when (schedule window,
recurrence, calling hours and working days in its time zone), how often (daily limit, concurrency,
retry policy per outcome), as whom (caller ID), and who talks (an AI agent or a group of humans).

The status changes only through apps.campaigns.lifecycle, and every change is a CampaignTransition.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import TenantOwnedModel
from apps.core.validators import validate_e164, validate_region, validate_time_zone
from apps.core.weekdays import WEEKDAYS


def default_working_days() -> list[str]:
    return list(WEEKDAYS[:5])


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class CampaignPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class PacingMode(models.TextChoices):
    AI = "ai", "AI agent talks"
    PROGRESSIVE = "progressive", "Progressive (one line per free human agent)"
    PREDICTIVE = "predictive", "Predictive (more lines than free agents)"
    PREVIEW = "preview", "Preview (agent sees the lead, then dials)"


HUMAN_PACING = {PacingMode.PROGRESSIVE, PacingMode.PREDICTIVE, PacingMode.PREVIEW}


class CallerId(TenantOwnedModel):
    """A number the tenant owns or has verified with the provider and may present as caller ID."""

    phone_e164 = models.CharField(max_length=16, validators=[validate_e164])
    label = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["phone_e164"]
        verbose_name = "caller ID"
        verbose_name_plural = "caller IDs"
        constraints = [models.UniqueConstraint(fields=["tenant", "phone_e164"], name="callerid_unique_number")]

    def __str__(self) -> str:
        return f"{self.phone_e164} {self.label}".strip()


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))],
                               **kwargs)  # fmt: skip


class Campaign(TenantOwnedModel):
    """Who is called, when, how often, as whom and by whom."""

    # What -----------------------------------------------------------------------------------------
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT,
                              editable=False)  # fmt: skip
    priority = models.CharField(max_length=8, choices=CampaignPriority.choices, default=CampaignPriority.MEDIUM)
    campaign_type = models.CharField(max_length=32, default="outbound")
    tags = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    notes = models.TextField(blank=True)
    niche = models.CharField(max_length=100, blank=True)
    client_name = models.CharField(max_length=200, blank=True)
    client_service = models.CharField(max_length=200, blank=True)
    target_cities = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    target_lead_count = models.PositiveIntegerField(null=True, blank=True)
    expected_completion_date = models.DateField(null=True, blank=True)
    success_criteria = models.TextField(blank=True)

    # As whom ----------------------------------------------------------------------------------------
    caller_id = models.CharField(max_length=16, blank=True, validators=[validate_e164],
                                 help_text="E.164 number presented to the people called.")  # fmt: skip
    caller_id_number = models.ForeignKey(CallerId, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="campaigns")  # fmt: skip
    default_country = models.CharField(
        max_length=2, blank=True, validators=[validate_region],
        help_text="Region for national-format numbers of this campaign's leads (else the tenant's).",
    )  # fmt: skip

    # When -----------------------------------------------------------------------------------------
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    schedule_start = models.DateTimeField(null=True, blank=True)
    schedule_end = models.DateTimeField(null=True, blank=True)
    recurrence_rule = models.CharField(
        max_length=500, blank=True, help_text="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE"
    )
    calling_hours_start = models.TimeField(default="09:00")
    calling_hours_end = models.TimeField(default="17:00")
    allow_overnight = models.BooleanField(default=False, help_text="Calling hours may end after midnight.")
    working_days = ArrayField(models.CharField(max_length=9), default=default_working_days, blank=True)

    # How often --------------------------------------------------------------------------------------
    pacing_mode = models.CharField(max_length=12, choices=PacingMode.choices, default=PacingMode.AI)
    calls_per_day = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    max_concurrent_calls = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    # Rings at least 15 s before a no-answer hang-up (regulators' minimum ring time).
    dial_timeout_seconds = models.PositiveSmallIntegerField(default=30, validators=[MinValueValidator(15),
                                                                                   MaxValueValidator(600)])  # fmt: skip
    max_attempts = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(50)])
    retry_delay_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])
    retry_backoff = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
        help_text="Each retry waits this many times longer than the last (1 = fixed delay).",
    )  # fmt: skip
    retry_on_no_answer = models.BooleanField(default=True)
    retry_on_busy = models.BooleanField(default=True)
    retry_on_voicemail = models.BooleanField(default=False)
    retry_on_failed = models.BooleanField(default=True)

    # The call -------------------------------------------------------------------------------------
    amd_enabled = models.BooleanField(default=True)
    voicemail_drop_url = models.URLField(blank=True)
    voicemail_drop_text = models.TextField(blank=True)
    record_calls = models.BooleanField(default=True)
    call_duration_limit = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(10)],
                                                      help_text="Seconds.")  # fmt: skip
    recording_disclosure = models.CharField(
        max_length=500, blank=True,
        help_text="Said first when recording a person in an all-party-consent state (empty: the standard sentence).",
    )  # fmt: skip
    abandon_message = models.CharField(
        max_length=500, blank=True,
        help_text="Played when a person answers and no agent is free: the seller, a callback number and how to "
        "opt out (empty: the standard message). Placeholders: {company}, {callback_number}.",
    )  # fmt: skip
    require_ai_consent = models.BooleanField(
        default=False, help_text="AI voice: call only leads with recorded prior express consent."
    )
    max_abandon_rate = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3"))],
        help_text="Predictive pacing keeps abandoned calls at or below this share (%) of answered calls, 30 days.",
    )  # fmt: skip
    max_dial_ratio = models.DecimalField(
        max_digits=4, decimal_places=2, default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))],
        help_text="Predictive pacing never dials more lines than this many per free agent.",
    )  # fmt: skip

    # Who talks ------------------------------------------------------------------------------------
    ai_agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="campaigns")  # fmt: skip
    agent_group = models.ForeignKey("agents.AgentGroup", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="campaigns")  # fmt: skip
    ai_voice_id = models.CharField(max_length=100, blank=True)
    ai_voice_language = models.CharField(max_length=16, default="en-US")
    ai_voice_gender = models.CharField(max_length=16, blank=True)
    system_prompt = models.TextField(blank=True, validators=[MaxLengthValidator(20_000)])
    script_template = models.TextField(blank=True, validators=[MaxLengthValidator(20_000)])
    fallback_script = models.TextField(blank=True, validators=[MaxLengthValidator(20_000)])

    # Money and people -----------------------------------------------------------------------------
    budget = _money(null=True, blank=True)
    cost_per_call = _money(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="owned_campaigns")  # fmt: skip
    team_members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="campaigns")

    # Lifecycle timestamps -----------------------------------------------------------------------------
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "name"]),
            models.Index(fields=["tenant", "status"], name="campaign_tenant_status"),
            models.Index(
                fields=["status", "schedule_start"],
                name="campaign_schedule_edges",
                condition=Q(status__in=["scheduled", "active", "paused"]),
            ),
        ]
        constraints = [
            # What a lead's (tenant, campaign) foreign key points at: a campaign of the lead's own tenant.
            models.UniqueConstraint(fields=["tenant", "id"], name="campaign_tenant_id_key"),
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
            models.CheckConstraint(condition=Q(pacing_mode__in=PacingMode.values), name="campaign_pacing_valid"),
            models.CheckConstraint(
                condition=Q(schedule_end__isnull=True)
                | Q(schedule_start__isnull=True)
                | Q(schedule_end__gt=models.F("schedule_start")),
                name="campaign_schedule_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """The rules across fields, for every door (API services, admin): hours that make sense,
        an ordered schedule, real day names, a valid RRULE, known script placeholders."""
        from apps.campaigns import schedule, scripts

        errors: dict[str, list] = {}

        def check(name: str, validate) -> None:
            try:
                validate()
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)

        start, end = self.calling_hours_start, self.calling_hours_end
        if isinstance(start, dt.time) and isinstance(end, dt.time):
            if start == end:
                errors["calling_hours_end"] = ["Calling hours must not start and end at the same time."]
            elif end < start and not self.allow_overnight:
                errors["calling_hours_end"] = [
                    f"Calling hours end ({end:%H:%M}) before they start ({start:%H:%M}); set allow_overnight "
                    "to call across midnight."
                ]
        if self.schedule_start and self.schedule_end and self.schedule_end <= self.schedule_start:
            errors["schedule_end"] = ["The schedule must end after it starts."]

        def days() -> None:
            self.working_days = schedule.normalize_working_days(list(self.working_days or []))
            if not self.working_days:
                raise ValidationError("At least one working day is needed.")

        check("working_days", days)
        check("recurrence_rule", lambda: schedule.validate_rrule(self.recurrence_rule))
        for name in ("script_template", "fallback_script", "voicemail_drop_text"):
            check(name, lambda name=name: scripts.validate_template(getattr(self, name)))
        if errors:
            raise ValidationError(errors)

    @property
    def is_dialing(self) -> bool:
        """The dialer works only active campaigns; completing, pausing or cancelling stops it at once."""
        return self.status == CampaignStatus.ACTIVE and self.deleted_at is None


class CampaignTransition(TenantOwnedModel):
    """One lifecycle change: from, to, who and when (and why, when the system did it)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=CampaignStatus.choices)
    to_status = models.CharField(max_length=12, choices=CampaignStatus.choices)
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")  # fmt: skip
    actor_label = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="campaigntransition_time")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.from_status} -> {self.to_status}"
