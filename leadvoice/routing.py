"""WebSocket URL patterns: the agent console's and the supervisors' sockets (apps.realtime)."""

from apps.realtime.routing import websocket_urlpatterns as realtime

websocket_urlpatterns: list = [*realtime]
