"""Who talks: AI voice agents and human agents in the browser softphone, and their groups.

Both kinds share a name, a time zone, working hours per weekday and an active flag. An AI agent
carries its voice, language, prompt and default script, and the business hours and retry policy
spec 000 gives it (a lead created with only agent_id is dialed under them). A human agent is a
user with a phone, a group, a concurrency limit and a presence (available, busy, offline, break).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.models import TenantOwnedModel
from apps.core.validators import validate_e164, validate_time_zone


class AgentKind(models.TextChoices):
    AI = "ai", "AI voice agent"
    HUMAN = "human", "Human agent"


class Presence(models.TextChoices):
    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    OFFLINE = "offline", "Offline"
    BREAK = "break", "On a break"


class AgentGroup(TenantOwnedModel):
    """A team of human agents; progressive, predictive and preview campaigns ring a group."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="agentgroup_unique_name")]

    def __str__(self) -> str:
        return self.name


class Agent(TenantOwnedModel):
    """An AI voice agent (spec 000's agent_id) or a human in the browser softphone (spec 004)."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=AgentKind.choices, default=AgentKind.AI)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # {"monday": [{"start": "09:00", "end": "17:00"}, ...], ...}: several ranges a day; a day that
    # is missing or empty is not worked. Normalised and validated by apps.agents.hours.
    working_hours = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    # AI agents ---------------------------------------------------------------------------------
    voice_id = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=16, default="en-US")
    voice_gender = models.CharField(max_length=16, blank=True)
    system_prompt = models.TextField(blank=True)
    default_script = models.TextField(blank=True)
    max_attempts = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Retry policy for leads dialed under this agent (spec 000).",
    )  # fmt: skip
    retry_delay_minutes = models.PositiveIntegerField(default=60, validators=[MinValueValidator(1)])

    # Human agents ------------------------------------------------------------------------------
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents"
    )
    phone = models.CharField(max_length=16, blank=True, validators=[validate_e164])
    email = models.EmailField(blank=True)
    group = models.ForeignKey(AgentGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents")
    max_concurrent_calls = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_active_at = models.DateTimeField(null=True, blank=True)
    current_calls = models.PositiveSmallIntegerField(default=0)
    total_calls_handled = models.PositiveIntegerField(default=0)
    total_talk_seconds = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AgentKind.values), name="agent_kind_valid"),
            # What a lead's (tenant, agent) foreign key points at: an agent of the lead's own tenant.
            models.UniqueConstraint(fields=["tenant", "id"], name="agent_tenant_id_key"),
            models.CheckConstraint(condition=Q(status__in=Presence.values), name="agent_status_valid"),
            models.UniqueConstraint(
                fields=["tenant", "user"], condition=Q(user__isnull=False), name="agent_one_per_user"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"], name="agent_tenant_status")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """The rules of every door (API services, admin): working hours in their stored form, and an
        AI agent belongs to nobody and to no group; links stay inside the agent's tenant."""
        from apps.agents.hours import normalize_working_hours

        errors: dict[str, list[str]] = {}
        try:
            self.working_hours = normalize_working_hours(self.working_hours)
        except ValidationError as exc:
            by_day = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
            errors["working_hours"] = [f"{day}: {msg}" if day else msg for day, msgs in by_day for msg in msgs]
        if self.kind == AgentKind.AI:
            if self.user_id is not None:
                errors["user"] = ["An AI agent has no user; send null or make the agent human."]
            if self.group_id is not None:
                errors["group"] = ["An AI agent is in no group (groups are human teams); send null or make it human."]
        if self.tenant_id is not None:
            if self.user_id is not None and self.user.tenant_id != self.tenant_id:
                errors.setdefault("user", ["This user belongs to another tenant."])
            if self.group_id is not None and self.group.tenant_id != self.tenant_id:
                errors.setdefault("group", ["This group belongs to another tenant."])
        if errors:
            raise ValidationError(errors)

    @property
    def is_ai(self) -> bool:
        return self.kind == AgentKind.AI
