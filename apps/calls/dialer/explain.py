"""Why one lead is, or is not, being called now: every rule the dialer applies, checked for that
lead, in plain sentences, with the next moment it may be called. What the dialer status page and
GET /api/v1/dialer/leads/{id}/ show for a lead that seems forgotten."""

import datetime as dt

from apps.calls.choices import LIVE
from apps.calls.compliance import calls_in_24h
from apps.calls.dialer.place import dialing_enabled, rules_for
from apps.calls.dialer.queues import DialQueue
from apps.calls.models import Call
from apps.calls.outcomes import CALLBACK
from apps.core import clock
from apps.core.serializers import iso
from apps.leads.choices import LeadStatus
from apps.leads.models import DoNotCallEntry, Lead


def _queue(lead: Lead) -> DialQueue | None:
    if lead.campaign_id:
        return DialQueue(tenant=lead.tenant, campaign=lead.campaign)
    if lead.agent_id and lead.agent.is_ai:
        return DialQueue(tenant=lead.tenant, agent=lead.agent)
    return None


def _reasons(lead: Lead, queue: DialQueue | None, at: dt.datetime, live) -> list[tuple[str, str]]:
    """(code, sentence) for every rule that keeps the lead from being called at `at`."""
    checks = [
        ("in_call", bool(live), "A call to this lead is under way."),
        ("dialing_stopped", not dialing_enabled(fresh=True), "The platform's dialing is stopped."),
        ("tenant_suspended", lead.tenant.is_suspended, "The tenant is suspended."),
        ("deleted", lead.deleted_at is not None, "The lead is deleted."),
        ("do_not_call", lead.do_not_call or DoNotCallEntry.objects.filter(
            tenant_id=lead.tenant_id, phone_e164=lead.phone_e164).exists(), "The number is on the do-not-call list."),
        ("status", lead.status not in (LeadStatus.NEW, LeadStatus.SCHEDULED) and not live,
         f"The lead's status is {lead.status}: only new and scheduled leads are called."),
        ("no_queue", queue is None, "The lead has no campaign and no AI agent to call it."),
        ("not_due", bool(lead.next_call_at and lead.next_call_at > at),
         f"The lead is due at {iso(lead.next_call_at)}."),
    ]  # fmt: skip
    out = [(code, message) for code, failed, message in checks if failed]
    if queue is not None:
        open_now, why = queue.window(at)
        if not open_now:
            out.append(("outside_queue_window", f"{queue.label.capitalize()}: {why}."))
        if lead.attempts_count >= queue.max_attempts and lead.sub_status != CALLBACK:
            out.append(("max_attempts", f"The lead has had its {queue.max_attempts} attempts."))
        campaign = queue.campaign
        consent_needed = campaign is not None and campaign.require_ai_consent and not queue.is_human
        if consent_needed and not (lead.consent_at and lead.consent_type):
            out.append(("no_consent", "The campaign calls only leads with recorded prior express consent."))
    rules = rules_for(lead.tenant_id)
    allowed, why = rules.lead_verdict(lead, at)
    if not allowed:
        out.append(("outside_lead_window", f"Not now in the lead's own time: {why}."))
    limit = rules.max_calls_per_24h(lead.phone_region, lead.subdivision)
    if limit is not None and calls_in_24h(tenant_id=lead.tenant_id, number=lead.phone_e164, at=at) >= limit:
        place = f"{lead.phone_region}-{lead.subdivision}"
        out.append(("limit_24h", f"{limit} calls in 24 hours to this number already ({place})."))
    return out


_WAITS = {"outside_queue_window", "outside_lead_window", "not_due"}  # reasons time alone ends


def _next_allowed(lead: Lead, queue: DialQueue | None, at: dt.datetime) -> dt.datetime | None:
    """The first moment both the queue's window and the lead's own are open, at or after its due time."""
    rules = rules_for(lead.tenant_id)
    moment = max(at, lead.next_call_at or at)
    for _ in range(14):
        lead_next = rules.next_allowed(lead, moment)
        if lead_next is None:
            return None
        if queue is None or queue.window(lead_next)[0]:
            return lead_next
        moment = queue.next_opening(lead_next + dt.timedelta(minutes=1)) or lead_next + dt.timedelta(days=1)
    return None


def explain(lead: Lead, at: dt.datetime | None = None) -> dict:
    """{callable_now, reasons: [{code, message}], live_call_id, next_allowed_at} for one lead."""
    at = at or clock.now()
    queue = _queue(lead)
    live = Call.objects.filter(lead=lead, status__in=LIVE).values_list("pk", flat=True).first()
    reasons = _reasons(lead, queue, at, live)
    waits = bool(reasons) and all(code in _WAITS for code, _ in reasons)
    return {
        "lead_id": str(lead.pk), "callable_now": not reasons,
        "reasons": [{"code": code, "message": message} for code, message in reasons],
        "live_call_id": str(live) if live else None,
        "next_allowed_at": iso(_next_allowed(lead, queue, at)) if waits else None, "checked_at": iso(at),
    }  # fmt: skip
