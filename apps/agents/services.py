"""Writes of the agents app: agents (AI and human), their presence, and agent groups.

Views resolve ids inside the caller's tenant and call these; the services check again that every
related row is the agent's tenant's (404 otherwise, like an id that does not exist), apply the
kind rules and working hours (Agent.clean) through full_clean() before writing.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from rest_framework import status as http
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.fields import get_error_detail

from apps.agents.models import Agent, AgentGroup, AgentKind, Presence
from apps.core.exceptions import ApplicationError
from apps.realtime import events as live

# What agent_create and agent_update may set (counters and presence have their own paths).
AGENT_FIELDS = frozenset({
    "name", "kind", "timezone", "working_hours", "is_active", "voice_id", "language", "voice_gender",
    "system_prompt", "default_script", "max_attempts", "retry_delay_minutes", "user", "phone", "email", "group",
    "max_concurrent_calls",
})  # fmt: skip
GROUP_FIELDS = frozenset({"name", "description", "is_active"})
# Model field names as the API spells them, for error locations.
API_NAMES = {
    "__all__": "non_field_errors",
    "user": "user_id",
    "group": "agent_group_id",
    "total_talk_seconds": "total_call_duration_seconds",
}


def _api_errors(errors: dict) -> ValidationError:
    return ValidationError({API_NAMES.get(key, key): value for key, value in errors.items()})


def _check_tenancy(agent: Agent) -> None:
    """The linked user and group are the agent's tenant's: another tenant's is as absent as none."""
    if agent.user_id is not None and agent.user.tenant_id != agent.tenant_id:
        raise NotFound("User not found.")
    if agent.group_id is not None and agent.group.tenant_id != agent.tenant_id:
        raise NotFound("Agent group not found.")


def _clean(agent: Agent) -> None:
    _check_tenancy(agent)  # before Agent.clean: another tenant's link is a 404, not a 400
    try:
        agent.full_clean(validate_constraints=False)  # the one-agent-per-user rule is checked below, as a 409
    except DjangoValidationError as exc:
        raise _api_errors(get_error_detail(exc)) from None
    if agent.user_id is not None and (
        Agent.objects.for_tenant(agent.tenant_id).filter(user_id=agent.user_id).exclude(pk=agent.pk).exists()
    ):
        raise _user_taken()


def _user_taken() -> ApplicationError:
    return ApplicationError("This user already has an agent profile.", code="USER_ALREADY_AGENT",
                            status_code=http.HTTP_409_CONFLICT)  # fmt: skip


def _save(agent: Agent, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            agent.save(**kwargs)
    except IntegrityError as exc:
        if "agent_one_per_user" in str(exc):  # a concurrent request linked the same user first
            raise _user_taken() from None
        raise


def _only(fields: dict, allowed: frozenset, what: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{what} cannot set {', '.join(sorted(unknown))}")


@transaction.atomic
def agent_create(*, tenant, name: str, kind: str = AgentKind.AI, **fields: Any) -> Agent:
    """A new agent of `tenant`. The time zone defaults to the tenant's."""
    _only(fields, AGENT_FIELDS, "agent_create")
    fields.setdefault("timezone", tenant.default_timezone)
    agent = Agent(tenant=tenant, name=name, kind=kind, **fields)
    _clean(agent)
    _save(agent, force_insert=True)
    return agent


@transaction.atomic
def agent_update(*, agent: Agent, **fields: Any) -> Agent:
    """Change an agent's profile. Only the given fields are written, so a presence change made
    meanwhile (agent_set_presence) is not overwritten with the stale value."""
    _only(fields, AGENT_FIELDS, "agent_update")
    for name, value in fields.items():
        setattr(agent, name, value)
    _clean(agent)
    columns = {Agent._meta.get_field(name).attname for name in fields}
    _save(agent, update_fields=[*sorted(columns), "updated_at"])
    return agent


def agent_set_presence(*, agent: Agent, status: str) -> Agent:
    """Set a human agent's presence. status_changed_at moves only when the status changes;
    last_active_at moves on every call (the agent was there to press the button)."""
    if status not in Presence.values:
        raise ValidationError({"status": [f"'{status}' is not a presence; use {', '.join(Presence.values)}."]})
    if agent.kind == AgentKind.AI:
        raise ApplicationError("AI agents have no presence; deactivate the agent to stop it.",
                               code="NOT_A_HUMAN_AGENT", status_code=http.HTTP_409_CONFLICT)  # fmt: skip
    if not agent.is_active and status != Presence.OFFLINE:
        raise ApplicationError("The agent is deactivated; only offline is allowed.", code="AGENT_INACTIVE",
                               status_code=http.HTTP_409_CONFLICT)  # fmt: skip
    now = timezone.now()
    # Compare-and-swap: of two requests setting the same status, one moves status_changed_at.
    moved = (
        Agent.objects.filter(pk=agent.pk).exclude(status=status)
        .update(status=status, status_changed_at=now, last_active_at=now, updated_at=now)
    )  # fmt: skip
    if not moved:
        Agent.objects.filter(pk=agent.pk).update(last_active_at=now)
    agent.refresh_from_db(fields=["status", "status_changed_at", "last_active_at", "updated_at", "current_calls"])
    if moved:
        live.agent_status(agent)
    return agent


@transaction.atomic
def agent_deactivate(*, agent: Agent) -> Agent:
    """DELETE: the agent stops working (inactive, offline) but the row stays, because leads,
    campaigns, imports and the statistics point at it. PATCH is_active=true brings it back."""
    now = timezone.now()
    Agent.objects.filter(pk=agent.pk, is_active=True).update(is_active=False, updated_at=now)
    Agent.objects.filter(pk=agent.pk).exclude(status=Presence.OFFLINE).update(
        status=Presence.OFFLINE, status_changed_at=now, updated_at=now
    )
    agent.refresh_from_db()
    live.agent_status(agent)
    return agent


# Groups -------------------------------------------------------------------------------------------
def _group_save(group: AgentGroup, **kwargs: Any) -> None:
    try:
        group.full_clean(validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(get_error_detail(exc)) from None
    taken = ApplicationError(f"A group named '{group.name}' already exists.", code="GROUP_NAME_TAKEN",
                             status_code=http.HTTP_409_CONFLICT)  # fmt: skip
    if AgentGroup.objects.for_tenant(group.tenant_id).filter(name=group.name).exclude(pk=group.pk).exists():
        raise taken
    try:
        with transaction.atomic():
            group.save(**kwargs)
    except IntegrityError as exc:
        if "agentgroup_unique_name" in str(exc):
            raise taken from None
        raise


@transaction.atomic
def agent_group_create(*, tenant, name: str, **fields: Any) -> AgentGroup:
    _only(fields, GROUP_FIELDS, "agent_group_create")
    group = AgentGroup(tenant=tenant, name=name, **fields)
    _group_save(group, force_insert=True)
    return group


@transaction.atomic
def agent_group_update(*, group: AgentGroup, **fields: Any) -> AgentGroup:
    _only(fields, GROUP_FIELDS, "agent_group_update")
    for name, value in fields.items():
        setattr(group, name, value)
    _group_save(group, update_fields=[*sorted(fields), "updated_at"])
    return group


@transaction.atomic
def agent_group_delete(*, group: AgentGroup) -> None:
    """Delete a group nobody uses. While an agent or a campaign (even a deleted one) points at it the
    answer is 409: move the agents and campaigns first, or deactivate the group instead."""
    agents = Agent.objects.filter(group=group).count()
    if agents:
        raise _group_in_use(agents=agents, campaigns=0)
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError as exc:
        raise _group_in_use(agents=0, campaigns=len(exc.protected_objects)) from None


def _group_in_use(*, agents: int, campaigns: int) -> ApplicationError:
    users = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((agents, "agent"), (campaigns, "campaign")) if n]
    return ApplicationError(
        f"The group is used by {' and '.join(users)}; move them to another group or deactivate this one.",
        code="GROUP_IN_USE", status_code=http.HTTP_409_CONFLICT,
        extra={"agent_count": agents, "campaign_count": campaigns},
    )  # fmt: skip
