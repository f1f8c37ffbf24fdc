from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared foundations: base models, tenancy plumbing, errors, pagination, health, the demo seed."""

    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Bind @shared_task to our Celery app (broker, serializers...) in every Django process.
        import leadvoice.celery  # noqa: F401
        from apps.core import lookups  # noqa: F401 - registers UUIDField's in_array lookup
