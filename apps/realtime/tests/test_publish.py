"""apps.realtime.publish without a socket: what a transaction's batch holds when parts of it roll back,
and who an event is addressed to."""

import pytest
from django.db import connection, transaction

from apps.realtime.groups import agent_group, supervisors_group, tenant_group
from apps.realtime.publish import _Batch, groups_for, publish

pytestmark = pytest.mark.django_db


def _batched() -> list[str]:
    return [message["data"]["n"] for callback in (c for _, c, _ in connection.run_on_commit)
            if isinstance(callback, _Batch) for _, message in callback.messages]  # fmt: skip


def test_an_event_of_a_rolled_back_savepoint_is_never_sent(acme):
    with transaction.atomic():
        publish("test:event", {"n": "kept"}, tenant_id=acme.pk)
        with pytest.raises(RuntimeError), transaction.atomic():
            publish("test:event", {"n": "rolled back"}, tenant_id=acme.pk)
            raise RuntimeError
        with transaction.atomic():
            publish("test:event", {"n": "kept inside"}, tenant_id=acme.pk)
        publish("test:event", {"n": "kept after"}, tenant_id=acme.pk)
        assert sorted(_batched()) == ["kept", "kept after", "kept inside"]


def test_an_event_for_everyone_reaches_an_agents_console_once(acme):
    assert groups_for(acme.pk, agent_id="a1", everyone=True) == [supervisors_group(acme.pk), tenant_group(acme.pk)]
    assert groups_for(acme.pk, agent_id="a1") == [supervisors_group(acme.pk), agent_group("a1")]
    assert groups_for(acme.pk) == [supervisors_group(acme.pk)]
