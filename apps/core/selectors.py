"""Reads every app needs."""

import uuid

from rest_framework.exceptions import NotFound

from apps.core.exceptions import QueryValidationError


def get_for_tenant(model, tenant, pk, *, label: str | None = None, field: str = "id", in_query: bool = False):
    """The tenant's object with this id, or 404: another tenant's id is exactly as absent as a made-up one."""
    name = label or model._meta.verbose_name.capitalize()
    try:
        uuid.UUID(str(pk))
    except ValueError:
        if in_query:
            raise QueryValidationError({field: [f"'{pk}' is not a valid id."]}) from None
        raise NotFound(f"{name} not found.") from None
    obj = model.objects.for_tenant(tenant).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{name} not found.")
    return obj
