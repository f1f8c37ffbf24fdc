"""Facts the customer gives in passing: when to call back ("call me tomorrow at 3pm", "Friday
morning", "in two hours") and an email address ("pat at example dot com").

Times are read in the lead's own time zone (a person says "3pm" of their own clock) with dateutil,
and returned in UTC; a time that has passed today means tomorrow, a weekday means its next one.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as date_parser
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.voice.analysis import normalize

_WEEKDAYS = {"monday": MO, "tuesday": TU, "wednesday": WE, "thursday": TH, "friday": FR, "saturday": SA, "sunday": SU}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
            "forty five": 45, "half an": 0.5, "half a": 0.5}  # fmt: skip
_UNITS = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}
_PARTS = [
    (re.compile(r"\b(?:first thing|early) (?:in the )?morning\b"), dt.time(9, 0)),
    (re.compile(r"\bmorning\b"), dt.time(10, 0)),
    (re.compile(r"\b(?:noon|midday|lunch ?time)\b"), dt.time(12, 0)),
    (re.compile(r"\bafternoon\b"), dt.time(14, 0)),
    (re.compile(r"\bend of (?:the )?day\b"), dt.time(16, 30)),
    (re.compile(r"\b(?:evening|tonight)\b"), dt.time(18, 0)),
]
_RELATIVE = re.compile(
    r"\bin (half an?|an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty five|\d+) "
    r"(minute|hour|day|week)s?\b"
)  # fmt: skip
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?)(?=\W|$)")
_AT_HOUR = re.compile(r"\b(?:at|around|about|after|before) (\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|"
                      r"eleven|twelve)(?::(\d{2}))?(?: o'?clock)?\b(?! (?:days?|hours?|minutes?|weeks?))")  # fmt: skip
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_DATE = re.compile(rf"\b(?:{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)? of {_MONTHS})\b")
_EARLIEST, _LATEST = dt.time(9, 0), dt.time(18, 0)

_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_SPOKEN_EMAIL = re.compile(
    r"\b([a-z0-9][a-z0-9._-]*(?:\s+(?:dot|underscore|dash|hyphen)\s+[a-z0-9_-]+)*)\s+(?:at|@)\s+"
    r"([a-z0-9-]+(?:\s*(?:\.|\bdot\b)\s*[a-z0-9-]+)+)"
)  # fmt: skip
_SPOKEN_SYMBOLS = [(re.compile(r"\s*\bdot\b\s*"), "."), (re.compile(r"\s*\bunderscore\b\s*"), "_"),
                   (re.compile(r"\s*\b(?:dash|hyphen)\b\s*"), "-"), (re.compile(r"\s*\.\s*"), ".")]  # fmt: skip


def zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name) if name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _day(text: str, local: dt.datetime) -> dt.date | None:  # noqa: PLR0911 - a return a way of naming a day
    today = local.date()
    if "day after tomorrow" in text:
        return today + dt.timedelta(days=2)
    if re.search(r"\btomorrow\b", text):
        return today + dt.timedelta(days=1)
    if re.search(r"\b(?:today|tonight|this (?:morning|afternoon|evening)|later on)\b", text):
        return today
    for name, weekday in _WEEKDAYS.items():
        if re.search(rf"\b{name}\b", text):
            return today + relativedelta(days=+1, weekday=weekday(+1))
    if re.search(r"\bnext week\b", text):
        return today + relativedelta(days=+1, weekday=MO(+1))
    if re.search(r"\bnext month\b", text):
        return (today + relativedelta(months=+1)).replace(day=1)
    match = _DATE.search(text)
    if match:
        try:
            moment = date_parser.parse(re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", match.group(0)), default=local)
        except (ValueError, OverflowError):
            return None
        day = moment.date()
        return day if day >= today else day.replace(year=day.year + 1)
    return None


def _time_of_day(text: str, day: dt.datetime) -> dt.time | None:
    match = _CLOCK.search(text)
    if match:
        token = re.sub(r"[.\s]", "", match.group(0))
        try:
            # dateutil keeps whatever the default has and the text does not say: no minutes said is :00
            return date_parser.parse(token, default=day.replace(minute=0, second=0, microsecond=0)).time()
        except (ValueError, OverflowError):
            return None
    match = _AT_HOUR.search(text)
    if match:
        raw = match.group(1)
        hour = int(raw) if raw.isdigit() else _NUMBERS[raw]
        minute = int(match.group(2) or 0)
        if 1 <= hour <= 7:  # "at 3": people mean the afternoon
            hour += 12
        if 0 <= hour <= 23 and minute < 60:
            return dt.time(hour, minute)
    for pattern, moment in _PARTS:
        if pattern.search(text):
            return moment
    return None


def callback_time(text: str, *, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """When the person asked to be called back (UTC), or None when they named no time."""
    said = normalize(text)
    local = now.astimezone(tz)
    relative = _RELATIVE.search(said)
    if relative:
        amount = float(relative.group(1)) if relative.group(1).isdigit() else _NUMBERS[relative.group(1)]
        return (local + dt.timedelta(**{_UNITS[relative.group(2)]: amount})).astimezone(dt.UTC)
    day = _day(said, local)
    moment = _time_of_day(said, local)
    if day is None and moment is None:
        return None
    if moment is None:  # a day without a time: the time of day it is now, inside office hours
        moment = min(max(local.time().replace(second=0, microsecond=0), _EARLIEST), _LATEST)
    if day is None:
        day = local.date()
        if dt.datetime.combine(day, moment, tzinfo=tz) <= local:
            day += dt.timedelta(days=1)
    at = dt.datetime.combine(day, moment, tzinfo=tz)
    return at.astimezone(dt.UTC) if at > local else None


def email_in(text: str) -> str:
    """An email address said or typed in `text` ("" when none, or not a valid one)."""
    said = normalize(text)
    match = _EMAIL.search(said)
    candidate = match.group(0) if match else ""
    if not candidate:
        spoken = _SPOKEN_EMAIL.search(said)
        if spoken:
            local_part, domain = spoken.group(1), spoken.group(2)
            for pattern, symbol in _SPOKEN_SYMBOLS:
                local_part, domain = pattern.sub(symbol, local_part), pattern.sub(symbol, domain)
            candidate = f"{local_part}@{domain}"
    candidate = candidate.rstrip(".")
    try:
        validate_email(candidate)
    except ValidationError:
        return ""
    return candidate
