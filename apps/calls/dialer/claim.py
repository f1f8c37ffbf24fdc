"""Claiming: due leads become calls in one short transaction. The leads are picked best first
(priority, then due time) with SELECT ... FOR UPDATE SKIP LOCKED, so two workers or two beats never
take the same lead; the same statement creates their Call rows (the partial unique index
call_one_live_per_lead guarantees one live call per lead whatever the code does) and marks the
leads queued. Only leads that may be called now are picked: not on the do-not-call list, under
their attempts limit, inside their own local window and their state's 24-hour limit, with consent
where the campaign requires it (apps.calls.compliance writes those conditions in SQL).
"""

import datetime as dt

from django.db import connection, transaction

from apps.calls.choices import CallStatus
from apps.calls.compliance import RuleBook
from apps.calls.dialer.queues import DialQueue
from apps.core.ids import uuid7_hex_many


def due_condition(queue: DialQueue, rules: RuleBook, at: dt.datetime, alias: str = "l") -> tuple[str, list]:
    """The WHERE of a queue's callable leads at `at`. Deliberately not by tenant (the campaign or agent
    implies it, and the composite foreign keys keep it so): with a tenant condition the planner takes a
    tenant-led index and sorts the whole campaign, where walking the queue index in order stops after
    the first callable leads."""
    queue_sql, params = queue.lead_sql(alias)
    window_sql, window_params = rules.claim_sql(at, alias)
    limits_sql, limits_params = rules.limits_sql(at, alias)
    consent = ""
    if queue.campaign is not None and queue.campaign.require_ai_consent and not queue.is_human:
        consent = f" AND {alias}.consent_at IS NOT NULL AND {alias}.consent_type <> ''"
    sql = (
        f"{queue_sql} AND {alias}.deleted_at IS NULL AND NOT {alias}.do_not_call "
        f"AND {alias}.status IN ('new', 'scheduled') "
        f"AND ({alias}.next_call_at IS NULL OR {alias}.next_call_at <= %s) "
        f"AND ({alias}.attempts_count < %s OR {alias}.sub_status = 'callback'){consent} "
        f"AND NOT EXISTS (SELECT 1 FROM leads_donotcallentry d WHERE d.tenant_id = {alias}.tenant_id "
        f"AND d.phone_e164 = {alias}.phone_e164) AND {window_sql} AND {limits_sql}"
    )
    return sql, [*params, at, queue.max_attempts, *window_params, *limits_params]


def claim(queue: DialQueue, rules: RuleBook, *, at: dt.datetime, limit: int, agents: list | None = None,
          provider: str) -> list[str]:  # fmt: skip
    """Claim up to `limit` due leads of the queue as queued calls; their call ids, best lead first.
    Preview pacing gives each call one of `agents` (it waits for that agent to accept)."""
    if limit <= 0:
        return []
    where, params = due_condition(queue, rules, at)
    ids = uuid7_hex_many(limit)
    agent_ids = [str(agent.pk) for agent in agents] if agents else None
    talking = queue.talking_agent
    sql = f"""
        WITH locked AS (
            SELECT l.id, l.phone_e164, l.timezone, l.attempts_count, l.priority, l.next_call_at
            FROM leads_lead l WHERE {where}
            ORDER BY l.priority, l.next_call_at LIMIT %s
            FOR NO KEY UPDATE OF l SKIP LOCKED
        ), picked AS (
            SELECT locked.*, row_number() OVER (ORDER BY priority, next_call_at, id) AS n FROM locked
        ), made AS (
            INSERT INTO calls_call (id, tenant_id, lead_id, campaign_id, agent_id, provider, direction, status,
                                    outcome, answered_by, disposition, attempt, pacing_mode, call_sid, conference_sid,
                                    from_number, to_number, lead_timezone, recording_url, recording_sid, cost_unit,
                                    transcript, summary, analysis, notes, metadata, error_code, error_message,
                                    sequence, created_at, updated_at)
            SELECT ids.id::uuid, %s, p.id, %s, COALESCE((%s::uuid[])[p.n], %s::uuid), %s, 'outbound', %s, '', '', '',
                   p.attempts_count + 1, %s, '', '', %s, p.phone_e164, p.timezone, '', '', '', '[]', '', '{{}}', '',
                   %s::jsonb, '', '', 0, %s, %s
            FROM picked p JOIN unnest(%s::text[]) WITH ORDINALITY AS ids(id, n) ON ids.n = p.n
            ON CONFLICT DO NOTHING
            RETURNING id, lead_id
        ), marked AS (
            UPDATE leads_lead l SET status = 'queued', updated_at = %s FROM made WHERE l.id = made.lead_id
        )
        SELECT made.id::text FROM made JOIN picked p ON p.id = made.lead_id ORDER BY p.n
    """
    metadata = '{"preview": true}' if agent_ids else "{}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [
            *params, limit, queue.tenant.pk, getattr(queue.campaign, "pk", None), agent_ids,
            getattr(talking, "pk", None), provider, CallStatus.QUEUED, queue.pacing, queue.caller_id, metadata, at,
            at, "{" + ",".join(ids) + "}", at,
        ])  # fmt: skip
        return [row[0] for row in cursor.fetchall()]


def count_due(queue: DialQueue, rules: RuleBook, at: dt.datetime) -> int:
    """How many leads the queue could call right now (for the dialer status)."""
    where, params = due_condition(queue, rules, at)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM leads_lead l WHERE {where} LIMIT 10000) AS due", params)
        return cursor.fetchone()[0]
