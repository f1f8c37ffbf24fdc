"""Campaign figures: calls, outcomes, money, today's pace, and the lead book by status.

Until the calls app (the dialer's Call records) lands, a call is a call_attempt entry of the lead
timeline (spec 003's manual record, and what the dialer will also write). Definitions:
- calls_made: call attempts on the campaign's leads;
- calls_completed: attempts a person answered (apps.leads.calls: any outcome but no_answer, busy,
  voicemail, failed);
- successful_calls: completed with a good outcome (completed, callback_requested, converted);
- failed_calls: completed - successful (spec 003: completed = successful + failed);
- success_rate: successful / completed, in percent;
- cost so far: calls_made x cost_per_call; remaining budget: budget - cost (never below 0);
- today: since midnight in the campaign's time zone; remaining_calls_today against calls_per_day.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from apps.campaigns.models import Campaign
from apps.leads.calls import ANSWERED, SUCCESSFUL, call_attempts
from apps.leads.choices import Disposition, LeadStage, LeadStatus
from apps.leads.models import Lead, LeadActivity


def _money(value) -> float | None:
    return float(value.quantize(Decimal("0.01"))) if value is not None else None


def _calls(campaign: Campaign):
    return call_attempts(LeadActivity.objects.for_tenant(campaign.tenant_id).filter(lead__campaign=campaign))


def campaign_stats(campaign: Campaign, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(campaign.timezone or "UTC")
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    calls = _calls(campaign).aggregate(
        made=Count("id"),
        completed=Count("id", filter=ANSWERED),
        successful=Count("id", filter=Q(outcome__in=SUCCESSFUL)),
        today=Count("id", filter=Q(created_at__gte=midnight)),
        talk=Sum("seconds"),
    )
    leads = (
        Lead.objects.alive()
        .filter(tenant_id=campaign.tenant_id, campaign=campaign)
        .aggregate(
            total=Count("id"),
            called=Count("id", filter=Q(attempts_count__gt=0)),
            qualified=Count("id", filter=Q(stage__in=[LeadStage.QUALIFIED, LeadStage.CONVERTED])),
            converted=Count("id", filter=Q(stage=LeadStage.CONVERTED)),
            booked=Count("id", filter=Q(disposition=Disposition.CALLBACK_REQUESTED)),
            remaining=Count("id", filter=Q(status__in=[LeadStatus.NEW, LeadStatus.QUEUED, LeadStatus.SCHEDULED])),
        )
    )
    made, completed, successful = calls["made"], calls["completed"], calls["successful"]
    cost = campaign.cost_per_call * made if campaign.cost_per_call is not None else None
    remaining_budget = max(campaign.budget - (cost or 0), Decimal("0")) if campaign.budget is not None else None
    called = leads["called"]
    return {
        "id": str(campaign.id), "name": campaign.name, "status": campaign.status,
        "total_leads": leads["total"], "leads_remaining": leads["remaining"],
        "calls_made": made, "completed_calls": completed, "calls_completed": completed,
        "successful_calls": successful, "failed_calls": completed - successful,
        "success_rate": round(100 * successful / completed, 2) if completed else 0.0,
        "total_talk_seconds": round(calls["talk"] or 0),
        "cost_per_call": _money(campaign.cost_per_call), "budget": _money(campaign.budget),
        "total_cost": _money(cost) if cost is not None else 0.0, "remaining_budget": _money(remaining_budget),
        "calls_today": calls["today"], "calls_per_day": campaign.calls_per_day,
        "remaining_calls_today": max(campaign.calls_per_day - calls["today"], 0) if campaign.calls_per_day else None,
        # spec 002's funnel
        "leads_called": called, "leads_qualified": leads["qualified"], "appointments_booked": leads["booked"],
        "connection_rate": round(completed / made, 4) if made else 0.0,
        "qualification_rate": round(leads["qualified"] / called, 4) if called else 0.0,
        "conversion_rate": round(leads["converted"] / called, 4) if called else 0.0,
    }  # fmt: skip


def lead_stats(campaign: Campaign) -> dict:
    """Spec 003's lead stats for one campaign, plus the book by status, stage and disposition."""
    leads = Lead.objects.alive().filter(tenant_id=campaign.tenant_id, campaign=campaign)
    totals = leads.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=LeadStatus.DONE)),
        failed=Count("id", filter=Q(status=LeadStatus.FAILED)),
        converted=Count("id", filter=Q(stage=LeadStage.CONVERTED)),
        hot=Count("id", filter=Q(is_hot_lead=True)),
        avg_score=Avg("lead_score"),
        value=Sum("conversion_value"),
    )
    talk = _calls(campaign).aggregate(avg=Avg("seconds"))["avg"]

    def breakdown(field: str) -> dict:
        rows = leads.order_by().values(field).annotate(n=Count("id"))
        return {row[field] or "none": row["n"] for row in rows}

    return {
        "campaign_id": str(campaign.id),
        "total_leads": totals["total"], "completed_leads": totals["completed"], "failed_leads": totals["failed"],
        "converted_leads": totals["converted"], "hot_leads": totals["hot"],
        "average_lead_score": round(float(totals["avg_score"]), 2) if totals["avg_score"] is not None else 0.0,
        "total_conversion_value": _money(totals["value"]) or 0.0,
        "average_call_duration": round(float(talk), 1) if talk is not None else 0.0,
        "by_status": breakdown("status"), "by_stage": breakdown("stage"), "by_disposition": breakdown("disposition"),
    }  # fmt: skip
