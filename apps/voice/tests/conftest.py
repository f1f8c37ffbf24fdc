"""Fixtures of the voice tests.

- `spring`: Acme's active AI campaign (agent Ava) selling a missed-call text-back service, whose
  success is a booked demo; `pat`: its lead Pat Lee of Lee Plumbing (New York, no email yet).
- `text_call(lead)`: a text-mode call, started: the conversation has said its opening line.
- `talk(call, lines)`: the customer says each line in turn (text mode); the replies.
- `wednesday_morning`: the clock at Wednesday 2 December 2026, 10:00 in New York (callback times).
- `fake_llm`: a local OpenAI-compatible server, and the settings pointing the LLM brain at it.
"""

import datetime as dt

import pytest

from apps.calls.tests import factories as f
from apps.core import clock
from apps.core.actors import Actor
from apps.voice import services
from apps.voice.tests.fake_llm import FakeLLM

NEW_YORK = dt.timezone(dt.timedelta(hours=-5))  # December: EST


@pytest.fixture(autouse=True)
def _scripted_brain(settings):
    """The default brain unless a test asks for the LLM one."""
    settings.VOICE_BRAIN = "scripted"
    settings.LLM_BASE_URL = ""


@pytest.fixture
def spring(acme):
    return f.campaign(acme, name="Spring", client_service="missed-call text-back", success_criteria="Book a demo.",
                      voicemail_drop_text="Hi, this is {company}. Call us back at {callback_number}.",
                      system_prompt="You are {agent_name} from {business_name}. Be brief and friendly.",
                      agent=f.ai_agent(acme, name="Ava"))  # fmt: skip


@pytest.fixture
def pat(acme, spring):
    return f.lead(acme, "+12125550101", campaign=spring, first_name="Pat", last_name="Lee", company="Lee Plumbing")


@pytest.fixture
def wednesday_morning(db):
    clock.travel_to(dt.datetime(2026, 12, 2, 10, 0, tzinfo=NEW_YORK))
    yield clock.now()
    clock.reset()


@pytest.fixture
def text_call():
    def make(lead):
        call = services.voice_call_create(tenant=lead.tenant, actor=Actor(label="test"), lead=lead)
        call = type(call).objects.select_related("tenant", "campaign", "lead", "agent").get(pk=call.pk)
        services.voice_call_start(call=call)
        return type(call).objects.select_related("tenant", "campaign", "lead", "agent").get(pk=call.pk)

    return make


@pytest.fixture
def talk():
    def run(call, lines: list[str]) -> list[services.TurnResult]:
        results = []
        for line in lines:
            fresh = type(call).objects.select_related("tenant", "campaign", "lead", "agent").get(pk=call.pk)
            results.append(services.voice_call_respond(call=fresh, text=line))
        return results

    return run


@pytest.fixture
def fake_llm(settings):
    fake = FakeLLM().start()
    settings.VOICE_BRAIN = "llm"
    settings.LLM_BASE_URL = fake.base_url
    settings.LLM_MODEL = "fake-model-1"
    settings.LLM_API_KEY = "sk-test-key"
    settings.LLM_STREAM = True
    settings.LLM_TURN_BUDGET_SECONDS = 2.0
    yield fake
    fake.stop()
