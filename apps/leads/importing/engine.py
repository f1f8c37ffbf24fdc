"""The lead import engine: one engine behind every door (spec 000's csv-import, the import endpoint,
background jobs and the admin's django-import-export screen).

Rows are normalised (apps.leads.normalize), de-duplicated inside the file and against the live leads
of the same scope (campaign, else agent, else the tenant's unassigned pool), scrubbed against the
tenant's do-not-call list, and written in batches with COPY into a temporary table followed by one
INSERT ... ON CONFLICT DO NOTHING that also writes each lead's "imported" timeline entry.

Modes: partial (default) writes the good rows batch by batch and reports every bad one; atomic
writes everything in one transaction and rolls it all back if any row is bad. The result counts are
disjoint: total = valid + invalid + duplicates + dnc, and inserted is what reached the table.
"""

import contextlib
import json
import queue
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction

from apps.core.ids import uuid7
from apps.leads.choices import ActivityType
from apps.leads.importing.readers import ImportFileError, RowSource
from apps.leads.models import Lead
from apps.leads.normalize import WRITABLE, LeadContext, canonical_key, normalize_lead

MAX_REPORTED_ERRORS = 10_000  # a file of junk must not turn into a gigabyte of error JSON


@dataclass
class ImportSpec:
    """Where rows go and how to read them."""

    tenant: Any
    campaign: Any = None
    agent: Any = None
    field_mapping: dict[str, str] = field(default_factory=dict)
    default_values: dict[str, Any] = field(default_factory=dict)
    region: str = ""
    mode: str = "partial"
    actor_id: Any = None
    actor_label: str = "import"
    source_name: str = ""
    job_id: Any = None


@dataclass
class ImportOutcome:
    total: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    dnc: int = 0
    inserted: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_truncated: bool = False
    rolled_back: bool = False

    def error(self, row: int, field_name: str | None, value: Any, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "field": field_name, "value": value, "error": message})
        else:
            self.errors_truncated = True

    def counts(self) -> dict[str, int]:
        return {"total": self.total, "valid": self.valid, "invalid": self.invalid, "duplicates": self.duplicates,
                "dnc": self.dnc, "inserted": self.inserted}  # fmt: skip


def build_column_map(header: Iterable[str], mapping: dict[str, str]) -> dict[str, str]:
    """Column as written -> the key normalize_lead reads. field_mapping wins (matched exactly, then
    case-insensitively); unknown columns keep their name and end in custom_fields."""
    lowered = {str(k).strip().lower(): v for k, v in (mapping or {}).items()}
    out = {}
    for column in header:
        target = mapping.get(column) if mapping and column in mapping else lowered.get(str(column).strip().lower())
        if target is None:
            out[column] = column
        elif target == "":
            out[column] = ""  # mapped to nothing: ignore the column
        else:
            out[column] = target
    return out


def validate_mapping(mapping: dict[str, str]) -> None:
    if not isinstance(mapping, dict):
        raise ImportFileError('field_mapping must be an object {"Column": "field"}.', code="INVALID_MAPPING")
    unknown = [t for t in mapping.values()
               if t and not t.startswith("custom:") and canonical_key(t) not in WRITABLE]  # fmt: skip
    if unknown:
        raise ImportFileError(
            f"field_mapping names unknown fields: {', '.join(map(str, unknown))}. Use a lead field "
            f"(e.g. phone, first_name, company_name) or custom:<name>.", code="INVALID_MAPPING",
        )  # fmt: skip


def _has_phone_column(column_map: dict[str, str]) -> bool:
    return any(canonical_key(target) == "phone_e164" for target in column_map.values() if target)


def import_leads(
    source: RowSource, spec: ImportSpec, *, progress: Callable[[Any, int], None] | None = None
) -> ImportOutcome:
    """Run an import. Raises ImportFileError for problems with the file as a whole.

    `progress(raw_connection, rows_processed)` is called after each batch is written, from the thread
    that writes (so it must use the raw psycopg connection it is given, not the ORM)."""
    validate_mapping(spec.field_mapping)
    column_map = build_column_map(source.header, spec.field_mapping)
    if source.format != "json" and not _has_phone_column(column_map):
        raise ImportFileError(
            "No phone column: name one 'phone' (or phone_e164, phone_number, mobile), or map it with field_mapping.",
            code="NO_PHONE_COLUMN",
        )  # fmt: skip
    context = LeadContext(region=spec.region, default_timezone=spec.tenant.default_timezone)
    defaults = normalize_lead(spec.default_values or {}, context, partial=True)
    if defaults.errors:
        first = defaults.errors[0]
        raise ImportFileError(f"default_values.{first['field']}: {first['error']}", code="INVALID_DEFAULTS")
    outcome = ImportOutcome()
    atomic = spec.mode == "atomic"
    with transaction.atomic() if atomic else contextlib.nullcontext():
        connection.ensure_connection()
        if atomic:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # the transaction is open before the writer thread starts
        writer = _Writer(spec, connection.connection, outcome, progress)
        # Two busy threads: let the writer get the GIL back within a millisecond of each database
        # round trip instead of the default 5 ms (measured: 8.7 -> 5.0 s of writer time per 100k rows).
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, 0.001))
        try:
            _read_rows(source, column_map, context, defaults.values, outcome=outcome, writer=writer, atomic=atomic)
        finally:
            try:
                writer.close()
            finally:
                sys.setswitchinterval(interval)
        outcome.errors.sort(key=lambda e: e["row"])
        if atomic and outcome.invalid:
            outcome.rolled_back = True
            outcome.inserted = 0
            transaction.set_rollback(True)
    return outcome


def _read_rows(source: RowSource, column_map: dict, context: LeadContext, defaults: dict, *, outcome: ImportOutcome,
               writer: "_Writer", atomic: bool) -> None:  # fmt: skip
    """Normalise rows and hand them to the writer in batches; in-file duplicates stop here."""
    batch_size = settings.LEAD_IMPORT_BATCH_SIZE
    seen: dict[str, int] = {}
    batch: list[tuple[int, dict[str, Any]]] = []
    for number, raw in source.rows:
        outcome.total += 1
        if "__not_an_object__" in raw:
            outcome.invalid += 1
            outcome.error(number, None, raw["__not_an_object__"], "Each lead must be an object")
            continue
        row = {column_map.get(k, k): v for k, v in raw.items() if column_map.get(k, k)}
        result = normalize_lead(row, context)
        if result.errors:
            outcome.invalid += 1
            for problem in result.errors:
                outcome.error(number, _public_field(problem["field"]), problem["value"], problem["error"])
            continue
        values = _with_defaults(result.values, defaults)
        phone = values["phone_e164"]
        if phone in seen:
            outcome.duplicates += 1
            outcome.error(number, "phone", values.get("phone_raw") or phone,
                          f"Duplicate phone number {phone} (same as row {seen[phone]})")  # fmt: skip
            continue
        seen[phone] = number
        batch.append((number, values))
        if len(batch) >= batch_size:
            writer.submit(batch, rows_read=outcome.total, dry=atomic and outcome.invalid > 0)
            batch = []
    if batch:
        writer.submit(batch, rows_read=outcome.total, dry=atomic and outcome.invalid > 0)


def _public_field(name: str | None) -> str | None:
    return "phone" if name == "phone_e164" else name


def _with_defaults(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    if not defaults:
        return values
    merged = {**defaults, **{k: v for k, v in values.items() if v not in ("", None, [], {})}}
    if "custom_fields" in defaults and "custom_fields" in values:
        merged["custom_fields"] = {**defaults["custom_fields"], **values["custom_fields"]}
    return merged


def _sql_literal(value: Any) -> str:
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


DNC_IN_MEMORY_LIMIT = 500_000  # numbers; a larger list is probed batch by batch instead
_FIXED = ("id", "tenant_id", "campaign_id", "agent_id", "created_at", "updated_at", "search_document")


class _Writer:
    """Writes batches while the caller reads and normalises the next one.

    Parsing and validating rows is Python work; checking duplicates and inserting is PostgreSQL
    work. A thread runs the database side (psycopg releases the GIL while PostgreSQL works), on the
    caller's own connection, so atomic imports and test transactions see one transaction. The
    caller's thread does not touch the database while the writer runs.

    A batch is COPYed into a temporary table holding just the columns it uses, then moved into
    leads_lead with one INSERT that also writes each lead's "imported" timeline entry. The INSERT is
    plain (ON CONFLICT costs a speculative insertion per row); if a concurrent writer took a phone
    since our duplicate check, the batch is retried with ON CONFLICT DO NOTHING.
    """

    def __init__(self, spec: ImportSpec, raw_connection, outcome: ImportOutcome, progress=None):
        self.spec, self.conn, self.outcome, self.progress = spec, raw_connection, outcome, progress
        self.fields = {f.attname: f for f in Lead._meta.concrete_fields if f.attname not in _FIXED}
        self.defaults = {name: f.get_default() for name, f in self.fields.items()}
        description = f"Imported from {spec.source_name}" if spec.source_name else "Imported"
        metadata = json.dumps({"job_id": str(spec.job_id)} if spec.job_id else {})
        self.activity = [ActivityType.IMPORTED, description, metadata, spec.actor_id, spec.actor_label[:100]]
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.deferred_commits = False
        self.thread = threading.Thread(target=self._run, name="lead-import-writer", daemon=True)
        self.thread.start()

    # Caller side ---------------------------------------------------------------------------------
    def submit(self, batch: list, *, rows_read: int, dry: bool) -> None:
        # The COPY text of every row is built here, on the caller's thread: the writer thread then
        # holds the GIL only briefly per batch instead of once per row (a thread that has to win the
        # GIL back from a busy one waits up to the 5 ms switch interval each time).
        names = sorted({name for _, values in batch for name in values if name in self.fields})
        lines = []
        for _, values in batch:
            values["_id"] = lead_id = uuid7().hex
            cells = [values[n] if n in values else self.defaults[n] for n in names]
            lines.append("\t".join([lead_id, *map(_copy_text, cells), uuid7().hex]) + "\n")
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put((batch, names, lines, rows_read, dry), timeout=0.5)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error

    # Writer thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._prepare()
            while (item := self.queue.get()) is not None:
                batch, names, lines, rows_read, dry = item
                self._write(batch, names, lines, dry=dry)
                if self.progress is not None:
                    self.progress(self.conn, rows_read)
            if self.deferred_commits:
                # A synchronous commit that writes WAL flushes everything committed before it.
                with self.conn.transaction():
                    self.conn.execute("SELECT txid_current()")
        except BaseException as exc:  # handed to the caller's thread by submit()/close()
            self.error = exc
            while self.queue.get() is not None:  # drain so the caller never blocks on a full queue
                pass

    def _scope(self) -> tuple[str, list]:
        spec = self.spec
        if spec.campaign is not None:
            return "l.campaign_id = %s", [spec.campaign.pk]
        if spec.agent is not None:
            return "l.campaign_id IS NULL AND l.agent_id = %s", [spec.agent.pk]
        return "l.campaign_id IS NULL AND l.agent_id IS NULL", []

    def _prepare(self) -> None:
        """Once per import: the tenant's do-not-call list (when it is of a size to hold in memory) and
        whether the scope already has leads. A new campaign needs no duplicate probes: any duplicate
        is then either in the file (caught before here) or written concurrently (caught by the unique
        index, see _insert)."""
        tenant_id = self.spec.tenant.pk
        scope_sql, scope_params = self._scope()
        with self.conn.cursor() as cursor:
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

    def _write(self, batch: list, names: list, lines: list, *, dry: bool) -> None:
        outcome, tenant_id = self.outcome, self.spec.tenant.pk
        phones = [values["phone_e164"] for _, values in batch]
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
            with self.conn.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(queries), params)
                found = cursor.fetchall()
        blocked = {phone for kind, phone in found if kind == "dnc"} if self.dnc is None else self.dnc
        existing = {phone for kind, phone in found if kind == "lead"}
        ready, ready_lines = [], []
        for (number, values), line in zip(batch, lines, strict=True):
            phone = values["phone_e164"]
            if phone in blocked or values.get("do_not_call"):
                outcome.dnc += 1
            elif phone in existing:
                outcome.duplicates += 1
                outcome.error(number, "phone", values.get("phone_raw") or phone,
                              f"Lead with this phone number already exists ({phone})")  # fmt: skip
            else:
                ready.append((number, values))
                ready_lines.append(line)
        outcome.valid += len(ready)
        if dry or not ready:
            return
        inserted = self._insert(names, "".join(ready_lines))
        raced = len(ready) - inserted
        if raced:  # written by someone else between our check and our insert: find which
            with self.conn.cursor() as cursor:
                cursor.execute(
                    "SELECT id::text FROM leads_lead WHERE id = ANY(%s::uuid[])", [[v["_id"] for _, v in ready]]
                )
                written = {row[0].replace("-", "") for row in cursor.fetchall()}
            outcome.valid -= raced
            outcome.duplicates += raced
            for number, values in ready:
                if values["_id"] not in written:
                    outcome.error(number, "phone", values["phone_e164"], "Lead with this phone number already exists")
        outcome.inserted += inserted

    def _insert(self, names: list, data: str) -> int:
        table = f"lead_import_{uuid.uuid4().hex[:16]}"
        quoted = ", ".join(f'"{self.fields[n].column}"' for n in names)
        spec = self.spec
        missing = [f for n, f in self.fields.items() if n not in names and not f.null]
        target_cols = ", ".join([
            "id", "tenant_id", "campaign_id", "agent_id", "created_at", "updated_at",
            *(f'"{self.fields[n].column}"' for n in names), *(f'"{f.column}"' for f in missing),
        ])  # fmt: skip
        select_cols = ", ".join(["t.id", "%(tenant)s", "%(campaign)s", "%(agent)s", "now()", "now()",
                                 *(f't."{self.fields[n].column}"' for n in names),
                                 *(_sql_literal(f.get_default()) for f in missing)])  # fmt: skip
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

        def attempt(conflict: str) -> int:
            # One transaction (a savepoint inside an outer one) per batch, with as few round trips as
            # possible: the writer thread must win the GIL back after each one.
            own_transaction = self.conn.autocommit  # else we are a savepoint of the caller's transaction
            with self.conn.transaction(), self.conn.cursor() as cursor:
                # Batches commit without waiting for the WAL flush; close() makes the last one wait,
                # which flushes them all before the import reports back (a flush per batch cost ~30%).
                deferred = "SET LOCAL synchronous_commit = off; " if own_transaction else ""
                cursor.execute(
                    f'{deferred}CREATE TEMP TABLE "{table}" ON COMMIT DROP AS '
                    f"SELECT id, {quoted}, NULL::uuid AS activity_id FROM leads_lead WITH NO DATA"
                )
                self.deferred_commits |= own_transaction
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


# Backslash, tab, newline and CR are escaped; NUL cannot be stored in PostgreSQL text at all.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})


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
