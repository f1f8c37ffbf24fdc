"""Campaign figures: calls, outcomes, money, today's pace, and the lead book by status.

Until the calls app (the dialer's Call records) lands, a call is a call_attempt entry of the lead
timeline (spec 003's manual record, and what the dialer will also write). Definitions:
- calls_made: call attempts on the campaign's leads;
- calls_completed: attempts a person answered (any disposition but no_answer, busy, voicemail, failed);
- successful_calls: completed with a good outcome (completed, callback_requested, converted);
- failed_calls: completed - successful (spec 003: completed = successful + failed);
- success_rate: successful / completed, in percent;
- cost so far: calls_made x cost_per_call; remaining budget: budget - cost (never below 0);
- today: since midnight in the campaign's time zone; remaining_calls_today against calls_per_day.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db.models import Avg, Count, IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from apps.campaigns.models import Campaign
from apps.leads.choices import ActivityType, Disposition, LeadStage, LeadStatus
from apps.leads.models import Lead, LeadActivity

UNANSWERED = [Disposition.NO_ANSWER, Disposition.BUSY, Disposition.VOICEMAIL, Disposition.FAILED, ""]
SUCCESSFUL = [Disposition.COMPLETED, Disposition.CALLBACK_REQUESTED, Disposition.CONVERTED]


def _money(value) -> float | None:
    return float(value.quantize(Decimal("0.01"))) if value is not None else None


def _calls(campaign: Campaign):
    return LeadActivity.objects.filter(
        tenant_id=campaign.tenant_id, lead__campaign=campaign, activity_type=ActivityType.CALL_ATTEMPT
    ).annotate(outcome=KeyTextTransform("disposition", "metadata"))


def campaign_stats(campaign: Campaign, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(campaign.timezone or "UTC")
    midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    calls = _calls(campaign).aggregate(
        made=Count("id"),
        completed=Count("id", filter=~Q(outcome__in=UNANSWERED) & Q(outcome__isnull=False)),
        successful=Count("id", filter=Q(outcome__in=SUCCESSFUL)),
        today=Count("id", filter=Q(created_at__gte=midnight)),
        talk=Sum(Cast(KeyTextTransform("duration", "metadata"), output_field=IntegerField())),
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
        "total_talk_seconds": calls["talk"] or 0,
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
    talk = _calls(campaign).aggregate(
        avg=Avg(Cast(KeyTextTransform("duration", "metadata"), output_field=IntegerField()))
    )["avg"]

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
