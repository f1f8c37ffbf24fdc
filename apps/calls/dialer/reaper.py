"""The reaper (beat): nothing is lost when a worker dies mid-task.

- A claimed call never originated (its place_call task lost) is canceled after
  DIALER_STALE_QUEUED_SECONDS: the lead goes back to the queue, no attempt spent.
- A call the provider should have moved on, but whose callbacks never came, is reconciled: the
  provider (or the simulator's own record) is asked, and its answer applied as a callback would be.
- A finished call whose lead never got the result gets it now; a lead left queued or calling with no
  live call goes back to waiting.
Every pass is bounded (BATCH rows a kind) and safe to run in several processes at once.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from apps.calls import outcomes
from apps.calls.choices import LIVE, PROVIDER_STATUS, TERMINAL, CallStatus, EventKind
from apps.calls.dialer.place import cancel
from apps.calls.models import Call
from apps.calls.telephony import provider_named
from apps.calls.telephony.base import ProviderError
from apps.calls.transitions import call_move
from apps.core import clock
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead

logger = logging.getLogger(__name__)
BATCH = 200
RING_GRACE = dt.timedelta(minutes=2)  # beyond the ring timeout, a call still "ringing" is suspect


def _stale_queued(at: dt.datetime) -> int:
    cutoff = at - dt.timedelta(seconds=settings.DIALER_STALE_QUEUED_SECONDS)
    done = 0
    for call in Call.objects.filter(status=CallStatus.QUEUED, updated_at__lt=cutoff).select_related(
            "tenant", "campaign", "lead")[:BATCH]:  # fmt: skip
        waited = "a preview no agent accepted" if call.metadata.get("preview") else "claimed but never placed"
        done += cancel(call, reason=f"{waited}: back to the queue", at=at)
    return done


def reconcile(call: Call, *, at: dt.datetime) -> str:
    """Ask the provider where a call is and apply its answer; what happened."""
    if not call.call_sid:
        with transaction.atomic():
            moved = call_move(
                call=call,
                to=CallStatus.FAILED,
                at=at,
                kind=EventKind.RECONCILE,
                note="lost before the provider confirmed it",
                fields={"error_code": "LOST", "error_message": "No provider id: the origination was lost"},
            )
            if moved:
                outcomes.finalize(call, at=at)
        return "failed (lost)"
    try:
        known = provider_named(call.provider).fetch_status(call)
    except ProviderError as exc:
        return f"provider unreachable: {exc}"
    target = PROVIDER_STATUS.get(known.status) if known is not None else CallStatus.FAILED
    if target is None or target not in TERMINAL:
        return f"still {known.status}"
    fields = {}
    if known is not None:
        fields = {"duration": known.duration, "answered_by": known.answered_by or call.answered_by}
        if known.price:
            fields.update(cost=abs(float(known.price)), cost_unit=known.price_unit)
    with transaction.atomic():
        moved = call_move(call=call, to=target, at=at, kind=EventKind.RECONCILE,
                          note="from the provider's record" if known else "unknown to the provider",
                          fields={k: v for k, v in fields.items() if v not in (None, "")})  # fmt: skip
        if moved:
            outcomes.finalize(call, at=at)
    return f"reconciled: {target}"


def _stale_live(at: dt.datetime) -> int:
    ringing_cutoff = at - RING_GRACE - dt.timedelta(seconds=120)
    live_cutoff = at - dt.timedelta(seconds=settings.DIALER_STALE_LIVE_SECONDS)
    done = 0
    suspects = list(
        Call.objects.filter(
            status__in=[CallStatus.INITIATED, CallStatus.RINGING], updated_at__lt=ringing_cutoff
        ).select_related("tenant", "campaign", "lead")[:BATCH]
    )
    suspects += list(Call.objects.filter(status=CallStatus.IN_PROGRESS, updated_at__lt=live_cutoff).select_related(
        "tenant", "campaign", "lead")[:BATCH])  # fmt: skip
    for call in suspects:
        result = reconcile(call, at=at)
        done += result.startswith(("reconciled", "failed"))
    return done


def _unfinalized(at: dt.datetime) -> int:
    done = 0
    for call in Call.objects.filter(finalized_at__isnull=True).exclude(status__in=LIVE)[:BATCH]:
        done += outcomes.finalize(call, at=at)
    return done


def _stuck_leads(at: dt.datetime) -> int:
    live = Call.objects.filter(lead_id=OuterRef("pk"), status__in=LIVE)
    stuck = Lead.objects.filter(status__in=[LeadStatus.QUEUED, LeadStatus.CALLING],
                                updated_at__lt=at - dt.timedelta(seconds=settings.DIALER_STALE_QUEUED_SECONDS)
                                ).exclude(Exists(live)).values_list("pk", flat=True)[:BATCH]  # fmt: skip
    pks = list(stuck)
    if not pks:
        return 0
    return Lead.objects.filter(pk__in=pks, status__in=[LeadStatus.QUEUED, LeadStatus.CALLING]).exclude(
        Exists(live)).update(status=LeadStatus.SCHEDULED, updated_at=at)  # fmt: skip


def reap(*, at: dt.datetime | None = None) -> dict[str, int]:
    at = at or clock.now()
    return {"queued": _stale_queued(at), "live": _stale_live(at), "unfinalized": _unfinalized(at),
            "stuck_leads": _stuck_leads(at)}  # fmt: skip
