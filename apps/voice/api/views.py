"""Spec 001's voice AI calls, in text mode: create a call to a lead, start it (the opening line),
send what the customer says and get the agent's answer with its analysis, end it (summary and
analytics). The conversation is the same engine the phone calls use (apps.voice.services); the
call is a Call of provider "text", and its end gives the lead its result as a phone call's does.
Thin: check access, resolve ids inside the caller's tenant, call a service, render."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.calls.api.serializers import ErrorEnvelopeSerializer
from apps.calls.models import Call
from apps.core.actors import Actor
from apps.core.viewsets import TenantScopedViewSet
from apps.leads.models import Lead
from apps.voice import services
from apps.voice.analysis import TurnAnalysis
from apps.voice.api import serializers as s
from apps.voice.models import Conversation

NOT_FOUND = OpenApiResponse(ErrorEnvelopeSerializer, description="No such call in your tenant (another tenant's id "
                            "is exactly as absent as a made-up one).")  # fmt: skip
BAD_INPUT = OpenApiResponse(ErrorEnvelopeSerializer, description="VALIDATION_ERROR (errors[] names the field).")
FORBIDDEN = OpenApiResponse(ErrorEnvelopeSerializer, description="ROLE_FORBIDDEN or API_KEY_READ_ONLY.")


def _conflict(codes: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorEnvelopeSerializer, description=f"The call's state does not allow it: {codes}.")


@extend_schema(tags=["voice"])
class VoiceCallViewSet(TenantScopedViewSet):
    """Voice AI calls in text mode (spec 001). Owners, admins and managers hold them; every member reads."""

    queryset = Call.objects.select_related("tenant", "campaign", "lead", "agent")
    serializer_class = s.VoiceCallDetailSerializer
    pagination_class = None

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    @extend_schema(
        request=s.VoiceCallCreateInputSerializer,
        responses={201: s.VoiceCallCreatedSerializer, 400: BAD_INPUT, 403: FORBIDDEN,
                   404: OpenApiResponse(ErrorEnvelopeSerializer, description="No such lead in your tenant."),
                   409: _conflict("LEAD_IS_DNC, LEAD_IN_CALL, NO_QUEUE (no campaign and no AI agent)")},
        description="A text-mode call to a lead, talked through with start, respond and end. The lead's rules apply "
        "as to a phone call: never a do-not-call number, never while another call of the lead is live.",
    )  # fmt: skip
    def create(self, request):
        body = s.VoiceCallCreateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead = (Lead.objects.for_tenant(self.tenant).alive().select_related("campaign__ai_agent", "agent")
                .filter(pk=data["lead_id"]).first())  # fmt: skip
        if lead is None:
            raise NotFound("Lead not found.")
        call = services.voice_call_create(
            tenant=self.tenant, actor=self.actor, lead=lead, phone=data.get("phone_number", ""),
            purpose=data.get("purpose", ""), call_type=data["call_type"], voice_settings=data.get("voice_settings"),
        )  # fmt: skip
        return Response({"success": True, "call_id": str(call.pk), "lead_id": str(lead.pk),
                         "campaign_id": str(call.campaign_id) if call.campaign_id else None, "status": call.status,
                         "mode": "text", "phone_number": call.to_number}, status=status.HTTP_201_CREATED)  # fmt: skip

    @extend_schema(
        responses={200: s.VoiceCallDetailSerializer, 404: NOT_FOUND},
        description="The call's conversation: its state, path, transcript, and summary once it has ended.",
    )
    def retrieve(self, request, pk=None):
        call = self.get_object()
        conv = Conversation.objects.filter(call_id=call.pk).first()
        return Response({
            "call_id": str(call.pk), "lead_id": str(call.lead_id), "status": call.status,
            "mode": conv.mode if conv else None, "conversation_state": conv.state if conv else None,
            "state_path": list(conv.path) if conv else [], "brain": conv.brain if conv else None,
            "transcript": call.transcript or [], "summary": (conv.summary or None) if conv else None,
            "analytics": (conv.analytics or None) if conv else None,
        })  # fmt: skip

    @extend_schema(
        request=s.VoiceCallStartInputSerializer,
        responses={200: s.VoiceCallStartedSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND,
                   409: _conflict("CALL_ALREADY_STARTED, CALL_ENDED, NOT_A_TEXT_CALL")},
        description="Start the conversation: the campaign script's opening line, with the lead's details.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        call = self.get_object()
        body = s.VoiceCallStartInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.voice_call_start(call=call, voice_config=body.validated_data.get("voice_config"))
        lead = call.lead
        return Response({
            "success": True, "call_id": str(call.pk), "opening_message": result.say,
            "session_info": {"state": result.state, "context": {
                "lead_name": lead.first_name or lead.full_name, "company": lead.company_name,
                "industry": lead.industry}},
        })  # fmt: skip

    @extend_schema(
        request=s.VoiceCallRespondInputSerializer,
        responses={200: s.VoiceCallReplySerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND,
                   409: _conflict("CALL_NOT_STARTED, CONVERSATION_ENDED, NOT_A_TEXT_CALL"),
                   422: OpenApiResponse(ErrorEnvelopeSerializer, description="AUDIO_NOT_SUPPORTED: audio_data "
                                        "without text (no speech-to-text backend here).")},
        description="What the customer said (empty text: a silence). The answer has the agent's reply, the turn's "
        "analysis, the state the conversation is in, and whether it goes on; when it does not, the call has ended "
        "and its summary is ready (end, or GET the call).",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        call = self.get_object()
        body = s.VoiceCallRespondInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.voice_call_respond(call=call, text=body.validated_data["text"])
        analysis = result.analysis or TurnAnalysis()
        return Response({"success": True, "ai_response": result.say, "audio_data": None,
                         "analysis": analysis.public(), "conversation_state": result.state,
                         "should_continue": not result.ended})  # fmt: skip

    @extend_schema(
        request=s.VoiceCallEndInputSerializer,
        responses={200: s.VoiceCallEndedSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND,
                   409: _conflict("NOT_A_TEXT_CALL")},
        description="End the call: spec 001's summary and analytics. Ending a call whose conversation ended by itself "
        "(a goodbye, a do-not-call request) answers with its summary again.",
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        call = self.get_object()
        body = s.VoiceCallEndInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conv = services.voice_call_end(call=call, reason=body.validated_data["reason"])
        return Response({"success": True, "call_id": str(call.pk), "summary": conv.summary,
                         "analytics": conv.analytics})  # fmt: skip
