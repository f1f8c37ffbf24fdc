from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """Realtime: the agent console's and the supervisors' WebSockets (Channels on the Redis channel
    layer), and the one module every other app publishes its live events through."""

    name = "apps.realtime"
    label = "realtime"
