"""Working hours of an agent: one rulebook for the API, the admin and the dialer.

Input: spec 004's one range a day, {"monday": {"start": "09:00", "end": "17:00"}}, or several,
{"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]}. Day names in
any case, full or abbreviated ("Monday", "MON"), as campaigns' working days take them. Times are
"HH:MM" (or "H:MM"), 24-hour; "24:00" may end a range (until midnight). A range may not cross
midnight: split it across two days.

Stored: lowercase day -> list of {"start", "end"} "HH:MM" strings, sorted by start. A day given as
null or [] is kept as [] (not worked that day).

Meaning (the same for AI and human agents):
- `{}` (nothing given) places no restriction: the agent may work at any hour. For an AI agent the
  campaign's calling hours still apply; for a human the presence (available, busy...) is what routes
  calls, and hours only narrow it once they are set.
- Otherwise the agent works only inside the listed ranges, in the agent's own time zone. A day that
  is missing or empty is not worked. A range includes its start and excludes its end.
"""

import re
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from apps.core.weekdays import WEEKDAYS, weekday, weekday_of

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
END_OF_DAY = 24 * 60


def _minutes(value, *, end: bool) -> int | None:
    """Minutes since midnight for "HH:MM", or None when the text is not a valid time."""
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        return None
    return hours * 60 + minutes


def _text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _ranges(value) -> tuple[list[tuple[int, int]], list[ValidationError]]:
    """A day's ranges as (start, end) minutes, and what is wrong with them."""
    if value is None:
        return [], []
    items = [value] if isinstance(value, dict) else value
    if not isinstance(items, list):
        return [], [ValidationError("Give a {start, end} object or a list of them.", code="invalid")]
    ranges, problems = [], []
    for index, item in enumerate(items, start=1):
        where = f"range {index}" if len(items) > 1 else "range"
        if not isinstance(item, dict):
            problems.append(ValidationError(f"{where}: give an object with start and end.", code="invalid"))
            continue
        unknown = sorted(set(item) - {"start", "end"})
        if unknown:
            problems.append(ValidationError(f"{where}: unknown key {', '.join(unknown)}; use start and end.",
                                            code="invalid"))  # fmt: skip
            continue
        if "start" not in item or "end" not in item:
            problems.append(ValidationError(f"{where}: start and end are both required.", code="required"))
            continue
        start, end = _minutes(item["start"], end=False), _minutes(item["end"], end=True)
        bad = [f"{key} {item[key]!r}" for key, at in (("start", start), ("end", end)) if at is None]
        if bad:
            problems.append(ValidationError(f"{where}: {' and '.join(bad)} is not a time HH:MM (00:00 to 23:59, "
                                            f"24:00 as an end).", code="invalid_time"))  # fmt: skip
            continue
        if end <= start:
            problems.append(ValidationError(f"{where}: end {_text(end)} is not after start {_text(start)}; a range "
                                            f"cannot cross midnight.", code="end_not_after_start"))  # fmt: skip
            continue
        ranges.append((start, end))
    ranges.sort()
    for (a_start, a_end), (b_start, b_end) in pairwise(ranges):
        if b_start < a_end:
            problems.append(ValidationError(
                f"{_text(a_start)}-{_text(a_end)} overlaps {_text(b_start)}-{_text(b_end)}.", code="overlap"
            ))  # fmt: skip
    return ranges, problems


def normalize_working_hours(value) -> dict[str, list[dict[str, str]]]:
    """The stored form of working hours, or a ValidationError naming each bad day (keys as given)."""
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            'Working hours are an object of days: {"monday": {"start": "09:00", "end": "17:00"}}.', code="invalid"
        )
    out: dict[str, list[dict[str, str]]] = {}
    errors: dict[str, list[ValidationError]] = {}
    for key, day_value in value.items():
        day = weekday(key)
        if day is None:
            errors[str(key)] = [ValidationError(f"Unknown day '{key}'; use monday to sunday.", code="unknown_day")]
            continue
        if day in out:
            errors[str(key)] = [ValidationError(f"{day} is given twice.", code="duplicate_day")]
            continue
        ranges, problems = _ranges(day_value)
        if problems:
            errors[str(key)] = problems
            continue
        out[day] = [{"start": _text(start), "end": _text(end)} for start, end in ranges]
    if errors:
        raise ValidationError(errors)
    return {day: out[day] for day in WEEKDAYS if day in out}


def is_working(agent, at: datetime) -> bool:
    """Whether `at` (an aware datetime) falls inside the agent's working hours, read in the agent's
    own time zone. The instant is converted to local wall time, so DST changes need no special case:
    09:00-17:00 means 09:00-17:00 on the local clock, whatever the offset that day."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("is_working needs an aware datetime")
    hours = normalize_working_hours(agent.working_hours)
    if not hours:
        return True  # no hours set: no restriction (see the module docstring)
    local = at.astimezone(ZoneInfo(agent.timezone or "UTC"))
    minute = local.hour * 60 + local.minute + local.second / 60
    for span in hours.get(weekday_of(local), []):
        if _minutes(span["start"], end=False) <= minute < _minutes(span["end"], end=True):
            return True
    return False
