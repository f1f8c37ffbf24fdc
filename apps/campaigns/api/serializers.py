"""Campaign input and output. Input accepts every spec's names for the same field (aliases below)
and spec 004's nested retry_policy; output carries the union, flat and nested. Rules across fields
(hours, schedule, placeholders, RRULE) live in Campaign.clean, which the services run."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from apps.campaigns import schedule
from apps.campaigns.models import Campaign, CampaignPriority, PacingMode
from apps.core.serializers import iso
from apps.core.validators import validate_e164, validate_region, validate_time_zone

# other specs' name -> ours
ALIASES = {
    "time_zone": "timezone", "start_date": "schedule_start", "end_date": "schedule_end",
    "max_attempts_per_lead": "max_attempts", "daily_call_limit": "calls_per_day",
    "voicemail_message_url": "voicemail_drop_url", "voicemail_url": "voicemail_drop_url",
    "voicemail_text": "voicemail_drop_text", "agent_group": "agent_group_id", "ai_agent": "ai_agent_id",
    "agent_id": "ai_agent_id", "owner": "owner_id", "team_member_ids": "team_members", "type": "campaign_type",
    "call_start_time": "calling_hours_start", "call_end_time": "calling_hours_end", "script": "script_template",
    "recurrence": "recurrence_rule", "caller_id_record_id": "caller_id_number_id",
}  # fmt: skip
RETRY_POLICY_KEYS = {"max_attempts": "max_attempts", "delay_minutes": "retry_delay_minutes",
                     "retry_delay_minutes": "retry_delay_minutes", "backoff": "retry_backoff",
                     "backoff_multiplier": "retry_backoff", "retry_on_no_answer": "retry_on_no_answer",
                     "retry_on_busy": "retry_on_busy", "retry_on_voicemail": "retry_on_voicemail",
                     "retry_on_failed": "retry_on_failed"}  # fmt: skip
IGNORED = {"company_id", "tenant_id", "id", "created_at", "updated_at"}  # the caller's tenant decides


def _django_errors(exc: DjangoValidationError) -> list[str]:
    return list(exc.messages)


def _check(validator, value):
    try:
        validator(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(_django_errors(exc)) from None
    return value


class CampaignInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.CharField(required=False, help_text="draft (default), or active to start at once.")
    priority = serializers.ChoiceField(choices=CampaignPriority.choices, required=False)
    campaign_type = serializers.CharField(max_length=32, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)
    notes = serializers.CharField(required=False, allow_blank=True)
    niche = serializers.CharField(max_length=100, required=False, allow_blank=True)
    client_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    client_service = serializers.CharField(max_length=200, required=False, allow_blank=True)
    target_cities = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=200)
    target_lead_count = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    expected_completion_date = serializers.DateField(required=False, allow_null=True)
    success_criteria = serializers.CharField(required=False, allow_blank=True)
    caller_id = serializers.CharField(max_length=16, required=False, allow_blank=True)
    caller_id_number_id = serializers.UUIDField(required=False, allow_null=True)
    default_country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    schedule_start = serializers.DateTimeField(required=False, allow_null=True)
    schedule_end = serializers.DateTimeField(required=False, allow_null=True)
    recurrence_rule = serializers.CharField(max_length=500, required=False, allow_blank=True)
    calling_hours_start = serializers.TimeField(required=False)
    calling_hours_end = serializers.TimeField(required=False)
    allow_overnight = serializers.BooleanField(required=False)
    working_days = serializers.JSONField(required=False)
    pacing_mode = serializers.ChoiceField(choices=PacingMode.choices, required=False)
    calls_per_day = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    max_concurrent_calls = serializers.IntegerField(min_value=1, max_value=1000, required=False)
    dial_timeout_seconds = serializers.IntegerField(
        min_value=15, max_value=600, required=False, help_text="Seconds to ring (at least 15: the minimum ring time)."
    )
    max_attempts = serializers.IntegerField(min_value=1, max_value=50, required=False)
    retry_delay_minutes = serializers.IntegerField(min_value=1, max_value=60 * 24 * 30, required=False)
    retry_backoff = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=1, max_value=10, required=False)
    retry_on_no_answer = serializers.BooleanField(required=False)
    retry_on_busy = serializers.BooleanField(required=False)
    retry_on_voicemail = serializers.BooleanField(required=False)
    retry_on_failed = serializers.BooleanField(required=False)
    amd_enabled = serializers.BooleanField(required=False)
    voicemail_drop_url = serializers.URLField(required=False, allow_blank=True)
    voicemail_drop_text = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    record_calls = serializers.BooleanField(required=False)
    call_duration_limit = serializers.IntegerField(min_value=10, max_value=4 * 3600, required=False, allow_null=True)
    recording_disclosure = serializers.CharField(required=False, allow_blank=True, max_length=500)
    abandon_message = serializers.CharField(required=False, allow_blank=True, max_length=500)
    require_ai_consent = serializers.BooleanField(required=False)
    max_abandon_rate = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, max_value=3,
                                                required=False)  # fmt: skip
    max_dial_ratio = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=1, max_value=10,
                                              required=False)  # fmt: skip
    ai_agent_id = serializers.UUIDField(required=False, allow_null=True)
    agent_group_id = serializers.UUIDField(required=False, allow_null=True)
    ai_voice_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ai_voice_language = serializers.CharField(max_length=16, required=False)
    ai_voice_gender = serializers.CharField(max_length=16, required=False, allow_blank=True)
    system_prompt = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    script_template = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    fallback_script = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True)
    cost_per_call = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                             allow_null=True)  # fmt: skip
    owner_id = serializers.UUIDField(required=False, allow_null=True)
    team_members = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=200)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        data = dict(data)
        for alias, name in ALIASES.items():
            if alias in data and name not in data:
                data[name] = data.pop(alias)
            else:
                data.pop(alias, None)
        policy = data.pop("retry_policy", None)
        if policy is not None:
            if not isinstance(policy, dict):
                raise serializers.ValidationError({"retry_policy": ["Expected an object."]})
            unknown = sorted(set(policy) - set(RETRY_POLICY_KEYS))
            if unknown:
                raise serializers.ValidationError({"retry_policy": [f"Unknown key(s): {', '.join(unknown)}."]})
            for key, value in policy.items():
                data.setdefault(RETRY_POLICY_KEYS[key], value)
        for name in IGNORED:
            data.pop(name, None)
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate_timezone(self, value):
        return _check(validate_time_zone, value)

    def validate_caller_id(self, value):
        return _check(validate_e164, value) if value else value

    def validate_default_country(self, value):
        return _check(validate_region, value.upper()).upper() if value else value

    def validate_working_days(self, value):
        try:
            return schedule.normalize_working_days(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_django_errors(exc)) from None

    def validate_status(self, value):
        if str(value).lower() not in ("draft", "active", "running", "scheduled"):
            raise serializers.ValidationError(
                "A new campaign starts as draft; send active to start it at once. Other states are reached "
                "through the lifecycle actions (pause, resume, complete, cancel)."
            )
        return str(value).lower()


class CampaignSerializer(serializers.ModelSerializer):
    """The output shape (documentation); campaign_to_dict renders it."""

    tenant_id = serializers.UUIDField()
    retry_policy = serializers.DictField()
    stats = serializers.DictField(required=False)

    class Meta:
        model = Campaign
        exclude = ["tenant", "deleted_at"]


class CallerIdSerializer(serializers.Serializer):
    phone_e164 = serializers.CharField(max_length=16)
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        if isinstance(data, dict) and "phone" in data and "phone_e164" not in data:
            data = {**data, "phone_e164": data["phone"]}
            data.pop("phone")
        return super().to_internal_value(data)

    def validate_phone_e164(self, value):
        return _check(validate_e164, value)


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField()


def _dec(value):
    return float(value) if value is not None else None


def campaign_to_dict(campaign: Campaign, counts: dict | None = None) -> dict:
    c = campaign
    body = {
        "id": str(c.id), "tenant_id": str(c.tenant_id), "name": c.name, "description": c.description,
        "status": c.status, "priority": c.priority, "campaign_type": c.campaign_type, "tags": list(c.tags),
        "notes": c.notes, "niche": c.niche, "client_name": c.client_name, "client_service": c.client_service,
        "target_cities": list(c.target_cities), "target_lead_count": c.target_lead_count,
        "expected_completion_date": c.expected_completion_date.isoformat() if c.expected_completion_date else None,
        "success_criteria": c.success_criteria, "caller_id": c.caller_id,
        "caller_id_number_id": str(c.caller_id_number_id) if c.caller_id_number_id else None,
        "default_country": c.default_country, "timezone": c.timezone, "time_zone": c.timezone,
        "schedule_start": iso(c.schedule_start), "schedule_end": iso(c.schedule_end),
        "start_date": iso(c.schedule_start), "end_date": iso(c.schedule_end),
        "recurrence_rule": c.recurrence_rule,
        "calling_hours_start": c.calling_hours_start.strftime("%H:%M:%S") if c.calling_hours_start else None,
        "calling_hours_end": c.calling_hours_end.strftime("%H:%M:%S") if c.calling_hours_end else None,
        "allow_overnight": c.allow_overnight, "working_days": list(c.working_days),
        "pacing_mode": c.pacing_mode, "calls_per_day": c.calls_per_day, "max_concurrent_calls": c.max_concurrent_calls,
        "dial_timeout_seconds": c.dial_timeout_seconds, "max_attempts_per_lead": c.max_attempts,
        "retry_delay_minutes": c.retry_delay_minutes,
        "retry_policy": {
            "max_attempts": c.max_attempts, "delay_minutes": c.retry_delay_minutes, "backoff": _dec(c.retry_backoff),
            "retry_on_no_answer": c.retry_on_no_answer, "retry_on_busy": c.retry_on_busy,
            "retry_on_voicemail": c.retry_on_voicemail, "retry_on_failed": c.retry_on_failed,
        },
        "amd_enabled": c.amd_enabled, "voicemail_message_url": c.voicemail_drop_url,
        "voicemail_drop_url": c.voicemail_drop_url, "voicemail_drop_text": c.voicemail_drop_text,
        "record_calls": c.record_calls, "call_duration_limit": c.call_duration_limit,
        "recording_disclosure": c.recording_disclosure, "abandon_message": c.abandon_message,
        "require_ai_consent": c.require_ai_consent, "max_abandon_rate": _dec(c.max_abandon_rate),
        "max_dial_ratio": _dec(c.max_dial_ratio),
        "ai_agent_id": str(c.ai_agent_id) if c.ai_agent_id else None,
        "agent_group_id": str(c.agent_group_id) if c.agent_group_id else None,
        "ai_voice_id": c.ai_voice_id, "ai_voice_language": c.ai_voice_language, "ai_voice_gender": c.ai_voice_gender,
        "system_prompt": c.system_prompt, "script_template": c.script_template, "fallback_script": c.fallback_script,
        "budget": _dec(c.budget), "cost_per_call": _dec(c.cost_per_call),
        "owner_id": str(c.owner_id) if c.owner_id else None,
        "started_at": iso(c.started_at), "paused_at": iso(c.paused_at), "completed_at": iso(c.completed_at),
        "is_active": c.status == "active",
        "created_at": iso(c.created_at), "updated_at": iso(c.updated_at),
    }  # fmt: skip
    body["team_members"] = [str(user.pk) for user in c.team_members.all()]  # prefetched on lists
    if counts is not None:
        body.update(counts)
    return body
