"""Lead export (CSV or XLSX), streamed: rows are read in keyset-paginated chunks and written out as
they come, so memory stays flat whatever the size of the table.

Under ASGI the body must be an async iterator (Django would otherwise collect a sync one into a
list, i.e. the whole export in memory); under WSGI and the test client a sync one serves.
Cells that a spreadsheet would run as a formula (= + - @ tab CR at the start) are neutralised with a
leading apostrophe, except plain numbers and E.164 phone numbers, which no spreadsheet executes.
"""

import asyncio
import csv
import io
import json
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.db.models import Q
from openpyxl import Workbook

EXPORT_FIELDS = [
    "id", "first_name", "last_name", "phone_e164", "alternate_phone", "email", "company_name", "job_title",
    "industry", "niche", "city", "state", "country", "postal_code", "address", "timezone", "preferred_language",
    "source", "source_details", "priority", "interest_level", "lead_score", "is_hot_lead", "status", "stage",
    "disposition", "do_not_call", "next_call_at", "attempts_count", "last_call_at", "conversion_value",
    "converted_at", "campaign_id", "agent_id", "assigned_to_id", "tags", "notes", "custom_fields", "created_at",
]  # fmt: skip
# Column titles: spec 000 calls next_call_at schedule_at.
EXPORT_HEADERS = [{"next_call_at": "schedule_at", "assigned_to_id": "assigned_to"}.get(f, f) for f in EXPORT_FIELDS]

CHUNK = 2000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SAFE_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value: str) -> str:
    if value and value.startswith(_FORMULA_START) and not _SAFE_NUMBER.match(value):
        return "'" + value
    return value


def _cell(value) -> str:  # noqa: PLR0911 - one return a type
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list):
        return neutralise(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return neutralise(json.dumps(value, ensure_ascii=False, default=str)) if value else ""
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralise(str(value))


def _chunks(queryset) -> Iterator[list[tuple]]:
    """Keyset pagination over (created_at, id), newest first: no long-lived cursor, constant memory."""
    base = queryset.order_by("-created_at", "-id").values_list(*EXPORT_FIELDS)
    created_index, id_index = EXPORT_FIELDS.index("created_at"), EXPORT_FIELDS.index("id")
    last = None
    while True:
        page = base
        if last is not None:
            page = base.filter(Q(created_at__lt=last[0]) | Q(created_at=last[0], id__lt=last[1]))
        rows = list(page[:CHUNK])
        if not rows:
            return
        yield rows
        last = (rows[-1][created_index], rows[-1][id_index])
        if len(rows) < CHUNK:
            return


def csv_lines(queryset) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")  # BOM: Excel then reads UTF-8 correctly
    writer.writerow(EXPORT_HEADERS)
    yield drain()
    for rows in _chunks(queryset):
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        yield drain()


async def csv_lines_async(queryset) -> AsyncIterator[str]:
    iterator = csv_lines(queryset)
    # thread_sensitive: every chunk runs on the same thread, hence the same database connection.
    step = sync_to_async(lambda: next(iterator, None), thread_sensitive=True)
    while (part := await step()) is not None:
        yield part


def xlsx_tempfile(queryset) -> tempfile.SpooledTemporaryFile:
    """Write the workbook row by row (openpyxl write-only mode) into a temporary file and return it,
    rewound. Only the current chunk of rows is ever in memory."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    sheet.append(EXPORT_HEADERS)
    for rows in _chunks(queryset):
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(out)
    out.seek(0)
    return out


def _xlsx_cell(value):
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; exported times are UTC
    return _cell(value)


async def file_chunks_async(handle, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk
    finally:
        handle.close()


def file_chunks(handle, size: int = 256 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
