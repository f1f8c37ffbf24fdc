"""Provider callbacks after the 200: each stored CallEvent is applied once, in arrival order, by the
drain (a Celery task the webhooks wake, and beat as a safety net). A status that reaches a final
state finalizes the call in the same transaction (apps.calls.outcomes).

Dispatch is a table of event kind -> handler, as Saleor routes its payment webhooks.
"""

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.db import transaction

from apps.calls import conference, outcomes
from apps.calls.choices import MACHINE, PROVIDER_STATUS, TERMINAL, EventKind
from apps.calls.models import Call, CallEvent
from apps.calls.telephony import provider_named, twiml
from apps.calls.telephony.base import ProviderError
from apps.calls.transitions import event_apply
from apps.core import clock
from apps.core.cache import redis_client

logger = logging.getLogger(__name__)
DRAIN_KEY = "calls:drain-pending"
DRAINS_KEY = "calls:drain-helpers"  # helper drains started and not finished


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _price(payload: dict) -> dict:
    try:
        price = Decimal(payload.get("Price") or payload.get("CallPrice") or "")
    except InvalidOperation:
        return {}
    return {"cost": abs(price), "cost_unit": (payload.get("PriceUnit") or "USD")[:3]}


def _when(payload: dict, received: dt.datetime) -> dt.datetime:
    """When the provider says the event happened (Twilio's Timestamp, RFC 2822), else when received.
    Only a time close to the receipt is believed (a skewed clock must not reorder a call's life)."""
    try:
        said = parsedate_to_datetime(payload.get("Timestamp") or "")
    except (TypeError, ValueError):
        return received
    if said is None or said.tzinfo is None or abs((said - received).total_seconds()) > 3600:
        return received
    return said


def _on_status(event: CallEvent, at: dt.datetime) -> None:
    payload = event.payload
    target = PROVIDER_STATUS.get(payload.get("CallStatus", ""))
    fields = {}
    fill = {"answered_by": (payload.get("AnsweredBy") or "")[:24], "call_sid": (payload.get("CallSid") or "")[:64]}
    if target in TERMINAL:
        fields["duration"] = _int(payload.get("CallDuration"))
        fill.update(_price(payload))
    status = event_apply(event=event, to=target, at=_when(payload, event.created_at or at),
                         fields={k: v for k, v in fields.items() if v is not None}, fill=fill)  # fmt: skip
    if status in TERMINAL:
        outcomes.finalize(Call(pk=event.call_id), at=at)  # once: it returns False when already done


def _on_amd(event: CallEvent, at: dt.datetime) -> None:
    """Asynchronous answering-machine detection: a machine gets the voicemail drop after the beep."""
    answered_by = (event.payload.get("AnsweredBy") or "")[:24]
    event_apply(event=event, to=None, at=at, fill={"answered_by": answered_by})
    call = Call.objects.select_related("tenant", "campaign", "lead").get(pk=event.call_id)
    if answered_by in MACHINE and call.is_live and call.campaign_id and not call.metadata.get("voicemail_dropped"):
        campaign = call.campaign
        if (campaign.voicemail_drop_url or campaign.voicemail_drop_text) and conference.metadata_flag_claim(
                call.pk, "voicemail_dropped"):  # the answer webhook may be dropping it at this moment  # fmt: skip
            try:
                provider_named(call.provider).play_and_hangup(call, twiml.voicemail_twiml(call))
            except ProviderError as exc:
                logger.warning("call %s: voicemail drop failed: %s", call.pk, exc)
                conference.metadata_merge(call.pk, voicemail_dropped=False)


def _on_recording(event: CallEvent, at: dt.datetime) -> None:
    payload = event.payload
    if payload.get("RecordingStatus", "completed") != "completed":
        event_apply(event=event, to=None, at=at)
        return
    event_apply(
        event=event,
        to=None,
        at=at,
        fill={
            "recording_url": (payload.get("RecordingUrl") or "")[:500],
            "recording_sid": (payload.get("RecordingSid") or "")[:64],
            "recording_duration": _int(payload.get("RecordingDuration")),
        },
    )


def _on_conference(event: CallEvent, at: dt.datetime) -> None:
    """The conference of a human-mode call: who joined and left, when it started and ended."""
    conference.conference_event(event, _when(event.payload, event.created_at or at))


def _on_agent_leg(event: CallEvent, at: dt.datetime) -> None:
    """The agent's softphone leg: answered, or not (then the next agent, or the abandon message)."""
    conference.agent_leg_event(event, _when(event.payload, event.created_at or at))


HANDLERS = {EventKind.STATUS: _on_status, EventKind.AMD: _on_amd, EventKind.RECORDING: _on_recording,
            EventKind.CONFERENCE: _on_conference, EventKind.AGENT: _on_agent_leg}  # fmt: skip


def process(event: CallEvent, *, at: dt.datetime | None = None) -> None:
    """Apply one stored callback (its handler marks it processed; one with no handler is only marked)."""
    at = at or clock.now()
    handler = HANDLERS.get(event.kind)
    with transaction.atomic():
        if handler is not None:
            handler(event, at)
        else:
            CallEvent.objects.filter(pk=event.pk).update(processed_at=at)


def drain(*, limit: int = 5000) -> int:
    """Apply pending callbacks, oldest first. Each in a transaction of its own that locks the event
    (another drain skips it) and then its call: a drain never holds one call while waiting for
    another, so drains running side by side cannot deadlock."""
    redis_client().delete(DRAIN_KEY)  # callbacks arriving from now on wake another drain
    done, helped = 0, False
    while done < limit:
        pending = list(CallEvent.objects.filter(processed_at__isnull=True).order_by("created_at")[:200])
        if not pending:
            break
        if len(pending) == 200 and not helped:  # a backlog: another worker process takes a share
            helped = _call_for_help()
        for event in pending:
            try:
                with transaction.atomic():
                    # Lock the row (another drain skips it) without reading it twice.
                    if not CallEvent.objects.select_for_update(skip_locked=True).filter(
                            pk=event.pk, processed_at__isnull=True).values_list("pk", flat=True):  # fmt: skip
                        continue  # another drain has it, or had it
                    handler = HANDLERS.get(event.kind)
                    if handler is not None:
                        handler(event, clock.now())
                    else:
                        CallEvent.objects.filter(pk=event.pk).update(processed_at=clock.now())
            except Exception:
                logger.exception("call event %s could not be applied", event.pk)
                CallEvent.objects.filter(pk=event.pk).update(processed_at=clock.now(), note="failed to apply")
            done += 1
    return done


def _call_for_help() -> bool:
    """Start one more drain while fewer than DRAIN_PARALLEL run (each skips the events another holds,
    so they share a backlog without waiting for each other). Counted in Redis for a minute."""
    client = redis_client()
    running = client.incr(DRAINS_KEY)
    client.expire(DRAINS_KEY, 60)
    if running > settings.DRAIN_PARALLEL:
        client.decr(DRAINS_KEY)
        return False
    from apps.calls.tasks import drain_events

    drain_events.delay(helper=True)
    return True


def wake_drain() -> None:
    """After a callback is stored: make sure a drain runs soon (one wake-up per drain, not per callback)."""
    if redis_client().set(DRAIN_KEY, "1", nx=True, ex=30):
        from apps.calls.tasks import drain_events

        drain_events.delay()
