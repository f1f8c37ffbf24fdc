"""Who is on the other end of a WebSocket: a JWT access token (the `token` query parameter, or the
subprotocols `["bearer", "<token>"]` a browser can send in the handshake) or, failing that, the
Django session (the console page's login). The consumer reads `scope["user"]` and refuses anyone
without a tenant."""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

from apps.tenants.authentication import TenantJWTAuthentication

BEARER = "bearer"


def bearer_token(scope) -> str | None:
    """The token a handshake carries, if any."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0] == BEARER:
        return protocols[1]
    return None


@database_sync_to_async
def user_for_token(raw: str):
    """The active user a JWT names, or an anonymous user for a bad, expired or revoked token."""
    authentication = TenantJWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw.encode()))
    except (AuthenticationFailed, TokenError, ValueError):
        return AnonymousUser()


class JWTAuthMiddleware:
    """Puts the token's user in scope["user"]; without a token, the session middleware's user stays."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        raw = bearer_token(scope)
        if raw is not None:
            scope = {**scope, "user": await user_for_token(raw), "auth": "jwt"}
        return await self.inner(scope, receive, send)


def AuthStack(inner):
    """The session (cookies) first, then a token when the handshake carries one."""
    return AuthMiddlewareStack(JWTAuthMiddleware(inner))
