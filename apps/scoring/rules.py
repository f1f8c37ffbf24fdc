"""The rule-based score (spec 001): four parts in [0, 1], their weighted sum, a conversion
probability, and the reasons in words.

- demographic: who they are (seniority of the title, company size, revenue, industry);
- behavioral: how they answer our calls (answer rate, callbacks, what they said, calls unanswered);
- engagement: how much they gave us (talk time, conversations, email, where the lead came from);
- intent: how much they want it (interest level, the conversations' interest signals, the
  dispositions, priority, pain points and requirements).

overall = 0.25 demographic + 0.25 behavioral + 0.20 engagement + 0.30 intent; a do-not-call lead
scores 0, a dead number at most 0.05, a converted lead 1. The conversion probability is a logistic
curve of overall (0.85 -> 0.82, 0.5 -> 0.35, 0.2 -> 0.08): a judgement, not a measurement, which
is what the trained model replaces once a tenant has enough outcomes of its own.
"""

import math
from dataclasses import dataclass, field

from apps.scoring.choices import ScoredBy
from apps.scoring.features import LeadFacts

WEIGHTS = {"demographic": 0.25, "behavioral": 0.25, "engagement": 0.20, "intent": 0.30}
SENIORITY_FIT = {0: 0.3, 1: 0.3, 2: 0.55, 3: 0.85, 4: 1.0}
SIZE_FIT = {0: 0.35, 1: 0.3, 2: 0.5, 3: 0.7, 4: 0.85, 5: 1.0}
SOURCE_FIT = {"referral": 1.0, "inbound": 0.8, "event": 0.6, "partner": 0.6, "social": 0.5, "other": 0.45,
              "unknown": 0.45, "outbound": 0.3}  # fmt: skip
SOURCE_WORDS = {"referral": "Came through a referral", "inbound": "Inbound lead (came to us)",
                "event": "Met at an event", "partner": "Came through a partner"}  # fmt: skip
INTEREST_FIT = {"high": 0.85, "medium": 0.55, "low": 0.2, "": 0.4}
SIGNALS = {  # the conversation engine's interest signals: weight, words
    "demo_interest": (0.2, "Requested product demo"),
    "pricing_interest": (0.1, "Asked about pricing"),
    "timeline_interest": (0.1, "Has a buying timeline"),
    "verbal_interest": (0.05, "Said they were interested"),
}


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def probability(overall: float) -> float:
    return 1.0 / (1.0 + math.exp(-6.0 * (overall - 0.6)))


@dataclass
class Score:
    """A lead's score: the spec 001 parts plus how it was made."""

    overall: float
    demographic: float
    behavioral: float
    engagement: float
    intent: float
    conversion_probability: float
    positive_factors: list[str] = field(default_factory=list)
    negative_factors: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    scored_by: str = ScoredBy.RULES
    model_id: str | None = None

    @property
    def lead_score(self) -> int:
        """The 0-100 figure specs 002 and 003 show (Lead.lead_score)."""
        return round(self.overall * 100)

    def parts(self) -> dict:
        """Spec 001's response shape."""
        return {
            "overall_score": round(self.overall, 3),
            "demographic_score": round(self.demographic, 3),
            "behavioral_score": round(self.behavioral, 3),
            "engagement_score": round(self.engagement, 3),
            "intent_score": round(self.intent, 3),
            "conversion_probability": round(self.conversion_probability, 3),
            "factors": {
                "positive_factors": self.positive_factors,
                "negative_factors": self.negative_factors,
                "recommendations": self.recommendations,
            },
        }


def _demographic(f: LeadFacts, good: list, bad: list) -> float:
    if f.seniority >= 3:
        good.append("Senior title/decision maker")
    elif f.seniority == 0:
        bad.append("No job title")
    elif f.seniority == 1:
        bad.append("Junior or unclear title")
    if f.has_company:
        good.append("Has company information")
    else:
        bad.append("No company information")
    band = f.size_band
    if band >= 4:
        good.append(f"Large company ({f.employees:,} people)")
    elif band == 1:
        bad.append("Very small company")
    revenue_fit = 0.35
    if f.revenue is not None:
        revenue_fit = _clamp((math.log10(max(f.revenue, 1.0)) - 4.5) / 3.5)  # $30k -> 0, $100M -> 1
        if f.revenue >= 10_000_000:
            good.append("Revenue over $10M")
    industry_fit = 1.0 if f.industry_match else (0.6 if f.industry else 0.4)
    if f.industry_match:
        good.append("In your target industry")
    return _clamp(0.35 * SENIORITY_FIT[f.seniority] + 0.25 * SIZE_FIT[band] + 0.2 * revenue_fit
                  + 0.2 * industry_fit)  # fmt: skip


def _behavioral(f: LeadFacts, good: list, bad: list) -> float:
    h = f.history
    if h.attempts == 0:
        return 0.5  # not called yet: nothing known either way
    value = 0.3 + 0.4 * h.answer_rate
    if h.answered:
        good.append(f"Answered {h.answered} of {h.attempts} calls")
    value += min(0.5, 0.25 * h.positive)
    if h.positive:
        good.append("Positive call outcome")
    if h.callbacks:
        value += 0.15
        good.append("Asked to be called back")
    if h.not_interested:
        value -= 0.35
        bad.append("Said not interested")
    if h.hung_up:
        value -= 0.15 * min(h.hung_up, 2)
        bad.append("Hung up")
    if h.unanswered >= 3:
        value -= 0.05 * min(h.unanswered - 2, 4)
        bad.append(f"{h.unanswered} calls without an answer")
    if h.dnc:
        bad.append("Asked not to be called")
    if h.unworkable:
        bad.append("Wrong or dead number")
    return _clamp(value)


def _engagement(f: LeadFacts, good: list, bad: list) -> float:
    h = f.history
    talk = 1.0 - math.exp(-h.talk_seconds / 180.0)  # 3 minutes -> 0.63, 6 -> 0.86
    if h.talk_seconds >= 60:
        good.append(f"Talked for {h.talk_seconds // 60} min")
    if f.source in SOURCE_WORDS:
        good.append(SOURCE_WORDS[f.source])
    elif f.source == "outbound":
        bad.append("Cold source (a list)")
    if f.has_email:
        good.append("Has email address")
    else:
        bad.append("No email address")
    return _clamp(0.5 * talk + 0.25 * SOURCE_FIT[f.source] + 0.15 * f.has_email + 0.1 * (h.contacts > 0))


def _intent(f: LeadFacts, good: list, bad: list) -> float:
    h = f.history
    value = INTEREST_FIT.get(f.interest, 0.4)
    if f.interest == "high":
        good.append("High interest level")
    elif f.interest == "low":
        bad.append("Low interest level")
    for signal, (weight, words) in SIGNALS.items():
        if signal in h.signals:
            value += weight
            good.append(words)
    if h.positive:
        value += 0.15
    if h.callbacks:
        value += 0.1
    if f.pain_points or f.requirements:
        value += 0.05 * min(2, bool(f.pain_points) + bool(f.requirements))
        good.append("Told us their needs")
    value += {1: 0.1, 2: 0.05, 5: -0.05}.get(f.priority, 0.0)
    if h.not_interested:
        value -= 0.3
    if h.objections:
        value -= 0.03 * min(len(h.objections), 3)
        bad.append("Raised objections: " + ", ".join(sorted(h.objections)[:3]))
    if h.sentiment is not None:
        value += 0.1 * h.sentiment
    return _clamp(value)


def recommendations(f: LeadFacts, overall: float, hot_threshold: int) -> list[str]:  # noqa: PLR0912 - a rule a branch
    h = f.history
    if f.converted or h.sale:
        return ["Converted: hand over to onboarding"]
    if f.do_not_call or h.dnc:
        return ["Do not call: keep off every campaign"]
    if h.unworkable:
        return ["Wrong or dead number: find another number"]
    out = []
    if overall * 100 >= hot_threshold:
        out.append("High priority - Schedule immediate call")
    elif overall >= 0.5:
        out.append("Medium priority - Follow up this week")
    else:
        out.append("Low priority - Keep in a nurture sequence")
    if h.callbacks and not h.positive:
        out.append("Call back at the time they asked")
    if "pricing_interest" in h.signals:
        out.append("Follow up with pricing information")
    if (h.positive or f.interest == "high") and "demo_interest" not in h.signals:
        out.append("Offer a product demo")
    if h.attempts == 0:
        out.append("Not called yet: place a first call")
    elif h.unanswered_streak >= 3:
        out.append("Try another time of day" + (" or send an email first" if f.has_email else ""))
    if h.not_interested:
        out.append("Said not interested: pause calling")
    if not f.has_email and h.answered:
        out.append("Ask for an email address")
    return out


def score_rules(f: LeadFacts, *, hot_threshold: int = 70) -> Score:
    good: list[str] = []
    bad: list[str] = []
    parts = {
        "demographic": _demographic(f, good, bad),
        "behavioral": _behavioral(f, good, bad),
        "engagement": _engagement(f, good, bad),
        "intent": _intent(f, good, bad),
    }
    overall = cap(f, sum(WEIGHTS[name] * value for name, value in parts.items()))
    won = f.converted or f.history.sale
    return Score(
        overall=overall,
        conversion_probability=1.0 if won else (0.0 if f.do_not_call or f.history.dnc else probability(overall)),
        positive_factors=good, negative_factors=bad, recommendations=recommendations(f, overall, hot_threshold),
        **parts,
    )  # fmt: skip


def cap(f: LeadFacts, overall: float) -> float:
    """What no model or rule overrides: converted is 1, do-not-call 0, a dead number at most 0.05."""
    if f.converted or f.history.sale:
        return 1.0
    if f.do_not_call or f.history.dnc:
        return 0.0
    if f.history.unworkable:
        return min(overall, 0.05)
    return _clamp(overall)
