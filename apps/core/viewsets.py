"""The one tenant-scoping mechanism of the API.

Every endpoint that touches tenant-owned rows inherits TenantScopedMixin: its queryset is filtered
to the caller's tenant before anything else sees it, so another tenant's id is simply not found
(404, never 403), and its permissions require tenant membership plus the view's roles.
tests/test_tenancy.py walks the URLconf and fails when such an endpoint does not use it.
"""

from rest_framework import permissions, viewsets

from apps.tenants.choices import OPERATOR_ROLES
from apps.tenants.permissions import ApiKeyScopePermission, IsTenantMember, TenantRolePermission

# A UUID with or without dashes: anything else is a 404 at URL resolution, never a 500 in a lookup.
UUID_LOOKUP_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class TenantScopedMixin:
    permission_classes = [
        permissions.IsAuthenticated,
        ApiKeyScopePermission,
        IsTenantMember,
        TenantRolePermission,
    ]
    lookup_value_regex = UUID_LOOKUP_REGEX
    read_roles: frozenset | None = None  # any member of the tenant may read
    write_roles: frozenset | None = OPERATOR_ROLES
    tenant_scoped = True  # the marker tests/test_tenancy.py looks for

    @property
    def tenant(self):
        return self.request.user.tenant

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation has no real caller
            return queryset.none()
        return queryset.filter(tenant_id=self.request.user.tenant_id)


class TenantScopedViewSet(TenantScopedMixin, viewsets.GenericViewSet):
    """Base for tenant-owned resources; add the mixins (List, Retrieve...) the resource offers."""
