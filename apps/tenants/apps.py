from django.apps import AppConfig


class TenantsConfig(AppConfig):
    """Tenants, their users and API keys: who may do what, and for whom."""

    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants and access"

    def ready(self) -> None:
        from apps.tenants import signals  # noqa: F401 - connects the principal-cache invalidation
