"""Writes of the tenants app: sign-up, users, API keys. Views only check access and call these."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework import status

from apps.core.exceptions import ApplicationError
from apps.tenants.choices import ROLE_RANK, STAFF_ROLES, ApiKeyScope, Role
from apps.tenants.models import ApiKey, Tenant, User, hash_api_key


def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "tenant"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def email_is_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def _ensure_email_free(email: str) -> None:
    if email_is_taken(email):
        raise ApplicationError(
            "A user with this email already exists.", code="EMAIL_TAKEN", status_code=status.HTTP_409_CONFLICT
        )


@transaction.atomic
def tenant_register(
    *, email: str, password: str, first_name: str = "", last_name: str = "", phone: str = "", company_name: str = ""
) -> tuple[Tenant, User]:
    """Self-serve sign-up: a new tenant with the caller as its owner. Never joins an existing tenant."""
    _ensure_email_free(email)
    name = company_name.strip() or f"{first_name or email.split('@', maxsplit=1)[0]}'s team"
    tenant = Tenant(name=name, slug=_unique_slug(name))
    tenant.full_clean()
    tenant.save()
    owner = user_create(
        tenant=tenant, email=email, password=password, role=Role.OWNER,
        first_name=first_name, last_name=last_name, phone=phone,
    )  # fmt: skip
    return tenant, owner


def user_create(
    *,
    tenant: Tenant,
    email: str,
    password: str | None,
    role: str = Role.AGENT,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    actor_role: str | None = None,
) -> User:
    """Create a user in `tenant`. `actor_role` is the creator's role: nobody grants above their own."""
    if actor_role is not None and ROLE_RANK[role] > ROLE_RANK[actor_role]:
        raise ApplicationError(
            f"A {actor_role} cannot create a user with the {role} role.",
            code="ROLE_NOT_GRANTABLE", status_code=status.HTTP_403_FORBIDDEN,
        )  # fmt: skip
    _ensure_email_free(email)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, tenant=tenant, role=role, is_staff=role in STAFF_ROLES,
                first_name=first_name, last_name=last_name, phone=phone,
            )  # fmt: skip
    except IntegrityError:  # a concurrent sign-up with the same email won the race
        raise ApplicationError(
            "A user with this email already exists.", code="EMAIL_TAKEN", status_code=status.HTTP_409_CONFLICT
        ) from None


def user_change_check(*, user: User, actor: User, new_role: str, deactivating: bool) -> None:
    """The rules for changing a user, shared by the API and the admin. Raises ApplicationError.

    Nobody changes someone ranked above them or grants a role above their own; nobody demotes or
    deactivates themselves; a tenant keeps at least one active owner. Platform staff skip the rank
    rules but not the last-owner rule. Call inside a transaction (the owners are row-locked).
    """
    if not actor.is_superuser:
        actor_rank = ROLE_RANK[actor.role]
        if ROLE_RANK[user.role] > actor_rank:
            raise ApplicationError(
                f"A {actor.role} cannot change a {user.role}.", code="ROLE_NOT_GRANTABLE",
                status_code=status.HTTP_403_FORBIDDEN,
            )  # fmt: skip
        if ROLE_RANK[new_role] > actor_rank:
            raise ApplicationError(
                f"A {actor.role} cannot grant the {new_role} role.", code="ROLE_NOT_GRANTABLE",
                status_code=status.HTTP_403_FORBIDDEN,
            )  # fmt: skip
        if user.pk == actor.pk and (deactivating or new_role != user.role):
            raise ApplicationError(
                "You cannot change your own role or deactivate yourself.", code="SELF_CHANGE_NOT_ALLOWED",
                status_code=status.HTTP_409_CONFLICT,
            )  # fmt: skip
    if user.role == Role.OWNER and (deactivating or new_role != Role.OWNER):
        # Lock the owners so two admins demoting the last two owners at once cannot both succeed.
        owners = User.objects.select_for_update().filter(tenant_id=user.tenant_id, role=Role.OWNER, is_active=True)
        if len(owners) <= 1:
            raise ApplicationError(
                "A tenant must keep at least one active owner.", code="LAST_OWNER", status_code=status.HTTP_409_CONFLICT
            )


@transaction.atomic
def user_update(*, user: User, actor: User, **fields) -> User:
    """Change a user's profile, role, active flag or password, within what the actor may do."""
    user_change_check(
        user=user, actor=actor, new_role=fields.get("role", user.role), deactivating=fields.get("is_active") is False
    )
    password = fields.pop("password", None)
    for name, value in fields.items():
        setattr(user, name, value)
    user.is_staff = user.role in STAFF_ROLES
    if password:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def api_key_mint() -> tuple[str, str, str]:
    """A new raw key with its visible prefix and stored digest: (raw, prefix, key_hash)."""
    raw = "lv_" + secrets.token_urlsafe(32)
    return raw, raw[: ApiKey.PREFIX_LENGTH], hash_api_key(raw)


def api_key_create(
    *, tenant: Tenant, name: str, scope: str = ApiKeyScope.WRITE, created_by: User | None = None, expires_at=None
) -> tuple[ApiKey, str]:
    """Mint a key. Returns the row and the raw key, which is never stored and never shown again."""
    for _ in range(5):
        raw, prefix, key_hash = api_key_mint()
        key = ApiKey(
            tenant=tenant, name=name, scope=scope, created_by=created_by, expires_at=expires_at,
            prefix=prefix, key_hash=key_hash,
        )  # fmt: skip
        key.full_clean(exclude=["prefix", "key_hash"])
        try:
            with transaction.atomic():
                key.save()
            return key, raw
        except IntegrityError:  # prefix collision: astronomically rare, simply draw again
            continue
    raise RuntimeError("could not allocate a unique API key prefix")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke once; revoking again keeps the first revocation time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def tenant_update(*, tenant: Tenant, **fields) -> Tenant:
    """Change a tenant's own settings (name, defaults, contact). Tier and status are platform matters."""
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save()
    return tenant
