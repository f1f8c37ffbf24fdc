"""Shapes of the voice API (spec 001's Voice AI Calls): input validated here, output built by hand in
the views and documented by the Serializer classes below."""

from rest_framework import serializers

from apps.core.exceptions import ApplicationError

MAX_TEXT = 2000


class VoiceSettingsSerializer(serializers.Serializer):
    voice_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    speed = serializers.FloatField(required=False, min_value=0.25, max_value=4.0)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    provider = serializers.CharField(max_length=50, required=False, allow_blank=True)
    stability = serializers.FloatField(required=False, min_value=0.0, max_value=1.0)


class VoiceCallCreateInputSerializer(serializers.Serializer):
    lead_id = serializers.UUIDField(help_text="A lead of yours.")
    phone_number = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                         help_text="Defaults to the lead's number.")  # fmt: skip
    call_type = serializers.ChoiceField(choices=["outbound", "inbound"], default="outbound")
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                    help_text="What the call is for; given to the LLM brain.")  # fmt: skip
    voice_settings = VoiceSettingsSerializer(required=False)


class VoiceCallStartInputSerializer(serializers.Serializer):
    voice_config = VoiceSettingsSerializer(required=False)


class VoiceCallRespondInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, trim_whitespace=True,
                                 help_text="What the customer said; empty for a silence.")  # fmt: skip
    audio_data = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                       help_text="Base64 audio: not supported by this deployment (no speech-to-text "
                                       "backend); send text.")  # fmt: skip

    def validate(self, attrs):
        if attrs.get("audio_data") and not attrs.get("text"):
            raise ApplicationError("Audio is not supported by this deployment (no speech-to-text backend): send text.",
                                   code="AUDIO_NOT_SUPPORTED", status_code=422)  # fmt: skip
        if "text" not in attrs:
            raise serializers.ValidationError({"text": ["This field is required (empty for a silence)."]},
                                              code="required")  # fmt: skip
        return attrs


class VoiceCallEndInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=64, required=False, default="completed",
                                   help_text='Why the call ends: "completed" (default) or "hangup".')  # fmt: skip


# Output ----------------------------------------------------------------------------------------------
class VoiceAnalysisSerializer(serializers.Serializer):
    sentiment = serializers.FloatField(help_text="-1 (negative) to 1 (positive), VADER.")
    intent = serializers.CharField(help_text="general_inquiry, interested, not_interested, callback_request, "
                                   "pricing_question, demo_request, information_request, identity_question, "
                                   "human_request, wrong_person, do_not_call, voicemail, silence")  # fmt: skip
    objections = serializers.ListField(child=serializers.CharField(),
                                       help_text="price, timing, need, authority, competitor, trust")  # fmt: skip
    interest_signals = serializers.ListField(child=serializers.CharField(),
                                             help_text="verbal_interest, demo_interest, pricing_interest, "
                                             "timeline_interest")  # fmt: skip


class VoiceCallCreatedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    call_id = serializers.UUIDField()
    lead_id = serializers.UUIDField()
    campaign_id = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()
    mode = serializers.CharField()
    phone_number = serializers.CharField()


class VoiceSessionContextSerializer(serializers.Serializer):
    lead_name = serializers.CharField()
    company = serializers.CharField()
    industry = serializers.CharField()


class VoiceSessionInfoSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="greeting, discovery, qualification, objection_handling, closing, ended")
    context = VoiceSessionContextSerializer()


class VoiceCallStartedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    call_id = serializers.UUIDField()
    opening_message = serializers.CharField()
    session_info = VoiceSessionInfoSerializer()


class VoiceCallReplySerializer(serializers.Serializer):
    success = serializers.BooleanField()
    ai_response = serializers.CharField()
    audio_data = serializers.CharField(allow_null=True, help_text="Always null: no text-to-speech backend here.")
    analysis = VoiceAnalysisSerializer()
    conversation_state = serializers.CharField()
    should_continue = serializers.BooleanField()


class VoiceSummarySerializer(serializers.Serializer):
    duration_minutes = serializers.FloatField()
    duration_seconds = serializers.IntegerField()
    total_exchanges = serializers.IntegerField(help_text="The customer's turns.")
    conversation_state = serializers.CharField(help_text="The furthest state reached.")
    state_path = serializers.ListField(child=serializers.CharField())
    objections_raised = serializers.ListField(child=serializers.CharField())
    interest_signals = serializers.ListField(child=serializers.CharField())
    overall_sentiment = serializers.FloatField(help_text="-1 to 1; later turns weigh more.")
    recommendation = serializers.CharField()
    outcome = serializers.CharField(help_text="The call's disposition.")
    end_reason = serializers.CharField()
    next_step = serializers.CharField(allow_null=True)
    callback_at = serializers.DateTimeField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    interest_level = serializers.CharField(allow_null=True)


class VoiceAnalyticsSerializer(serializers.Serializer):
    conversion_probability = serializers.FloatField()
    engagement_score = serializers.FloatField()
    total_turns = serializers.IntegerField(help_text="Every turn of the transcript, both sides.")
    avg_sentiment = serializers.FloatField()


class VoiceCallEndedSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    call_id = serializers.UUIDField()
    summary = VoiceSummarySerializer()
    analytics = VoiceAnalyticsSerializer()


class VoiceTranscriptTurnSerializer(serializers.Serializer):
    speaker = serializers.CharField(help_text="agent or customer")
    text = serializers.CharField()
    at = serializers.DateTimeField()
    state = serializers.CharField(required=False, help_text="agent turns: the state after it")
    brain = serializers.CharField(required=False, help_text="agent turns: scripted or llm")
    analysis = VoiceAnalysisSerializer(required=False, help_text="customer turns")


class VoiceCallDetailSerializer(serializers.Serializer):
    call_id = serializers.UUIDField()
    lead_id = serializers.UUIDField()
    status = serializers.CharField(help_text="The call's status.")
    mode = serializers.CharField(allow_null=True, help_text="text or voice; null before the conversation starts")
    conversation_state = serializers.CharField(allow_null=True)
    state_path = serializers.ListField(child=serializers.CharField())
    brain = serializers.CharField(allow_null=True)
    transcript = VoiceTranscriptTurnSerializer(many=True)
    summary = VoiceSummarySerializer(allow_null=True)
    analytics = VoiceAnalyticsSerializer(allow_null=True)
