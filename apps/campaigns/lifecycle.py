"""The campaign lifecycle: draft -> scheduled -> active <-> paused -> completed, and cancelled.

Each change is one function here (start, pause, resume, complete, cancel), used by the API's action
endpoints, spec 003's PATCH status, the admin's actions and the beat task that starts and completes
scheduled campaigns at their edges. Every function locks the campaign row, checks the move against
TRANSITIONS (409 INVALID_TRANSITION naming the current state otherwise) and records a
CampaignTransition with who and when.
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from apps.agents.models import AgentKind
from apps.campaigns.models import HUMAN_PACING, Campaign, CampaignStatus, CampaignTransition
from apps.core.actors import SYSTEM, Actor
from apps.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)
S = CampaignStatus

# action -> the states it may leave from. start lands on active, or scheduled when the schedule
# starts later; the others land on one state each.
TRANSITIONS: dict[str, set[str]] = {
    "start": {S.DRAFT, S.SCHEDULED},
    "pause": {S.ACTIVE},
    "resume": {S.PAUSED},
    "complete": {S.ACTIVE, S.PAUSED},
    "cancel": {S.DRAFT, S.SCHEDULED, S.ACTIVE, S.PAUSED},
}
TARGETS = {"pause": S.PAUSED, "resume": S.ACTIVE, "complete": S.COMPLETED, "cancel": S.CANCELLED}
MESSAGES = {"start": "Campaign started successfully", "pause": "Campaign paused successfully",
            "resume": "Campaign resumed successfully", "complete": "Campaign completed successfully",
            "cancel": "Campaign cancelled successfully"}  # fmt: skip
ACTIVE_LIKE = {S.SCHEDULED, S.ACTIVE, S.PAUSED}


def readiness_problems(campaign: Campaign) -> list[str]:
    """What stops this campaign from dialing: nothing, or a list of plain sentences."""
    problems = []
    if not campaign.caller_id:
        problems.append("it has no caller ID")
    elif campaign.caller_id_number_id and not campaign.caller_id_number.is_active:
        problems.append("its caller ID record is disabled")
    if campaign.pacing_mode in HUMAN_PACING:
        group = campaign.agent_group
        if group is None:
            problems.append(f"{campaign.pacing_mode} pacing needs an agent group to take answered calls")
        elif not group.is_active or not group.agents.filter(is_active=True, kind=AgentKind.HUMAN).exists():
            problems.append(f"agent group '{group.name}' has no active human agent")
    else:
        agent = campaign.ai_agent
        if agent is None:
            problems.append("it has no AI agent to handle answered calls")
        elif not agent.is_active:
            problems.append(f"AI agent '{agent.name}' is not active")
    if campaign.schedule_end and campaign.schedule_end <= timezone.now():
        problems.append("its schedule has already ended")
    if campaign.budget is not None and campaign.cost_per_call and campaign.budget < campaign.cost_per_call:
        problems.append("its budget does not cover one call")
    return problems


def _refuse(campaign: Campaign, action: str) -> ApplicationError:
    allowed = ", ".join(sorted(TRANSITIONS[action]))
    return ApplicationError(
        f"Cannot {action} a campaign that is {campaign.status} (allowed from: {allowed}).",
        code="INVALID_TRANSITION", status_code=409,
        extra={"current_status": campaign.status, "action": action},
    )  # fmt: skip


def _release_queued_leads(campaign: Campaign) -> None:
    """Leads the dialer claimed but has not rung go back to waiting: nothing is dialed once a
    campaign stops (the dialer also checks the campaign's status before every call)."""
    from apps.leads.choices import LeadStatus
    from apps.leads.models import Lead

    queued = Lead.objects.filter(campaign=campaign, status=LeadStatus.QUEUED)
    queued.filter(attempts_count=0).update(status=LeadStatus.NEW, updated_at=timezone.now())
    queued.filter(attempts_count__gt=0).update(status=LeadStatus.SCHEDULED, updated_at=timezone.now())


@transaction.atomic
def transition(campaign: Campaign, action: str, *, actor: Actor = SYSTEM, reason: str = "",
               system: bool = False) -> Campaign:  # fmt: skip
    """Apply one lifecycle action. `system` (the beat task) may also complete a scheduled campaign
    whose window ended before it ever started."""
    if action not in TRANSITIONS:
        raise ApplicationError(f"Unknown action '{action}'.", code="VALIDATION_ERROR")
    locked = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("ai_agent", "agent_group", "caller_id_number")
        .get(pk=campaign.pk)
    )
    allowed = TRANSITIONS[action] | ({S.SCHEDULED} if system and action == "complete" else set())
    if locked.status not in allowed:
        raise _refuse(locked, action)
    now = timezone.now()
    if action in ("start", "resume"):
        problems = readiness_problems(locked)
        if problems:
            raise ApplicationError(
                f"Campaign cannot {action}: {'; '.join(problems)}.", code="CAMPAIGN_NOT_READY", status_code=409,
                extra={"current_status": locked.status, "problems": problems},
            )  # fmt: skip
    if action == "start":
        target = S.SCHEDULED if locked.schedule_start and locked.schedule_start > now else S.ACTIVE
    else:
        target = TARGETS[action]
    previous = locked.status
    locked.status = target
    fields = ["status", "updated_at"]
    if target == S.ACTIVE and locked.started_at is None:
        locked.started_at = now
        fields.append("started_at")
    if target == S.PAUSED:
        locked.paused_at = now
        fields.append("paused_at")
    if target in (S.COMPLETED, S.CANCELLED):
        locked.completed_at = now
        fields.append("completed_at")
    locked.save(update_fields=fields)
    if previous == S.ACTIVE and target != S.ACTIVE:
        _release_queued_leads(locked)
    CampaignTransition.objects.create(
        tenant_id=locked.tenant_id, campaign=locked, from_status=previous, to_status=target, action=action,
        actor_id=actor.user_id, actor_label=actor.label[:100], reason=reason[:255],
    )  # fmt: skip
    return locked


def start(campaign, *, actor: Actor = SYSTEM) -> Campaign:
    return transition(campaign, "start", actor=actor)


def pause(campaign, *, actor: Actor = SYSTEM) -> Campaign:
    return transition(campaign, "pause", actor=actor)


def resume(campaign, *, actor: Actor = SYSTEM) -> Campaign:
    return transition(campaign, "resume", actor=actor)


def complete(campaign, *, actor: Actor = SYSTEM) -> Campaign:
    return transition(campaign, "complete", actor=actor)


def cancel(campaign, *, actor: Actor = SYSTEM) -> Campaign:
    return transition(campaign, "cancel", actor=actor)


# Spec 003's PATCH {"status": ...} and spec 002's words, mapped onto the same functions.
STATUS_WORDS = {"active": S.ACTIVE, "running": S.ACTIVE, "started": S.ACTIVE, "scheduled": S.SCHEDULED,
                "paused": S.PAUSED, "completed": S.COMPLETED, "complete": S.COMPLETED, "finished": S.COMPLETED,
                "cancelled": S.CANCELLED, "canceled": S.CANCELLED, "draft": S.DRAFT}  # fmt: skip


def action_for_status(campaign: Campaign, word: str) -> str:
    """Which action moves the campaign to the status a PATCH asks for (409 when none does)."""
    target = STATUS_WORDS.get(str(word or "").strip().lower())
    if target is None:
        raise ValidationError({"status": [f"Invalid status '{word}'. Use active, paused, completed or cancelled."]})
    starts_later = campaign.schedule_start is not None and campaign.schedule_start > timezone.now()
    if target == S.ACTIVE:
        action = "resume" if campaign.status == S.PAUSED else "start"
    elif target == S.SCHEDULED and starts_later:
        action = "start"
    else:
        action = {S.PAUSED: "pause", S.COMPLETED: "complete", S.CANCELLED: "cancel"}.get(target)
    if action is None:
        raise ApplicationError(
            f"A campaign that is {campaign.status} cannot be set to {target}.", code="INVALID_TRANSITION",
            status_code=409, extra={"current_status": campaign.status},
        )  # fmt: skip
    return action


def advance_schedules(now=None) -> dict[str, int]:
    """The beat's job: start scheduled campaigns whose start has come, complete those whose end has
    passed. Rows another beat or worker holds are skipped (SKIP LOCKED), never waited on."""
    now = now or timezone.now()
    done = {"started": 0, "completed": 0, "not_ready": 0}
    ending = list(
        Campaign.objects.filter(status__in=ACTIVE_LIKE, schedule_end__lte=now, deleted_at__isnull=True).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in ending:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if campaign is None or campaign.status not in ACTIVE_LIKE:
                continue
            transition(campaign, "complete", reason="schedule ended", system=True)
            done["completed"] += 1
    starting = Campaign.objects.filter(
        Q(schedule_end__isnull=True) | Q(schedule_end__gt=now),
        status=S.SCHEDULED, schedule_start__lte=now, deleted_at__isnull=True,
    )  # fmt: skip
    for campaign in starting[:500]:
        try:
            with transaction.atomic():
                row = Campaign.objects.select_for_update(skip_locked=True).filter(pk=campaign.pk).first()
                if row is None or row.status != S.SCHEDULED:
                    continue
                transition(row, "start", reason="schedule start reached", system=True)
                done["started"] += 1
        except ApplicationError as exc:
            done["not_ready"] += 1
            logger.warning("scheduled campaign %s could not start: %s", campaign.pk, exc.detail)
    return done
