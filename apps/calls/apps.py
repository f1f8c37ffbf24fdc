from django.apps import AppConfig


class CallsConfig(AppConfig):
    """Calls: the dialer that turns due leads into calls, the telephony providers that place them
    (Twilio, or the built-in simulator), the webhooks that bring outcomes back, and call records."""

    name = "apps.calls"
    label = "calls"
