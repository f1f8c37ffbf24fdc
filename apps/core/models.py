"""Abstract bases every domain model builds on.

TenantOwnedModel is the one tenancy mechanism for data: the row carries its tenant, and the default
manager offers `for_tenant()`. API code reaches tenant-owned rows only through
`apps.core.viewsets.TenantScopedMixin`, and `tests/test_tenancy.py` fails when a model or an endpoint
escapes either.
"""

from typing import Self

from django.db import models

from apps.core.ids import uuid7


class BaseModel(models.Model):
    """UUID primary key (time-ordered version 7: not guessable, cheap to index) and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> Self:
        """Rows of one tenant. Accepts a Tenant or its id."""
        return self.filter(tenant_id=getattr(tenant, "pk", tenant))


class TenantOwnedModel(BaseModel):
    """A row that belongs to exactly one tenant."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
