"""Celery tasks of the calls app: thin wrappers, ids in, safe to run twice."""

from celery import shared_task


@shared_task(name="apps.calls.tasks.dialer_tick", ignore_result=True, soft_time_limit=60, time_limit=90)
def dialer_tick() -> dict:
    from apps.calls.dialer.tick import tick

    return tick()


@shared_task(name="apps.calls.tasks.place_call", ignore_result=True, acks_late=True, soft_time_limit=60,
             time_limit=90)  # fmt: skip
def place_call(call_id: str) -> str:
    from apps.calls.dialer.place import place

    return place(call_id)


@shared_task(name="apps.calls.tasks.place_calls", ignore_result=True, acks_late=True, soft_time_limit=120,
             time_limit=150)  # fmt: skip
def place_calls(call_ids: list[str]) -> dict:
    from apps.calls.dialer.place import place_batch

    return place_batch(call_ids)


@shared_task(name="apps.calls.tasks.dial_agent_leg", ignore_result=True, soft_time_limit=30, time_limit=45)
def dial_agent_leg(call_id: str, agent_id: str) -> None:
    """Ring the agent chosen for an answered call (their leg whispers the lead's name, then joins)."""
    from apps.agents.models import Agent
    from apps.calls.models import Call
    from apps.calls.telephony import provider_named

    call = Call.objects.select_related("tenant", "campaign", "lead").filter(pk=call_id, status="in_progress").first()
    agent = Agent.objects.filter(pk=agent_id, tenant_id=getattr(call, "tenant_id", None)).first()
    if call is not None and agent is not None:
        leg = provider_named(call.provider).dial_agent(call, agent)
        Call.objects.filter(pk=call.pk).update(metadata={**call.metadata, "agent_leg_sid": leg})


@shared_task(name="apps.calls.tasks.reap", ignore_result=True, soft_time_limit=120, time_limit=150)
def reap() -> dict:
    from apps.calls.dialer.reaper import reap as run

    return run()


@shared_task(name="apps.calls.tasks.drain_events", ignore_result=True, soft_time_limit=120, time_limit=150)
def drain_events() -> int:
    from apps.calls.events import drain

    return drain()


@shared_task(name="apps.calls.tasks.simulator_step", ignore_result=True, acks_late=True, soft_time_limit=30,
             time_limit=45)  # fmt: skip
def simulator_step(sid: str, step: str, **extra) -> None:
    from apps.calls.telephony.simulator import step as run

    run(sid, step, **extra)
