"""Status-type callbacks (status, amd, recording, conference and agent-leg status) stored at the rate
Twilio sends them: verified, keyed, and written many to one statement.

A callback of this kind changes nothing when it arrives; it is stored (CallEvent, unique per call and
key, so a duplicate is a no-op) and the drain applies it (apps.calls.events). Storing is all the
request does, so it is done here for every such callback, whichever way it came in:

- `store_many` writes callbacks in one INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING
  that also checks each call is the signing tenant's (another tenant's valid signature stores
  nothing). The Django views (apps.calls.webhooks) store their one callback through it.
- `CallbackIngest`, in front of Django in the ASGI app (leadvoice/asgi.py), answers POSTs to those
  paths itself: the body read and parsed, the X-Twilio-Signature checked against the public URL with
  the tenant's token (kept a minute), the callback handed to this process's writer thread, which
  stores whatever has queued up meanwhile in one transaction (group commit) and wakes the drain once
  per batch. The answer (204) goes out only once the row is committed: a callback answered is a
  callback kept. Django's middleware chain runs one request at a time per process (leadvoice/
  handlers.py), which at ~5 ms of database round trips per callback capped a two-process server near
  250 callbacks/s; here the cost per callback is its parsing and its HMAC (docs/benchmarks.md).
"""

import asyncio
import json
import logging
import queue
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from psycopg.errors import DeadlockDetected, SerializationFailure

from apps.calls.choices import EventKind

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # Twilio's callbacks are a few hundred bytes


def _status_key(query: dict, form: dict) -> str:
    return f"status:{form.get('CallSid', '')}:{form.get('SequenceNumber') or form.get('CallStatus', '')}"


def _amd_key(query: dict, form: dict) -> str:
    return f"amd:{form.get('CallSid', '')}:{form.get('AnsweredBy', '')}"


def _recording_key(query: dict, form: dict) -> str:
    return f"recording:{form.get('RecordingSid', '')}:{form.get('RecordingStatus', '')}"


def _conference_key(query: dict, form: dict) -> str:
    sid, event, call = form.get("ConferenceSid", ""), form.get("StatusCallbackEvent", ""), form.get("CallSid", "")
    return f"conference:{sid}:{event}:{call}"


def _agent_key(query: dict, form: dict) -> str:
    return f"agent:{form.get('CallSid', '')}:{form.get('SequenceNumber') or form.get('CallStatus', '')}"


# path under /webhooks/twilio/ -> (the event's kind, its dedupe key, what our query string adds to it)
KINDS = {
    "status": (EventKind.STATUS, _status_key, ()),
    "amd": (EventKind.AMD, _amd_key, ()),
    "recording": (EventKind.RECORDING, _recording_key, ()),
    "conference-status": (EventKind.CONFERENCE, _conference_key, ()),
    "agent-status": (EventKind.AGENT, _agent_key, (("agentId", "agent_id"),)),
}
PATHS = {f"/webhooks/twilio/{name}/": name for name in KINDS}


@dataclass(frozen=True, slots=True)
class Callback:
    tenant_id: str
    call_id: str
    kind: str
    dedupe_key: str
    provider_status: str
    sequence: int | None
    payload: dict
    received_at: object  # datetime


def callback_from(name: str, query: dict, form: dict) -> Callback | int:
    """The callback a request to /webhooks/twilio/<name>/ carries, or the HTTP status that refuses it
    (400 without our ids, 404 when they are not ids at all)."""
    kind, key, extra = KINDS[name]
    call_id, tenant_id = query.get("callId", ""), query.get("tenantId", "")
    if not call_id or not tenant_id:
        return 400
    try:
        uuid.UUID(call_id), uuid.UUID(tenant_id)
    except ValueError:
        return 404
    sequence = form.get("SequenceNumber") or ""
    payload = {**form, **{ours: query.get(param, "") for param, ours in extra}}
    return Callback(
        tenant_id=tenant_id, call_id=call_id, kind=kind, dedupe_key=key(query, form)[:120],
        provider_status=(form.get("CallStatus") or form.get("StatusCallbackEvent") or "")[:32],
        sequence=int(sequence) if sequence.isdigit() and int(sequence) < 2**31 else None, payload=payload,
        received_at=timezone.now(),
    )  # fmt: skip


_STORE_SQL = """
WITH incoming AS (
    SELECT * FROM unnest(%(n)s::int[], %(id)s::uuid[], %(tenant)s::uuid[], %(call)s::uuid[], %(kind)s::text[],
                         %(key)s::text[], %(status)s::text[], %(sequence)s::int[], %(payload)s::text[],
                         %(at)s::timestamptz[])
        AS i(n, id, tenant_id, call_id, kind, dedupe_key, provider_status, sequence_number, payload, at)
), known AS (
    SELECT i.* FROM incoming i
    WHERE EXISTS (SELECT 1 FROM calls_call c WHERE c.id = i.call_id AND c.tenant_id = i.tenant_id)
), stored AS (
    INSERT INTO calls_callevent (id, created_at, updated_at, tenant_id, call_id, kind, provider_status,
                                 sequence_number, dedupe_key, from_status, to_status, applied, processed_at, note,
                                 payload)
    SELECT id, at, at, tenant_id, call_id, kind, provider_status, sequence_number, dedupe_key, '', '', false, NULL,
           '', payload::jsonb
    FROM known ORDER BY call_id, dedupe_key  -- one order for every writer: concurrent batches cannot deadlock
    ON CONFLICT (call_id, dedupe_key) DO NOTHING
    RETURNING id
)
SELECT i.n, k.n IS NOT NULL, s.id IS NOT NULL
FROM incoming i LEFT JOIN known k ON k.n = i.n LEFT JOIN stored s ON s.id = i.id
ORDER BY i.n
"""


def store_many(callbacks: list[Callback]) -> list[bool | None]:
    """Store callbacks in one statement: for each, True (stored), False (a duplicate: stored before,
    or earlier in the same list) or None (no such call of that tenant: nothing stored)."""
    from apps.core.ids import uuid7

    if not callbacks:
        return []
    params = {
        "n": list(range(len(callbacks))), "id": [str(uuid7()) for _ in callbacks],
        "tenant": [c.tenant_id for c in callbacks], "call": [c.call_id for c in callbacks],
        "kind": [c.kind for c in callbacks], "key": [c.dedupe_key for c in callbacks],
        "status": [c.provider_status for c in callbacks], "sequence": [c.sequence for c in callbacks],
        "payload": [json.dumps(c.payload) for c in callbacks], "at": [c.received_at for c in callbacks],
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_STORE_SQL, params)
        rows = cursor.fetchall()
    return [(stored if known else None) for _, known, stored in rows]


# The writer thread --------------------------------------------------------------------------------
class _Writer:
    """One per process: stores the callbacks the event loop hands it, as many per transaction as have
    queued up while the previous one was written (no timer: an idle server writes each at once)."""

    MAX_BATCH = 500

    def __init__(self):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="callback-writer", daemon=True)
        self.thread.start()

    def submit(self, job) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.jobs.put((job, loop, future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self.jobs.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list) -> None:
        from apps.calls.events import wake_drain

        callbacks = [(job, loop, future) for job, loop, future in batch if isinstance(job, Callback)]
        calls = [(job, loop, future) for job, loop, future in batch if not isinstance(job, Callback)]
        for fn, loop, future in calls:  # lookups the event loop may not run itself (the ORM is sync)
            try:
                _resolve(loop, future, fn())
            except Exception as exc:  # handed to the request that asked
                _resolve(loop, future, exc=exc)
        if not callbacks:
            return
        try:
            results = self._store([job for job, _, _ in callbacks])
            if any(results):
                wake_drain()
        except Exception as exc:  # every waiting request answers 500, nothing is lost silently
            logger.exception("storing %d callbacks failed", len(callbacks))
            close_old_connections()
            for _, loop, future in callbacks:
                _resolve(loop, future, exc=exc)
            return
        for (_, loop, future), result in zip(callbacks, results, strict=True):
            _resolve(loop, future, result)

    @staticmethod
    def _store(callbacks: list[Callback], attempts: int = 3) -> list[bool | None]:
        """store_many in a transaction, tried again when PostgreSQL picked it as a deadlock's victim
        (a drain's lock on a call against this batch's foreign-key checks, say)."""
        for _ in range(attempts - 1):
            try:
                with transaction.atomic():
                    return store_many(callbacks)
            except OperationalError as exc:
                if not isinstance(exc.__cause__, (DeadlockDetected, SerializationFailure)):
                    raise
                logger.warning("storing %d callbacks: %s; trying again", len(callbacks), type(exc.__cause__).__name__)
        with transaction.atomic():  # the last try: whatever goes wrong now is the answer
            return store_many(callbacks)


def _resolve(loop, future, result=None, *, exc: BaseException | None = None) -> None:
    def settle() -> None:
        if not future.done():
            future.set_exception(exc) if exc is not None else future.set_result(result)

    loop.call_soon_threadsafe(settle)


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def writer() -> _Writer:
    global _writer  # noqa: PLW0603 - one per process, started on first use
    if _writer is None:
        with _writer_lock:
            if _writer is None:
                _writer = _Writer()
    return _writer


# The ASGI front ------------------------------------------------------------------------------------
async def _read_body(receive) -> bytes | tuple[int, str]:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return 400, ""
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            return 413, "Request body too large"
        if not message.get("more_body"):
            return bytes(body)


class CallbackIngest:
    """Answers POSTs to the status-type webhook paths; everything else goes to `app` (Django)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        name = PATHS.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if name is None:
            return await self.app(scope, receive, send)
        status, text = await self._handle(name, scope, receive)
        headers = [(b"content-type", b"text/plain; charset=utf-8")] if text else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": text.encode()})
        return None

    async def _handle(self, name: str, scope, receive) -> tuple[int, str]:
        body = await _read_body(receive)
        if isinstance(body, tuple):
            return body
        raw_query = scope.get("query_string", b"").decode("latin-1")
        try:
            query = dict(parse_qsl(raw_query, keep_blank_values=True))
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except (UnicodeDecodeError, ValueError):
            return 400, "Malformed form body"
        if not await self._verified(scope, raw_query, query, form):
            logger.warning("twilio webhook %s: bad or missing signature", scope["path"])
            return 403, "Invalid X-Twilio-Signature"
        callback = callback_from(name, query, form)
        if isinstance(callback, int):
            return callback, ""
        try:
            stored = await writer().submit(callback)
        except Exception:  # logged by the writer; Twilio retries a 5xx
            return 500, "Callback not stored"
        return (404, "") if stored is None else (204, "")

    async def _verified(self, scope, raw_query: str, query: dict, form: dict) -> bool:
        from apps.calls.telephony.base import signed
        from apps.calls.webhooks import cached_token, token_for

        signature = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-twilio-signature"), "")
        if not signature:
            return False
        tenant_id = query.get("tenantId", "")
        token = cached_token(tenant_id)
        if token is None:
            try:
                token = await writer().submit(lambda: token_for(tenant_id))
            except Exception:  # a malformed tenant id is an unsigned request
                return False
        if token is None:
            return False
        path = scope.get("root_path", "") + scope["path"] + (f"?{raw_query}" if raw_query else "")
        return signed(path, form, signature, token)
