from django.apps import AppConfig


class VoiceConfig(AppConfig):
    """The AI voice agent's conversation engine: turn analysis, the conversation's states, the brains
    that word the replies (scripted offline, or an OpenAI-compatible model), the end-of-call summary."""

    name = "apps.voice"
    label = "voice"
