"""Tenant, User and ApiKey."""

import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.crypto import EncryptedTextField
from apps.core.ids import uuid7
from apps.core.models import BaseModel, TenantOwnedModel
from apps.core.validators import validate_e164, validate_region, validate_time_zone
from apps.tenants.choices import ApiKeyScope, Role, TenantStatus, Tier


class Tenant(BaseModel):
    """A customer business. Every tenant-owned row points here; nothing crosses between tenants."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.FREE)
    status = models.CharField(max_length=20, choices=TenantStatus.choices, default=TenantStatus.TRIAL)
    default_country = models.CharField(
        max_length=2, default="US", validators=[validate_region],
        help_text="ISO 3166 alpha-2 region used to parse national-format phone numbers.",
    )  # fmt: skip
    default_timezone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True, validators=[validate_e164])
    industry = models.CharField(max_length=100, blank=True)
    monthly_call_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Calls the tenant may place per calendar month (UTC); empty: no limit."
    )
    # Telephony: the tenant's own Twilio (sub)account; empty: the platform's (TWILIO_ACCOUNT_SID).
    twilio_account_sid = models.CharField(max_length=64, blank=True)
    twilio_auth_token = EncryptedTextField(blank=True, help_text="Stored encrypted.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="tenant_tier_valid"),
            models.CheckConstraint(condition=Q(status__in=TenantStatus.values), name="tenant_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == TenantStatus.SUSPENDED


class UserManager(BaseUserManager):
    use_in_migrations = True

    def for_tenant(self, tenant):
        """People of one tenant (accepts a Tenant or its id), as TenantQuerySet.for_tenant does for
        tenant-owned rows, so apps.core.selectors.get_for_tenant resolves user ids too."""
        return self.filter(tenant_id=getattr(tenant, "pk", tenant))

    def _create(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """Platform staff: no tenant, every right."""
        fields.update(is_superuser=True, is_staff=True, tenant=None, role=Role.ADMIN)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email. Belongs to one tenant with one role; platform staff
    (superusers) belong to none. Emails are unique across the platform, case-insensitively."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-case; the sign-in name.")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_e164])
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(tenant__isnull=False), name="user_tenant_required"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.first_name or self.name


def hash_api_key(raw: str) -> str:
    """API keys carry 256 random bits, so a fast unsalted digest is safe and lets lookups stay cheap."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(TenantOwnedModel):
    """A machine credential for integrators. The full key is shown once at creation; only its
    SHA-256 digest and a visible prefix are stored. Revoking keeps the row for the audit trail."""

    PREFIX_LENGTH = 12  # "lv_" + 9 characters

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.WRITE)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [models.CheckConstraint(condition=Q(scope__in=ApiKeyScope.values), name="apikey_scope_valid")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
