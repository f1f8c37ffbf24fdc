"""The campaign's script read into steps, with the lead's details (and without the ones it lacks)."""

from apps.calls.models import Call
from apps.calls.tests import factories as f
from apps.voice.script import DEFAULT_NEXT_STEP, _next_step, build_script, context_for_call, parse


def test_labelled_lines_become_steps_and_loose_paragraphs_the_opening_and_questions():
    sections = parse("Hello {first_name}!\nGot a minute?\n\nHow do you book jobs?\nDISCOVERY: Who answers the phone?\n"
                     "Objection price: It pays for itself.\nclosing:   Shall we book a demo?  ")  # fmt: skip
    assert sections == {"": ["Hello {first_name}! Got a minute?", "How do you book jobs?"],
                        "discovery": ["Who answers the phone?"], "price": ["It pays for itself."],
                        "closing": ["Shall we book a demo?"]}  # fmt: skip


def test_a_one_line_template_is_the_opening_and_the_rest_is_written_from_the_campaign():
    script = build_script(template="Hi {first_name}, {agent_name} from {business_name} here. Got a minute?",
                          values={"first_name": "Pat", "business_name": "Acme", "client_service": "text-back"},
                          offer="text-back", next_step="to book a demo")  # fmt: skip
    assert script.greeting == "Hi Pat, our team from Acme here. Got a minute?"  # no agent: the placeholder's fallback
    assert script.discovery[0] == "I'm calling about text-back. How do you handle that today?"
    assert (
        script.closing
        == "Based on what you've told me, the next step would be to book a demo. Would that work for you?"
    )
    assert "text-back pays for itself" in script.handlers["price"]
    assert set(script.handlers) == {"price", "timing", "need", "authority", "competitor", "trust"}


def test_missing_lead_details_render_as_their_fallbacks_never_as_braces():
    script = build_script(template="greeting: Hi {first_name} of {company_name}, a quick question for {job_title}.",
                          values={"business_name": "Acme"}, offer="it", next_step=DEFAULT_NEXT_STEP)  # fmt: skip
    assert script.greeting == "Hi there of your company, a quick question for."
    assert "{" not in " ".join([script.greeting, *script.discovery, *script.qualification, script.closing])


def test_braces_in_free_text_fields_are_said_as_written():
    script = build_script(template="", values={"client_service": "the {best} plan", "business_name": "Acme"},
                          offer="it", next_step="to get {budget} approved")  # fmt: skip
    assert script.discovery[0] == "I'm calling about the {best} plan. How do you handle that today?"
    assert "to get {budget} approved" in script.closing


def test_the_success_criteria_become_the_next_step_said():
    assert _next_step("Book a demo.") == "to book a demo"
    assert _next_step("Schedule a site visit. Then send a quote.") == "to schedule a site visit"
    assert _next_step("A signed trial agreement") == "a signed trial agreement"
    assert _next_step("") == DEFAULT_NEXT_STEP


def test_the_context_of_a_call_has_the_lead_campaign_and_limits(acme, settings):
    settings.VOICE_MAX_TURNS, settings.VOICE_MAX_SILENCES = 9, 3
    campaign = f.campaign(acme, name="Spring", success_criteria="Book a demo.", call_duration_limit=300,
                          system_prompt="You are {agent_name} of {business_name}; {json: ok}", timezone="America/Chicago",
                          fallback_script="Sorry {first_name}, could you say that another way?",
                          agent=f.ai_agent(acme, name="Ava"))  # fmt: skip
    lead = f.lead(acme, "+12125550101", campaign=campaign, first_name="Pat", company="Lee Plumbing",
                  email="pat@lee.test")  # fmt: skip
    call = f.call(lead, agent=campaign.ai_agent)
    ctx = context_for_call(Call.objects.select_related("tenant", "campaign", "lead", "agent").get(pk=call.pk))
    assert ctx.system_prompt == "You are Ava of Acme; {json: ok}"  # known placeholders only
    assert ctx.script.greeting == "Hello Pat, this is Ava calling from Acme. Do you have a minute?"
    assert ctx.fallback == "Sorry Pat, could you say that another way?"
    assert (ctx.duration_limit, ctx.max_turns, ctx.max_silences) == (300, 9, 3)
    assert str(ctx.tz) == "America/New_York"  # the lead's own zone (its number's), before the campaign's
    assert ctx.lead_email == "pat@lee.test" and ctx.next_step == "to book a demo"
    assert ctx.lead_info == {"lead_name": "Pat", "company": "Lee Plumbing", "industry": ""}
