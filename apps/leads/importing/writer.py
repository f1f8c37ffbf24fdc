"""The database side of an import: duplicate and do-not-call checks per batch, then COPY and one
INSERT per batch, on one or two connections while the caller reads and normalises the next rows.

Parsing and validating rows is Python work; checking and inserting is PostgreSQL work, and each
needs about a core. Writer threads run the database side (psycopg releases the GIL while PostgreSQL
works). The first writes on the caller's own connection, so atomic imports and test transactions
see one transaction; outside a transaction a second writer on a connection of its own lets a
second PostgreSQL backend insert the next batch meanwhile. The caller's thread does not touch the
database while writers run.

A batch is COPYed into a temporary table holding just the columns it uses, then moved into
leads_lead with one INSERT that also writes each lead's "imported" timeline entry. The INSERT is
plain (ON CONFLICT costs a speculative insertion per row); if a concurrent writer took a phone since
our duplicate check, the batch is retried with ON CONFLICT DO NOTHING.

Batches leave their search-index entries in the GIN index's pending list (see
apps.leads.search_index): merging them is half the database cost of a lead, and it happens once,
after the import, instead of in its batches. Searches read the pending list meanwhile, so imported
leads are found at once.
"""

import json
import queue
import threading
import uuid
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

from apps.core.ids import uuid7_hex_many
from apps.leads.choices import ActivityType
from apps.leads.models import Lead

DNC_IN_MEMORY_LIMIT = 500_000  # numbers; a larger list is probed batch by batch instead
_FIXED = ("id", "tenant_id", "campaign_id", "agent_id", "created_at", "updated_at", "search_document")


def sql_literal(value: Any) -> str:
    """A column default as SQL (only our own field defaults reach here: no user input)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "'{}'"
    if isinstance(value, dict):
        return "'{}'::jsonb"
    return "'" + str(value).replace("'", "''") + "'"


class Writer:
    """Takes batches of normalised rows from the caller and writes them (see the module's doc)."""

    def __init__(self, spec, raw_connection, outcome, progress=None, *, parallel: bool = False):
        self.spec, self.outcome, self.progress = spec, outcome, progress
        self.fields = {f.attname: f for f in Lead._meta.concrete_fields if f.attname not in _FIXED}
        self.defaults = {name: f.get_default() for name, f in self.fields.items()}
        description = f"Imported from {spec.source_name}" if spec.source_name else "Imported"
        metadata = json.dumps({"job_id": str(spec.job_id)} if spec.job_id else {})
        self.activity = [ActivityType.IMPORTED, description, metadata, spec.actor_id, spec.actor_label[:100]]
        self.lock = threading.Lock()  # the outcome's counters, from several writers
        self.error: BaseException | None = None
        self._prepare(raw_connection)
        self.threads = [threading.Thread(target=self._run, args=(raw_connection,), name="lead-import-writer",
                                         daemon=True)]  # fmt: skip
        if parallel:
            self.threads.append(threading.Thread(target=self._run_on_own_connection, name="lead-import-writer-2",
                                                 daemon=True))  # fmt: skip
        self.queue: queue.Queue = queue.Queue(maxsize=len(self.threads) + 1)
        for thread in self.threads:
            thread.start()

    # Caller side ---------------------------------------------------------------------------------
    def submit(self, batch: list, *, rows_read: int, dry: bool) -> None:
        # The COPY text of every row is built here, on the caller's thread: writer threads then hold
        # the GIL only briefly per batch instead of once per row (a thread that has to win the GIL
        # back from a busy one waits up to the switch interval each time).
        names = sorted({name for _, values in batch for name in values if name in self.fields})
        ids = iter(uuid7_hex_many(2 * len(batch)))
        lines = [_copy_line(values, names, self.defaults, next(ids), next(ids)) for _, values in batch]
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put((batch, names, lines, rows_read, dry), timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        for thread in self.threads:
            if thread.is_alive():
                self.queue.put(None)  # one stop mark per writer
        for thread in self.threads:
            thread.join()
        if self.error is not None:
            raise self.error

    # Writer threads -------------------------------------------------------------------------------
    def _run_on_own_connection(self) -> None:
        wrapper = connections.create_connection(DEFAULT_DB_ALIAS)  # made and used in this thread only
        try:
            wrapper.ensure_connection()
            self._run(wrapper.connection)
        except BaseException as exc:
            self._fail(exc)
        finally:
            wrapper.close()

    def _run(self, conn) -> None:
        deferred = False
        try:
            while (item := self.queue.get()) is not None:
                if self.error is not None:
                    continue  # another writer failed: drain until our stop mark
                batch, names, lines, rows_read, dry = item
                deferred |= self._write(conn, batch, names, lines, dry=dry)
                if self.progress is not None:
                    self.progress(conn, rows_read)
            if deferred:
                # A synchronous commit that writes WAL flushes everything committed before it.
                with conn.transaction():
                    conn.execute("SELECT txid_current()")
        except BaseException as exc:  # handed to the caller's thread by submit()/close()
            self._fail(exc)
            while self.queue.get() is not None:  # drain so the caller never blocks on a full queue
                pass

    def _fail(self, exc: BaseException) -> None:
        with self.lock:
            if self.error is None:
                self.error = exc

    def _scope(self) -> tuple[str, list]:
        spec = self.spec
        if spec.campaign is not None:
            return "l.campaign_id = %s", [spec.campaign.pk]
        if spec.agent is not None:
            return "l.campaign_id IS NULL AND l.agent_id = %s", [spec.agent.pk]
        return "l.campaign_id IS NULL AND l.agent_id IS NULL", []

    def _prepare(self, conn) -> None:
        """Once per import: the tenant's do-not-call list (when it is of a size to hold in memory) and
        whether the scope already has leads. A new campaign needs no duplicate probes: any duplicate
        is then either in the file (caught before here) or written concurrently (caught by the unique
        index, see _insert)."""
        tenant_id = self.spec.tenant.pk
        scope_sql, scope_params = self._scope()
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM leads_donotcallentry WHERE tenant_id = %s", [tenant_id])
            if cursor.fetchone()[0] <= DNC_IN_MEMORY_LIMIT:
                cursor.execute("SELECT phone_e164 FROM leads_donotcallentry WHERE tenant_id = %s", [tenant_id])
                self.dnc = {row[0] for row in cursor.fetchall()}
            else:
                self.dnc = None
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM leads_lead l WHERE l.tenant_id = %s AND l.deleted_at IS NULL "
                f"AND {scope_sql})", [tenant_id, *scope_params],
            )  # fmt: skip
            self.scope_has_leads = cursor.fetchone()[0]

    def _probe(self, conn, phones: list[str]) -> tuple[set, set]:
        """(phones on the do-not-call list, phones that already have a live lead in the scope)."""
        tenant_id = self.spec.tenant.pk
        scope_sql, scope_params = self._scope()
        queries, params = [], []
        if self.dnc is None:
            queries.append("SELECT 'dnc', phone_e164 FROM leads_donotcallentry WHERE tenant_id = %s "
                           "AND phone_e164 = ANY(%s)")  # fmt: skip
            params += [tenant_id, phones]
        if self.scope_has_leads:
            # A join, so each phone is one probe into the scope's unique index; as a plain filter the
            # planner may scan a whole campaign whose statistics are younger than the campaign.
            queries.append(
                f"SELECT 'lead', l.phone_e164 FROM unnest(%s::text[]) AS p(phone) JOIN leads_lead l "
                f"ON l.tenant_id = %s AND l.phone_e164 = p.phone AND l.deleted_at IS NULL AND {scope_sql}"
            )
            params += [phones, tenant_id, *scope_params]
        found = []
        if queries:
            with conn.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(queries), params)
                found = cursor.fetchall()
        blocked = {phone for kind, phone in found if kind == "dnc"} if self.dnc is None else self.dnc
        return blocked, {phone for kind, phone in found if kind == "lead"}

    def _write(self, conn, batch: list, names: list, lines: list, *, dry: bool) -> bool:
        """Check and insert one batch; True when its commit did not wait for the WAL flush."""
        outcome = self.outcome
        blocked, existing = self._probe(conn, [values["phone_e164"] for _, values in batch])
        ready, ready_lines, duplicates, dnc = [], [], [], 0
        for (number, values), line in zip(batch, lines, strict=True):
            phone = values["phone_e164"]
            if phone in blocked or values.get("do_not_call"):
                dnc += 1
            elif phone in existing:
                duplicates.append((number, values))
            else:
                ready.append((number, values))
                ready_lines.append(line)
        with self.lock:
            outcome.dnc += dnc
            outcome.duplicates += len(duplicates)
            for number, values in duplicates:
                outcome.error(number, "phone", values.get("phone_raw") or values["phone_e164"],
                              f"Lead with this phone number already exists ({values['phone_e164']})")  # fmt: skip
            outcome.valid += len(ready)
        if dry or not ready:
            return False
        own_transaction = conn.autocommit  # else we are a savepoint of the caller's transaction
        inserted = self._insert(conn, names, "".join(ready_lines), own_transaction=own_transaction)
        raced = len(ready) - inserted
        written = set()
        if raced:  # written by someone else between our check and our insert: find which
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT id::text FROM leads_lead WHERE id = ANY(%s::uuid[])", [[v["_id"] for _, v in ready]]
                )
                written = {row[0].replace("-", "") for row in cursor.fetchall()}
        with self.lock:
            outcome.inserted += inserted
            if raced:
                outcome.valid -= raced
                outcome.duplicates += raced
                for number, values in ready:
                    if values["_id"] not in written:
                        outcome.error(number, "phone", values["phone_e164"],
                                      "Lead with this phone number already exists")  # fmt: skip
        return own_transaction

    def _insert(self, conn, names: list, data: str, *, own_transaction: bool) -> int:
        table = f"lead_import_{uuid.uuid4().hex[:16]}"
        quoted = ", ".join(f'"{self.fields[n].column}"' for n in names)
        spec = self.spec
        missing = [f for n, f in self.fields.items() if n not in names and not f.null]
        # A lead without a schedule is due now (spec 000), as the API's lead_create makes it.
        due = [] if "next_call_at" in names else ['"next_call_at"']
        target_cols = ", ".join([
            "id", "tenant_id", "campaign_id", "agent_id", "created_at", "updated_at",
            *(f'"{self.fields[n].column}"' for n in names), *(f'"{f.column}"' for f in missing), *due,
        ])  # fmt: skip
        cells = [f't."{self.fields[n].column}"' for n in names]
        cells = [
            f"COALESCE({cell}, now())" if n == "next_call_at" else cell for n, cell in zip(names, cells, strict=True)
        ]
        defaults = [sql_literal(f.get_default()) for f in missing] + (["now()"] if due else [])
        select_cols = ", ".join(
            ["t.id", "%(tenant)s", "%(campaign)s", "%(agent)s", "now()", "now()", *cells, *defaults]
        )
        activity_type, description, metadata, actor_id, actor_label = self.activity
        params = {"tenant": spec.tenant.pk, "campaign": getattr(spec.campaign, "pk", None),
                  "agent": getattr(spec.agent, "pk", None), "type": activity_type, "description": description,
                  "metadata": metadata, "actor": actor_id, "label": actor_label}  # fmt: skip

        def statement(conflict: str) -> str:
            return f"""
                WITH ins AS (
                    INSERT INTO leads_lead ({target_cols}) SELECT {select_cols} FROM "{table}" t {conflict}
                    RETURNING id
                ), act AS (
                    INSERT INTO leads_leadactivity (id, tenant_id, lead_id, activity_type, description, metadata,
                                                    actor_id, actor_label, created_at, updated_at)
                    SELECT t.activity_id, %(tenant)s, ins.id, %(type)s, %(description)s, %(metadata)s::jsonb,
                           %(actor)s, %(label)s, now(), now()
                    FROM ins JOIN "{table}" t ON t.id = ins.id
                )
                SELECT count(*) FROM ins
            """

        # Batches commit without waiting for the WAL flush; the writer's last act makes one commit
        # wait, which flushes them all before the import reports back (a flush per batch cost ~30%).
        local = "SET LOCAL synchronous_commit = off; " if own_transaction else ""

        def attempt(conflict: str) -> int:
            # One transaction (a savepoint inside an outer one) per batch, with as few round trips as
            # possible: the writer thread must win the GIL back after each one.
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute(
                    f'{local}CREATE TEMP TABLE "{table}" ON COMMIT DROP AS '
                    f"SELECT id, {quoted}, NULL::uuid AS activity_id FROM leads_lead WITH NO DATA"
                )
                with cursor.copy(f'COPY "{table}" (id, {quoted}, activity_id) FROM STDIN') as copy:
                    copy.write(data)
                cursor.execute(statement(conflict), params)
                count = cursor.fetchone()[0]
                cursor.execute(f'DROP TABLE "{table}"')
                return count

        try:
            return attempt("")
        except psycopg.errors.UniqueViolation:
            # Someone inserted one of these phones since our check: redo the batch, skipping those.
            return attempt("ON CONFLICT DO NOTHING")


# COPY text ----------------------------------------------------------------------------------------
# Backslash, tab, newline and CR are escaped; NUL cannot be stored in PostgreSQL text at all.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})


def _copy_line(values: dict, names: list, defaults: dict, lead_id: str, activity_id: str) -> str:
    """One row of COPY text: the lead's new id, its cells in `names` order, its activity's id. Most
    cells are text that needs no escaping, so the line is joined first and checked once (a few
    C-speed scans): a line with a tab, newline, CR or NUL inside a cell, or any backslash but those
    of its NULLs (\\N), is built again cell by cell."""
    values["_id"] = lead_id
    cells = [values[n] if n in values else defaults[n] for n in names]
    line = "\t".join([lead_id, *[c if type(c) is str else _copy_text(c) for c in cells], activity_id])
    if (line.count("\\") != cells.count(None) or line.count("\t") != len(names) + 1
            or "\n" in line or "\r" in line or "\x00" in line):  # fmt: skip
        line = "\t".join([line[:32], *map(_copy_text, cells), line[-32:]])
    return line + "\n"


def _copy_text(value: Any) -> str:  # noqa: PLR0911 - a return a type
    """One cell in PostgreSQL's COPY text format, for the types normalisation produces."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | time):
        return value.isoformat()
    if isinstance(value, list):
        items = ",".join('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value)
        return ("{" + items + "}").translate(_COPY_ESCAPES)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False).translate(_COPY_ESCAPES)
    return str(value).translate(_COPY_ESCAPES)
