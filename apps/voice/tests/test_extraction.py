"""Callback times and email addresses, as people say them. The clock: Wednesday 2 December 2026,
10:00 in New York (15:00 UTC)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.voice.extraction import callback_time, email_in

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=NY)


def _local(text: str, tz=NY) -> dt.datetime | None:
    at = callback_time(text, now=NOW, tz=tz)
    return at.astimezone(tz).replace(tzinfo=None) if at is not None else None


@pytest.mark.parametrize(("text", "expected"), [
    ("call me tomorrow at 3pm", dt.datetime(2026, 12, 3, 15, 0)),
    ("Can you call me back tomorrow at 3:30 p.m.?", dt.datetime(2026, 12, 3, 15, 30)),
    ("tomorrow afternoon works", dt.datetime(2026, 12, 3, 14, 0)),
    ("Can you call me back tomorrow afternoon?", dt.datetime(2026, 12, 3, 14, 0)),
    ("try me friday morning", dt.datetime(2026, 12, 4, 10, 0)),
    ("next monday at 9 am", dt.datetime(2026, 12, 7, 9, 0)),
    ("call back on Wednesday", dt.datetime(2026, 12, 9, 10, 0)),  # a weekday is the next one, not today
    ("this afternoon around 4", dt.datetime(2026, 12, 2, 16, 0)),
    ("at 3", dt.datetime(2026, 12, 2, 15, 0)),  # "at 3" means the afternoon
    ("at 9", dt.datetime(2026, 12, 3, 9, 0)),  # 9 am has passed: tomorrow
    ("in two hours", dt.datetime(2026, 12, 2, 12, 0)),
    ("give me half an hour", None),  # no "in": not a time we read
    ("in half an hour", dt.datetime(2026, 12, 2, 10, 30)),
    ("next week", dt.datetime(2026, 12, 7, 10, 0)),
    ("the day after tomorrow at noon", dt.datetime(2026, 12, 4, 12, 0)),
    ("December 15th at 2pm", dt.datetime(2026, 12, 15, 14, 0)),
    ("the 5th of january", dt.datetime(2027, 1, 5, 10, 0)),  # a date that has passed this year: next year's
    ("tonight", dt.datetime(2026, 12, 2, 18, 0)),
    ("later", None),
    ("sure, I have a minute", None),
])  # fmt: skip
def test_it_reads_callback_times_in_the_leads_zone(text, expected):
    assert _local(text) == expected


def test_the_answer_is_in_utc_and_the_persons_own_clock():
    at = callback_time("tomorrow at 3pm", now=NOW, tz=ZoneInfo("America/Los_Angeles"))
    assert at.tzinfo == dt.UTC and at == dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)


def test_a_day_without_a_time_keeps_office_hours():
    late = dt.datetime(2026, 12, 2, 20, 30, tzinfo=NY)
    at = callback_time("tomorrow", now=late, tz=NY).astimezone(NY)
    assert (at.date(), at.time()) == (dt.date(2026, 12, 3), dt.time(18, 0))


@pytest.mark.parametrize(("text", "email"), [
    ("It's pat at leeplumbing dot com.", "pat@leeplumbing.com"),
    ("my email is pat.lee@lee-plumbing.co.uk thanks", "pat.lee@lee-plumbing.co.uk"),
    ("pat dot lee at gmail dot com", "pat.lee@gmail.com"),
    ("send it to PAT_LEE at Example.com", "pat_lee@example.com"),
    ("pat underscore lee at example dot org", "pat_lee@example.org"),
    ("call me at 3 pm", ""),
    ("I'm at home right now", ""),
    ("pat at", ""),
    ("", ""),
])  # fmt: skip
def test_it_hears_an_email_address(text, email):
    assert email_in(text) == email


def test_a_time_said_without_minutes_is_on_the_hour_whatever_the_clock_says():
    odd = dt.datetime(2026, 12, 2, 10, 38, 17, 123, tzinfo=NY)
    assert callback_time("tomorrow at 3pm", now=odd, tz=NY).astimezone(NY).time() == dt.time(15, 0)
