"""Campaign writes: create, update, delete, caller IDs. References (AI agent, agent group, caller ID
record, owner, team) are resolved inside the campaign's tenant: another tenant's id is a 404 and
nothing is written."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from apps.agents.models import Agent, AgentGroup, AgentKind
from apps.campaigns import lifecycle
from apps.campaigns.models import CallerId, Campaign, CampaignStatus
from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.selectors import get_for_tenant
from apps.tenants.models import User

REFERENCES = {"ai_agent_id": "ai_agent", "agent_group_id": "agent_group", "caller_id_number_id": "caller_id_number",
              "owner_id": "owner"}  # fmt: skip
FINISHED = {CampaignStatus.COMPLETED, CampaignStatus.CANCELLED}


def _resolve(tenant, values: dict) -> dict:
    """Replace *_id references with objects of the caller's tenant (404 for anything else)."""
    out = dict(values)
    for key, field in REFERENCES.items():
        if key not in out:
            continue
        pk = out.pop(key)
        if pk is None:
            out[field] = None
            continue
        if field == "ai_agent":
            agent = get_for_tenant(Agent, tenant, pk, label="Agent")
            if agent.kind != AgentKind.AI:
                raise ApplicationError(
                    f"Agent '{agent.name}' is a human agent; a campaign's ai_agent must be an AI agent (human "
                    "agents take calls through an agent group).", code="VALIDATION_ERROR",
                    extra={"errors": [{"loc": ["body", "ai_agent_id"], "msg": "Not an AI agent.", "type": "invalid"}]},
                )  # fmt: skip
            out[field] = agent
        elif field == "agent_group":
            out[field] = get_for_tenant(AgentGroup, tenant, pk, label="Agent group")
        elif field == "caller_id_number":
            out[field] = get_for_tenant(CallerId, tenant, pk, label="Caller ID")
        elif field == "owner":
            out[field] = get_for_tenant(User, tenant, pk, label="User")
    if "team_members" in out:
        out["team_members"] = [
            get_for_tenant(User, tenant, pk, label="User") for pk in dict.fromkeys(out["team_members"])
        ]
    record = out.get("caller_id_number")
    if record is not None:
        if out.get("caller_id") and out["caller_id"] != record.phone_e164:
            raise ApplicationError(
                "caller_id and caller_id_number_id name different numbers.", code="VALIDATION_ERROR",
            )  # fmt: skip
        out["caller_id"] = record.phone_e164
    elif out.get("caller_id") and "caller_id_number" not in out:
        # A number the tenant registered links to its record (so disabling the record stops it).
        out["caller_id_number"] = CallerId.objects.for_tenant(tenant).filter(phone_e164=out["caller_id"]).first()
    return out


def _clean(campaign: Campaign) -> None:
    """The model's own checks (validators, choices, constraints), as a 400 with the field names."""
    try:
        campaign.full_clean(exclude=["tenant", "owner", "ai_agent", "agent_group", "caller_id_number"])
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None


@transaction.atomic
def campaign_create(*, tenant, actor: Actor, values: dict) -> Campaign:
    values = _resolve(tenant, values)
    wanted = values.pop("status", "draft")
    team = values.pop("team_members", None)
    if "owner" not in values and actor.user_id:
        values["owner"] = User.objects.filter(pk=actor.user_id, tenant=tenant).first()
    campaign = Campaign(tenant=tenant, **values)
    _clean(campaign)
    campaign.save()
    if team:
        campaign.team_members.set(team)
    if wanted in ("active", "running", "scheduled"):
        campaign = lifecycle.start(campaign, actor=actor)  # 409 rolls the creation back too
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor: Actor, values: dict) -> Campaign:
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status in FINISHED:
        raise ApplicationError(
            f"A {locked.status} campaign cannot be changed.", code="INVALID_TRANSITION", status_code=409,
            extra={"current_status": locked.status},
        )  # fmt: skip
    values = _resolve(locked.tenant, values)
    wanted = values.pop("status", None)
    team = values.pop("team_members", None)
    for name, value in values.items():
        setattr(locked, name, value)
    _clean(locked)
    locked.save()
    if team is not None:
        locked.team_members.set(team)
    if wanted and wanted != locked.status:
        locked = lifecycle.transition(locked, lifecycle.action_for_status(locked, wanted), actor=actor)
    return locked


@transaction.atomic
def campaign_delete(*, campaign: Campaign, actor: Actor) -> None:
    """Soft delete (spec 003): drafts and finished campaigns only; a running one is cancelled first."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status in lifecycle.ACTIVE_LIKE:
        raise ApplicationError(
            f"A {locked.status} campaign cannot be deleted; cancel or complete it first.", code="INVALID_TRANSITION",
            status_code=409, extra={"current_status": locked.status},
        )  # fmt: skip
    locked.deleted_at = timezone.now()
    locked.save(update_fields=["deleted_at", "updated_at"])


def caller_id_create(*, tenant, phone_e164: str, label: str = "") -> CallerId:
    if CallerId.objects.for_tenant(tenant).filter(phone_e164=phone_e164).exists():
        raise ApplicationError(f"{phone_e164} is already a caller ID of this account.", code="DUPLICATE",
                               status_code=409)  # fmt: skip
    return CallerId.objects.create(tenant=tenant, phone_e164=phone_e164, label=label)
