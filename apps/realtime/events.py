"""What each live event says, built from the rows the caller already holds, and who hears it.
The call flow, the agents' services and the imports call these; they publish on commit."""

from apps.core.serializers import iso
from apps.realtime import publish as p

HISTORY_CALLS = 5  # the screen pop's recent calls


def incoming_call(call, agent) -> None:
    """An answered call is coming to `agent` (spec 004's screen pop, plus what the console shows)."""
    p.publish(p.INCOMING_CALL, {**_pop(call), "agentId": str(agent.pk)}, tenant_id=call.tenant_id, agent_id=agent.pk)


def preview_offered(call) -> None:
    """Preview mode: the lead is offered to the call's agent, who accepts (we dial) or skips it."""
    p.publish(p.PREVIEW_OFFERED, {**_pop(call), "agentId": _id(call.agent_id)}, tenant_id=call.tenant_id,
              agent_id=call.agent_id)  # fmt: skip


def _pop(call) -> dict:
    lead = call.lead
    return {
        "callId": str(call.pk), "leadId": str(lead.pk), "first_name": lead.first_name, "last_name": lead.last_name,
        "phone": lead.phone_e164, "email": lead.email, "company": lead.company_name, "notes": lead.notes,
        "campaign": call.campaign.name if call.campaign_id else "", "campaignId": _id(call.campaign_id),
        "history": lead_history(lead, excluding=call.pk),
        "transcript": transcript_so_far(call), "transfer": _transfer(call),
    }  # fmt: skip


def transcript_so_far(call) -> list[dict]:
    """The conversation the AI agent had on this call before a warm transfer (empty otherwise)."""
    return [{"speaker": entry.get("speaker", ""), "text": entry.get("text", ""), "at": entry.get("at")}
            for entry in (call.transcript or []) if entry.get("text")]  # fmt: skip


def _transfer(call) -> dict | None:
    """A warm transfer's reason and the whisper the agent hears, or None for a call that was never the AI's."""
    transfer = (call.metadata or {}).get("transfer")
    if not transfer or not transfer.get("agent_id"):
        return None
    return {"reason": transfer.get("reason", ""), "whisper": transfer.get("whisper", "")}


def lead_history(lead, *, excluding=None) -> dict:
    """The lead's calls so far, in brief: attempts, the last outcome, the last few calls."""
    from apps.calls.models import Call

    calls = Call.objects.filter(lead_id=lead.pk).exclude(pk=excluding).select_related("agent").order_by("-created_at")
    recent = [{"callId": str(c.pk), "at": iso(c.created_at), "outcome": c.outcome, "disposition": c.disposition,
               "duration": c.duration, "agent": c.agent.name if c.agent_id else "", "notes": c.notes}
              for c in calls.only("created_at", "outcome", "disposition", "duration", "notes", "agent__name")[
                  :HISTORY_CALLS]]  # fmt: skip
    return {"attempts": lead.attempts_count, "last_call_at": iso(lead.last_call_at), "disposition": lead.disposition,
            "stage": lead.stage, "status": lead.status, "recent_calls": recent}  # fmt: skip


def call_ended(call) -> None:
    """A call is over and its lead has its result (outcomes.finalize)."""
    p.publish(p.CALL_ENDED, {
        "callId": str(call.pk), "leadId": str(call.lead_id), "agentId": _id(call.agent_id),
        "campaignId": _id(call.campaign_id), "outcome": call.outcome, "disposition": call.disposition,
        "duration": call.duration, "talk_time": call.talk_time,
    }, tenant_id=call.tenant_id, agent_id=call.agent_id)  # fmt: skip


def agent_status(agent, *, on_call: bool | None = None) -> None:
    """An agent's presence or load changed: every console of the tenant and the supervisors hear it."""
    p.publish(p.AGENT_STATUS_UPDATED, {
        "agentId": str(agent.pk), "name": agent.name, "status": agent.status,
        "statusChangedAt": iso(agent.status_changed_at), "currentCalls": agent.current_calls,
        "onCall": agent.current_calls > 0 if on_call is None else on_call,
    }, tenant_id=agent.tenant_id, agent_id=agent.pk, everyone=True)  # fmt: skip


def lead_updated(lead, *, changed: list[str] | None = None) -> None:
    """A lead's dialing state, stage or disposition moved (the consoles showing it refresh)."""
    p.publish(p.LEAD_UPDATED, {
        "leadId": str(lead.pk), "status": lead.status, "stage": lead.stage, "disposition": lead.disposition,
        "next_call_at": iso(lead.next_call_at), "attempts": lead.attempts_count, "changed": changed or [],
    }, tenant_id=lead.tenant_id, everyone=True)  # fmt: skip


def import_progress(*, tenant_id, job_id, status: str, rows_processed: int, results: dict | None = None) -> None:
    """An import job moved on (after each written batch, and when it ends)."""
    p.publish(p.IMPORT_PROGRESS, {"importId": str(job_id), "status": status, "rows_processed": rows_processed,
                                  "results": results or {}}, tenant_id=tenant_id)  # fmt: skip


def _id(value) -> str | None:
    return str(value) if value else None
