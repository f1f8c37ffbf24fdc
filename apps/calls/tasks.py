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
def dial_agent_leg(call_id: str, agent_id: str) -> str:
    """Ring the agent chosen for an answered call (their leg whispers the lead's name, then joins)."""
    from apps.calls.conference import agent_leg_dial

    return agent_leg_dial(call_id=call_id, agent_id=agent_id)


@shared_task(name="apps.calls.tasks.end_call_if_live", ignore_result=True, soft_time_limit=30, time_limit=45)
def end_call_if_live(call_id: str) -> str:
    """The agent left the conference a while ago: make sure the lead's call ended too."""
    from apps.calls.conference import end_if_live

    return end_if_live(call_id=call_id)


@shared_task(name="apps.calls.tasks.reap", ignore_result=True, soft_time_limit=120, time_limit=150)
def reap() -> dict:
    from apps.calls.dialer.reaper import reap as run

    return run()


@shared_task(name="apps.calls.tasks.drain_events", ignore_result=True, soft_time_limit=120, time_limit=150)
def drain_events(helper: bool = False) -> int:
    from apps.calls.events import DRAINS_KEY, drain
    from apps.core.cache import redis_client

    try:
        return drain()
    finally:
        if helper:  # a helper started by a drain facing a backlog (events._call_for_help)
            redis_client().decr(DRAINS_KEY)


@shared_task(name="apps.calls.tasks.simulator_step", ignore_result=True, acks_late=True, soft_time_limit=30,
             time_limit=45)  # fmt: skip
def simulator_step(sid: str, step: str, **extra) -> None:
    from apps.calls.telephony.simulator import step as run

    run(sid, step, **extra)
