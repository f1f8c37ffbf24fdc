"""The people the simulator plays on the AI agent's calls (issue 7): scripted personas, so the demo
holds real conversations that end the ways real ones do. The voice engine's persona tests
(apps/voice/tests/test_personas.py) have the same people say the same words.

- interested: has a minute, answers the questions, books the demo and gives an email.
- objection_then_interested: names a competitor, hears the answer, warms up, asks the price, books.
- not_interested: says so at once.
- callback: busy, asks to be called back tomorrow at 3pm.
- do_not_call: asks to be taken off the list.
- silent: never says a word (every Gather times out, as Twilio's does when nobody speaks).
- voicemail: a machine's greeting (the simulator's voicemail outcome, heard when AMD did not catch it).

A persona says its lines in order, one a turn; wherever in the conversation the agent asks for an email
address or proposes the next step (a script may ask more or fewer questions), it answers that instead;
past its lines it says `then` (None: nothing). Lines name the person: {name}, {email}, {email_spoken}.
"""

import random
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

_EMAIL_ASKED = re.compile(r"\bemail address\b", re.I)
_PROPOSED = re.compile(r"would that work for you|would you like me to set that up", re.I)
_SPEAKABLE = re.compile(r"^[a-z0-9._-]+@[a-z0-9.-]+$")


@dataclass(frozen=True)
class Persona:
    """One simulated person's part in a conversation with the AI agent."""

    name: str
    lines: tuple[str, ...]
    on_proposal: str = ""  # said to "the next step would be ... Would that work for you?"
    on_email: str = ""  # said to "What's the best email address ...?"
    then: str | None = None

    def reply(self, heard: str, *, said: int, person: dict[str, str]) -> tuple[str | None, int]:
        """What the person says to `heard` after `said` of their lines (None: silence), and how many
        of their lines are said after it."""
        if self.on_email and _EMAIL_ASKED.search(heard):
            return self.on_email.format_map(person), said
        if self.on_proposal and _PROPOSED.search(heard):
            return self.on_proposal.format_map(person), said
        if said < len(self.lines):
            return self.lines[said].format_map(person), said + 1
        return (self.then.format_map(person) if self.then is not None else None), said

    def script(self, person: dict[str, str]) -> list[str | None]:
        """The conversation as a campaign of the default script hears it (two discovery and two
        qualification questions, then the proposal and the email): what the tests replay."""
        lines: list[str | None] = [line.format_map(person) for line in self.lines]
        if self.on_proposal:
            lines.append(self.on_proposal.format_map(person))
        if self.on_email and "{email}" not in self.on_proposal:
            lines.append(self.on_email.format_map(person))
        return lines or [None, None]


INTERESTED = "interested"
OBJECTION_THEN_INTERESTED = "objection_then_interested"
NOT_INTERESTED = "not_interested"
CALLBACK = "callback"
DO_NOT_CALL = "do_not_call"
SILENT = "silent"
VOICEMAIL = "voicemail"

PERSONAS: dict[str, Persona] = {
    persona.name: persona
    for persona in (
        Persona(INTERESTED, (
            "Yes, I have a minute.",
            "Honestly we miss a lot of calls while we're out on jobs.",
            "People just hang up and call someone else.",
            "As soon as possible, this month if we can.",
            "Yes, I own the business.",
        ), on_proposal="Sure, let's book a demo.", on_email="It's {email_spoken}.", then="Sure, let's book a demo."),
        Persona(OBJECTION_THEN_INTERESTED, (
            "Yes, go ahead.",
            "We already use another provider for that.",
            "Hmm, okay, that sounds interesting, tell me more.",
            "How much does it cost?",
            "I'm the owner, so it's up to me.",
        ), on_proposal="Yes, book the demo. My email is {email}", on_email="It's {email_spoken}.",
            then="Yes, book the demo. My email is {email}"),
        Persona(NOT_INTERESTED, ("I'm not interested, thanks.",)),
        Persona(CALLBACK, ("I'm busy right now, can you call me back tomorrow at 3pm?",)),
        Persona(DO_NOT_CALL, ("Yes?", "Please take me off your list and stop calling me.")),
        Persona(SILENT, ()),
        Persona(VOICEMAIL, ("Hi, you've reached {name}. Please leave a message after the beep.",)),
    )
}  # fmt: skip


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def person(*, first_name: str = "", last_name: str = "", company: str = "", email: str = "") -> dict[str, str]:
    """Who the simulated person is (the lead called): their name and the email they give (their
    own, else first name at their company's dot com), typed and as spoken."""
    email = (email or f"{_slug(first_name) or 'info'}@{_slug(company) or _slug(last_name) or 'example'}.com").lower()
    spoken = email
    if _SPEAKABLE.match(email):
        spoken = email.replace("@", " at ").replace(".", " dot ").replace("_", " underscore ").replace("-", " dash ")
    return {"name": first_name or company or "us", "email": email, "email_spoken": spoken}


def pick(seed: str, *, outcome: str = "answer") -> str:
    """The persona of one call: the voicemail outcome's machine, else from SIMULATOR_PERSONAS's
    weights (seeded by the call, so a rerun plays the same)."""
    if outcome == "voicemail":
        return VOICEMAIL
    weights = {name: max(0.0, float(w)) for name, w in settings.SIMULATOR_PERSONAS.items() if name in PERSONAS}
    total = sum(weights.values())
    if not total:
        return INTERESTED
    point = random.Random(f"{seed}:persona").random() * total  # noqa: S311 - a simulation, not a secret
    for name, weight in weights.items():
        point -= weight
        if point <= 0 and weight:
            return name
    return next(name for name, weight in weights.items() if weight)
