"""The one place live events leave from (webhooks, Celery tasks, services all call `publish`).

An event is `{"event": "<name>", "data": {...}}` on the wire (the consumers forward it as is). It is
sent after the surrounding transaction commits, so a browser never hears of a change the database
does not have yet, and a rolled-back change is never announced. Publishing is best effort: a channel
layer that is down costs a log line, never the webhook or the task that published."""

import asyncio
import logging
import os
import threading
from collections.abc import Iterable

from channels.layers import get_channel_layer
from django.db import transaction

from apps.realtime.groups import agent_group, supervisors_group, tenant_group

logger = logging.getLogger(__name__)

# Server -> client events (spec 004 and the manager stream).
INCOMING_CALL = "incoming:call"
CALL_ENDED = "call:ended"
AGENT_STATUS_UPDATED = "agent:status:updated"
LEAD_UPDATED = "lead:updated"
IMPORT_PROGRESS = "import:progress"
CAMPAIGN_STATS = "campaign:stats"
PREVIEW_OFFERED = "preview:offered"

# The consumers' handler for a published message (Channels maps "event.message" to event_message).
MESSAGE_TYPE = "event.message"


def groups_for(tenant_id, *, agent_id=None, everyone: bool = False) -> list[str]:
    """Who hears an event: the tenant's supervisors always, one agent's console when named, every
    console of the tenant when `everyone`."""
    groups = [supervisors_group(tenant_id)]
    if everyone:  # the agent's own console is one of them: once is enough
        groups.append(tenant_group(tenant_id))
    elif agent_id is not None:
        groups.append(agent_group(agent_id))
    return groups


class _Sender:
    """One event loop per process, in a daemon thread, that every publish goes through: the channel
    layer keeps its Redis connections per event loop, so a long-lived loop reuses them (async_to_sync
    would make a loop, and a connection, per event). Made on first use in each process, so a Celery
    worker forked from its parent gets its own."""

    def __init__(self):
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="realtime-publish", daemon=True).start()

    def send(self, messages: list[tuple[str, dict]]) -> None:
        layer = get_channel_layer()
        if layer is not None:
            asyncio.run_coroutine_threadsafe(_send_all(layer, messages), self.loop).result(SEND_TIMEOUT)


SEND_TIMEOUT = 5.0
_sender: _Sender | None = None
_sender_lock = threading.Lock()


def _the_sender() -> _Sender:
    global _sender  # noqa: PLW0603 - one per process, remade after a fork
    if _sender is None or _sender.pid != os.getpid():
        with _sender_lock:
            if _sender is None or _sender.pid != os.getpid():
                _sender = _Sender()
    return _sender


async def _send_all(layer, messages: list[tuple[str, dict]]) -> None:
    for group, message in messages:
        await layer.group_send(group, message)


def send_now(event: str, data: dict, groups: Iterable[str]) -> None:
    """Send to the groups at once (inside a transaction, prefer `publish`)."""
    _flush([(group, {"type": MESSAGE_TYPE, "event": event, "data": data}) for group in groups])


def _flush(messages: list[tuple[str, dict]]) -> None:
    if not messages:
        return
    try:
        _the_sender().send(messages)
    except Exception:  # a live view missing one update must not fail the call flow
        logger.warning("could not publish %d realtime message(s)", len(messages), exc_info=True)


def publish(event: str, data: dict, *, tenant_id, agent_id=None, everyone: bool = False) -> None:
    """Announce `event` to the tenant's supervisors (and one agent, or every console) once the
    current transaction commits (at once outside one). The events of one transaction leave together."""
    messages = [(group, {"type": MESSAGE_TYPE, "event": event, "data": data})
                for group in groups_for(tenant_id, agent_id=agent_id, everyone=everyone)]  # fmt: skip
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _flush(messages)
        return
    # The batch is the one registered at this very savepoint level: a rollback to a savepoint drops the
    # callbacks registered inside it, so an event joins only a batch that is dropped exactly when it is.
    here = set(connection.savepoint_ids)
    for sids, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Batch) and sids == here:
            callback.messages.extend(messages)
            return
    transaction.on_commit(_Batch(messages))


class _Batch:
    def __init__(self, messages: list[tuple[str, dict]]):
        self.messages = messages

    def __call__(self) -> None:
        _flush(self.messages)
