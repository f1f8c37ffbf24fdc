"""WebSocket URL patterns. The agent console and voice realtime routes join here with their issues."""

websocket_urlpatterns: list = []
