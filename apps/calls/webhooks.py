"""Twilio's webhooks (spec 004), which the simulator drives the same way: answer, status, amd,
recording, agent-answer, agent-status, conference-status, plus the voice app and the abandoned-call
opt-out.

Every request is verified first: X-Twilio-Signature over the public URL (PUBLIC_BASE_URL, for
deployments behind a proxy) with the auth token of the call's tenant; a bad or missing signature is
a 403 and changes nothing. Status-type callbacks are stored (CallEvent, unique per CallSid and
SequenceNumber or status, so a duplicate is a no-op) and answered at once; the drain applies them
(apps.calls.events). Call-control webhooks (answer, voice) must answer with TwiML, so they decide
synchronously, and quickly.
"""

import logging

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.calls.choices import MACHINE, CallOutcome, CallStatus, EventKind
from apps.calls.conference import agent_claim, agent_ring, merged_metadata, metadata_flag_claim
from apps.calls.dialer.place import rules_for
from apps.calls.events import wake_drain
from apps.calls.ingest import callback_from, store_many
from apps.calls.models import Call
from apps.calls.telephony import twiml
from apps.calls.telephony.base import auth_token, public_url, signed
from apps.calls.transitions import call_move, event_record
from apps.campaigns.models import HUMAN_PACING
from apps.core import clock
from apps.core.actors import SYSTEM
from apps.tenants.models import Tenant

logger = logging.getLogger(__name__)
_TOKEN_TTL = 60


def cached_token(tenant_id: str) -> str | None:
    """The tenant's callback token if this process has it (no database): the platform's without a tenant."""
    if not tenant_id:
        return auth_token(None)
    return caches["local"].get(f"twilio-token:{tenant_id}")


def token_for(tenant_id: str) -> str | None:
    """The tenant's callback token, kept a minute in this process (a lookup per callback otherwise);
    None for no such tenant (or not an id at all)."""
    token = cached_token(tenant_id)
    if token is None:
        try:
            tenant = Tenant.objects.filter(pk=tenant_id).only("id", "twilio_auth_token").first()
        except (ValueError, ValidationError):  # not a UUID
            return None
        if tenant is None:
            return None
        token = auth_token(tenant)
        caches["local"].set(f"twilio-token:{tenant_id}", token, _TOKEN_TTL)
    return token


def _verified(request) -> bool:
    token = token_for(request.GET.get("tenantId", ""))
    if token is None:
        return False
    return signed(request.get_full_path(), request.POST.dict(), request.headers.get("X-Twilio-Signature", ""), token)


def twilio_webhook(view):
    """csrf-exempt, POST only, signature checked (403 otherwise)."""

    @csrf_exempt
    @require_POST
    def wrapped(request, *args, **kwargs):
        if not _verified(request):
            logger.warning("twilio webhook %s: bad or missing signature", request.path)
            return HttpResponseForbidden("Invalid X-Twilio-Signature")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _xml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="application/xml")


def _call(request) -> Call | None:
    try:
        return (Call.objects.select_related("tenant", "campaign", "lead", "agent")
                .filter(pk=request.GET.get("callId"), tenant_id=request.GET.get("tenantId")).first())  # fmt: skip
    except (ValueError, TypeError, ValidationError):
        return None


def _store(request, name: str) -> HttpResponse:
    """Store a status-type callback and answer at once; the drain applies it (apps.calls.ingest, which
    also answers these paths itself in front of Django under ASGI)."""
    callback = callback_from(name, request.GET.dict(), request.POST.dict())
    if isinstance(callback, int):
        return HttpResponse(status=callback)
    # the call must be the signing tenant's: another tenant's valid signature moves nothing of ours
    [stored] = store_many([callback])
    if stored is None:
        return HttpResponse(status=404)
    if stored:
        transaction.on_commit(wake_drain)
    return HttpResponse(status=204)


@twilio_webhook
def status(request):
    return _store(request, "status")


@twilio_webhook
def amd(request):
    return _store(request, "amd")


@twilio_webhook
def recording(request):
    return _store(request, "recording")


@twilio_webhook
def conference_status(request):
    return _store(request, "conference-status")


@twilio_webhook
def agent_status(request):
    """The agent's softphone leg's own status callbacks (ringing, answered, no-answer, completed...)."""
    return _store(request, "agent-status")


@twilio_webhook
def answer(request):  # noqa: PLR0911 - a return a way the call goes
    """The person (or a machine) picked up: what happens on the line."""
    call = _call(request)
    if call is None:
        return _xml(twiml.hangup_twiml())
    post, at = request.POST, clock.now()
    attempt = int(request.GET["attempt"]) if request.GET.get("attempt", "").isdigit() else 1
    answered_by = (post.get("AnsweredBy") or "")[:24]
    with transaction.atomic():
        event_record(tenant_id=call.tenant_id, call_id=call.pk, kind=EventKind.ANSWER,
                     dedupe_key=f"answer:{post.get('CallSid', '')}:{attempt}", provider_status=answered_by or "answer",
                     payload=post.dict())  # fmt: skip
        call_move(call=call, to=CallStatus.IN_PROGRESS, at=at, kind=EventKind.ANSWER, note="answered",
                  fields={"answered_by": answered_by} if answered_by else None)  # fmt: skip
    campaign = call.campaign
    if answered_by in MACHINE:
        if (campaign is not None and (campaign.voicemail_drop_url or campaign.voicemail_drop_text)
                and metadata_flag_claim(call.pk, "voicemail_dropped")):  # fmt: skip
            return _xml(twiml.voicemail_twiml(call))
        return _xml(twiml.hangup_twiml())
    lead = call.lead
    disclose = bool(
        campaign is not None
        and campaign.record_calls
        and attempt == 1
        and rules_for(call.tenant_id).all_party_consent(lead.phone_region, lead.subdivision)
    )
    if campaign is None or campaign.pacing_mode not in HUMAN_PACING:
        return _xml(twiml.answer_twiml(call, disclose=disclose))
    agent = agent_claim(call) if not call.metadata.get("agent_connected") else call.agent
    if agent is not None:
        if not call.metadata.get("agent_connected"):
            Call.objects.filter(pk=call.pk).update(agent=agent, metadata=merged_metadata(agent_connected=True))
            agent_ring(call, agent)
        return _xml(twiml.answer_twiml(call, disclose=disclose))
    if attempt < max(1, int(settings.DIALER_ABANDON_SECONDS)):
        return _xml(twiml.wait_for_agent_twiml(call, attempt))
    # Nobody free within the abandon window: an abandoned call, with the message the rules require.
    Call.objects.filter(pk=call.pk).update(outcome=CallOutcome.ABANDONED)
    return _xml(twiml.abandon_twiml(call))


@twilio_webhook
def agent_answer(request):
    """The agent's leg (spec 004): a whisper with the lead's name, then into the lead's conference. An
    agent answering a lead who has gone (or who has gone to another agent) hears so and is hung up."""
    query, callback, whisper = request.GET, "", ""
    if query.get("callId"):
        call, agent_id = _call(request), query.get("agentId")
        if call is None or call.status != CallStatus.IN_PROGRESS or (agent_id and str(call.agent_id) != agent_id):
            return _xml(twiml.lead_gone_twiml())
        callback = public_url("webhooks:twilio-conference-status", callId=str(call.pk), tenantId=str(call.tenant_id))
        whisper = (call.metadata.get("transfer") or {}).get("whisper", "")  # a warm transfer: the AI's summary
    return _xml(twiml.agent_leg_twiml(lead_name=query.get("leadName", ""), campaign=query.get("campaign", ""),
                                      conference=query.get("conferenceName", ""), status_callback=callback,
                                      whisper=whisper))  # fmt: skip


@twilio_webhook
def optout(request):
    """The abandoned-call message's "press 9": the number goes on the tenant's do-not-call list."""
    call = _call(request)
    if call is not None and request.POST.get("Digits") == "9":
        from apps.leads.models import DncSource
        from apps.leads.services import dnc_add

        dnc_add(tenant=call.tenant, actor=SYSTEM, phone=call.to_number, reason="Opted out on an abandoned call",
                source=DncSource.LEAD_REQUEST)  # fmt: skip
        return _xml(twiml.voice_turn_twiml(call, say="You will not be called again. Goodbye.", listen=False))
    return _xml(twiml.hangup_twiml())


@twilio_webhook
def voice(request):
    """The AI voice app's turns (apps.calls.voice_app; the conversation engine of issue 7 plugs in here)."""
    from apps.calls.voice_app import turn

    call = _call(request)
    if call is None:
        return _xml(twiml.hangup_twiml())
    return _xml(turn(call, speech=request.POST.get("SpeechResult", ""), silence=request.GET.get("silence") == "1"))
