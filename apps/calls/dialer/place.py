"""Placing claimed calls, each once. The dialer hands them out in small batches (one task a batch);
the task may be delivered twice (acks_late, a worker lost), so it first claims the batch's move from
queued to initiated with one compare-and-swap, and only the calls that move reach the provider. The
last checks run just before, per call: the platform switch, the tenant, the queue still dialing, the
lead still callable (not deleted, not do-not-call, inside its own window, under its state's 24-hour
limit). A call refused there is canceled with its reason, and its lead goes back to the queue.

One batch costs a handful of queries whatever its size (the checks read the batch's rows together),
which is what lets a two-core machine place hundreds of calls a second (make bench).
"""

import datetime as dt
import logging
from collections import defaultdict

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Count

from apps.calls import outcomes
from apps.calls.choices import CallStatus, EventKind
from apps.calls.compliance import RuleBook
from apps.calls.dialer.queues import queue_of_call
from apps.calls.models import Call, CallEvent, DialerSwitch
from apps.calls.telephony import provider_named
from apps.calls.telephony.base import ProviderError
from apps.calls.transitions import call_move
from apps.core import clock
from apps.leads.choices import LeadStatus
from apps.leads.models import DoNotCallEntry, Lead

logger = logging.getLogger(__name__)
BATCH = 25  # calls a place_calls task takes


def dialing_enabled(*, fresh: bool = False) -> bool:
    """The platform switch. Each process keeps its reading a second, so "stop" reaches every
    process well within one tick."""
    local = caches["local"]
    value = None if fresh else local.get("dialing-enabled")
    if value is None:
        switch = DialerSwitch.objects.first()
        value = switch is None or switch.dialing_enabled
        local.set("dialing-enabled", value, 1)
    return value


def rules_for(tenant_id) -> RuleBook:
    """A tenant's calling rules, kept 30 s in each process (a tenant's new rule applies within that)."""
    local = caches["local"]
    key = f"compliance-rules:{tenant_id}"
    rules = local.get(key)
    if rules is None:
        rules = RuleBook.for_tenant(tenant_id)
        local.set(key, rules, 30)
    return rules


def _refusals(calls: list[Call], at: dt.datetime) -> dict:
    """call id -> why it may not be placed now (absent when it may)."""
    if not dialing_enabled():
        return {call.pk: "the platform's dialing is stopped" for call in calls}
    out = {}
    phones = {call.lead.phone_e164 for call in calls}
    blocked = set(DoNotCallEntry.objects.filter(tenant_id=calls[0].tenant_id, phone_e164__in=phones)
                  .values_list("phone_e164", flat=True))  # fmt: skip
    rules = rules_for(calls[0].tenant_id)
    limited = {call.lead.phone_e164: limit for call in calls
               if (limit := rules.max_calls_per_24h(call.lead.phone_region, call.lead.subdivision))}  # fmt: skip
    recent = {}
    if limited:
        day = at - dt.timedelta(hours=24)
        counted = Call.objects.filter(tenant_id=calls[0].tenant_id, to_number__in=limited, created_at__gt=day).exclude(
            status=CallStatus.CANCELED)  # fmt: skip
        recent = dict(counted.values_list("to_number").annotate(n=Count("id")))
    windows = {}
    for call in calls:
        lead = call.lead
        if call.tenant.is_suspended:
            out[call.pk] = "the tenant is suspended"
        elif lead.deleted_at is not None:
            out[call.pk] = "the lead was deleted"
        elif lead.do_not_call or lead.phone_e164 in blocked:
            out[call.pk] = "the number is on the do-not-call list"
        else:
            queue = queue_of_call(call)
            if queue.key not in windows:
                windows[queue.key] = queue.window(at)
            open_now, why = windows[queue.key]
            allowed, lead_why = rules.lead_verdict(lead, at)
            limit = limited.get(lead.phone_e164)
            if not open_now:
                out[call.pk] = f"{queue.label}: {why}"
            elif not allowed:
                out[call.pk] = lead_why
            elif limit is not None and recent.get(lead.phone_e164, 0) > limit:
                out[call.pk] = f"{limit} calls in 24 hours to this number ({lead.phone_region}-{lead.subdivision})"
    return out


def cancel(call: Call, *, reason: str, at=None) -> bool:
    """A queued call that will not be placed: canceled with its reason, the lead back as it was."""
    at = at or clock.now()
    with transaction.atomic():
        if not call_move(call=call, to=CallStatus.CANCELED, at=at, note=reason,
                         fields={"error_code": "REFUSED", "error_message": reason[:500]}):  # fmt: skip
            return False
        outcomes.finalize(call, at=at)
    return True


def _claim_initiation(calls: list[Call], at: dt.datetime) -> list[Call]:
    """Queued -> initiated for the batch, in one statement; the calls this delivery won."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE calls_call SET status = %s, initiated_at = %s, updated_at = %s "
            "WHERE id = ANY(%s::uuid[]) AND status = %s RETURNING id",
            [CallStatus.INITIATED, at, at, [str(c.pk) for c in calls], CallStatus.QUEUED],
        )  # fmt: skip
        moved = {row[0] for row in cursor.fetchall()}
    winners = [call for call in calls if call.pk in moved]
    for call in winners:
        call.status, call.initiated_at, call.updated_at = CallStatus.INITIATED, at, at
    CallEvent.objects.bulk_create([
        CallEvent(tenant_id=call.tenant_id, call_id=call.pk, kind=EventKind.DIALER, from_status=CallStatus.QUEUED,
                  to_status=CallStatus.INITIATED, applied=True, note="originating",
                  dedupe_key=f"dialer:initiated:{at.timestamp():.6f}")
        for call in winners
    ])  # fmt: skip
    Lead.objects.filter(pk__in=[call.lead_id for call in winners], status=LeadStatus.QUEUED).update(
        status=LeadStatus.CALLING, updated_at=at)  # fmt: skip
    return winners


def _originate(call: Call) -> str | None:
    """The provider's id of the new call, or None (the call is then failed and finalized)."""
    campaign = call.campaign
    try:
        return provider_named(call.provider).originate(
            call, machine_detection=bool(campaign is None or campaign.amd_enabled),
            record=bool(campaign is not None and campaign.record_calls),
            timeout=campaign.dial_timeout_seconds if campaign is not None else 30,
        ).sid  # fmt: skip
    except ProviderError as exc:
        # Never retried here: the provider may have created the call before failing to answer us, and a
        # second attempt could ring the person twice. The lead's retry policy takes it from here.
        logger.warning("call %s: the provider refused it: %s", call.pk, exc)
        with transaction.atomic():
            error = {"error_code": exc.code[:32] or "PROVIDER_ERROR", "error_message": str(exc)[:500]}
            call_move(call=call, to=CallStatus.FAILED, note=str(exc)[:255], fields=error)
            outcomes.finalize(call)
        return None


def place_batch(call_ids: list) -> dict[str, int]:
    """Place claimed calls; counts of what happened (placed, refused, failed, not queued)."""
    counts = defaultdict(int)
    calls = list(Call.objects.select_related("tenant", "campaign", "lead", "lead__agent")
                 .filter(pk__in=call_ids, status=CallStatus.QUEUED))  # fmt: skip
    counts["not_queued"] = len(set(map(str, call_ids))) - len(calls)
    by_tenant = defaultdict(list)
    for call in calls:
        by_tenant[call.tenant_id].append(call)
    at = clock.now()
    for group in by_tenant.values():
        refusals = _refusals(group, at)
        for call in group:
            if call.pk in refusals:
                counts["refused"] += cancel(call, reason=refusals[call.pk], at=at)
        ready = [call for call in group if call.pk not in refusals]
        if not ready:
            continue
        with transaction.atomic():
            winners = _claim_initiation(ready, at)  # a redelivered task finds nothing left to win
        counts["not_queued"] += len(ready) - len(winners)
        placed = []
        for call in winners:
            sid = _originate(call)
            if sid is None:
                counts["failed"] += 1
            else:
                placed.append((str(call.pk), sid))
        if placed:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE calls_call c SET call_sid = v.sid FROM unnest(%s::uuid[], %s::text[]) AS v(id, sid) "
                    "WHERE c.id = v.id AND c.call_sid = ''",
                    [[pk for pk, _ in placed], [sid for _, sid in placed]],
                )  # fmt: skip
        counts["placed"] += len(placed)
    return dict(counts)


def place(call_id) -> str:
    """Place one claimed call (a batch of one); what happened."""
    counts = place_batch([call_id])
    return next((name for name in ("placed", "refused", "failed") if counts.get(name)), "not queued")
