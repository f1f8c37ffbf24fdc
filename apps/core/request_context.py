"""Per-request context (request id, tenant) carried in contextvars, so logs and error bodies can
name the request without passing it around. Works for sync and async code alike."""

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
tenant_id_var: ContextVar[str] = ContextVar("tenant_id", default="-")

# Accept a caller's id only when it is short and plain, so it cannot forge log lines.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id(incoming: str | None = None) -> str:
    if incoming and _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return f"req_{uuid.uuid4().hex}"


def current_request_id() -> str:
    return request_id_var.get()
