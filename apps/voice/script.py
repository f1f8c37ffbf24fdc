"""What a conversation follows: the campaign's script, read into steps, with the lead's details filled
in (apps.campaigns.scripts: a missing value renders as its fallback, never as "{first_name}").

The script template may be one opening line, as the first AI app used it, or labelled lines:

    greeting: Hello {first_name}, this is {agent_name} from {business_name}. Have you got a minute?
    discovery: How do you follow up with new leads today?
    discovery: What happens to the calls nobody answers?
    qualification: How soon would you want something in place?
    closing: Shall I book a short demo with our team?
    price: I understand. Most customers recover the cost within a month. Worth a look?

Labels: greeting (or opening), discovery, qualification, closing, voicemail, and an objection kind
(price, timing, need, authority, competitor, trust; "objection price:" also reads) for its handler.
Unlabelled lines: the first paragraph is the greeting, the rest are discovery questions. Steps the
script leaves out are written from the campaign's other fields (description, client service,
success criteria) and the tenant's name.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.conf import settings

from apps.campaigns import scripts
from apps.voice.choices import ConversationState, Objection
from apps.voice.extraction import zone

DEFAULT_GREETING = "Hello {first_name}, this is {agent_name} calling from {business_name}. Do you have a minute?"
DEFAULT_CLARIFY = "Could you tell me a bit more?"
DEFAULT_NEXT_STEP = "a short follow-up call with one of our specialists"
_LABEL = re.compile(r"^\s*(?:objection\s+)?(greeting|opening|discovery|qualification|closing|voicemail|price|timing|"
                    r"need|authority|competitor|trust)\s*:\s*(.*)$", re.I)  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

DEFAULT_HANDLERS = {
    Objection.PRICE: "I understand, budget matters. Most of our customers find {offer} pays for itself quickly, and "
    "we can fit it to what you need. If the numbers worked for you, would it be worth a closer look?",
    Objection.TIMING: "I understand, I caught you at a busy moment. When would be a better time for a quick call?",
    Objection.NEED: "That's fair, a lot of the teams we talk to said the same at first. Can I ask what your process "
    "looks like today?",
    Objection.AUTHORITY: "Thanks for letting me know. Who else would be part of the decision, and would it make sense "
    "to include them in the next step?",
    Objection.COMPETITOR: "Good to hear you have something in place. Many of our customers compared {offer} with "
    "their current provider and found a real difference. What would you improve about your current setup?",
    Objection.TRUST: "That's a fair question. I'm {agent_name}, an AI assistant calling on behalf of "
    "{business_name}. If you'd rather not be called, just say so and we'll take you off our list. Would it help if "
    "we sent you something in writing first?",
}  # fmt: skip


@dataclass
class Script:
    """The campaign's script, rendered for one lead."""

    greeting: str
    discovery: list[str]
    qualification: list[str]
    closing: str
    handlers: dict[str, str]
    voicemail: str = ""

    def questions(self, state: str) -> list[str]:
        if state == ConversationState.DISCOVERY:
            return self.discovery
        if state == ConversationState.QUALIFICATION:
            return self.qualification
        return []


@dataclass
class CallContext:
    """Everything the engine and its brains know about one call before it starts."""

    values: dict[str, str]
    script: Script
    system_prompt: str = ""
    fallback: str = DEFAULT_CLARIFY
    success_criteria: str = ""
    next_step: str = DEFAULT_NEXT_STEP
    purpose: str = ""
    duration_limit: int | None = None
    max_turns: int = 12
    max_silences: int = 2
    tz: dt.tzinfo = dt.UTC
    lead_email: str = ""
    voicemail: str = ""
    lead_info: dict[str, str] = field(default_factory=dict)
    transfer_to_team: bool = False  # the campaign has an agent group: a warm transfer is possible

    def value(self, name: str) -> str:
        return self.values.get(name) or scripts.PLACEHOLDERS.get(name, ("", ""))[1]

    def render(self, template: str) -> str:
        return scripts.render(template, self.values)


def _literal(text: str) -> str:
    """Text from a free field, safe inside a template (its braces are not placeholders)."""
    return text.replace("{", "{{").replace("}", "}}")


def _first_sentence(text: str) -> str:
    text = (text or "").strip()
    return _SENTENCE.split(text, maxsplit=1)[0].rstrip(".!? ") if text else ""


def parse(template: str) -> dict[str, list[str]]:
    """The template's lines by label ("" for unlabelled paragraphs)."""
    sections: dict[str, list[str]] = {}
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            sections.setdefault("", []).append(" ".join(paragraph))
            paragraph.clear()

    for line in (template or "").splitlines():
        match = _LABEL.match(line)
        if match:
            flush()
            label = "greeting" if match.group(1).lower() == "opening" else match.group(1).lower()
            if match.group(2).strip():
                sections.setdefault(label, []).append(match.group(2).strip())
        elif line.strip():
            paragraph.append(line.strip())
        else:
            flush()
    flush()
    return sections


def build_script(*, template: str, values: dict[str, str], offer: str, next_step: str) -> Script:
    sections = parse(template)
    loose = sections.get("", [])
    render = lambda text: scripts.render(text, {**values, "offer": offer})  # noqa: E731 - one local shorthand
    greeting = (sections.get("greeting") or loose[:1] or [DEFAULT_GREETING])[0]
    discovery = sections.get("discovery") or loose[1:]
    if not discovery:
        service = _literal(values.get("client_service", ""))
        about = _literal(_first_sentence(values.get("_description", "")))
        if service:
            opener = f"I'm calling about {service}. How do you handle that today?"
        elif about:
            opener = f"{about}. How are you handling that today?"
        else:
            opener = ("I'm calling to learn a little about how things work at {company_name}. What are your main "
                      "priorities right now?")  # fmt: skip
        discovery = [opener, "What's the biggest challenge there at the moment?"]
    qualification = sections.get("qualification") or [
        "If it's a fit, how soon would you want to have something in place?",
        "And are you the right person to talk to about this, or is someone else involved too?",
    ]
    closing = (sections.get("closing") or [
        f"Based on what you've told me, the next step would be {_literal(next_step)}. Would that work for you?"
    ])[0]  # fmt: skip
    handlers = {kind: render((sections.get(kind) or [DEFAULT_HANDLERS[kind]])[0]) for kind in Objection.ALL}
    return Script(
        greeting=render(greeting), discovery=[render(q) for q in discovery],
        qualification=[render(q) for q in qualification], closing=render(closing), handlers=handlers,
        voicemail=render(sections["voicemail"][0]) if sections.get("voicemail") else "",
    )  # fmt: skip


def _next_step(criteria: str) -> str:
    """The success criteria as a phrase to say ("Book a demo." -> "to book a demo")."""
    phrase = _first_sentence(criteria)
    if not phrase:
        return DEFAULT_NEXT_STEP
    first, _, rest = phrase.partition(" ")
    if first.lower() in {"book", "schedule", "set", "arrange", "get", "send", "agree", "confirm", "sign", "start"}:
        return f"to {first.lower()} {rest}".strip()
    return phrase[0].lower() + phrase[1:]


def context_for_call(call) -> CallContext:
    """The context of a call (its campaign, lead, agent and tenant)."""
    from apps.calls.telephony import twiml

    campaign, lead = call.campaign, call.lead
    agent = call.agent if call.agent_id else None
    if campaign is not None:
        values = scripts.context_for(campaign=campaign, lead=lead, agent=agent)
    else:
        values = {name: value for name, value in {
            "first_name": lead.first_name, "last_name": lead.last_name, "company_name": lead.company_name,
            "customer_name": lead.full_name, "job_title": lead.job_title, "city": lead.city,
            "business_name": call.tenant.name, "agent_name": agent.name if agent is not None else "",
        }.items() if value}  # fmt: skip
    criteria = (campaign.success_criteria if campaign is not None else "").strip()
    next_step = _next_step(criteria)
    offer = (campaign.client_service if campaign is not None else "") or "it"
    description = (campaign.description if campaign is not None else "") or ""
    script = build_script(template=campaign.script_template if campaign is not None else "",
                          values={**values, "_description": description}, offer=offer,
                          next_step=next_step)  # fmt: skip
    system_prompt = (campaign.system_prompt if campaign is not None else "") or ""
    for name, value in values.items():  # the known placeholders only: a prompt may hold other braces
        system_prompt = system_prompt.replace("{" + name + "}", value)
    fallback = scripts.render(campaign.fallback_script, values) if campaign is not None else ""
    return CallContext(
        values=values, script=script, system_prompt=system_prompt, fallback=fallback.strip() or DEFAULT_CLARIFY,
        success_criteria=criteria, next_step=next_step, purpose=str(call.metadata.get("purpose", ""))[:500],
        duration_limit=campaign.call_duration_limit if campaign is not None else None,
        max_turns=max(2, int(settings.VOICE_MAX_TURNS)), max_silences=max(1, int(settings.VOICE_MAX_SILENCES)),
        tz=zone(lead.timezone or (campaign.timezone if campaign is not None else "")), lead_email=lead.email or "",
        voicemail=script.voicemail or twiml.voicemail_text(call),
        lead_info={"lead_name": lead.first_name or lead.full_name, "company": lead.company_name,
                   "industry": lead.industry},
        transfer_to_team=bool(campaign is not None and campaign.agent_group_id and call.provider != "text"),
    )  # fmt: skip
