"""API authentication: JWT bearer tokens for people, X-API-Key for machines.

Both resolve to a principal with `tenant`, `tenant_id` and `role`, which is all the tenancy and
permission code reads: a User for JWTs, an ApiKeyPrincipal for keys.
"""

import hmac
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from apps.core.request_context import tenant_id_var
from apps.tenants.choices import SCOPE_ROLE
from apps.tenants.models import ApiKey, Tenant, User, hash_api_key

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last_used_at at most this often per key
PRINCIPAL_CACHE_SECONDS = 60  # a backstop: saves and deletes drop the entry at once


def access_denylist_key(jti: str) -> str:
    return f"jwt:revoked-access:{jti}"


def principal_cache_key(user_id) -> str:
    return f"auth:principal:{user_id}"


# The user and tenant columns a request needs, cached in Redis so that a signed-in request costs one
# Redis round trip (this and the denylist, in one MGET) instead of that plus a database query. The
# password hash is never cached: it stays deferred, so a save() of request.user cannot touch it.
# Any save or delete of the user or the tenant drops the entry (apps.tenants.signals).
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields if f.attname != "password"]
_TENANT_FIELDS = [f.attname for f in Tenant._meta.concrete_fields]


def _principal_to_cache(user: User) -> dict:
    tenant = user.tenant
    return {
        "user": [getattr(user, name) for name in _USER_FIELDS],
        "tenant": [getattr(tenant, name) for name in _TENANT_FIELDS] if tenant else None,
    }


def _principal_from_cache(entry) -> User | None:
    try:
        if len(entry["user"]) != len(_USER_FIELDS) or (entry["tenant"] and len(entry["tenant"]) != len(_TENANT_FIELDS)):
            return None  # written by another version of the models: reload
        user = User.from_db("default", _USER_FIELDS, entry["user"])
        user.tenant = Tenant.from_db("default", _TENANT_FIELDS, entry["tenant"]) if entry["tenant"] else None
    except (KeyError, TypeError, ValueError):
        return None
    return user


class TenantJWTAuthentication(JWTAuthentication):
    """simplejwt, plus: tokens revoked by logout are refused, and the user's tenant is loaded with it."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        user_id = token.get(jwt_settings.USER_ID_CLAIM)
        if user_id is None:
            raise InvalidToken("Token contained no recognizable user identification.")
        jti = token.get("jti")
        keys = [principal_cache_key(user_id), *([access_denylist_key(jti)] if jti else [])]
        try:
            found = cache.get_many(keys)
        except Exception:  # Redis down: keep serving; a revoked token lives at most its short lifetime
            logger.warning("access-token denylist unavailable; accepting token", exc_info=True)
            found = {}
        if jti and found.get(access_denylist_key(jti)):
            raise exceptions.AuthenticationFailed("Token has been revoked.", code="token_revoked")
        self._cached_principal = found.get(principal_cache_key(user_id))
        return token

    def get_user(self, validated_token):
        user_id = validated_token.get(jwt_settings.USER_ID_CLAIM)
        cached = getattr(self, "_cached_principal", None)
        user = _principal_from_cache(cached) if cached else None
        if user is None or str(user.pk) != str(user_id):
            user = User.objects.select_related("tenant").filter(pk=user_id).first()
            if user is not None:
                try:
                    cache.set(principal_cache_key(user_id), _principal_to_cache(user), timeout=PRINCIPAL_CACHE_SECONDS)
                except Exception:
                    logger.warning("principal cache unavailable", exc_info=True)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("User not found or inactive.", code="user_inactive")
        if user.tenant_id:
            tenant_id_var.set(str(user.tenant_id))
        return user


@dataclass(eq=False)
class ApiKeyPrincipal:
    """request.user for a request authenticated by an API key: the key's tenant, acting with its scope."""

    api_key: ApiKey
    tenant: Tenant = field(init=False)
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False

    def __post_init__(self) -> None:
        self.tenant = self.api_key.tenant

    @property
    def tenant_id(self):
        return self.api_key.tenant_id

    @property
    def role(self) -> str:
        return SCOPE_ROLE[self.api_key.scope]

    @property
    def pk(self):
        return None

    id = pk

    @property
    def email(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    name = email

    def __str__(self) -> str:
        return self.email


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "ApiKey"

    def authenticate(self, request):
        raw = request.headers.get(API_KEY_HEADER)
        if raw is None:
            return None
        raw = raw.strip()
        key = (
            ApiKey.objects.select_related("tenant").filter(prefix=raw[: ApiKey.PREFIX_LENGTH]).first()
            if raw.startswith("lv_")
            else None
        )
        if key is None or not hmac.compare_digest(key.key_hash, hash_api_key(raw)) or not key.is_active:
            # One answer for unknown, wrong, revoked and expired keys: nothing to probe.
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired API key.", code="invalid_api_key")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        tenant_id_var.set(str(key.tenant_id))
        return ApiKeyPrincipal(api_key=key), key

    def authenticate_header(self, request) -> str:
        return self.keyword
