"""requirements.txt is a complete lock: everything the direct dependencies need at run time (extras
included) is pinned there, at the version installed. `make run` installs only this file, so a
dependency that arrives only through the test tools would break the product, not the tests."""

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def _pins() -> dict[str, tuple[str, set[str]]]:
    pins = {}
    for raw in REQUIREMENTS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[([^\]]+)\])?==(\S+)", line)
        assert match, f"not an exact pin: {line!r}"
        name, extras, version = match.groups()
        pins[canonicalize_name(name)] = (version, set(filter(None, (extras or "").split(","))))
    return pins


def test_every_runtime_dependency_is_pinned():
    pins = _pins()
    missing: set[str] = set()
    seen: set[tuple[str, frozenset]] = set()
    todo = [(name, frozenset(extras)) for name, (_, extras) in pins.items()]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for raw in metadata.requires(name) or []:
            req = Requirement(raw)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker and not any(req.marker.evaluate(env) for env in environments):
                continue
            dep = canonicalize_name(req.name)
            if dep not in pins:
                missing.add(f"{dep} (needed by {name})")
            todo.append((dep, frozenset(req.extras)))
    assert not missing, f"add to requirements.txt: {sorted(missing)}"


def test_pins_match_what_is_installed():
    wrong = {name: (version, metadata.version(name)) for name, (version, _) in _pins().items()
             if metadata.version(name) != version}  # fmt: skip
    assert not wrong, f"pinned vs installed: {wrong}"
