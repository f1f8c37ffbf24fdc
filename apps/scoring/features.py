"""What scoring knows about a lead: its own fields read into plain facts (seniority, company size,
revenue, source...) and its call history folded into counts (answered calls, talk time, the
dispositions' flags, callbacks, calls without an answer, what the conversations showed).

Both the rule-based score and the trained model read these facts, so they see the same lead. The
history of many leads comes from one query (training, batch rescoring); of one lead, from one small
query over its own calls.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models.fields.json import KeyTransform

from apps.calls.choices import CallOutcome
from apps.calls.models import Call
from apps.leads.choices import LeadStage

# The lead's columns scoring reads (of its ~60).
LEAD_FIELDS = ("id", "tenant_id", "company_size", "annual_revenue", "job_title", "industry", "niche",
               "interest_level", "priority", "email", "company_name", "source", "pain_points", "requirements",
               "stage", "status", "do_not_call", "converted_at", "sub_status", "disposition", "attempts_count",
               "next_call_at", "lead_score", "is_hot_lead")  # fmt: skip

# Disposition codes that say how the person felt; a tenant's own codes fall back to their flags.
POSITIVE_CODES = frozenset({"sale", "interested", "converted", "qualified", "demo_booked", "appointment_set",
                            "meeting_booked"})  # fmt: skip
NOT_INTERESTED_CODES = frozenset({"not_interested"})
HUNG_UP_CODES = frozenset({"hung_up"})
UNANSWERED = frozenset({CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED, CallOutcome.VOICEMAIL})

_JUNIOR = re.compile(r"\b(assistant|intern|junior|jr|trainee|student|coordinator)\b")
_SENIORITY = (
    (4, re.compile(r"\b(ceo|cto|cfo|coo|cmo|cio|cro|chief|founder|co-?founder|owner|(?<!vice )president|partner|"
                   r"managing director|proprietor)\b")),
    (3, re.compile(r"\b(vp|svp|evp|avp|vice president|head of|director|general manager|gm)\b")),
    (2, re.compile(r"\b(manager|lead|senior|sr|supervisor|principal|architect|specialist)\b")),
)  # fmt: skip
_SIZE_WORDS = {"solo": 1, "micro": 5, "small": 25, "smb": 50, "medium": 150, "mid": 150, "midmarket": 500,
               "mid-market": 500, "large": 1000, "enterprise": 5000}  # fmt: skip
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*([km])?\b")
# Where leads come from, in words the documents and importers use, most specific first.
_SOURCES = (
    ("referral", re.compile(r"referr|word of mouth|recommend")),
    ("inbound", re.compile(r"web|site|form|inbound|landing|demo|contact|chat|organic|seo|google|search|ads?\b")),
    ("event", re.compile(r"event|expo|trade ?show|webinar|conference|fair|meetup")),
    ("partner", re.compile(r"partner|reseller|affiliate")),
    ("social", re.compile(r"linkedin|facebook|twitter|instagram|social")),
    ("outbound", re.compile(r"cold|list|purchas|bought|import|scrap|database|directory|csv|outbound")),
)
SIZE_BANDS = (10, 50, 250, 1000)  # band 1: under 10 people ... band 5: 1,000 and more


def seniority_of(title: str) -> int:
    """0 no title, 1 junior or unknown words, 2 manager, 3 director or VP, 4 owner or C-level."""
    words = (title or "").lower().strip()
    if not words:
        return 0
    if _JUNIOR.search(words):
        return 1
    for level, pattern in _SENIORITY:
        if pattern.search(words):
            return level
    return 1


def employees_of(text: str) -> int | None:
    """People at the company from free text: "50-200" (the middle), "500+", "10k", "enterprise"."""
    words = (text or "").lower().replace(",", "").strip()
    if not words:
        return None
    numbers = [float(n) * {"k": 1_000, "m": 1_000_000}.get(unit, 1) for n, unit in _NUMBER.findall(words)]
    if numbers:
        return max(1, round(sum(numbers[:2]) / len(numbers[:2])))
    for word, people in _SIZE_WORDS.items():
        if word in words:
            return people
    return None


def size_band(people: int | None) -> int:
    if people is None:
        return 0
    return 1 + sum(people >= edge for edge in SIZE_BANDS)


def source_kind(source: str) -> str:
    words = (source or "").lower().strip()
    if not words:
        return "unknown"
    for kind, pattern in _SOURCES:
        if pattern.search(words):
            return kind
    return "other"


@dataclass(frozen=True)
class CallHistory:
    """A lead's finished calls, folded."""

    attempts: int = 0  # calls that were dialed (not canceled before ringing)
    answered: int = 0  # a person picked up
    contacts: int = 0  # a conversation with the right person (the disposition's contact flag)
    talk_seconds: int = 0
    unanswered: int = 0  # no answer, busy, failed, voicemail
    voicemails: int = 0
    unanswered_streak: int = 0  # the latest calls in a row without an answer
    callbacks: int = 0  # asked to be called back (callback flag)
    positive: int = 0  # interested, sale...
    not_interested: int = 0
    hung_up: int = 0
    sale: bool = False
    dnc: bool = False
    unworkable: bool = False  # wrong or dead number
    signals: frozenset[str] = field(default_factory=frozenset)  # the conversations' interest signals
    objections: frozenset[str] = field(default_factory=frozenset)
    sentiment: float | None = None  # the conversations' average, in [-1, 1]

    @property
    def answer_rate(self) -> float:
        return self.answered / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class LeadFacts:
    """What scoring knows about one lead."""

    seniority: int
    employees: int | None
    revenue: float | None
    industry: str
    industry_match: bool  # the tenant's own industry (or the lead's niche says so)
    interest: str  # low, medium, high or ""
    priority: int
    has_email: bool
    has_company: bool
    has_title: bool
    source: str  # a source_kind
    pain_points: int
    requirements: int
    converted: bool
    do_not_call: bool
    history: CallHistory

    @property
    def size_band(self) -> int:
        return size_band(self.employees)


def lead_facts(lead, *, history: CallHistory, tenant_industry: str = "") -> LeadFacts:
    industry = (lead.industry or "").strip().lower()
    target = (tenant_industry or "").strip().lower()
    niche = (lead.niche or "").strip().lower()
    revenue = lead.annual_revenue
    return LeadFacts(
        seniority=seniority_of(lead.job_title),
        employees=employees_of(lead.company_size),
        revenue=float(revenue) if isinstance(revenue, Decimal | int | float) else None,
        industry=industry[:40],
        industry_match=bool(target and (target in industry or target in niche or (industry and industry in target))),
        interest=lead.interest_level or "",
        priority=lead.priority or 3,
        has_email=bool(lead.email),
        has_company=bool(lead.company_name),
        has_title=bool(lead.job_title),
        source=source_kind(lead.source),
        pain_points=len(lead.pain_points or []),
        requirements=len(lead.requirements or []),
        converted=lead.stage == LeadStage.CONVERTED or lead.converted_at is not None,
        do_not_call=bool(lead.do_not_call),
        history=history,
    )  # fmt: skip


# Call history -----------------------------------------------------------------------------------------
def _words(value) -> set[str]:
    if isinstance(value, list):
        return {str(v).strip().lower() for v in value if isinstance(v, str | int) and str(v).strip()}
    return set()


def _calls(lead_ids: Iterable):
    """The finished calls of these leads, oldest first, with what the conversation engine left in
    Call.analysis: interest signals, objections and sentiment, at the top level or in its summary."""
    summary = KeyTransform("summary", "analysis")
    return (
        Call.objects.filter(lead_id__in=list(lead_ids))
        .exclude(outcome="")
        .annotate(
            signals_top=KeyTransform("interest_signals", "analysis"),
            signals_summary=KeyTransform("interest_signals", summary),
            objections_top=KeyTransform("objections_raised", "analysis"),
            objections_summary=KeyTransform("objections_raised", summary),
            sentiment_top=KeyTransform("overall_sentiment", "analysis"),
            sentiment_summary=KeyTransform("overall_sentiment", summary),
        )
        .values_list("lead_id", "outcome", "disposition", "talk_time", "signals_top", "signals_summary",
                     "objections_top", "objections_summary", "sentiment_top", "sentiment_summary")
        .order_by("lead_id", "created_at")
    )  # fmt: skip


def fold(calls: list[tuple], dispositions: dict) -> CallHistory:
    """Fold a lead's calls (rows of _calls, oldest first) with the tenant's dispositions by code."""
    counts: Counter = Counter()
    talk, streak = 0, 0
    sale = dnc = unworkable = False
    signals: set[str] = set()
    objections: set[str] = set()
    sentiments: list[float] = []
    for _, outcome, code, talk_time, sig_a, sig_b, obj_a, obj_b, sent_a, sent_b in calls:
        if outcome == CallOutcome.CANCELED:
            continue
        counts["attempts"] += 1
        flags = dispositions.get(code)
        if outcome == CallOutcome.ANSWERED:
            counts["answered"] += 1
            talk += talk_time or 0
            streak = 0
        elif outcome in UNANSWERED:
            counts["unanswered"] += 1
            counts["voicemails"] += outcome == CallOutcome.VOICEMAIL
            streak += 1
        if flags is not None:
            counts["contacts"] += flags.contact
            counts["callbacks"] += flags.callback
            sale, dnc, unworkable = sale or flags.sale, dnc or flags.dnc, unworkable or flags.unworkable
        if code in POSITIVE_CODES or (flags is not None and flags.sale):
            counts["positive"] += 1
        counts["not_interested"] += code in NOT_INTERESTED_CODES
        counts["hung_up"] += code in HUNG_UP_CODES
        signals |= _words(sig_a) | _words(sig_b)
        objections |= _words(obj_a) | _words(obj_b)
        for value in (sent_a, sent_b):
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                sentiments.append(max(-1.0, min(1.0, float(value))))
                break
    return CallHistory(
        attempts=counts["attempts"], answered=counts["answered"], contacts=counts["contacts"], talk_seconds=talk,
        unanswered=counts["unanswered"], voicemails=counts["voicemails"], unanswered_streak=streak,
        callbacks=counts["callbacks"], positive=counts["positive"], not_interested=counts["not_interested"],
        hung_up=counts["hung_up"], sale=sale, dnc=dnc, unworkable=unworkable, signals=frozenset(signals),
        objections=frozenset(objections), sentiment=sum(sentiments) / len(sentiments) if sentiments else None,
    )  # fmt: skip


def histories(lead_ids: list, *, tenant_id, drop_last: bool = False) -> dict:
    """{lead_id: CallHistory} for these leads (one query). `drop_last` leaves out each lead's latest
    call: a finished lead's outcome was decided there, so a model learning from it must not see it."""
    from apps.calls.outcomes import dispositions

    table = dispositions(tenant_id)
    by_lead: dict = {}
    for row in _calls(lead_ids):
        by_lead.setdefault(row[0], []).append(row)
    out = {}
    for lead_id in lead_ids:
        calls = by_lead.get(lead_id, [])
        if drop_last:
            dialed = [n for n, row in enumerate(calls) if row[1] != CallOutcome.CANCELED]
            calls = calls[: dialed[-1]] if dialed else calls
        out[lead_id] = fold(calls, table)
    return out
