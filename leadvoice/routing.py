"""WebSocket URL patterns: the agent console's and the supervisors' sockets (apps.realtime), and
spec 001's realtime socket of a voice AI call (apps.voice)."""

from apps.realtime.routing import websocket_urlpatterns as realtime
from apps.voice.routing import websocket_urlpatterns as voice

websocket_urlpatterns: list = [*realtime, *voice]
