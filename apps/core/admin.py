"""Admin plumbing: tenant staff see and change only their tenant's rows, with rights from their role.

Platform staff (superusers) see every tenant and pick the tenant of new rows; everyone else gets the
tenant set for them and never sees the field. Rights follow the roles of apps.tenants.choices rather
than Django's per-model permissions, so there is one rulebook for the API and the admin.
"""

from collections.abc import Callable, Iterable

from django.contrib import admin, messages

from apps.core.exceptions import ApplicationError
from apps.tenants.choices import OPERATOR_ROLES


def user_role(request) -> str | None:
    return getattr(request.user, "role", None)


def _role_allows(request, roles) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return bool(user.tenant_id) and (roles is None or user_role(request) in roles)


class ReadOnlyAdminMixin:
    """For records only the system writes (call records, the dialer's statuses): shown, never edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTenantInline(admin.TabularInline):
    """A read-only inline (timelines, histories) visible to whoever may view the parent."""

    extra = 0
    max_num = 0
    can_delete = False
    view_roles: frozenset | None = OPERATOR_ROLES

    def has_view_permission(self, request, obj=None) -> bool:
        return _role_allows(request, self.view_roles)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TenantScopedAdmin(admin.ModelAdmin):
    """Base ModelAdmin for tenant-owned models."""

    view_roles: frozenset | None = OPERATOR_ROLES
    change_roles: frozenset | None = OPERATOR_ROLES

    def _allowed(self, request, roles) -> bool:
        return _role_allows(request, roles)

    def has_module_permission(self, request) -> bool:
        return self._allowed(request, self.view_roles)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.view_roles)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request, self.change_roles)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.change_roles)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._allowed(request, self.change_roles)

    def apply_each(self, request, objects: Iterable, service: Callable, done: str) -> int:
        """An admin action's loop: call `service(obj)` for each object, show each refusal
        (ApplicationError) as a warning and `done` (formatted with {count}) at the end."""
        count = 0
        for obj in objects:
            try:
                service(obj)
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{obj}: {exc.detail}", messages.WARNING)
        self.message_user(request, done.format(count=count), messages.SUCCESS)
        return count

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(tenant_id=request.user.tenant_id)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and "tenant" not in filters:
            filters.append("tenant")
        return filters

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.tenant_id = request.user.tenant_id
        super().save_model(request, obj, form, change)

    def _scoped(self, field, db_field, request):
        # Choices for a relation to another tenant-owned model stay inside the caller's tenant.
        model = db_field.related_model
        if field is not None and not request.user.is_superuser and any(f.name == "tenant" for f in model._meta.fields):
            field.queryset = field.queryset.filter(tenant_id=request.user.tenant_id)
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._scoped(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._scoped(super().formfield_for_manytomany(db_field, request, **kwargs), db_field, request)
