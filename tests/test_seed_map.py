"""docs/seed-map.md cannot drift from the code or the specs:

- every endpoint the five spec documents declare has a row;
- every status is `served`, `not yet: issue N` or `left out: <why>`;
- every `served` row's canonical path resolves in the URLconf and accepts the row's method.
"""

import re
import uuid
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from leadvoice.routing import websocket_urlpatterns

BASE_DIR = Path(__file__).resolve().parent.parent
SEED_MAP = BASE_DIR / "docs" / "seed-map.md"
# A copy of ../shared/spec kept in the project, so the check runs wherever the project is cloned.
SPEC_DIR = BASE_DIR / "docs" / "specs"
SHARED_SPEC_DIR = BASE_DIR.parent / "shared" / "spec"

ROW = re.compile(
    r"^\|\s*(?P<spec>\d{3})\s*\|\s*(?P<method>GET|POST|PUT|PATCH|DELETE|WS)\s*\|\s*`(?P<spec_path>[^`]+)`\s*"
    r"\|\s*`(?P<canonical>[^`]+)`\s*\|\s*(?P<status>[^|]+?)\s*\|\s*$"
)
STATUS = re.compile(r"^(served|not yet: issue (?P<issue>\d+)|left out: .+)$")
# How the documents write an endpoint: "**POST** `/leads/`", "#### GET /health", "POST /api/v1/leads".
SPEC_ENDPOINT = re.compile(r"^(?:\*\*|#+\s+)?(GET|POST|PUT|PATCH|DELETE)(?:\*\*)?\s+`?(/[^\s`]*)")
# Paths in spec 000 are relative to its base URL.
SPEC_BASE = {"000": "/api/v1"}


def map_rows() -> list[dict]:
    rows = [m.groupdict() for line in SEED_MAP.read_text().splitlines() if (m := ROW.match(line.strip()))]
    assert rows, "no rows parsed from docs/seed-map.md: is the table format intact?"
    return rows


def normalise(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/")
    path = re.sub(r"\{[^}]+\}|:[A-Za-z_]+", "{}", path)
    path = re.sub(r"/\d+(?=/|$)", "/{}", path)  # an example id in a path ("/voice-campaigns/123")
    return path or "/"


def spec_endpoints() -> set[tuple[str, str, str]]:
    found = set()
    for spec_file in sorted(SPEC_DIR.glob("[0-9][0-9][0-9]_*.txt")):
        spec = spec_file.name[:3]
        for line in spec_file.read_text().splitlines():
            if match := SPEC_ENDPOINT.match(line.strip()):
                method, path = match.groups()
                found.add((spec, method, normalise(SPEC_BASE.get(spec, "") + path)))
    return found


def test_the_map_covers_all_five_documents():
    assert {row["spec"] for row in map_rows()} == {"000", "001", "002", "003", "004"}


@pytest.mark.skipif(not SHARED_SPEC_DIR.exists(), reason="../shared/spec is not beside this clone")
def test_the_spec_copy_is_current():
    for original in SHARED_SPEC_DIR.glob("*.txt"):
        assert (SPEC_DIR / original.name).read_text() == original.read_text(), f"refresh docs/specs/{original.name}"


def test_every_spec_endpoint_has_a_row():
    mapped = {(row["spec"], row["method"], normalise(row["spec_path"])) for row in map_rows()}
    missing = sorted(spec_endpoints() - mapped)
    assert not missing, f"spec endpoints without a row in docs/seed-map.md: {missing}"


def test_every_status_is_from_the_vocabulary():
    for row in map_rows():
        match = STATUS.match(row["status"])
        assert match, f"bad status {row['status']!r} for {row['spec']} {row['method']} {row['spec_path']}"
        if match["issue"]:
            assert 3 <= int(match["issue"]) <= 10, row


def _allows(match, method: str) -> bool | None:
    """Whether the resolved view accepts the method; None when it cannot be told statically."""
    actions = getattr(match.func, "actions", None)
    if actions:
        return method.lower() in actions
    cls = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    if cls is not None:
        return hasattr(cls, method.lower())
    return None


def test_every_served_row_resolves_with_its_method(client, db):
    served = [row for row in map_rows() if row["status"] == "served"]
    assert served, "nothing is served? the foundation serves auth, health and docs"
    problems = []
    for row in served:
        method = row["method"]
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), row["canonical"])
        if method == "WS":  # a socket: the ASGI app's WebSocket routes, not the URLconf
            if not any(pattern.resolve(path.lstrip("/")) for pattern in websocket_urlpatterns):
                problems.append(f"{row['spec']} WS {row['canonical']}: no WebSocket route")
            continue
        try:
            match = resolve(path)
        except Resolver404:
            problems.append(f"{row['spec']} {method} {row['canonical']}: does not resolve")
            continue
        allowed = _allows(match, method)
        if allowed is None:  # a plain function view: ask it
            allowed = client.generic(method, path).status_code != 405
        if not allowed:
            problems.append(f"{row['spec']} {method} {row['canonical']}: resolves but does not accept {method}")
    assert not problems, "\n".join(problems)
