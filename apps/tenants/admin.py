"""Back office for tenants, users and API keys, tenant-scoped for everyone but platform staff."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse

from apps.core.admin import TenantScopedAdmin
from apps.core.exceptions import ApplicationError
from apps.tenants import services
from apps.tenants.choices import ACCESS_ADMIN_ROLES, OPERATOR_ROLES, ROLE_RANK, STAFF_ROLES, Role
from apps.tenants.models import ApiKey, Tenant, User


class TenantForm(forms.ModelForm):
    """The Twilio auth token is write-only: never shown back; left empty, the stored one is kept."""

    twilio_auth_token = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), strip=True,
        help_text="The (sub)account's auth token, stored encrypted. Leave empty to keep the current one.",
    )  # fmt: skip
    clear_twilio_auth_token = forms.BooleanField(required=False, label="Remove the stored auth token")

    class Meta:
        model = Tenant
        fields = "__all__"  # noqa: DJ007 - the admin's field list decides what shows

    def clean_twilio_account_sid(self):
        sid = (self.cleaned_data.get("twilio_account_sid") or "").strip()
        if sid and not (sid.startswith("AC") and len(sid) == 34):
            raise forms.ValidationError("A Twilio account SID is AC followed by 32 characters.")
        return sid

    def save(self, commit=True):
        tenant = super().save(commit=False)
        if self.cleaned_data.get("clear_twilio_auth_token"):
            tenant.twilio_auth_token = ""
        elif not self.cleaned_data.get("twilio_auth_token") and tenant.pk:
            tenant.twilio_auth_token = Tenant.objects.get(pk=tenant.pk).twilio_auth_token
        if commit:
            tenant.save()
        return tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    form = TenantForm
    list_display = ["name", "slug", "tier", "status", "default_country", "default_timezone", "created_at"]
    list_filter = ["tier", "status"]
    search_fields = ["name", "slug", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(pk=request.user.tenant_id)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        return ["slug", "tier", "status"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}

    def _staff_role_in(self, request, roles) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or (user.is_staff and user.role in roles and bool(user.tenant_id)))

    def has_module_permission(self, request):
        return self._staff_role_in(request, OPERATOR_ROLES)

    def has_view_permission(self, request, obj=None):
        return self._staff_role_in(request, OPERATOR_ROLES)

    def has_change_permission(self, request, obj=None):
        return self._staff_role_in(request, ACCESS_ADMIN_ROLES)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class _RoleRulesMixin:
    """Form mixin: the actor (set by the admin) may only grant roles up to their own, and changes go
    through the same rules as the API (services.user_change_check)."""

    actor: User

    def _limit_roles(self) -> None:
        if "role" in self.fields and not self.actor.is_superuser:
            rank = ROLE_RANK[self.actor.role]
            self.fields["role"].choices = [(value, label) for value, label in Role.choices if ROLE_RANK[value] <= rank]


class TenantUserCreationForm(_RoleRulesMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_roles()

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if services.email_is_taken(email):
            raise ValidationError("A user with this email already exists.")
        return email


class TenantUserChangeForm(_RoleRulesMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_roles()

    def clean(self):
        cleaned = super().clean()
        original = User.objects.get(pk=self.instance.pk)
        try:
            with transaction.atomic():
                services.user_change_check(
                    user=original, actor=self.actor, new_role=cleaned.get("role", original.role),
                    deactivating=cleaned.get("is_active") is False and original.is_active,
                )  # fmt: skip
        except ApplicationError as exc:
            raise ValidationError(str(exc.detail)) from None
        return cleaned


@admin.register(User)
class UserAdmin(TenantScopedAdmin, DjangoUserAdmin):
    view_roles = OPERATOR_ROLES
    change_roles = ACCESS_ADMIN_ROLES
    form = TenantUserChangeForm
    add_form = TenantUserCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "role", "tenant", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "role",
                                                           "password1", "password2"]})]  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fieldsets = list(self.add_fieldsets)
            if request.user.is_superuser:
                fieldsets.append(("Tenant", {"fields": ["tenant"]}))
            return fieldsets
        access = ["role", "is_active"]
        if request.user.is_superuser:
            access += ["tenant", "is_staff", "is_superuser"]
        return [
            (None, {"fields": ["email", "password"]}),
            ("Profile", {"fields": ["first_name", "last_name", "phone"]}),
            ("Access", {"fields": access}),
            ("Dates", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_exclude(self, request, obj=None):
        return []  # the fieldsets above decide, tenant included

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.tenant_id = request.user.tenant_id
            obj.is_superuser = False
        if not obj.is_superuser:
            obj.is_staff = obj.role in STAFF_ROLES
        super(TenantScopedAdmin, self).save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # tenant staff deactivate instead, keeping the history


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["tenant", "name", "scope", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    view_roles = ACCESS_ADMIN_ROLES
    change_roles = ACCESS_ADMIN_ROLES
    list_display = ["name", "prefix", "scope", "tenant", "created_by", "created_at", "last_used_at", "expires_at",
                    "revoked_at"]  # fmt: skip
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "tenant", "name", "scope", "expires_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            raw, obj.prefix, obj.key_hash = services.api_key_mint()
            request._new_api_key = raw
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        # Show the key on this response only: not in a message, which would travel in a cookie.
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "api_key": obj,
                   "raw_key": request._new_api_key, "title": "API key created"}  # fmt: skip
        return TemplateResponse(request, "admin/tenants/apikey/created.html", context)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None and obj.revoked_at else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # keys are revoked, never deleted: the row is the audit trail

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=key)
            count += 1
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)
