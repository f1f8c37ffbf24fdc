from django.apps import AppConfig


class AgentsConfig(AppConfig):
    """Agents, AI or human: who talks on the calls."""

    name = "apps.agents"
    label = "agents"
