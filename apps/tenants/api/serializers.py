"""Input and output shapes of the auth, user, API-key and tenant endpoints."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from apps.core.validators import validate_e164
from apps.tenants.choices import ApiKeyScope, Role
from apps.tenants.models import ApiKey, Tenant, User


def _check_password(password: str, user: User | None = None) -> str:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(list(exc.messages)) from None
    return password


def _check_phone(value: str) -> str:
    if value:
        try:
            validate_e164(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
    return value


# Auth ------------------------------------------------------------------------------------------
class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(required=False)
    refresh = serializers.CharField(required=False, help_text="Alias of refresh_token (simplejwt's name).")

    def validate(self, attrs):
        token = attrs.get("refresh_token") or attrs.get("refresh")
        if not token:
            raise serializers.ValidationError({"refresh_token": ["This field is required."]}, code="required")
        return {"refresh_token": token}


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    company_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Name of the new tenant."
    )
    # Spec 004 sends these; self-serve sign-up always creates a new tenant with the caller as owner.
    tenant_id = serializers.CharField(required=False, allow_null=True, help_text="Refused: see description.")
    role = serializers.CharField(required=False, allow_null=True, help_text="Only 'owner' (or absent).")

    def validate_email(self, value: str) -> str:
        return value.lower()

    def validate_phone(self, value: str) -> str:
        return _check_phone(value)

    def validate_tenant_id(self, value):
        if value:
            # The same answer for every value: whether that tenant exists is not revealed.
            raise serializers.ValidationError(
                "Sign-up always creates a new tenant. To join an existing tenant, ask its owner or an admin "
                "to create your account.",
                code="tenant_join_not_allowed",
            )

    def validate_role(self, value):
        if value and value != Role.OWNER:
            raise serializers.ValidationError(
                "Sign-up makes you the owner of a new tenant; other roles are granted by a tenant's owner or admin.",
                code="role_not_allowed",
            )

    def validate(self, attrs):
        probe = User(email=attrs["email"], first_name=attrs["first_name"], last_name=attrs["last_name"])
        try:
            _check_password(attrs["password"], probe)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from None
        attrs.pop("tenant_id", None)
        attrs.pop("role", None)
        return attrs


class TenantSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "tier", "status"]


class UserSerializer(serializers.ModelSerializer):
    """A user as the API shows it."""

    name = serializers.CharField(read_only=True)
    tenant_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id", "email", "name", "first_name", "last_name", "phone", "role", "tenant_id",
            "is_active", "last_login", "date_joined",
        ]  # fmt: skip
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    """Response of login, register and refresh (spec 001's shape, plus the refresh token)."""

    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    user = UserSerializer(required=False)
    tenant = TenantSummarySerializer(required=False)


class LogoutSerializer(RefreshSerializer):
    """The refresh token to end (its access tokens are refused from now on too)."""


# Users -----------------------------------------------------------------------------------------
class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.AGENT)

    def validate_email(self, value: str) -> str:
        return value.lower()

    def validate_phone(self, value: str) -> str:
        return _check_phone(value)

    def validate(self, attrs):
        probe = User(email=attrs["email"], first_name=attrs["first_name"], last_name=attrs["last_name"])
        try:
            _check_password(attrs["password"], probe)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"password": exc.detail}) from None
        return attrs


class UserUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    password = serializers.CharField(trim_whitespace=False, required=False, style={"input_type": "password"})

    def validate_phone(self, value: str) -> str:
        return _check_phone(value)

    def validate_password(self, value: str) -> str:
        return _check_password(value, self.instance)


# API keys --------------------------------------------------------------------------------------
class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True, default=None)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scope", "is_active", "created_by", "created_at", "last_used_at",
                  "expires_at", "revoked_at"]  # fmt: skip
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=ApiKeyScope.choices, default=ApiKeyScope.WRITE)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown once: store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


# Tenant ----------------------------------------------------------------------------------------
class TenantSerializer(serializers.ModelSerializer):
    """The caller's own tenant. Tier and status are changed by platform staff only."""

    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "tier", "status", "default_country", "default_timezone",
                  "contact_name", "contact_email", "contact_phone", "industry", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["id", "slug", "tier", "status", "created_at", "updated_at"]
