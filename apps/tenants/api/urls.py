from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.tenants.api import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("tenant/", views.TenantView.as_view(), name="tenant"),
    *router.urls,
]
