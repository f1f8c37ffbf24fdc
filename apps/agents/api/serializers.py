"""Shapes of the agents API. Output names follow spec 004 (agent_group_id, total_call_duration_seconds...),
with the AI agent's fields beside them. Input accepts the same names."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from apps.agents.hours import normalize_working_hours
from apps.agents.models import Agent, AgentGroup, AgentKind, Presence
from apps.core.validators import validate_e164, validate_time_zone

# Output keys a client may send back unchanged from a GET (ignored on input).
READ_ONLY_KEYS = frozenset({
    "id", "tenant_id", "created_at", "updated_at", "current_calls", "total_calls_handled",
    "total_call_duration_seconds", "last_active_at", "status_changed_at", "agent_count",
})  # fmt: skip


class AgentSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Presence.choices, read_only=True, help_text="Presence.")
    tenant_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True, allow_null=True)
    agent_group_id = serializers.UUIDField(source="group_id", read_only=True, allow_null=True)
    total_call_duration_seconds = serializers.IntegerField(source="total_talk_seconds", read_only=True)

    class Meta:
        model = Agent
        fields = [
            "id", "tenant_id", "user_id", "name", "kind", "phone", "email", "agent_group_id", "status",
            "max_concurrent_calls", "current_calls", "total_calls_handled", "total_call_duration_seconds",
            "working_hours", "timezone", "is_active", "created_at", "updated_at", "last_active_at",
            "status_changed_at", "voice_id", "language", "voice_gender", "system_prompt", "default_script",
            "max_attempts", "retry_delay_minutes",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.OBJECT)
class WorkingHoursField(serializers.Field):
    """{"monday": {"start": "09:00", "end": "17:00"}} or a list of ranges a day (apps.agents.hours)."""

    def to_internal_value(self, data):
        try:
            return normalize_working_hours(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from None

    def to_representation(self, value):
        return value


class _StrictInput(serializers.Serializer):
    """Unknown keys are a 400 (a typo must not be silently dropped); keys of the resource's own
    output are ignored, so a client may send back what it read."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields) - READ_ONLY_KEYS)
        if unknown:
            raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


class AgentInputSerializer(_StrictInput):
    """Create (name required; kind defaults to human, as spec 004's agents are people) and update
    (every field optional). Presence is not written here: PUT /agents/{id}/status/."""

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=AgentKind.choices, default=AgentKind.HUMAN)
    timezone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone],
                                     help_text="IANA name; defaults to the tenant's.")  # fmt: skip
    working_hours = WorkingHoursField(required=False)
    is_active = serializers.BooleanField(required=False)
    # AI agents
    voice_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False)
    voice_gender = serializers.CharField(max_length=16, required=False, allow_blank=True)
    system_prompt = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    default_script = serializers.CharField(max_length=20_000, required=False, allow_blank=True, trim_whitespace=False)
    max_attempts = serializers.IntegerField(min_value=1, max_value=50, required=False)
    retry_delay_minutes = serializers.IntegerField(min_value=1, max_value=43_200, required=False,
                                                   help_text="1 minute to 30 days.")  # fmt: skip
    # Human agents
    user_id = serializers.UUIDField(required=False, allow_null=True, help_text="A user of your tenant.")
    agent_group_id = serializers.UUIDField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=16, required=False, allow_blank=True, validators=[validate_e164],
                                  help_text="E.164, e.g. +14155553333.")  # fmt: skip
    email = serializers.EmailField(required=False, allow_blank=True)
    max_concurrent_calls = serializers.IntegerField(min_value=1, max_value=100, required=False)
    status = serializers.CharField(required=False, help_text="Read-only here; change it with /status/.")

    def __init__(self, *args, agent: Agent | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent = agent

    def validate_status(self, value):
        if self.agent is None or value != self.agent.status:
            raise serializers.ValidationError("Presence changes through PUT /api/v1/agents/{id}/status/.")
        return value

    def validate(self, attrs):
        attrs.pop("status", None)
        return attrs


class PresenceSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Presence.choices)


class VoiceTokenSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["twilio", "simulator"])
    token = serializers.CharField(allow_null=True, help_text="A Twilio Voice access token (JWT); null when simulated.")
    identity = serializers.CharField(help_text="The softphone's client identity: agent-<agent id>.")
    expires_at = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField(required=False, help_text="Simulator only: why there is no token.")


class AgentStatsSerializer(serializers.Serializer):
    total_calls = serializers.IntegerField()
    answered_calls = serializers.IntegerField()
    avg_talk_time = serializers.FloatField(help_text="Seconds per answered call.")
    total_talk_time = serializers.IntegerField(help_text="Seconds.")


class AgentStatsResponseSerializer(serializers.Serializer):
    agent = AgentSerializer()
    period = serializers.DictField(help_text="date_from, date_to (null when open) and the agent's time zone.")
    stats = AgentStatsSerializer()


class AgentGroupSerializer(serializers.ModelSerializer):
    tenant_id = serializers.UUIDField(read_only=True)
    agent_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = AgentGroup
        fields = ["id", "tenant_id", "name", "description", "is_active", "agent_count", "created_at", "updated_at"]
        read_only_fields = fields


class AgentGroupInputSerializer(_StrictInput):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    is_active = serializers.BooleanField(required=False)
