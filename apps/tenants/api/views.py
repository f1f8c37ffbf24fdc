"""Auth, users, API keys and the caller's tenant. Thin: check access, call a service, render."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError

from apps.core.serializers import MessageSerializer
from apps.core.viewsets import TenantScopedViewSet
from apps.tenants import services, tokens
from apps.tenants.api import serializers as s
from apps.tenants.choices import ACCESS_ADMIN_ROLES, OPERATOR_ROLES
from apps.tenants.models import ApiKey, User
from apps.tenants.permissions import ApiKeyScopePermission, IsTenantMember, TenantRolePermission


class _AuthEndpoint(APIView):
    """Sign-in endpoints: open to anyone, throttled, never tenant data."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    tenant_scoped = False
    tenant_scope_reason = "authentication: acts on the caller's credentials only"

    def get_authenticate_header(self, request) -> str:
        # With no authenticators DRF would turn a 401 into a 403; a failed sign-in is a 401.
        return 'Bearer realm="api"'


def _token_error(exc: TokenError) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(
        str(exc.args[0]) if exc.args else "Token is invalid.", code="token_not_valid"
    )


class LoginView(_AuthEndpoint):
    @extend_schema(request=s.LoginSerializer, responses={200: s.TokenPairSerializer}, tags=["auth"])
    def post(self, request):
        data = s.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, email=data.validated_data["email"], password=data.validated_data["password"])
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid email or password.", code="invalid_credentials")
        body = tokens.tokens_issue(user=user)
        body["user"] = s.UserSerializer(user).data
        return Response(body)


class RegisterView(_AuthEndpoint):
    @extend_schema(
        request=s.RegisterSerializer,
        responses={201: s.TokenPairSerializer},
        tags=["auth"],
        description="Self-serve sign-up: creates a new tenant with the caller as its owner. "
        "A tenant_id in the body is refused: joining a tenant happens through its owner or admin.",
    )
    def post(self, request):
        data = s.RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant, user = services.tenant_register(**data.validated_data)
        body = tokens.tokens_issue(user=user)
        body["user"] = s.UserSerializer(user).data
        body["tenant"] = s.TenantSummarySerializer(tenant).data
        return Response(body, status=status.HTTP_201_CREATED)


class RefreshView(_AuthEndpoint):
    @extend_schema(request=s.RefreshSerializer, responses={200: s.TokenPairSerializer}, tags=["auth"])
    def post(self, request):
        data = s.RefreshSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            return Response(tokens.tokens_refresh(refresh_token=data.validated_data["refresh_token"]))
        except TokenError as exc:
            raise _token_error(exc) from None


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]
    tenant_scoped = False
    tenant_scope_reason = "authentication: ends the caller's own session"

    @extend_schema(request=s.LogoutSerializer, responses={200: MessageSerializer}, tags=["auth"])
    def post(self, request):
        if not isinstance(request.user, User):
            raise exceptions.PermissionDenied("API keys have no session to end; revoke the key instead.")
        data = s.LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = getattr(request.auth, "payload", None)
        try:
            tokens.tokens_revoke(
                refresh_token=data.validated_data["refresh_token"], user_id=request.user.pk, access_token_payload=access
            )
        except TokenError as exc:
            raise _token_error(exc) from None
        return Response({"message": "Logged out."})


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    tenant_scoped = False
    tenant_scope_reason = "the caller's own account"

    @extend_schema(responses={200: s.UserSerializer}, tags=["auth"])
    def get(self, request):
        principal = request.user
        tenant = getattr(principal, "tenant", None)
        if isinstance(principal, User):
            body = s.UserSerializer(principal).data
        else:
            body = {"api_key": s.ApiKeySerializer(principal.api_key).data, "role": principal.role}
        body["tenant"] = s.TenantSummarySerializer(tenant).data if tenant else None
        return Response(body)


class TenantView(APIView):
    """The caller's own tenant: read by any member, changed by owners and admins."""

    permission_classes = [IsAuthenticated, ApiKeyScopePermission, IsTenantMember, TenantRolePermission]
    write_roles = ACCESS_ADMIN_ROLES
    tenant_scoped = False
    tenant_scope_reason = "reads request.user.tenant, never an id from the request"

    @extend_schema(responses={200: s.TenantSerializer}, tags=["tenant"])
    def get(self, request):
        return Response(s.TenantSerializer(request.user.tenant).data)

    @extend_schema(request=s.TenantSerializer, responses={200: s.TenantSerializer}, tags=["tenant"])
    def patch(self, request):
        tenant = request.user.tenant
        data = s.TenantSerializer(tenant, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        tenant = services.tenant_update(tenant=tenant, **data.validated_data)
        return Response(s.TenantSerializer(tenant).data)


@extend_schema(tags=["users"])
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """People of the caller's tenant. Owners and admins manage them; managers may look."""

    queryset = User.objects.select_related("tenant")
    serializer_class = s.UserSerializer
    read_roles = OPERATOR_ROLES
    write_roles = ACCESS_ADMIN_ROLES
    results_key = "users"
    search_fields = ["email", "first_name", "last_name"]
    ordering_fields = ["email", "date_joined", "role"]
    filterset_fields = ["role", "is_active"]

    @extend_schema(request=s.UserCreateSerializer, responses={201: s.UserSerializer})
    def create(self, request):
        data = s.UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(tenant=self.tenant, actor_role=request.user.role, **data.validated_data)
        return Response(s.UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.UserUpdateSerializer, responses={200: s.UserSerializer})
    def partial_update(self, request, pk=None):
        user = self.get_object()
        data = s.UserUpdateSerializer(user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=user, actor=self._acting_user(), **data.validated_data)
        return Response(s.UserSerializer(user).data)

    @extend_schema(responses={204: None}, description="Deactivates the user (the row is kept for history).")
    def destroy(self, request, pk=None):
        services.user_update(user=self.get_object(), actor=self._acting_user(), is_active=False)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _acting_user(self) -> User:
        if isinstance(self.request.user, User):
            return self.request.user
        # An admin-scope API key acts as an admin who is nobody in particular.
        return User(pk=None, tenant=self.tenant, role=self.request.user.role)


@extend_schema(tags=["api-keys"])
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Machine credentials of the caller's tenant. The key itself is shown once, in the create response."""

    queryset = ApiKey.objects.select_related("created_by")
    serializer_class = s.ApiKeySerializer
    read_roles = ACCESS_ADMIN_ROLES
    write_roles = ACCESS_ADMIN_ROLES
    results_key = "api_keys"
    ordering_fields = ["created_at", "name", "last_used_at"]

    @extend_schema(request=s.ApiKeyCreateSerializer, responses={201: s.ApiKeyCreatedSerializer})
    def create(self, request):
        data = s.ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        creator = request.user if isinstance(request.user, User) else None
        key, raw = services.api_key_create(tenant=self.tenant, created_by=creator, **data.validated_data)
        key.key = raw
        return Response(s.ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, description="Revokes the key at once; the row stays for the audit trail.")
    def destroy(self, request, pk=None):
        services.api_key_revoke(api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
