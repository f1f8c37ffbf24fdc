"""Working hours: both input shapes, every refusal, and is_working in the agent's zone across DST."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from apps.agents.hours import is_working, normalize_working_hours
from apps.agents.models import Agent, AgentKind


def refusal(value) -> dict[str, list[tuple[str, str]]]:
    with pytest.raises(ValidationError) as caught:
        normalize_working_hours(value)
    return {day: [(e.message, e.code) for e in errors] for day, errors in caught.value.error_dict.items()}


def test_it_accepts_spec_004s_one_range_a_day():
    assert normalize_working_hours({"monday": {"start": "09:00", "end": "17:00"}}) == {
        "monday": [{"start": "09:00", "end": "17:00"}]
    }


def test_it_accepts_several_ranges_and_sorts_them():
    hours = {"Tuesday": [{"start": "13:00", "end": "17:00"}, {"start": "9:00", "end": "12:00"}]}
    assert normalize_working_hours(hours) == {
        "tuesday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    }


def test_it_lowercases_days_and_orders_them_by_weekday():
    hours = {"SUNDAY": {"start": "10:00", "end": "14:00"}, " Monday ": {"start": "08:30", "end": "24:00"}}
    assert list(normalize_working_hours(hours)) == ["monday", "sunday"]
    assert normalize_working_hours(hours)["monday"] == [{"start": "08:30", "end": "24:00"}]


def test_an_empty_day_is_kept_as_not_worked_and_nothing_means_no_restriction():
    assert normalize_working_hours({"saturday": None, "sunday": []}) == {"saturday": [], "sunday": []}
    assert normalize_working_hours({}) == {}
    assert normalize_working_hours(None) == {}


def test_ranges_may_touch():
    hours = {"friday": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "13:00"}]}
    assert len(normalize_working_hours(hours)["friday"]) == 2


def test_it_refuses_an_unknown_day():
    assert refusal({"funday": {"start": "09:00", "end": "17:00"}}) == {
        "funday": [("Unknown day 'funday'; use monday to sunday.", "unknown_day")]
    }


def test_abbreviated_day_names_mean_the_same_day_as_in_campaigns():
    assert normalize_working_hours({"MON": {"start": "09:00", "end": "17:00"}}) == {
        "monday": [{"start": "09:00", "end": "17:00"}]
    }
    twice = refusal({"mon": {"start": "09:00", "end": "10:00"}, "Monday": {"start": "11:00", "end": "12:00"}})
    assert twice == {"Monday": [("monday is given twice.", "duplicate_day")]}


def test_it_refuses_a_day_given_twice():
    errors = refusal({"monday": {"start": "09:00", "end": "10:00"}, "MONDAY": {"start": "11:00", "end": "12:00"}})
    assert errors["MONDAY"][0][1] == "duplicate_day"


@pytest.mark.parametrize("start, end", [("9am", "17:00"), ("09:00", "25:00"), ("09:60", "17:00"),
                                        ("24:00", "24:00"), ("09:00", "24:30"), (900, "17:00"), ("", "17:00")])  # fmt: skip
def test_it_refuses_a_bad_time(start, end):
    (message, code), *_ = refusal({"monday": {"start": start, "end": end}})["monday"]
    assert code == "invalid_time"
    assert "is not a time HH:MM" in message


def test_it_refuses_an_end_not_after_the_start():
    for end in ("09:00", "08:00"):
        (message, code), *_ = refusal({"monday": {"start": "09:00", "end": end}})["monday"]
        assert code == "end_not_after_start"
        assert "cannot cross midnight" in message


def test_it_refuses_overlapping_ranges():
    errors = refusal({"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:30", "end": "17:00"}]})
    assert errors == {"monday": [("09:00-12:00 overlaps 11:30-17:00.", "overlap")]}


@pytest.mark.parametrize("day_value, code", [
    ({"start": "09:00"}, "required"),
    ({"start": "09:00", "end": "17:00", "break": "12:00"}, "invalid"),
    ("09:00-17:00", "invalid"),
    (["09:00-17:00"], "invalid"),
])  # fmt: skip
def test_it_refuses_malformed_ranges(day_value, code):
    assert refusal({"monday": day_value})["monday"][0][1] == code


def test_it_names_the_range_that_is_wrong():
    errors = refusal({"monday": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "13:00"}]})
    assert errors["monday"][0][0].startswith("range 2:")


def test_it_refuses_what_is_not_an_object():
    with pytest.raises(ValidationError) as caught:
        normalize_working_hours(["monday"])
    assert caught.value.code == "invalid"


def test_it_reports_every_bad_day_at_once():
    errors = refusal(
        {"funday": {}, "monday": {"start": "x", "end": "y"}, "tuesday": {"start": "09:00", "end": "10:00"}}
    )
    assert set(errors) == {"funday", "monday"}


# is_working ------------------------------------------------------------------------------------------
def agent(hours, tz="America/New_York", kind=AgentKind.HUMAN) -> Agent:
    return Agent(name="A", kind=kind, timezone=tz, working_hours=hours)


NINE_TO_FIVE = {"monday": {"start": "09:00", "end": "17:00"}}


def test_it_reads_the_hours_in_the_agents_zone_on_both_sides_of_a_dst_change():
    # New York moved from EST (UTC-5) to EDT (UTC-4) on Sunday 2024-03-10.
    before, after = agent(NINE_TO_FIVE), agent(NINE_TO_FIVE)
    assert not is_working(before, datetime(2024, 3, 4, 13, 30, tzinfo=UTC))  # 08:30 EST
    assert is_working(before, datetime(2024, 3, 4, 14, 0, tzinfo=UTC))  # 09:00 EST
    assert is_working(after, datetime(2024, 3, 11, 13, 30, tzinfo=UTC))  # 09:30 EDT
    assert is_working(after, datetime(2024, 3, 11, 20, 59, tzinfo=UTC))  # 16:59 EDT
    assert not is_working(after, datetime(2024, 3, 11, 21, 0, tzinfo=UTC))  # 17:00 EDT: the end is excluded
    assert not is_working(after, datetime(2024, 3, 11, 21, 30, tzinfo=UTC))  # would be 16:30 on EST


def test_a_range_spanning_the_missing_hour_still_works():
    night = agent({"sunday": {"start": "01:00", "end": "04:00"}})
    assert is_working(night, datetime(2024, 3, 10, 6, 30, tzinfo=UTC))  # 01:30 EST
    assert is_working(night, datetime(2024, 3, 10, 7, 30, tzinfo=UTC))  # 03:30 EDT (02:xx never happened)
    assert not is_working(night, datetime(2024, 3, 10, 8, 0, tzinfo=UTC))  # 04:00 EDT


def test_the_repeated_hour_of_the_autumn_change_counts_twice():
    early = agent({"sunday": {"start": "01:00", "end": "02:00"}})
    assert is_working(early, datetime(2024, 11, 3, 5, 30, tzinfo=UTC))  # 01:30 EDT
    assert is_working(early, datetime(2024, 11, 3, 6, 30, tzinfo=UTC))  # 01:30 EST, the second time
    assert not is_working(early, datetime(2024, 11, 3, 7, 0, tzinfo=UTC))  # 02:00 EST


def test_the_weekday_is_the_agents_not_utcs():
    tokyo = agent(NINE_TO_FIVE, tz="Asia/Tokyo")
    assert is_working(tokyo, datetime(2024, 3, 11, 1, 0, tzinfo=UTC))  # Monday 10:00 in Tokyo, still Sunday in UTC


def test_no_hours_means_no_restriction_for_both_kinds():
    for kind in (AgentKind.AI, AgentKind.HUMAN):
        assert is_working(agent({}, kind=kind), datetime(2024, 3, 9, 3, 0, tzinfo=UTC))


def test_a_day_not_listed_or_empty_is_not_worked():
    assert not is_working(agent({"monday": [], "tuesday": {"start": "09:00", "end": "17:00"}}),
                          datetime(2024, 3, 11, 15, 0, tzinfo=UTC))  # fmt: skip
    assert not is_working(agent(NINE_TO_FIVE), datetime(2024, 3, 12, 15, 0, tzinfo=UTC))  # a Tuesday


def test_it_accepts_stored_hours_in_spec_004s_shape_and_several_ranges():
    lunch = agent({"Monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]})
    assert is_working(lunch, datetime(2024, 3, 11, 15, 0, tzinfo=UTC))  # 11:00
    assert not is_working(lunch, datetime(2024, 3, 11, 16, 30, tzinfo=UTC))  # 12:30, lunch
    assert is_working(agent({"monday": {"start": "22:00", "end": "24:00"}}), datetime(2024, 3, 12, 3, 59, tzinfo=UTC))


def test_it_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        is_working(agent(NINE_TO_FIVE), datetime(2024, 3, 11, 12, 0))
