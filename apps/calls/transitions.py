"""The only way a call's status changes: compare-and-swap on the status it had, one CallEvent per
change (or per callback received), and never backwards (apps.calls.choices.may_move).

`call_move` is for the dialer and people (hang up, cancel); `event_apply` for provider callbacks,
which arrive late, twice or out of order: a duplicate (same dedupe key) adds nothing, an older
status never overwrites a newer one, and the facts an older callback carries (a ring time, a
duration) are still kept where nothing newer wrote them.
"""

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from apps.calls.choices import RANK, TERMINAL, CallStatus, EventKind, may_move
from apps.calls.models import Call, CallEvent
from apps.core import clock
from apps.realtime.stats import campaign_changed

logger = logging.getLogger(__name__)

# Timestamps a status stamps when the call reaches it (first time only).
_STAMPS = {CallStatus.INITIATED: "initiated_at", CallStatus.RINGING: "ringing_at",
           CallStatus.IN_PROGRESS: "answered_at", **dict.fromkeys(TERMINAL, "ended_at")}  # fmt: skip


def _sources(target: str) -> list[str]:
    return [status for status in RANK if may_move(status, target)]


@transaction.atomic
def call_move(
    *,
    call: Call,
    to: str,
    at: datetime | None = None,
    kind: str = EventKind.DIALER,
    note: str = "",
    fields: dict[str, Any] | None = None,
    payload: dict | None = None,
) -> bool:
    """Move `call` to `to` if the move is forward from the status it has in the database. Returns
    False (and changes nothing) for a stale or backward move: another worker or a callback won.
    `call` is updated in memory to match (no second read)."""
    at = at or clock.now()
    updates = {**(fields or {}), "status": to, "updated_at": at}
    stamp = _STAMPS.get(to)
    if stamp:  # the first time only: a stamp an earlier, out-of-order event wrote stays
        updates[stamp] = Coalesce(F(stamp), Value(at))
    moved = Call.objects.filter(pk=call.pk, status__in=_sources(to)).update(**updates)
    if not moved:
        return False
    previous = call.status
    for name, value in updates.items():
        if name != stamp:
            setattr(call, name, value)
    if stamp and getattr(call, stamp) is None:
        setattr(call, stamp, at)
    CallEvent.objects.create(tenant_id=call.tenant_id, call_id=call.pk, kind=kind, from_status=previous, to_status=to,
                             applied=True, note=note[:255], payload=payload or {},
                             dedupe_key=f"{kind}:{to}:{at.timestamp():.6f}")  # fmt: skip
    campaign_changed(call.campaign_id)
    return True


def event_record(
    *,
    tenant_id,
    call_id,
    kind: str,
    dedupe_key: str,
    provider_status: str = "",
    sequence: int | None = None,
    payload: dict | None = None,
) -> CallEvent | None:
    """Store a callback as received; None when it was received before (same key): a no-op."""
    try:
        with transaction.atomic():
            return CallEvent.objects.create(
                tenant_id=tenant_id, call_id=call_id, kind=kind, dedupe_key=dedupe_key[:120],
                provider_status=provider_status[:32], sequence_number=sequence, payload=payload or {},
            )  # fmt: skip
    except IntegrityError as exc:
        if "callevent_unique_key" in str(exc):
            return None
        raise


@transaction.atomic
def event_apply(*, event: CallEvent, to: str | None, at: datetime | None = None,
                fields: dict[str, Any] | None = None, fill: dict[str, Any] | None = None) -> str:  # fmt: skip
    """Apply a stored callback: move the call to `to` when that is forward (with `fields`), and in
    any case fill `fill` fields that are still empty. `at` is when the callback says it happened:
    a status's time stamp is kept even when the status itself arrives too late to apply (an
    "answered" after "completed" still gives the answer time). Marks the event applied (or not) and
    processed; returns the call's status after."""
    at = at or clock.now()
    stamp = _STAMPS.get(to) if to else None
    wanted = {"status", "sequence", "campaign_id", *(fill or {}), *([stamp] if stamp else [])}
    call = Call.objects.select_for_update(no_key=True).only(*wanted).get(pk=event.call_id)
    updates: dict[str, Any] = {}
    applied = False
    if to is not None and to != call.status and may_move(call.status, to):
        updates.update(fields or {}, status=to)
        if event.sequence_number is not None:
            updates["sequence"] = max(call.sequence, event.sequence_number)
        event.from_status, event.to_status, applied = call.status, to, True
        campaign_changed(call.campaign_id)
    if stamp and getattr(call, stamp) is None:
        updates[stamp] = at
    updates.update({name: value for name, value in (fill or {}).items()
                    if value not in (None, "") and getattr(call, name) in (None, "")})  # fmt: skip
    if updates:
        Call.objects.filter(pk=call.pk).update(**updates, updated_at=clock.now())
        applied = applied or any(name != stamp for name in updates)
    CallEvent.objects.filter(pk=event.pk).update(from_status=event.from_status, to_status=event.to_status,
                                                 applied=applied, processed_at=clock.now())  # fmt: skip
    event.applied = applied
    return updates.get("status", call.status)
