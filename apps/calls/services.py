"""Writes of the calls app that people make (through the API and the admin): call a lead now, hang
up, set a call's disposition, accept or skip a preview, stop or start the platform's dialing.
Each checks the rule, changes the rows in one transaction and leaves an event."""

import datetime as dt

from django.db import transaction
from rest_framework import status as http

from apps.calls import outcomes
from apps.calls.choices import LIVE, TERMINAL, CallStatus, EventKind
from apps.calls.compliance import RuleBook
from apps.calls.dialer import claim as claims
from apps.calls.dialer.capacity import capacity_for
from apps.calls.dialer.place import cancel, dialing_enabled
from apps.calls.dialer.queues import DialQueue
from apps.calls.models import Call, CallDisposition, CallEvent, DialerSwitch
from apps.calls.telephony import provider_for, provider_named
from apps.calls.telephony.base import ProviderError
from apps.core import clock
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.serializers import iso
from apps.leads.choices import LeadStatus
from apps.leads.models import Lead


def _conflict(message: str, code: str, **extra) -> ApplicationError:
    return ApplicationError(message, code=code, status_code=http.HTTP_409_CONFLICT, extra=extra or None)


def queue_of_lead(lead: Lead) -> DialQueue:
    if lead.campaign_id:
        return DialQueue(tenant=lead.tenant, campaign=lead.campaign)
    if lead.agent_id and lead.agent.is_ai:
        return DialQueue(tenant=lead.tenant, agent=lead.agent)
    raise _conflict("This lead has no campaign and no AI agent to call it.", "NO_QUEUE")


def call_now(*, lead: Lead, actor: Actor) -> Call:
    """Spec 000's POST /calls/schedule: put the lead at the head of its queue and dial it now, inside
    every rule; outside one, 409 with the reason and the next allowed time, and nothing dialed."""
    at = clock.now()
    if lead.do_not_call or lead.status == LeadStatus.DNC:
        raise _conflict("This lead is on the do-not-call list.", "LEAD_IS_DNC")
    if Call.objects.filter(lead=lead, status__in=LIVE).exists() or lead.status in (LeadStatus.QUEUED,
                                                                                  LeadStatus.CALLING):  # fmt: skip
        raise _conflict("This lead is already being called.", "LEAD_IN_CALL")
    if lead.status in (LeadStatus.DONE, LeadStatus.FAILED):
        raise _conflict(f"This lead is {lead.status}; set its status to new to call it again.", "LEAD_NOT_CALLABLE")
    queue = queue_of_lead(lead)
    if not dialing_enabled():
        raise _conflict("Dialing is stopped for the platform.", "DIALING_STOPPED")
    if queue.campaign is not None and not queue.campaign.is_dialing:
        raise _conflict(f"The campaign is {queue.campaign.status}: start it to call its leads.", "CAMPAIGN_NOT_ACTIVE")
    if lead.attempts_count >= queue.max_attempts and lead.sub_status != outcomes.CALLBACK:
        raise _conflict(f"The lead has had its {queue.max_attempts} attempts.", "MAX_ATTEMPTS_REACHED")
    rules = RuleBook.for_tenant(lead.tenant_id)
    open_now, why = queue.window(at)
    lead_ok, lead_why = rules.lead_verdict(lead, at)
    if not open_now or not lead_ok:
        after = queue.next_opening(at) if not open_now else at
        moment = after
        for _ in range(14):  # both windows open at once: the queue's and the lead's own
            if moment is None:
                break
            lead_next = rules.next_allowed(lead, moment)
            if lead_next is None or queue.window(lead_next)[0]:
                moment = lead_next
                break
            moment = queue.next_opening(lead_next + dt.timedelta(minutes=1))
        raise _conflict(f"Not now: {why or lead_why}.", "OUTSIDE_CALLING_WINDOW", next_allowed_at=iso(moment))
    capacity = capacity_for(queue, at)
    if capacity.allowed <= 0:
        raise _conflict(f"No capacity: {capacity.reason.replace('_', ' ')} reached.", "NO_CAPACITY",
                        limit=capacity.reason)  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(next_call_at=None)  # the head of the queue: due before anyone
    ids = claims.claim(_only(queue, lead), rules, at=at, limit=1, provider=provider_for(lead.tenant).name)
    if not ids:
        raise _conflict("The lead cannot be called right now (its state's limits).", "LEAD_NOT_CALLABLE")
    from apps.calls.tasks import place_call

    transaction.on_commit(lambda: place_call.delay(ids[0]))
    return Call.objects.get(pk=ids[0])


class _OneLead(DialQueue):
    """A queue narrowed to one lead (the schedule-now path claims exactly that lead)."""

    only_lead = None

    def lead_sql(self, alias: str = "l") -> tuple[str, list]:
        sql, params = super().lead_sql(alias)
        return f"{sql} AND {alias}.id = %s", [*params, self.only_lead]


def _only(queue: DialQueue, lead: Lead) -> DialQueue:
    narrowed = _OneLead(tenant=queue.tenant, campaign=queue.campaign, agent=queue.agent)
    narrowed.only_lead = lead.pk
    return narrowed


def call_hangup(*, call: Call, actor: Actor) -> Call:
    """End a live call: the provider hangs up (its final callback follows); a call not placed yet is canceled."""
    if call.status in TERMINAL:
        raise _conflict(f"The call is already {call.status}.", "CALL_ENDED", status=call.status)
    if call.status == CallStatus.QUEUED:
        cancel(call, reason=f"hung up by {actor.label} before it was placed")
        return Call.objects.get(pk=call.pk)
    try:
        provider_named(call.provider).hangup(call)
    except ProviderError as exc:
        raise ApplicationError(
            f"The provider could not hang up: {exc}", code="PROVIDER_ERROR", status_code=502
        ) from exc
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.ACTION, applied=False,
                             note=f"hang up asked by {actor.label}"[:255],
                             dedupe_key=f"hangup:{clock.now().timestamp():.6f}")  # fmt: skip
    return call


@transaction.atomic
def call_set_disposition(*, call: Call, actor: Actor, code: str, notes: str = "",
                         callback_at: dt.datetime | None = None) -> Call:  # fmt: skip
    """A person's (or the AI agent's) word on how the call went. On a finished call it decides the
    lead's next step again, as long as no later call has happened."""
    disposition = outcomes.dispositions(call.tenant_id).get(code)
    if disposition is None:
        raise ApplicationError(f"Unknown disposition '{code}'.", code="UNKNOWN_DISPOSITION", status_code=400)
    if disposition.callback and callback_at is None:
        raise ApplicationError("A callback needs callback_at (when to call back).", code="CALLBACK_TIME_REQUIRED",
                               status_code=400)  # fmt: skip
    locked = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
    updates = {"disposition": code, "callback_at": callback_at or locked.callback_at}
    if notes:
        updates["notes"] = notes
    Call.objects.filter(pk=call.pk).update(**updates)
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.ACTION, applied=True,
                             note=f"disposition {code} by {actor.label}"[:255],
                             dedupe_key=f"disposition:{clock.now().timestamp():.6f}")  # fmt: skip
    latest = Call.objects.filter(lead_id=call.lead_id).order_by("-created_at").values_list("pk", flat=True).first()
    if locked.finalized_at is not None and latest == call.pk:
        outcomes.finalize(locked, again=True)
    return Call.objects.get(pk=call.pk)


def preview_accept(*, call: Call, actor: Actor) -> Call:
    """The agent shown a preview dials it."""
    if not call.metadata.get("preview") or call.status != CallStatus.QUEUED:
        raise _conflict("This call is not a preview waiting for an agent.", "NOT_A_PREVIEW")
    from apps.calls.tasks import place_call

    transaction.on_commit(lambda: place_call.delay(str(call.pk)))
    return call


def preview_skip(*, call: Call, actor: Actor) -> Call:
    if not call.metadata.get("preview") or call.status != CallStatus.QUEUED:
        raise _conflict("This call is not a preview waiting for an agent.", "NOT_A_PREVIEW")
    cancel(call, reason=f"preview skipped by {actor.label}")
    return Call.objects.get(pk=call.pk)


def dialing_set(*, enabled: bool, actor: Actor, reason: str = "") -> DialerSwitch:
    """The platform's switch: off, and no call is placed from the next tick (claimed calls are canceled)."""
    switch, _ = DialerSwitch.objects.get_or_create(pk=1)
    switch.dialing_enabled, switch.reason, switch.changed_by_id = enabled, reason[:255], actor.user_id
    switch.save()
    return switch


def disposition_upsert(*, tenant, code: str, values: dict) -> CallDisposition:
    outcomes.dispositions(tenant.pk)  # the standard set first
    disposition, _ = CallDisposition.objects.update_or_create(tenant=tenant, code=code, defaults=values)
    return disposition
