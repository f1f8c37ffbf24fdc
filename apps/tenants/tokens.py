"""JWT issuing and revocation (simplejwt underneath)."""

from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.tenants.authentication import access_denylist_key
from apps.tenants.models import User


def _expires_in() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def tokens_issue(*, user: User) -> dict:
    """A fresh refresh/access pair for a successful sign-in. Claims name the tenant and role for
    clients; the server still reads both from the database on every request."""
    refresh = RefreshToken.for_user(user)
    refresh["tenant_id"] = str(user.tenant_id) if user.tenant_id else None
    refresh["role"] = user.role
    update_last_login(None, user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": _expires_in(),
    }


def tokens_refresh(*, refresh_token: str) -> dict:
    """Rotate: the old refresh token is blacklisted, a new pair comes back. Raises TokenError."""
    refresh = RefreshToken(refresh_token)
    user_id = refresh.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        raise TokenError("User not found or inactive.")
    _, first_use = refresh.blacklist()
    if not first_use:  # two refreshes raced with one token: only one may rotate it
        raise TokenError("Token is blacklisted")
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    refresh.outstand()
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": _expires_in(),
    }


def tokens_revoke(*, refresh_token: str, user_id, access_token_payload: dict | None = None) -> None:
    """Logout: blacklist the refresh token (it must be the caller's) and refuse the access token
    used for the call until it expires. Raises TokenError."""
    refresh = RefreshToken(refresh_token)
    if str(refresh.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])) != str(user_id):
        raise TokenError("This refresh token belongs to another user.")
    refresh.blacklist()
    if access_token_payload and access_token_payload.get("jti"):
        ttl = int(access_token_payload["exp"] - timezone.now().timestamp())
        if ttl > 0:
            cache.set(access_denylist_key(access_token_payload["jti"]), 1, timeout=ttl)
