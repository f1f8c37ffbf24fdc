"""The end of a conversation in numbers and words: spec 001's summary (duration, exchanges, the state
reached, objections, interest signals, overall sentiment, a recommendation) and analytics
(conversion probability, engagement score, turns, average sentiment), and what goes into the lead
(interest level, next step).

Rules, not a model: each term says why it moves the probability, so the recommendation can be
read and argued with. Lead scoring (apps.scoring) reads these results; it does not live here.
"""

import datetime as dt

from apps.voice.choices import DEPTH, ConversationState, EndReason, Objection, Signal

_STATE_WEIGHT = {ConversationState.GREETING: 0.0, ConversationState.DISCOVERY: 0.05,
                 ConversationState.OBJECTION_HANDLING: 0.05, ConversationState.QUALIFICATION: 0.1,
                 ConversationState.CLOSING: 0.15}  # fmt: skip
_SIGNAL_WEIGHT = {Signal.VERBAL: 0.05, Signal.DEMO: 0.2, Signal.PRICING: 0.1, Signal.TIMELINE: 0.1}
_DEAD_ENDS = {"do_not_call": 0.0, "wrong_number": 0.0, "not_interested": 0.03, "voicemail_left": 0.05}


def state_reached(path: list[str]) -> str:
    """The furthest state the conversation got to (ended aside)."""
    states = [state for state in path if state != ConversationState.ENDED] or [ConversationState.GREETING]
    return max(states, key=lambda state: DEPTH[state])


def overall_sentiment(sentiments: list[float]) -> float:
    """Later turns weigh more: how the call ended matters more than how it began."""
    if not sentiments:
        return 0.0
    weights = range(1, len(sentiments) + 1)
    return round(sum(w * s for w, s in zip(weights, sentiments, strict=True)) / sum(weights), 3)


def _engagement(transcript: list[dict]) -> float:
    replies = [entry for entry in transcript if entry.get("speaker") == "customer"]
    if not replies:
        return 0.0
    spoken = [entry for entry in replies if (entry.get("text") or "").strip()]
    words = sum(len(entry["text"].split()) for entry in spoken) / max(1, len(spoken))
    share_spoken = len(spoken) / len(replies)
    depth = min(1.0, len(spoken) / 6)
    return round(min(1.0, 0.4 * share_spoken + 0.3 * min(1.0, words / 12) + 0.3 * depth), 2)


def conversion_probability(conv, *, engagement: float, sentiment: float) -> float:
    if conv.disposition in _DEAD_ENDS:
        return _DEAD_ENDS[conv.disposition]
    score = 0.1 + _STATE_WEIGHT.get(state_reached(conv.path), 0.0)
    score += sum(_SIGNAL_WEIGHT.get(signal, 0.0) for signal in conv.interest_signals)
    score += 0.15 * sentiment + 0.1 * engagement
    unanswered = [kind for kind in conv.objections if kind not in conv.handled_objections]
    score -= 0.05 * len(unanswered)
    if conv.end_reason == EndReason.SUCCESS or (conv.end_reason == EndReason.TRANSFER and conv.disposition):
        score += 0.25
    elif conv.disposition == "callback_requested":
        score += 0.1
    elif conv.end_reason in (EndReason.SILENCE, EndReason.HANGUP):
        score -= 0.1
    return round(min(1.0, max(0.0, score)), 2)


def interest_level(conv, probability: float) -> str:
    """low, medium or high for the lead; "" when the call told nothing about it."""
    if conv.disposition in ("do_not_call", "wrong_number", "voicemail_left"):
        return ""
    if conv.disposition == "not_interested":
        return "low"
    if conv.end_reason in (EndReason.SUCCESS, EndReason.TRANSFER) or probability >= 0.6:
        return "high"
    if probability >= 0.3 or conv.interest_signals:
        return "medium"
    return "low"


def recommendation(conv, probability: float, *, when: str = "") -> str:  # noqa: PLR0911 - a return a case
    if conv.disposition == "do_not_call":
        return "Do not call - the person asked not to be called again"
    if conv.disposition == "wrong_number":
        return "Remove - wrong number or wrong person"
    if conv.disposition == "voicemail_left":
        return "Low priority - Voicemail left; try again later"
    if conv.disposition == "not_interested":
        return "Low priority - Not interested; no follow-up for now"
    if conv.end_reason == EndReason.TRANSFER:
        return "High priority - Put through to a human agent; follow up on what they agreed"
    if conv.callback_at is not None:
        return f"High priority - Call back {when}".strip() if when else "High priority - Call back as asked"
    if conv.end_reason == EndReason.SUCCESS:
        return f"High priority - Follow up: {conv.next_step}" if conv.next_step else "High priority - Follow up now"
    level = "High" if probability >= 0.6 else "Medium" if probability >= 0.3 else "Low"
    if Signal.PRICING in conv.interest_signals or Objection.PRICE in conv.objections:
        return f"{level} priority - Follow up with pricing information"
    if Signal.DEMO in conv.interest_signals:
        return f"{level} priority - Offer a demo"
    return f"{level} priority - Follow up with more information"


def summarize(conv, transcript: list[dict], *, now: dt.datetime, when: str = "") -> tuple[dict, dict]:
    """(summary, analytics) of a conversation that has just ended."""
    seconds = max(0.0, ((conv.ended_at or now) - conv.started_at).total_seconds())
    exchanges = sum(1 for entry in transcript if entry.get("speaker") == "customer")
    sentiment = overall_sentiment(conv.sentiments)
    average = round(sum(conv.sentiments) / len(conv.sentiments), 3) if conv.sentiments else 0.0
    engagement = _engagement(transcript)
    probability = conversion_probability(conv, engagement=engagement, sentiment=sentiment)
    summary = {
        "duration_minutes": round(seconds / 60, 1),
        "duration_seconds": int(seconds),
        "total_exchanges": exchanges,
        "conversation_state": state_reached(conv.path),
        "state_path": list(conv.path),
        "objections_raised": list(conv.objections),
        "interest_signals": list(conv.interest_signals),
        "overall_sentiment": sentiment,
        "recommendation": recommendation(conv, probability, when=when),
        "outcome": conv.disposition or "answered",
        "end_reason": conv.end_reason,
        "next_step": conv.next_step or None,
        "callback_at": conv.callback_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        if conv.callback_at else None,
        "email": conv.email or None,
        "interest_level": interest_level(conv, probability) or None,
    }  # fmt: skip
    analytics = {
        "conversion_probability": probability,
        "engagement_score": engagement,
        "total_turns": len(transcript),
        "avg_sentiment": average,
    }
    return summary, analytics


def summary_text(summary: dict) -> str:
    """The summary in a sentence or two, for people (Call.summary, the lead's timeline)."""
    parts = [f"Reached {summary['conversation_state'].replace('_', ' ')} in {summary['total_exchanges']} exchanges "
             f"({summary['duration_minutes']} min); outcome {summary['outcome'].replace('_', ' ')}."]  # fmt: skip
    if summary["objections_raised"]:
        parts.append("Objections: " + ", ".join(summary["objections_raised"]) + ".")
    if summary["interest_signals"]:
        parts.append("Interest: " + ", ".join(s.replace("_", " ") for s in summary["interest_signals"]) + ".")
    parts.append(summary["recommendation"] + ".")
    return " ".join(parts)
