"""Campaign (the fields leads need today; the campaigns issue completes it)."""

from django.db import models

from apps.core.models import TenantOwnedModel
from apps.core.validators import validate_region, validate_time_zone


class Campaign(TenantOwnedModel):
    """The unit the dialer works on: a list of leads called under one set of rules."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    default_country = models.CharField(
        max_length=2, blank=True, validators=[validate_region],
        help_text="Region for national-format numbers of this campaign's leads (else the tenant's).",
    )  # fmt: skip
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "name"])]

    def __str__(self) -> str:
        return self.name
