"""Calling windows, working days, RRULE occurrences across DST, script placeholders."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from apps.campaigns import schedule, scripts
from apps.campaigns.models import Campaign, CampaignStatus

NY = zoneinfo.ZoneInfo("America/New_York")


def _campaign(**values) -> Campaign:
    defaults = {"name": "c", "timezone": "America/New_York", "status": CampaignStatus.ACTIVE,
                "calling_hours_start": dt.time(9), "calling_hours_end": dt.time(17),
                "working_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}  # fmt: skip
    return Campaign(**{**defaults, **values})


# RRULE ----------------------------------------------------------------------------------------------
def test_daily_occurrences_keep_their_wall_clock_time_across_the_spring_dst_change():
    campaign = _campaign(schedule_start=dt.datetime(2026, 3, 6, 9, 0, tzinfo=NY), recurrence_rule="FREQ=DAILY")
    found = schedule.occurrences(campaign, after=dt.datetime(2026, 3, 6, tzinfo=dt.UTC),
                                 before=dt.datetime(2026, 3, 11, tzinfo=dt.UTC))  # fmt: skip
    assert [moment.strftime("%m-%d %H:%M") for moment in found] == [
        "03-06 09:00", "03-07 09:00", "03-08 09:00", "03-09 09:00", "03-10 09:00"]  # fmt: skip
    # 09:00 local is 14:00 UTC before the change (EST) and 13:00 UTC after it (EDT, from 8 March).
    assert [moment.astimezone(dt.UTC).hour for moment in found] == [14, 14, 13, 13, 13]


def test_weekly_occurrences_across_the_autumn_dst_change():
    campaign = _campaign(schedule_start=dt.datetime(2026, 10, 26, 10, 30, tzinfo=NY),
                         recurrence_rule="RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4")  # fmt: skip
    found = schedule.occurrences(campaign, after=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                                 before=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))  # fmt: skip
    assert [(m.date().isoformat(), m.strftime("%H:%M"), m.astimezone(dt.UTC).hour) for m in found] == [
        ("2026-10-26", "10:30", 14), ("2026-10-28", "10:30", 14),
        ("2026-11-02", "10:30", 15), ("2026-11-04", "10:30", 15)]  # fmt: skip


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "FREQ=MINUTELY", "BYDAY=MO", "nonsense", "FREQ=DAILY;COUNT=x"])
def test_bad_recurrence_rules_are_refused(rule):
    with pytest.raises(ValidationError):
        schedule.parse_rrule(rule, dtstart=dt.datetime(2026, 1, 1, 9))


def test_the_recurrence_decides_which_days_may_call():
    campaign = _campaign(schedule_start=dt.datetime(2026, 3, 2, 9, tzinfo=NY), recurrence_rule="FREQ=WEEKLY;BYDAY=TU")
    tuesday = dt.datetime(2026, 3, 10, 11, tzinfo=NY)
    assert schedule.calling_allowed(campaign, tuesday)
    verdict = schedule.calling_allowed(campaign, tuesday + dt.timedelta(days=1))
    assert not verdict and verdict.reason == "not a day of the recurrence"


# Calling windows ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "local,allowed,reason",
    [((2026, 3, 9, 8, 59), False, "outside calling hours"), ((2026, 3, 9, 9, 0), True, ""),
     ((2026, 3, 9, 16, 59), True, ""), ((2026, 3, 9, 17, 0), False, "outside calling hours"),
     ((2026, 3, 7, 12, 0), False, "saturday is not a working day")],
)  # fmt: skip
def test_calling_hours_and_working_days_in_the_campaigns_zone(local, allowed, reason):
    verdict = schedule.calling_allowed(_campaign(), dt.datetime(*local, tzinfo=NY))
    assert bool(verdict) is allowed and verdict.reason == reason


def test_an_overnight_window_belongs_to_the_day_it_began():
    campaign = _campaign(calling_hours_start=dt.time(20), calling_hours_end=dt.time(2), allow_overnight=True,
                         working_days=["friday"])  # fmt: skip
    assert schedule.calling_allowed(campaign, dt.datetime(2026, 3, 6, 23, tzinfo=NY))  # Friday night
    assert schedule.calling_allowed(campaign, dt.datetime(2026, 3, 7, 1, 30, tzinfo=NY))  # Friday's small hours
    assert not schedule.calling_allowed(campaign, dt.datetime(2026, 3, 7, 21, tzinfo=NY))  # Saturday night


def test_nothing_is_allowed_unless_active_and_inside_the_schedule():
    at = dt.datetime(2026, 3, 9, 10, tzinfo=NY)
    assert schedule.calling_allowed(_campaign(status=CampaignStatus.PAUSED), at).reason == "campaign is paused"
    later = _campaign(schedule_start=at + dt.timedelta(hours=1))
    assert schedule.calling_allowed(later, at).reason == "before the schedule start"
    ended = _campaign(schedule_end=at)
    assert schedule.calling_allowed(ended, at).reason == "after the schedule end"


def test_next_opening_skips_closed_hours_and_days():
    campaign = _campaign()
    friday_evening = dt.datetime(2026, 3, 6, 18, tzinfo=NY)
    assert schedule.next_opening(campaign, friday_evening) == dt.datetime(2026, 3, 9, 9, tzinfo=NY)
    monday_noon = dt.datetime(2026, 3, 9, 12, tzinfo=NY)
    assert schedule.next_opening(campaign, monday_noon) == monday_noon
    ending = _campaign(schedule_end=dt.datetime(2026, 3, 7, tzinfo=NY))
    assert schedule.next_opening(ending, friday_evening) is None


@pytest.mark.parametrize(
    "given,expected",
    [(["Monday", "FRIDAY", "wed"], ["monday", "wednesday", "friday"]), ("mon, tue", ["monday", "tuesday"]),
     (["sunday", "Sunday"], ["sunday"])],
)  # fmt: skip
def test_working_day_names_in_any_case(given, expected):
    assert schedule.normalize_working_days(given) == expected


def test_an_unknown_day_is_refused_by_name():
    with pytest.raises(ValidationError, match="'Funday' is not a day of the week"):
        schedule.normalize_working_days(["Monday", "Funday"])


# Scripts --------------------------------------------------------------------------------------------
def test_known_placeholders_pass_and_unknown_ones_are_named():
    scripts.validate_template("Hello {customer_name}, this is {agent_name} from {business_name}.")
    with pytest.raises(ValidationError) as refused:
        scripts.validate_template("Hi {first_name}, your {discount_code} and {shoe_size}")
    message = refused.value.messages[0]
    assert message.startswith("Unknown placeholders {discount_code}, {shoe_size}.")
    assert "{first_name}" in message  # the known ones are listed


@pytest.mark.parametrize("template", ["Hi {first_name", "Hi {first_name!r}", "Hi {first_name:>10}", "Hi {0}", "{}"])
def test_malformed_placeholders_are_refused(template):
    with pytest.raises(ValidationError):
        scripts.validate_template(template)


def test_missing_values_render_safely_and_values_are_never_re_read():
    template = "Hi {first_name} {last_name}, this is {agent_name} about {company_name}."
    assert scripts.render(template, {"first_name": "Ana"}) == "Hi Ana, this is our team about your company."
    assert scripts.render(template, {"first_name": "{agent_name}", "last_name": "None"}) == (
        "Hi {agent_name} None, this is our team about your company.")  # fmt: skip
    assert scripts.render("Literal {{braces}} stay", {}) == "Literal {braces} stay"


def test_the_context_comes_from_the_lead_the_agent_and_the_campaign(acme):
    from apps.agents.models import Agent
    from apps.leads.models import Lead

    campaign = Campaign(tenant=acme, name="Spring", client_name="ABC Properties",
                        ai_agent=Agent(tenant=acme, name="Ava"))  # fmt: skip
    lead = Lead(first_name="John", last_name="Doe", company_name="Acme Corp")
    values = scripts.context_for(campaign=campaign, lead=lead)
    assert scripts.render("Hello {customer_name} of {company_name}, {agent_name} at {client_name}.", values) == (
        "Hello John Doe of Acme Corp, Ava at ABC Properties.")  # fmt: skip
