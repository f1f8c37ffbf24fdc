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
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from psycopg.types.json import Jsonb

from apps.leads.choices import ActivityType, LeadStatus
from apps.leads.importing.readers import ImportFileError, RowSource
from apps.leads.models import DoNotCallEntry, Lead
from apps.leads.normalize import WRITABLE, LeadContext, canonical_key, normalize_lead

MAX_REPORTED_ERRORS = 10_000  # a file of junk must not turn into a gigabyte of error JSON

# Columns the COPY writes (everything but the id and the generated search column).
_SKIP = {"id", "search_document"}


def _columns() -> list:
    return [f for f in Lead._meta.concrete_fields if f.column not in _SKIP]


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
    source: RowSource, spec: ImportSpec, *, progress: Callable[[int, ImportOutcome], None] | None = None
) -> ImportOutcome:
    """Run an import. Raises ImportFileError for problems with the file as a whole."""
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
    writer = _Writer(spec)
    batch_size = settings.LEAD_IMPORT_BATCH_SIZE
    seen: dict[str, int] = {}
    batch: list[tuple[int, dict[str, Any]]] = []  # normalised rows waiting for the checks and the write
    atomic = spec.mode == "atomic"

    def flush() -> None:
        _check_and_write(batch, spec, writer, outcome, dry=atomic and outcome.invalid > 0)
        batch.clear()
        if progress:
            progress(outcome.total, outcome)

    with transaction.atomic() if atomic else contextlib.nullcontext():
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
            values = _with_defaults(result.values, defaults.values)
            phone = values["phone_e164"]
            if phone in seen:
                outcome.duplicates += 1
                outcome.error(number, "phone", values.get("phone_raw") or phone,
                              f"Duplicate phone number {phone} (same as row {seen[phone]})")  # fmt: skip
                continue
            seen[phone] = number
            batch.append((number, values))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        if atomic and outcome.invalid:
            outcome.rolled_back = True
            outcome.inserted = 0
            transaction.set_rollback(True)
    return outcome


def _public_field(name: str | None) -> str | None:
    return "phone" if name == "phone_e164" else name


def _with_defaults(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    if not defaults:
        return values
    merged = {**defaults, **{k: v for k, v in values.items() if v not in ("", None, [], {})}}
    if "custom_fields" in defaults and "custom_fields" in values:
        merged["custom_fields"] = {**defaults["custom_fields"], **values["custom_fields"]}
    return merged


def _check_and_write(batch: list, spec: ImportSpec, writer: "_Writer", outcome: ImportOutcome, *, dry: bool) -> None:
    phones = [values["phone_e164"] for _, values in batch]
    existing = _existing_phones(spec, phones)
    blocked = set(
        DoNotCallEntry.objects.for_tenant(spec.tenant)
        .filter(phone_e164__in=phones)
        .values_list("phone_e164", flat=True)
    )
    ready = []
    for number, values in batch:
        phone = values["phone_e164"]
        if phone in blocked or values.get("do_not_call"):
            outcome.dnc += 1
            continue
        if phone in existing:
            outcome.duplicates += 1
            outcome.error(number, "phone", values.get("phone_raw") or phone,
                          f"Lead with this phone number already exists ({phone})")  # fmt: skip
            continue
        ready.append((number, values))
    outcome.valid += len(ready)
    if dry or not ready:
        return
    inserted = writer.write(ready)
    raced = len(ready) - len(inserted)
    if raced:  # written by someone else between our check and our insert
        outcome.valid -= raced
        outcome.duplicates += raced
        for number, values in ready:
            if values["phone_e164"] not in inserted:
                outcome.error(number, "phone", values["phone_e164"], "Lead with this phone number already exists")
    outcome.inserted += len(inserted)


def _existing_phones(spec: ImportSpec, phones: list[str]) -> set[str]:
    live = Lead.objects.for_tenant(spec.tenant).alive().filter(phone_e164__in=phones)
    if spec.campaign is not None:
        live = live.filter(campaign=spec.campaign)
    elif spec.agent is not None:
        live = live.filter(campaign__isnull=True, agent=spec.agent)
    else:
        live = live.filter(campaign__isnull=True, agent__isnull=True)
    return set(live.values_list("phone_e164", flat=True))


class _Writer:
    """COPY a batch into a temporary table, then move it into leads_lead (skipping rows that collide
    with the unique constraints) and write one timeline entry per inserted lead, in one statement."""

    def __init__(self, spec: ImportSpec):
        self.spec = spec
        self.fields = _columns()
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.table = f"lead_import_{uuid.uuid4().hex[:12]}"
        description = f"Imported from {spec.source_name}" if spec.source_name else "Imported"
        self.activity = (ActivityType.IMPORTED, description,
                         json.dumps({"job_id": str(spec.job_id)} if spec.job_id else {}))  # fmt: skip

    def _row(self, values: dict[str, Any]) -> list[Any]:
        spec = self.spec
        fixed = {
            "tenant_id": spec.tenant.pk,
            "campaign_id": getattr(spec.campaign, "pk", None),
            "agent_id": getattr(spec.agent, "pk", None),
            "status": LeadStatus.NEW,
        }
        out = []
        for f in self.fields:
            name = f.attname
            if name in fixed and not (name == "status" and "status" in values):
                value = fixed[name]
            elif name in values:
                value = values[name]
            else:
                value = self.defaults[name]
            if name in ("custom_fields", "score_breakdown"):
                value = Jsonb(value)
            elif name in ("created_at", "updated_at"):
                value = None  # filled by now() in the INSERT
            out.append(value)
        return out

    def write(self, ready: list[tuple[int, dict[str, Any]]]) -> set[str]:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        select_cols = ", ".join("now()" if c in ("created_at", "updated_at") else f't."{c}"' for c in self.columns)
        activity_type, description, metadata = self.activity
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor, for COPY
            raw.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{self.table}" ON COMMIT DROP AS '
                f"SELECT {cols} FROM leads_lead WITH NO DATA"
            )
            raw.execute(f'TRUNCATE "{self.table}"')
            with raw.copy(f'COPY "{self.table}" ({cols}) FROM STDIN') as copy:
                for _, values in ready:
                    copy.write_row(self._row(values))
            raw.execute(
                f"""
                WITH ins AS (
                    INSERT INTO leads_lead (id, {cols})
                    SELECT gen_random_uuid(), {select_cols} FROM "{self.table}" t
                    ON CONFLICT DO NOTHING
                    RETURNING id, tenant_id, phone_e164
                ), act AS (
                    INSERT INTO leads_leadactivity
                        (id, tenant_id, lead_id, activity_type, description, metadata, actor_id, actor_label,
                         created_at, updated_at)
                    SELECT gen_random_uuid(), ins.tenant_id, ins.id, %s, %s, %s::jsonb, %s, %s, now(), now()
                    FROM ins
                )
                SELECT phone_e164 FROM ins
                """,
                [activity_type, description, metadata, self.spec.actor_id, self.spec.actor_label[:100]],
            )
            return {row[0] for row in raw.fetchall()}
