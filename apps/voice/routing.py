from django.urls import path

from apps.voice import consumers

websocket_urlpatterns = [
    # spec 001's path, with and without the canonical trailing slash
    path("api/v1/voice/calls/<str:call_id>/realtime", consumers.VoiceCallConsumer.as_asgi()),
    path("api/v1/voice/calls/<str:call_id>/realtime/", consumers.VoiceCallConsumer.as_asgi()),
]
