"""Reads of the calls app: call rows for the lists and the detail (one query, the lead, campaign and
agent names joined in), their events, the statistics (each one SQL aggregation), the tenant's
compliance rules and the dialer's status per queue. Every read starts from a tenant-scoped queryset."""

from typing import TypedDict

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum

from apps.calls.choices import LIVE, MACHINE, AnsweredBy, CallOutcome, CallStatus
from apps.calls.models import Call, CallDisposition, CallEvent, ComplianceRule, DialerStatus, DialerSwitch

# What call_to_dict (apps.calls.api.serializers) reads: the call's own columns...
CALL_FIELDS = (
    "id", "tenant_id", "campaign_id", "lead_id", "agent_id", "provider", "direction", "status", "outcome",
    "answered_by", "disposition", "attempt", "pacing_mode", "call_sid", "conference_sid", "from_number", "to_number",
    "initiated_at", "ringing_at", "answered_at", "ended_at", "duration", "talk_time", "recording_url",
    "recording_sid", "recording_duration", "cost", "cost_unit", "notes", "metadata", "error_code", "error_message",
    "callback_at", "created_at", "updated_at", "summary",
)  # fmt: skip
# ... the detail's heavier ones ...
CALL_DETAIL_FIELDS = ("transcript", "analysis", "lead_timezone", "sequence", "finalized_at")
# ... and the names joined in (LEFT JOINs on the campaign and the agent, which may be empty).
CALL_JOINED = {
    "first_name": F("lead__first_name"),
    "last_name": F("lead__last_name"),
    "phone": F("lead__phone_e164"),
    "campaign_name": F("campaign__name"),
    "agent_name": F("agent__name"),
}
# Whether there is a transcript, without reading it (lists).
HAS_TRANSCRIPT = ExpressionWrapper(~Q(transcript=[]), output_field=BooleanField())

# Calls that never rang (canceled before they were placed) are not calls in any statistic.
_DIALED = ~Q(status=CallStatus.CANCELED)
# Spec 000 has three kinds of ending: a person answered, nobody did (no answer, busy, voicemail), it failed.
NOT_REACHED = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.VOICEMAIL)


def call_rows(queryset: QuerySet[Call], *, detail: bool = False) -> list[dict]:
    """The calls of `queryset` (filtered, ordered, maybe sliced) as plain rows with the joined names."""
    fields = CALL_FIELDS + CALL_DETAIL_FIELDS if detail else CALL_FIELDS
    return list(queryset.values(*fields, **CALL_JOINED, has_transcript=HAS_TRANSCRIPT))


def call_row(*, tenant, call_id) -> dict | None:
    """One call of the tenant with everything the detail shows, or None."""
    rows = call_rows(Call.objects.for_tenant(tenant).filter(pk=call_id), detail=True)
    return rows[0] if rows else None


def call_events(*, call_id) -> list[dict]:
    """A call's events (every provider callback as received, every change made), oldest first."""
    fields = ("id", "kind", "provider_status", "sequence_number", "from_status", "to_status", "applied", "note",
              "processed_at", "created_at")  # fmt: skip
    return list(CallEvent.objects.filter(call_id=call_id).order_by("created_at", "id").values(*fields))


class CallMetrics(TypedDict):
    total_calls: int
    answered_calls: int
    no_answer_calls: int
    failed_calls: int
    busy_calls: int
    voicemail_calls: int
    abandoned_calls: int
    live_calls: int
    pickup_rate: float
    average_attempts_per_lead: float
    active_agents: int


def _rate(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def call_metrics(queryset: QuerySet[Call]) -> CallMetrics:
    """Spec 000's metrics of the filtered calls, in one aggregation. pickup_rate is answered calls
    per finished call (%); no_answer_calls counts every call nobody answered (no answer, busy,
    voicemail); active_agents are the agents who had calls among these."""
    calls = queryset.filter(_DIALED).order_by()
    totals = calls.aggregate(
        total=Count("id"),
        answered=Count("id", filter=Q(outcome=CallOutcome.ANSWERED)),
        not_reached=Count("id", filter=Q(outcome__in=NOT_REACHED)),
        failed=Count("id", filter=Q(outcome=CallOutcome.FAILED)),
        busy=Count("id", filter=Q(outcome=CallOutcome.BUSY)),
        voicemail=Count("id", filter=Q(outcome=CallOutcome.VOICEMAIL)),
        abandoned=Count("id", filter=Q(outcome=CallOutcome.ABANDONED)),
        live=Count("id", filter=Q(status__in=LIVE)),
        finished=Count("id", filter=~Q(outcome="")),
        leads=Count("lead_id", distinct=True),
        agents=Count("agent_id", distinct=True),
    )
    return {
        "total_calls": totals["total"],
        "answered_calls": totals["answered"],
        "no_answer_calls": totals["not_reached"],
        "failed_calls": totals["failed"],
        "busy_calls": totals["busy"],
        "voicemail_calls": totals["voicemail"],
        "abandoned_calls": totals["abandoned"],
        "live_calls": totals["live"],
        "pickup_rate": _rate(totals["answered"], totals["finished"]),
        "average_attempts_per_lead": round(totals["total"] / totals["leads"], 2) if totals["leads"] else 0.0,
        "active_agents": totals["agents"],
    }


class CallStatsSummary(TypedDict):
    total_calls: int
    answered_calls: int
    voicemail_calls: int
    no_answer_calls: int
    busy_calls: int
    failed_calls: int
    abandoned_calls: int
    live_calls: int
    human_answered: int
    machine_answered: int
    avg_duration: float
    avg_talk_time: float
    total_cost: float


def call_stats_summary(queryset: QuerySet[Call]) -> CallStatsSummary:
    """Spec 004's summary of the filtered calls, in one aggregation: counts by outcome, by who (or
    what) answered, average duration and talk time (seconds, of the calls that have one), cost."""
    calls = queryset.filter(_DIALED).order_by()
    totals = calls.aggregate(
        total=Count("id"),
        **{outcome: Count("id", filter=Q(outcome=outcome)) for outcome in (
            CallOutcome.ANSWERED, CallOutcome.VOICEMAIL, CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED,
            CallOutcome.ABANDONED)},
        live=Count("id", filter=Q(status__in=LIVE)),
        human=Count("id", filter=Q(answered_by=AnsweredBy.HUMAN)),
        machine=Count("id", filter=Q(answered_by__in=sorted(MACHINE))),
        avg_duration=Avg("duration"),
        avg_talk_time=Avg("talk_time"),
        total_cost=Sum("cost"),
    )  # fmt: skip
    return {
        "total_calls": totals["total"],
        "answered_calls": totals[CallOutcome.ANSWERED],
        "voicemail_calls": totals[CallOutcome.VOICEMAIL],
        "no_answer_calls": totals[CallOutcome.NO_ANSWER],
        "busy_calls": totals[CallOutcome.BUSY],
        "failed_calls": totals[CallOutcome.FAILED],
        "abandoned_calls": totals[CallOutcome.ABANDONED],
        "live_calls": totals["live"],
        "human_answered": totals["human"],
        "machine_answered": totals["machine"],
        "avg_duration": round(float(totals["avg_duration"] or 0), 1),
        "avg_talk_time": round(float(totals["avg_talk_time"] or 0), 1),
        "total_cost": round(float(totals["total_cost"] or 0), 2),
    }


def call_stats_by_disposition(queryset: QuerySet[Call], *, tenant) -> list[dict]:
    """How many of the filtered calls ended with each disposition, most first (one GROUP BY), with
    the tenant's label for each code. Calls without a disposition yet (still live) are left out."""
    groups = list(
        queryset.filter(_DIALED).exclude(disposition="").order_by().values("disposition")
        .annotate(count=Count("id")).order_by("-count", "disposition")
    )  # fmt: skip
    labels = dict(CallDisposition.objects.for_tenant(tenant).values_list("code", "label")) if groups else {}
    return [{"disposition": g["disposition"], "label": labels.get(g["disposition"], g["disposition"]),
             "count": g["count"]} for g in groups]  # fmt: skip


def disposition_codes(*, tenant) -> set[str]:
    """Every code the tenant has (active or not) and the standard ones: what a filter may name."""
    from apps.calls.seeds import STANDARD_DISPOSITIONS

    codes = set(CallDisposition.objects.for_tenant(tenant).values_list("code", flat=True))
    return codes | {row[0] for row in STANDARD_DISPOSITIONS}


def compliance_rules(*, tenant) -> QuerySet[ComplianceRule]:
    """The rules that apply to the tenant's calls: the platform's (no tenant) and its own. Never
    another tenant's."""
    return ComplianceRule.objects.filter(Q(tenant_id=getattr(tenant, "pk", tenant)) | Q(tenant__isnull=True))


def dialer_switch() -> DialerSwitch | None:
    """The platform's one switch (no row: dialing is on)."""
    return DialerSwitch.objects.first()


def dialer_statuses(queryset: QuerySet[DialerStatus]) -> QuerySet[DialerStatus]:
    """The last tick's word on each of the tenant's queues (campaigns and AI agents with leads of
    their own), with the campaign and agent loaded; deleted campaigns are left out."""
    return (
        queryset.select_related("campaign", "agent")
        .filter(Q(campaign__isnull=True) | Q(campaign__deleted_at__isnull=True))
        .order_by("campaign__name", "agent__name", "id")
    )


def dialer_verdict(status: DialerStatus, *, dialing_enabled: bool) -> tuple[bool, str, str]:
    """(dialing, reason, message) of a queue now. The tick only visits active campaigns, so a paused
    campaign's row still holds what the tick saw before the pause; and the platform switch stops
    every queue. Those two are said here instead of the stale row."""
    if not dialing_enabled:
        return False, "dialing_stopped", "Dialing is stopped for the platform."
    campaign = status.campaign
    if campaign is not None and not campaign.is_dialing:
        return False, "campaign_not_active", f"The campaign is {campaign.status}: start it to dial its leads."
    if campaign is None and status.agent is not None and not status.agent.is_active:
        return False, "agent_inactive", "The agent is not active."
    return status.dialing, status.reason, status.message
