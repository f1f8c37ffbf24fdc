"""ASGI entry point: HTTP (Django, DRF, admin, webhooks, static files) and WebSockets (Channels)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvoice.settings.local")

from leadvoice.handlers import get_http_application

# Django must be set up before anything imports models (the routing below does).
django_asgi_app = get_http_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from apps.calls.ingest import CallbackIngest  # noqa: E402
from apps.realtime.auth import AuthStack  # noqa: E402
from leadvoice.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": CallbackIngest(django_asgi_app),  # status-type Twilio callbacks stored in batches
        "websocket": AllowedHostsOriginValidator(AuthStack(URLRouter(websocket_urlpatterns))),
    }
)
