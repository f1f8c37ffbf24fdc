"""The simulator plays the customer's side of AI calls with scripted personas (issue 7), end to end
with real processes: uvicorn serving the webhooks, a Celery worker stepping the simulated calls. The
dialer places the call, the simulator answers, hears each <Gather input="speech"> and posts its
persona's next line as SpeechResult to the turn webhook (a silent persona lets the Gather time out),
and the call ends with the conversation's disposition on the call and its lead. Then the personas
themselves: who is picked, what they answer."""

import datetime as dt

import pytest

from apps.calls.choices import CallOutcome, CallStatus
from apps.calls.compliance import RuleBook
from apps.calls.demo import PEOPLE
from apps.calls.models import Call
from apps.calls.tasks import dialer_tick
from apps.calls.telephony import personas
from apps.calls.tests import factories as f
from apps.calls.tests.processes import free_port, processes, wait_for
from apps.calls.tests.test_dialer_processes import _env, _finished
from apps.core import clock
from apps.leads.choices import LeadStage, LeadStatus
from apps.leads.models import DoNotCallEntry, Lead
from apps.voice.extraction import zone
from apps.voice.models import Conversation


def _lead_in_their_daytime(tenant, **campaign_values) -> Lead:
    """An AI campaign selling missed-call text-back (success: a booked demo) and one lead of it who may
    be called now (somewhere in the world it is day)."""
    campaign = f.campaign(tenant, client_service="missed-call text-back", success_criteria="Book a demo.",
                          agent=f.ai_agent(tenant, name="Ava"), **campaign_values)  # fmt: skip
    rules, now = RuleBook.for_tenant(tenant.pk), clock.now()
    for n, (first, last, pattern) in enumerate(PEOPLE):
        lead = f.lead(tenant, pattern.format(800 + n), first_name=first, last_name=last, company=f"{last} Plumbing")
        if rules.lead_verdict(lead, now)[0]:
            Lead.objects.filter(pk=lead.pk).update(campaign=campaign)
            return Lead.objects.get(pk=lead.pk)
    raise AssertionError("nowhere is it day?")


def _play(lead, **env_values) -> Call:
    port = free_port()
    env = _env(port, **{"SIMULATOR_ODDS": "answer=1", **env_values})
    with processes() as p:
        p.server(env, port)
        p.worker(env, name="persona", concurrency=2)

        def placed() -> bool:
            if Call.objects.filter(lead=lead).exists():
                return True
            dialer_tick.delay()  # as beat does, until the call is placed
            return False

        wait_for(placed, timeout=30, every=1, message="the call placed")
        try:
            wait_for(_finished(lead.campaign, 1), timeout=120, message="the call talked through and finalized")
        except AssertionError as exc:  # say where it stopped
            calls = Call.objects.filter(lead=lead).values("status", "disposition", "finalized_at", "transcript")
            raise AssertionError(f"{exc}: {list(calls)}") from exc
    return Call.objects.get(lead=lead)


def _customer(call) -> list[str]:
    return [turn["text"] for turn in call.transcript if turn["speaker"] == "customer"]


def _expected(name: str, lead) -> list[str]:
    person = personas.person(first_name=lead.first_name, last_name=lead.last_name, company=lead.company_name)
    return [line for line in personas.PERSONAS[name].script(person) if line is not None]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "name", [personas.INTERESTED, personas.OBJECTION_THEN_INTERESTED, personas.NOT_INTERESTED, personas.CALLBACK,
             personas.DO_NOT_CALL, personas.SILENT],
)  # fmt: skip
def test_each_persona_talks_through_the_webhooks_to_its_disposition(acme, name):
    lead = _lead_in_their_daytime(acme)
    call = _play(lead, SIMULATOR_PERSONAS=f"{name}=1")
    lead.refresh_from_db()
    conv = Conversation.objects.get(call=call)
    assert (call.status, call.outcome) == (CallStatus.COMPLETED, CallOutcome.ANSWERED)
    assert call.transcript[0]["speaker"] == "agent" and call.transcript[0]["text"].startswith(
        f"Hello {lead.first_name}"
    )
    assert call.transcript[-1]["speaker"] == "agent" and conv.state == "ended"
    assert lead.attempts_count == 1 and lead.last_call_at is not None
    said = _customer(call)
    email = personas.person(first_name=lead.first_name, company=lead.company_name)["email"]
    if name == personas.SILENT:
        assert said == ["", ""] and conv.end_reason == "silence"  # two Gathers timed out, no SpeechResult
        assert (
            call.disposition == lead.disposition == "hung_up" and lead.status == LeadStatus.SCHEDULED
        )  # tried again later
        return
    assert said == _expected(name, lead), said
    if name in (personas.INTERESTED, personas.OBJECTION_THEN_INTERESTED):
        assert call.disposition == "interested" and conv.end_reason == "success"
        assert conv.path[-2:] == ["closing", "ended"]
        assert f"I'll send the details to {email}." in call.transcript[-1]["text"]
        assert lead.email == email and lead.interest_level == "high" and lead.stage == LeadStage.QUALIFIED
        assert lead.custom_fields["next_step"] == "to book a demo" and lead.status == LeadStatus.DONE
        if name == personas.OBJECTION_THEN_INTERESTED:
            assert "objection_handling" in conv.path and conv.handled_objections == ["competitor"]
    elif name == personas.NOT_INTERESTED:
        assert call.disposition == lead.disposition == "not_interested" and conv.path == ["greeting", "ended"]
        assert lead.status == LeadStatus.DONE and lead.interest_level == "low"
        assert not DoNotCallEntry.objects.filter(tenant=acme).exists()
    elif name == personas.CALLBACK:
        assert call.disposition == "callback_requested" and call.callback_at is not None
        local = call.callback_at.astimezone(zone(lead.timezone or lead.campaign.timezone))
        answered = call.answered_at.astimezone(local.tzinfo)
        assert local.time() == dt.time(15, 0) and local.date() == answered.date() + dt.timedelta(days=1)
        assert "call you back tomorrow at 3 PM" in call.transcript[-1]["text"]
        assert lead.status == LeadStatus.SCHEDULED and lead.next_call_at == call.callback_at
    elif name == personas.DO_NOT_CALL:
        assert call.disposition == "do_not_call" and "will not call you again" in call.transcript[-1]["text"]
        assert DoNotCallEntry.objects.filter(tenant=acme, phone_e164=lead.phone_e164, source="call").exists()
        assert lead.do_not_call and lead.status == LeadStatus.DNC


@pytest.mark.django_db(transaction=True)
def test_a_voicemail_greeting_missed_by_amd_gets_the_campaigns_drop(acme):
    lead = _lead_in_their_daytime(acme, amd_enabled=False, voicemail_drop_text="Hi, this is {company}. Call us back.")
    call = _play(lead, SIMULATOR_ODDS="voicemail=1")
    lead.refresh_from_db()
    assert _customer(call) == _expected(personas.VOICEMAIL, lead)
    assert call.transcript[-1]["text"] == "Hi, this is Acme. Call us back."
    assert call.disposition == "voicemail_left" and lead.disposition == "voicemail"  # the lead's word for it
    assert Conversation.objects.get(call=call).end_reason == "voicemail"


# The personas ---------------------------------------------------------------------------------------
def test_it_picks_personas_by_their_weights_the_same_for_the_same_call(settings):
    settings.SIMULATOR_PERSONAS = {"interested": 3, "not_interested": 1, "unknown": 5, "silent": 0}
    picks = [personas.pick(str(n)) for n in range(4000)]
    assert set(picks) == {"interested", "not_interested"}
    assert 0.7 < picks.count("interested") / len(picks) < 0.8
    assert personas.pick("call-1") == personas.pick("call-1")
    assert personas.pick("call-1", outcome="voicemail") == personas.VOICEMAIL
    settings.SIMULATOR_PERSONAS = {}
    assert personas.pick("call-1") == personas.INTERESTED


def test_a_persona_answers_an_email_question_or_a_proposal_wherever_it_comes():
    pat = personas.person(first_name="Pat", last_name="Lee", company="Lee Plumbing")
    assert pat == {"name": "Pat", "email": "pat@leeplumbing.com", "email_spoken": "pat at leeplumbing dot com"}
    interested = personas.PERSONAS[personas.INTERESTED]
    assert interested.reply("Hello Pat. Do you have a minute?", said=0, person=pat) == ("Yes, I have a minute.", 1)
    proposal = "Great. The next step would be to book a demo. Would that work for you?"
    assert interested.reply(proposal, said=2, person=pat) == ("Sure, let's book a demo.", 2)  # an early proposal
    asked = "Great. What's the best email address to send the details to?"
    assert interested.reply(asked, said=2, person=pat) == ("It's pat at leeplumbing dot com.", 2)
    assert interested.reply("And one more question?", said=5, person=pat) == ("Sure, let's book a demo.", 5)
    silent = personas.PERSONAS[personas.SILENT]
    assert silent.reply("Hello?", said=0, person=pat) == (None, 0)
    own = personas.person(first_name="Ana", email="Ana.Ruiz@Example.co.uk")
    assert own["email"] == "ana.ruiz@example.co.uk" and own["email_spoken"] == "ana dot ruiz at example dot co dot uk"
    assert personas.person()["name"] == "us" and personas.person(first_name="Sofía", company="Hernández & Co")[
        "email"] == "sofia@hernandezco.com"  # fmt: skip
