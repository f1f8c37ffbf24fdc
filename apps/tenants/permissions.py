"""Who may do what. Tenant-scoped views declare `read_roles` and `write_roles`; these classes
enforce them along with tenant membership and API-key scope."""

from rest_framework import permissions

from apps.tenants.choices import ApiKeyScope


def principal_role(user) -> str | None:
    return getattr(user, "role", None)


class ApiKeyScopePermission(permissions.BasePermission):
    """Read-only API keys may only read."""

    message = "This API key is read-only."
    code = "api_key_read_only"

    def has_permission(self, request, view) -> bool:
        api_key = getattr(request.user, "api_key", None)
        if api_key is None or request.method in permissions.SAFE_METHODS:
            return True
        return api_key.scope != ApiKeyScope.READ


class IsTenantMember(permissions.BasePermission):
    """The caller acts for a tenant (platform staff accounts have none and use the platform API)."""

    message = "This endpoint acts on a tenant's data; your account does not belong to a tenant."
    code = "no_tenant"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and getattr(request.user, "tenant_id", None))


class TenantRolePermission(permissions.BasePermission):
    """Checks the view's `read_roles` (safe methods) or `write_roles` (the rest); None means any member.
    A view may refine per action with `action_roles = {"revoke": {...}}`."""

    message = "Your role does not allow this action."
    code = "role_forbidden"

    def has_permission(self, request, view) -> bool:
        action = getattr(view, "action", None)
        action_roles = getattr(view, "action_roles", {}) or {}
        if action in action_roles:
            allowed = action_roles[action]
        elif request.method in permissions.SAFE_METHODS:
            allowed = getattr(view, "read_roles", None)
        else:
            allowed = getattr(view, "write_roles", None)
        return allowed is None or principal_role(request.user) in allowed
