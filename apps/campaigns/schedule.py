"""When a campaign may call: its schedule window, recurrence (RFC 5545 RRULE), working days and
calling hours, all read in the campaign's own time zone.

Recurrence is evaluated on wall-clock time: a rule starting 09:00 in America/New_York yields 09:00
local on both sides of a DST change (13:00 UTC in summer, 14:00 in winter), which is what a
business means by "every weekday at nine". The dialer (a later issue) asks `calling_allowed`
before each dial, and `next_opening` to place a retry.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from dateutil import rrule
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.core.weekdays import WEEKDAYS, weekday, weekday_of

_ALLOWED_FREQUENCIES = {rrule.DAILY, rrule.WEEKLY, rrule.MONTHLY, rrule.YEARLY}
_SEARCH_DAYS = 400  # how far ahead next_opening looks before it says "never"


def normalize_working_days(values) -> list[str]:
    """["Monday", "TUE", "wednesday"] -> ["monday", "tuesday", "wednesday"] (week order, no repeats)."""
    if isinstance(values, str):
        values = [part for part in values.replace(";", ",").split(",") if part.strip()]
    if not isinstance(values, list | tuple):
        raise ValidationError("Working days must be a list of day names, such as ['Monday', 'Friday'].",
                              code="invalid")  # fmt: skip
    days = set()
    for value in values:
        day = weekday(value)
        if day is None:
            raise ValidationError(f"'{value}' is not a day of the week (Monday ... Sunday).", code="invalid")
        days.add(day)
    return [day for day in WEEKDAYS if day in days]


def parse_rrule(rule: str, *, dtstart: dt.datetime):
    """The rule as a dateutil rrule over naive local datetimes starting at dtstart (naive, local)."""
    text = (rule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        return None
    try:
        parsed = rrule.rrulestr(text, dtstart=dtstart, ignoretz=True)
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"Invalid recurrence rule '{rule}': {exc}.", code="invalid") from None
    if not isinstance(parsed, rrule.rrule):
        raise ValidationError("Give one RRULE (FREQ=...), without DTSTART or EXDATE lines.", code="invalid")
    if parsed._freq not in _ALLOWED_FREQUENCIES:
        raise ValidationError("A campaign recurs daily, weekly, monthly or yearly (FREQ=DAILY|WEEKLY|MONTHLY|YEARLY).",
                              code="invalid")  # fmt: skip
    return parsed


def validate_rrule(rule: str) -> None:
    """Whether the rule parses (its meaning does not depend on when it starts)."""
    parse_rrule(rule, dtstart=dt.datetime(2000, 1, 1))


def _zone(campaign) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(campaign.timezone or "UTC")


def _local_start(campaign) -> dt.datetime:
    """The recurrence's DTSTART: the schedule start (else the creation), on the campaign's wall clock."""
    zone = _zone(campaign)
    anchor = campaign.schedule_start or campaign.created_at or timezone.now()
    local = anchor.astimezone(zone)
    return local.replace(tzinfo=None, second=0, microsecond=0)


def _rule(campaign):
    return parse_rrule(campaign.recurrence_rule, dtstart=_local_start(campaign))


def occurrences(campaign, *, after: dt.datetime, before: dt.datetime) -> list[dt.datetime]:
    """The rule's occurrences in [after, before), as aware datetimes in the campaign's zone."""
    zone = _zone(campaign)
    parsed = _rule(campaign)
    if parsed is None:
        return []
    lo = after.astimezone(zone).replace(tzinfo=None)
    hi = before.astimezone(zone).replace(tzinfo=None)
    return [moment.replace(tzinfo=zone) for moment in parsed.between(lo, hi, inc=True) if moment < hi]


def _day_refusal(campaign, rule, day: dt.date) -> str:
    """Why calls may not happen on this local day ("" when they may): not a working day, or not a day
    the recurrence (parsed once by the caller) occurs on."""
    if weekday_of(day) not in (campaign.working_days or WEEKDAYS):
        return f"{weekday_of(day)} is not a working day"
    if rule is not None:
        midnight = dt.datetime.combine(day, dt.time.min)
        upcoming = rule.after(midnight, inc=True)
        if upcoming is None or upcoming >= midnight + dt.timedelta(days=1):
            return "not a day of the recurrence"
    return ""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _window_day(campaign, local: dt.datetime) -> dt.date | None:
    """The day whose calling hours contain this local moment (the previous day for the small hours of
    an overnight window), or None when the moment is outside the hours."""
    start, end, now = campaign.calling_hours_start, campaign.calling_hours_end, local.time()
    if start < end:
        return local.date() if start <= now < end else None
    # Overnight (allow_overnight): 20:00-02:00 belongs to the day it began.
    if now >= start:
        return local.date()
    if now < end:
        return local.date() - dt.timedelta(days=1)
    return None


def calling_allowed(campaign, at: dt.datetime | None = None) -> Verdict:
    """May this campaign place a call at `at` (now by default)? Says why not."""
    at = at or timezone.now()
    if not campaign.is_dialing:
        return Verdict(False, f"campaign is {'deleted' if campaign.deleted_at else campaign.status}")
    if campaign.schedule_start and at < campaign.schedule_start:
        return Verdict(False, "before the schedule start")
    if campaign.schedule_end and at >= campaign.schedule_end:
        return Verdict(False, "after the schedule end")
    local = at.astimezone(_zone(campaign))
    day = _window_day(campaign, local)
    if day is None:
        return Verdict(False, "outside calling hours")
    refusal = _day_refusal(campaign, _rule(campaign), day)
    return Verdict(not refusal, refusal)


def next_opening(campaign, after: dt.datetime | None = None) -> dt.datetime | None:
    """The first moment at or after `after` when calling hours open on a working, recurring day
    inside the schedule window (ignoring the campaign's status), or None within a year."""
    after = after or timezone.now()
    zone = _zone(campaign)
    if campaign.schedule_start and after < campaign.schedule_start:
        after = campaign.schedule_start
    local_after = after.astimezone(zone)
    rule = _rule(campaign)
    for offset in range(-1, _SEARCH_DAYS):
        day = local_after.date() + dt.timedelta(days=offset)
        if _day_refusal(campaign, rule, day):
            continue
        opens = dt.datetime.combine(day, campaign.calling_hours_start, tzinfo=zone)
        closes_day = day if campaign.calling_hours_start < campaign.calling_hours_end else day + dt.timedelta(days=1)
        closes = dt.datetime.combine(closes_day, campaign.calling_hours_end, tzinfo=zone)
        if closes <= after:
            continue
        moment = max(opens, after)
        if campaign.schedule_end and moment >= campaign.schedule_end:
            return None
        return moment
    return None
