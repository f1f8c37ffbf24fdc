"""Agent (the fields leads need today; the agents issue completes it)."""

from django.conf import settings
from django.db import models

from apps.core.models import TenantOwnedModel
from apps.core.validators import validate_time_zone


class AgentKind(models.TextChoices):
    AI = "ai", "AI voice agent"
    HUMAN = "human", "Human agent"


class Agent(TenantOwnedModel):
    """Who talks: an AI voice agent (spec 000's agent_id) or a human in the browser softphone."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=AgentKind.choices, default=AgentKind.AI)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="agents"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=models.Q(kind__in=AgentKind.values), name="agent_kind_valid")]

    def __str__(self) -> str:
        return self.name
