"""What a finished call means for its lead, decided in the same transaction as the call's final
state: the outcome (from the provider's final status and answering-machine detection), the
disposition (a person's or the AI agent's when given, else the outcome's own), and from the
disposition's flags and the queue's retry policy, the lead's next state: called back at the time
asked, retried after the delay (with backoff) while attempts remain, done, failed, or do-not-call.
After the last attempt a lead that was never reached is done with disposition no_answer (spec 000).
"""

import datetime as dt
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.agents.models import Agent
from apps.calls.choices import MACHINE, TERMINAL, CallOutcome, CallStatus
from apps.calls.dialer.queues import queue_of_call
from apps.calls.models import Call, CallDisposition
from apps.calls.seeds import STANDARD_DISPOSITIONS
from apps.core import clock
from apps.core.actors import SYSTEM
from apps.leads.choices import ActivityType, Disposition, LeadStage, LeadStatus
from apps.leads.models import DncSource, Lead, LeadActivity
from apps.leads.services import dnc_add
from apps.realtime import events as live
from apps.realtime.stats import campaign_changed
from apps.scoring.tasks import rescore_after_commit

logger = logging.getLogger(__name__)
CALLBACK = "callback"  # Lead.sub_status of a lead waiting for the callback it asked for
# What finalizing reads and writes of the lead (the rest of its 60 columns stays unread).
_LEAD_FIELDS = ("id", "tenant_id", "agent_id", "campaign_id", "phone_e164", "attempts_count", "last_call_at",
                "disposition", "stage", "status", "next_call_at", "converted_at", "do_not_call", "sub_status",
                "updated_at")  # fmt: skip


def _dispositions_key(tenant_id) -> str:
    return f"call-dispositions:{tenant_id}"


def dispositions(tenant_id) -> dict[str, CallDisposition]:
    """The tenant's dispositions by code, the standard set created the first time they are needed.
    Kept in the shared cache (every finished call reads them); a change to one drops the entry."""
    table = cache.get(_dispositions_key(tenant_id))
    if table is not None:
        return table
    table = {d.code: d for d in CallDisposition.objects.filter(tenant_id=tenant_id, is_active=True)}
    missing = [row for row in STANDARD_DISPOSITIONS if row[0] not in table]
    if missing and not CallDisposition.objects.filter(tenant_id=tenant_id, is_system=True).exists():
        CallDisposition.objects.bulk_create(
            [CallDisposition(tenant_id=tenant_id, code=code, label=label, sort_order=order, **flags)
             for code, label, flags, order in missing], ignore_conflicts=True,
        )  # fmt: skip
        table = {d.code: d for d in CallDisposition.objects.filter(tenant_id=tenant_id, is_active=True)}
    cache.set(_dispositions_key(tenant_id), table, 300)
    return table


@receiver([post_save, post_delete], sender=CallDisposition)
def _forget_dispositions(sender, instance, **kwargs) -> None:
    transaction.on_commit(lambda: cache.delete(_dispositions_key(instance.tenant_id)))


def outcome_of(call: Call) -> str:
    """The outcome a finished call had, unless something (an abandon) already said."""
    if call.outcome:
        return call.outcome
    if call.status == CallStatus.COMPLETED:
        return CallOutcome.VOICEMAIL if call.answered_by in MACHINE else CallOutcome.ANSWERED
    return {CallStatus.BUSY: CallOutcome.BUSY, CallStatus.NO_ANSWER: CallOutcome.NO_ANSWER,
            CallStatus.FAILED: CallOutcome.FAILED, CallStatus.CANCELED: CallOutcome.CANCELED}[call.status]  # fmt: skip


def _lead_disposition(code: str, disposition: CallDisposition | None) -> str:
    """The lead's last-call word (Lead.disposition) for a call disposition."""
    if code in Disposition.values:
        return code
    if disposition is None:
        return Disposition.FAILED
    for flag, word in (("sale", Disposition.CONVERTED), ("dnc", Disposition.DO_NOT_CALL),
                       ("unworkable", Disposition.WRONG_NUMBER), ("callback", Disposition.CALLBACK_REQUESTED),
                       ("answering_machine", Disposition.VOICEMAIL), ("contact", Disposition.COMPLETED),
                       ("human_answered", Disposition.COMPLETED)):  # fmt: skip
        if getattr(disposition, flag):
            return word
    return Disposition.NO_ANSWER if code == CallOutcome.ABANDONED else Disposition.FAILED


@transaction.atomic
def finalize(call: Call, *, at: dt.datetime | None = None, again: bool = False) -> bool:
    """Give a finished call's result to its lead, once (False if already done or not finished).
    `again`: a disposition changed after the fact decides the lead's next step anew (the attempt
    and the agent's load were counted the first time)."""
    at = at or clock.now()
    call = (
        Call.objects.select_for_update(of=("self",), no_key=True)
        .select_related("tenant", "campaign")
        .defer("transcript", "analysis", "summary")
        .get(pk=call.pk)
    )
    if (call.finalized_at is not None and not again) or call.status not in TERMINAL:
        return False
    if not again:  # an AI conversation the person hung up on ends first: its disposition and callback count
        from apps.calls.voice_app import call_finished

        call_finished(call, at=at)
    outcome = outcome_of(call)
    code = call.disposition or ("voicemail_left" if outcome == CallOutcome.VOICEMAIL and call.metadata.get(
        "voicemail_dropped") else outcome)  # fmt: skip
    table = dispositions(call.tenant_id)
    disposition = table.get(code)
    talk = int((call.ended_at - call.answered_at).total_seconds()) if call.answered_at and call.ended_at else None
    Call.objects.filter(pk=call.pk).update(
        outcome=outcome,
        disposition=code,
        finalized_at=at,
        updated_at=at,
        talk_time=call.talk_time if call.talk_time is not None else talk,
    )
    call.outcome, call.disposition = outcome, code
    call.talk_time = call.talk_time if call.talk_time is not None else talk
    released = None
    if call.agent_id and call.metadata.get("agent_connected") and not again:
        Agent.objects.filter(pk=call.agent_id, current_calls__gt=0).update(current_calls=F("current_calls") - 1)
        released = Agent.objects.filter(pk=call.agent_id).first()
    lead = Lead.objects.select_for_update(no_key=True).only(*_LEAD_FIELDS).get(pk=call.lead_id)
    call.lead = lead
    _apply_to_lead(call, lead, outcome=outcome, code=code, disposition=disposition, at=at, again=again)
    rescore_after_commit(lead.pk, call.pk)  # its score, from its calls so far (a task, after commit)
    if not again:
        live.call_ended(call)
    live.lead_updated(lead, changed=["status", "disposition", "next_call_at", "attempts"])
    if released is not None:
        live.agent_status(released)
    campaign_changed(call.campaign_id)
    return True


def _apply_to_lead(call: Call, lead: Lead, *, outcome: str, code: str, disposition, at: dt.datetime,
                   again: bool = False) -> None:  # fmt: skip
    queue = queue_of_call(call)
    dialed = outcome != CallOutcome.CANCELED
    if dialed and not again:
        lead.attempts_count += 1
        lead.last_call_at = call.initiated_at or call.created_at
        lead.disposition = _lead_disposition(code, disposition)
    reached = disposition is not None and (disposition.contact or disposition.human_answered)
    if reached and lead.stage == LeadStage.NEW:
        lead.stage = LeadStage.CONTACTED
    status, next_at, note = _next_state(call, lead, queue=queue, outcome=outcome, disposition=disposition, at=at)
    lead.status, lead.next_call_at = status, next_at
    # A callback the person asked for is kept even past the attempts limit (the claim lets it through).
    callback = disposition is not None and disposition.callback and call.callback_at is not None and dialed
    if callback:
        lead.sub_status = CALLBACK
    elif lead.sub_status == CALLBACK and dialed:
        lead.sub_status = ""
    if disposition is not None and disposition.sale:
        lead.stage, lead.converted_at = LeadStage.CONVERTED, lead.converted_at or at
    if disposition is not None and disposition.dnc:
        lead.do_not_call = True
    lead.save(update_fields=["attempts_count", "last_call_at", "disposition", "stage", "status", "next_call_at",
                             "converted_at", "do_not_call", "sub_status", "updated_at"])  # fmt: skip
    if lead.do_not_call and disposition is not None and disposition.dnc:
        # The tenant's list, and every other lead of the tenant with this number, as any DNC entry does.
        dnc_add(tenant=call.tenant, actor=SYSTEM, phone=lead.phone_e164, reason=f"Call {call.pk}",
                source=DncSource.CALL)  # fmt: skip
    LeadActivity.objects.create(
        tenant_id=lead.tenant_id, lead=lead, activity_type=ActivityType.CALL_ATTEMPT if dialed else ActivityType.CUSTOM,
        description=f"Call {outcome}" + (f" ({code})" if code != outcome else "") + (f": {note}" if note else ""),
        metadata={"call_id": str(call.pk), "outcome": outcome, "disposition": lead.disposition if dialed else "",
                  "duration": call.duration or 0, "talk_time": call.talk_time or 0, "attempt": call.attempt,
                  "agent_id": str(call.agent_id) if call.agent_id else None},
        actor_label=SYSTEM.label,
    )  # fmt: skip


def _next_state(call, lead, *, queue, outcome, disposition, at) -> tuple[str, dt.datetime | None, str]:  # noqa: PLR0911 - a return a rule
    """(status, next_call_at, why) for the lead after this call."""
    if lead.do_not_call or (disposition is not None and disposition.dnc):
        return LeadStatus.DNC, None, "do not call"
    if outcome == CallOutcome.CANCELED:  # it never rang: back in the queue as it was, no attempt spent
        return (LeadStatus.SCHEDULED if lead.attempts_count else LeadStatus.NEW), lead.next_call_at, \
            call.error_message[:120]  # fmt: skip
    if disposition is not None and disposition.unworkable:
        return LeadStatus.FAILED, None, "the number does not work"
    if disposition is not None and disposition.callback and call.callback_at:
        return LeadStatus.SCHEDULED, call.callback_at, f"call back at {call.callback_at.isoformat()}"
    if disposition is not None and (disposition.completed or disposition.sale):
        return LeadStatus.DONE, None, ""
    retry = disposition is None or disposition.retry or disposition.callback
    if retry and queue.retries_outcome(outcome) and lead.attempts_count < queue.max_attempts:
        return LeadStatus.SCHEDULED, at + queue.retry_delay(lead.attempts_count), f"retry {lead.attempts_count + 1}"
    if lead.attempts_count >= queue.max_attempts and outcome != CallOutcome.ANSWERED:
        lead.disposition = Disposition.NO_ANSWER  # spec 000: done after max attempts, never reached
        return LeadStatus.DONE, None, "max attempts reached"
    return LeadStatus.DONE, None, ""
