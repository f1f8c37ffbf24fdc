"""Shapes of the calls API. Output is built by hand from plain rows (call_to_dict and friends: a page
of 100 calls renders in a fraction of DRF's field machinery); the Serializer classes below document
those shapes for the schema and validate input."""

from typing import Any

import phonenumbers
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.calls.choices import AnsweredBy, CallOutcome, CallStatus
from apps.calls.models import CallDisposition, ComplianceRule, DialerStatus
from apps.calls.telephony.base import MONITOR_MODES
from apps.core.serializers import iso
from apps.core.weekdays import WEEKDAYS, weekday

# The flags of a disposition the dialer and the reports read (apps.calls.models.CallDisposition).
DISPOSITION_FLAGS = ("human_answered", "sale", "dnc", "contact", "unworkable", "callback", "completed",
                     "answering_machine", "retry")  # fmt: skip


def _id(value) -> str | None:
    return str(value) if value is not None else None


def _money(value) -> float | None:
    return float(value) if value is not None else None


def call_to_dict(row: dict) -> dict[str, Any]:
    """The API's call (spec 004's fields, plus ours), from a row of apps.calls.selectors.call_rows."""
    return {
        "id": str(row["id"]),
        "tenant_id": str(row["tenant_id"]),
        "campaign_id": _id(row["campaign_id"]),
        "lead_id": str(row["lead_id"]),
        "agent_id": _id(row["agent_id"]),
        "provider": row["provider"],
        "call_sid": row["call_sid"] or None,
        "conference_sid": row["conference_sid"] or None,
        "from_number": row["from_number"],
        "to_number": row["to_number"],
        "direction": row["direction"],
        "status": row["status"],
        "outcome": row["outcome"] or None,
        "answered_by": row["answered_by"] or None,
        "disposition": row["disposition"] or None,
        "attempt": row["attempt"],
        "pacing_mode": row["pacing_mode"] or None,
        "start_time": iso(row["initiated_at"] or row["created_at"]),
        "ringing_time": iso(row["ringing_at"]),
        "answer_time": iso(row["answered_at"]),
        "end_time": iso(row["ended_at"]),
        "duration": row["duration"],
        "talk_time": row["talk_time"],
        "recording_url": row["recording_url"] or None,
        "recording_sid": row["recording_sid"] or None,
        "recording_duration": row["recording_duration"],
        "cost": _money(row["cost"]),
        "cost_unit": row["cost_unit"] or None,
        "metadata": row["metadata"],
        "notes": row["notes"] or None,
        "callback_at": iso(row["callback_at"]),
        "error_code": row["error_code"] or None,
        "error_message": row["error_message"] or None,
        "has_transcript": row["has_transcript"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "phone": row["phone"],
        "campaign_name": row["campaign_name"],
        "agent_name": row["agent_name"],
    }


def event_to_dict(row: dict) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "provider_status": row["provider_status"] or None,
        "sequence_number": row["sequence_number"],
        "from_status": row["from_status"] or None,
        "to_status": row["to_status"] or None,
        "applied": row["applied"],
        "note": row["note"],
        "processed_at": iso(row["processed_at"]),
        "created_at": iso(row["created_at"]),
    }


def call_detail_to_dict(row: dict, events: list[dict]) -> dict[str, Any]:
    """A call with what was said and everything that happened to it."""
    return {
        **call_to_dict(row),
        "summary": row["summary"],
        "transcript": row["transcript"],
        "analysis": row["analysis"],
        "lead_timezone": row["lead_timezone"] or None,
        "finalized_at": iso(row["finalized_at"]),
        "events": [event_to_dict(event) for event in events],
    }


def history_to_dict(row: dict, *, detail_url: str) -> dict[str, Any]:
    """Spec 000's call history item. transcript_url is the call's detail (which carries the
    transcript) when there is a transcript, else null."""
    return {
        "id": str(row["id"]),
        "lead_id": str(row["lead_id"]),
        "agent_id": _id(row["agent_id"]),
        "campaign_id": _id(row["campaign_id"]),
        "lead_name": " ".join(part for part in (row["first_name"], row["last_name"]) if part),
        "lead_phone": row["phone"],
        "agent_name": row["agent_name"],
        "status": row["status"],
        "outcome": row["outcome"] or None,
        "disposition": row["disposition"] or None,
        "duration_seconds": row["duration"],
        "transcript_url": detail_url if row["has_transcript"] else None,
        "recording_url": row["recording_url"] or None,
        "summary": row["summary"] or None,
        "created_at": iso(row["created_at"]),
    }


def disposition_to_dict(disposition: CallDisposition) -> dict[str, Any]:
    return {
        "id": str(disposition.id),
        "tenant_id": str(disposition.tenant_id),
        "code": disposition.code,
        "label": disposition.label,
        "description": disposition.description,
        **{flag: getattr(disposition, flag) for flag in DISPOSITION_FLAGS},
        "is_system": disposition.is_system,
        "is_active": disposition.is_active,
        "sort_order": disposition.sort_order,
        "created_at": iso(disposition.created_at),
        "updated_at": iso(disposition.updated_at),
    }


def rule_to_dict(rule: ComplianceRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "tenant_id": _id(rule.tenant_id),
        "scope": "tenant" if rule.tenant_id else "platform",
        "country": rule.country,
        "subdivision": rule.subdivision or None,
        "weekday": rule.weekday,
        "weekday_name": WEEKDAYS[rule.weekday] if rule.weekday is not None else None,
        "start_local": rule.start_local.strftime("%H:%M") if rule.start_local else None,
        "end_local": rule.end_local.strftime("%H:%M") if rule.end_local else None,
        "no_calls": rule.no_calls,
        "max_calls_per_24h": rule.max_calls_per_24h,
        "all_party_consent": rule.all_party_consent,
        "source": rule.source,
        "is_active": rule.is_active,
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
    }


def dialer_status_to_dict(status: DialerStatus, verdict: tuple[bool, str, str]) -> dict[str, Any]:
    dialing, reason, message = verdict
    campaign, agent = status.campaign, status.agent
    return {
        "id": str(status.id),
        "queue": "campaign" if campaign is not None else "agent",
        "campaign_id": _id(status.campaign_id),
        "campaign_name": campaign.name if campaign is not None else None,
        "campaign_status": campaign.status if campaign is not None else None,
        "agent_id": _id(status.agent_id),
        "agent_name": agent.name if agent is not None else None,
        "dialing": dialing,
        "reason": reason or None,
        "message": message,
        "due_leads": status.due_leads,
        "in_flight": status.in_flight,
        "capacity": status.capacity,
        "claimed": status.claimed,
        "calls_today": status.calls_today,
        "next_opening": iso(status.next_opening),
        "checked_at": iso(status.checked_at),
        "details": status.details,
    }


# Schema documentation (the dicts above are what is sent) -----------------------------------------
class ErrorEnvelopeSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable: NOT_FOUND, LEAD_IS_DNC, OUTSIDE_CALLING_WINDOW...")
    request_id = serializers.CharField()


class CallSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    tenant_id = serializers.UUIDField()
    campaign_id = serializers.UUIDField(allow_null=True)
    lead_id = serializers.UUIDField()
    agent_id = serializers.UUIDField(allow_null=True, help_text="The AI agent that talked or the human who took it.")
    provider = serializers.CharField(help_text="simulator or twilio")
    call_sid = serializers.CharField(allow_null=True)
    conference_sid = serializers.CharField(allow_null=True)
    from_number = serializers.CharField()
    to_number = serializers.CharField()
    direction = serializers.CharField()
    status = serializers.ChoiceField(choices=CallStatus.choices)
    outcome = serializers.ChoiceField(choices=CallOutcome.choices, allow_null=True,
                                      help_text="How it ended; null while the call is live.")  # fmt: skip
    answered_by = serializers.ChoiceField(choices=AnsweredBy.choices, allow_null=True)
    disposition = serializers.CharField(allow_null=True, help_text="A code of the tenant's dispositions.")
    attempt = serializers.IntegerField(help_text="The lead's attempt number this call was.")
    pacing_mode = serializers.CharField(allow_null=True)
    start_time = serializers.DateTimeField(help_text="When the provider got the call (else when it was created).")
    ringing_time = serializers.DateTimeField(allow_null=True)
    answer_time = serializers.DateTimeField(allow_null=True)
    end_time = serializers.DateTimeField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True, help_text="Seconds, as the provider bills.")
    talk_time = serializers.IntegerField(allow_null=True, help_text="Seconds from answer to end.")
    recording_url = serializers.CharField(allow_null=True)
    recording_sid = serializers.CharField(allow_null=True)
    recording_duration = serializers.IntegerField(allow_null=True)
    cost = serializers.FloatField(allow_null=True)
    cost_unit = serializers.CharField(allow_null=True)
    metadata = serializers.DictField()
    notes = serializers.CharField(allow_null=True)
    callback_at = serializers.DateTimeField(allow_null=True)
    error_code = serializers.CharField(allow_null=True)
    error_message = serializers.CharField(allow_null=True)
    has_transcript = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    first_name = serializers.CharField(help_text="The lead's.")
    last_name = serializers.CharField(help_text="The lead's.")
    phone = serializers.CharField(help_text="The lead's number (E.164).")
    campaign_name = serializers.CharField(allow_null=True)
    agent_name = serializers.CharField(allow_null=True)


class CallEventSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField(help_text="dialer, status, answer, amd, recording, conference, agent, reconcile, "
                                 "action")  # fmt: skip
    provider_status = serializers.CharField(allow_null=True, help_text="The provider's word, as received.")
    sequence_number = serializers.IntegerField(allow_null=True)
    from_status = serializers.CharField(allow_null=True)
    to_status = serializers.CharField(allow_null=True)
    applied = serializers.BooleanField(help_text="Whether it changed the call (a duplicate or late one did not).")
    note = serializers.CharField()
    processed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CallDetailSerializer(CallSerializer):
    status = serializers.CharField(help_text="As in the list (CallStatusEnum).")  # one enum component, not two
    summary = serializers.CharField()
    transcript = serializers.ListField(child=serializers.DictField())
    analysis = serializers.DictField()
    lead_timezone = serializers.CharField(allow_null=True)
    finalized_at = serializers.DateTimeField(allow_null=True, help_text="When the lead took this call's result.")
    events = CallEventSerializer(many=True)


class CallHistorySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lead_id = serializers.UUIDField()
    agent_id = serializers.UUIDField(allow_null=True)
    campaign_id = serializers.UUIDField(allow_null=True)
    lead_name = serializers.CharField()
    lead_phone = serializers.CharField()
    agent_name = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="The call's status (see Call).")
    outcome = serializers.CharField(allow_null=True, help_text="answered, voicemail, no_answer, busy, failed...")
    disposition = serializers.CharField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True)
    transcript_url = serializers.URLField(allow_null=True, help_text="The call's detail, which holds the "
                                          "transcript; null when there is none.")  # fmt: skip
    recording_url = serializers.CharField(allow_null=True)
    summary = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class CallMetricsSerializer(serializers.Serializer):
    total_calls = serializers.IntegerField(help_text="Calls dialed (canceled before ringing are not calls).")
    answered_calls = serializers.IntegerField()
    no_answer_calls = serializers.IntegerField(help_text="No answer, busy or voicemail: nobody picked up.")
    failed_calls = serializers.IntegerField()
    busy_calls = serializers.IntegerField()
    voicemail_calls = serializers.IntegerField()
    abandoned_calls = serializers.IntegerField(help_text="Answered with no agent free.")
    live_calls = serializers.IntegerField(help_text="Still in progress.")
    pickup_rate = serializers.FloatField(help_text="Answered per finished call, %, 1 decimal.")
    average_attempts_per_lead = serializers.FloatField(help_text="Calls per lead called.")
    active_agents = serializers.IntegerField(help_text="Agents who had calls among these.")


class CallStatsSerializer(serializers.Serializer):
    total_calls = serializers.IntegerField()
    answered_calls = serializers.IntegerField()
    voicemail_calls = serializers.IntegerField()
    no_answer_calls = serializers.IntegerField()
    busy_calls = serializers.IntegerField()
    failed_calls = serializers.IntegerField()
    abandoned_calls = serializers.IntegerField()
    live_calls = serializers.IntegerField()
    human_answered = serializers.IntegerField()
    machine_answered = serializers.IntegerField()
    avg_duration = serializers.FloatField(help_text="Seconds, of the calls with a duration.")
    avg_talk_time = serializers.FloatField(help_text="Seconds, of the answered calls.")
    total_cost = serializers.FloatField()


class CallStatsResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    stats = CallStatsSerializer()


class DispositionCountSerializer(serializers.Serializer):
    disposition = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class DispositionBreakdownSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    dispositions = DispositionCountSerializer(many=True)


class CallResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    call = CallSerializer()


# Input ----------------------------------------------------------------------------------------------
class _StrictInput(serializers.Serializer):
    """Unknown keys are a 400 (a typo must not be silently dropped); keys of the resource's own
    output (`read_only_keys`) are ignored, so a client may send back what it read."""

    read_only_keys: frozenset = frozenset()

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields) - self.read_only_keys)
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class ScheduleInputSerializer(_StrictInput):
    lead_id = serializers.UUIDField(help_text="A lead of your tenant.")


class SetDispositionInputSerializer(_StrictInput):
    disposition = serializers.CharField(max_length=32, help_text="A code of your dispositions (/calls/dispositions/).")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000, trim_whitespace=False)
    callback_at = serializers.DateTimeField(required=False, allow_null=True,
                                            help_text="When to call back (callback dispositions).")  # fmt: skip


class MonitorInputSerializer(_StrictInput):
    mode = serializers.ChoiceField(choices=MONITOR_MODES, help_text="listen (muted), whisper (only the agent hears "
                                   "you) or barge (everyone hears you).")  # fmt: skip
    supervisor_agent_id = serializers.UUIDField(required=False, allow_null=True, help_text="The human agent profile "
                                                "whose softphone joins; yours by default.")  # fmt: skip


class MonitorSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=MONITOR_MODES)
    supervisor_agent_id = serializers.UUIDField()
    identity = serializers.CharField(help_text="The supervisor's softphone identity (agent-<id>).")
    participant_sid = serializers.CharField(help_text="The supervisor's leg in the conference.")
    conference_sid = serializers.CharField()
    provider = serializers.CharField()
    started_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MonitorResponseSerializer(CallResponseSerializer):
    monitor = MonitorSerializer()


class CallDispositionSerializer(serializers.ModelSerializer):
    tenant_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = CallDisposition
        fields = ["id", "tenant_id", "code", "label", "description", *DISPOSITION_FLAGS, "is_system", "is_active",
                  "sort_order", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class CallDispositionInputSerializer(_StrictInput):
    """Create (code and label required) and update (every field optional)."""

    read_only_keys = frozenset({"id", "tenant_id", "is_system", "created_at", "updated_at"})

    code = serializers.SlugField(max_length=32, help_text="Letters, digits, _ and -; unique in your tenant.")
    label = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    human_answered = serializers.BooleanField(required=False)
    sale = serializers.BooleanField(required=False)
    dnc = serializers.BooleanField(required=False, help_text="Puts the number on the do-not-call list.")
    contact = serializers.BooleanField(required=False, help_text="A conversation with the right person.")
    unworkable = serializers.BooleanField(required=False, help_text="Wrong or dead number: never call again.")
    callback = serializers.BooleanField(required=False, help_text="Call back at the time given.")
    completed = serializers.BooleanField(required=False, help_text="Nothing more to do with this lead.")
    answering_machine = serializers.BooleanField(required=False)
    retry = serializers.BooleanField(required=False, help_text="Try again under the retry policy.")
    is_active = serializers.BooleanField(required=False)
    sort_order = serializers.IntegerField(required=False, min_value=0, max_value=32_767)


class ComplianceRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tenant_id = serializers.UUIDField(allow_null=True)
    scope = serializers.CharField(help_text="platform (applies to every tenant, read-only) or tenant (yours).")
    country = serializers.CharField()
    subdivision = serializers.CharField(allow_null=True)
    weekday = serializers.IntegerField(allow_null=True, help_text="0 = Monday ... 6 = Sunday; null: every day.")
    weekday_name = serializers.CharField(allow_null=True)
    start_local = serializers.CharField(allow_null=True, help_text="HH:MM, the person's local time.")
    end_local = serializers.CharField(allow_null=True, help_text="HH:MM; calls must start before it.")
    no_calls = serializers.BooleanField()
    max_calls_per_24h = serializers.IntegerField(allow_null=True)
    all_party_consent = serializers.BooleanField()
    source = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


WEEKDAY_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 6, "nullable": True,
                  "description": "0 = Monday ... 6 = Sunday (or a day name); null: every day."}  # fmt: skip


@extend_schema_field(WEEKDAY_SCHEMA)
class WeekdayField(serializers.Field):
    """0 (Monday) to 6 (Sunday), or a day's name ("Sunday", "sun"); null for every day."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.strip().isdigit():
            day = weekday(data)
            if day is None:
                raise serializers.ValidationError(f"'{data}' is not a day of the week.")
            return WEEKDAYS.index(day)
        try:
            value = int(data)
        except (TypeError, ValueError):
            raise serializers.ValidationError("A weekday is 0 (Monday) to 6 (Sunday).") from None
        if isinstance(data, bool) or not 0 <= value <= 6:
            raise serializers.ValidationError("A weekday is 0 (Monday) to 6 (Sunday).")
        return value

    def to_representation(self, value):
        return value


class ComplianceRuleInputSerializer(_StrictInput):
    """Create (country required) and update (every field optional) of the tenant's own rules."""

    read_only_keys = frozenset({"id", "tenant_id", "scope", "weekday_name", "created_at", "updated_at"})

    country = serializers.CharField(help_text="ISO 3166 alpha-2, e.g. US.")
    subdivision = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=3,
                                        help_text="State or province code (up to 3 characters), e.g. FL.")  # fmt: skip
    weekday = WeekdayField(required=False, allow_null=True)
    start_local = serializers.TimeField(required=False, allow_null=True, input_formats=["%H:%M", "%H:%M:%S"])
    end_local = serializers.TimeField(required=False, allow_null=True, input_formats=["%H:%M", "%H:%M:%S"])
    no_calls = serializers.BooleanField(required=False)
    max_calls_per_24h = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000)
    all_party_consent = serializers.BooleanField(required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=255)
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args, rule: ComplianceRule | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule

    def validate_country(self, value):
        code = value.strip().upper()
        if len(code) != 2 or code not in phonenumbers.SUPPORTED_REGIONS:
            raise serializers.ValidationError(f"'{value}' is not a two-letter country code (ISO 3166, e.g. US).")
        return code

    def validate_subdivision(self, value):
        code = (value or "").strip().upper()
        if code and not code.isalnum():
            raise serializers.ValidationError(f"'{value}' is not a state or province code (e.g. FL, ON).")
        return code

    def validate(self, attrs):
        def current(name):
            return attrs[name] if name in attrs else getattr(self.rule, name, None)

        start, end = current("start_local"), current("end_local")
        if start is not None and end is not None and start >= end:
            raise serializers.ValidationError({"end_local": [f"{end:%H:%M} is not after {start:%H:%M}."]})
        return attrs


class DialerStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    queue = serializers.ChoiceField(choices=[("campaign", "campaign"), ("agent", "agent")],
                                    help_text="A campaign, or an AI agent's own leads (spec 000).")  # fmt: skip
    campaign_id = serializers.UUIDField(allow_null=True)
    campaign_name = serializers.CharField(allow_null=True)
    campaign_status = serializers.CharField(allow_null=True)
    agent_id = serializers.UUIDField(allow_null=True)
    agent_name = serializers.CharField(allow_null=True)
    dialing = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True, help_text="Why not: outside_window, lines, daily_limit, budget, "
                                   "monthly_quota, no_agents, paced, nothing_due, campaign_not_active, "
                                   "dialing_stopped...")  # fmt: skip
    message = serializers.CharField()
    due_leads = serializers.IntegerField()
    in_flight = serializers.IntegerField()
    capacity = serializers.IntegerField(help_text="Calls it may start now.")
    claimed = serializers.IntegerField(help_text="Calls the last tick started.")
    calls_today = serializers.IntegerField()
    next_opening = serializers.DateTimeField(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True)
    details = serializers.DictField()
