"""Provider webhooks, under /webhooks/twilio/ (spec 004's paths)."""

from django.urls import path

from apps.calls import webhooks

app_name = "webhooks"

urlpatterns = [
    path("twilio/answer/", webhooks.answer, name="twilio-answer"),
    path("twilio/status/", webhooks.status, name="twilio-status"),
    path("twilio/amd/", webhooks.amd, name="twilio-amd"),
    path("twilio/recording/", webhooks.recording, name="twilio-recording"),
    path("twilio/agent-answer/", webhooks.agent_answer, name="twilio-agent-answer"),
    path("twilio/agent-status/", webhooks.agent_status, name="twilio-agent-status"),
    path("twilio/conference-status/", webhooks.conference_status, name="twilio-conference-status"),
    path("twilio/voice/", webhooks.voice, name="twilio-voice"),
    path("twilio/optout/", webhooks.optout, name="twilio-optout"),
]
