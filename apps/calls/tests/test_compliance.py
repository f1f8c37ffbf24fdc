"""When a person may be called in their own time: the dialer's window, state rules (the strictest
wins), weekdays, DST edges, unknown time zones, the 24-hour limit; the SQL the claim runs agrees with
the Python the last check runs, for every lead and moment tried."""

import datetime as dt
import random

import pytest
from django.db import connection

from apps.calls.compliance import RuleBook, _country_zones, base_window
from apps.calls.models import ComplianceRule
from apps.calls.tests import factories as f
from apps.leads.models import Lead


def _at(local: str, zone: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@pytest.fixture
def rules(acme):
    return RuleBook.for_tenant(acme.pk)


def test_the_base_window_is_8_to_21_and_only_stricter(settings):
    assert base_window() == (dt.time(8), dt.time(21))
    settings.DIALER_LOCAL_START, settings.DIALER_LOCAL_END = "09:30", "20:00"
    assert base_window() == (dt.time(9, 30), dt.time(20))
    settings.DIALER_LOCAL_START, settings.DIALER_LOCAL_END = "06:00", "23:00"  # looser: clamped
    assert base_window() == (dt.time(8), dt.time(21))


def test_state_rules_narrow_the_window(acme, rules):
    c = f.campaign(acme)
    florida = f.lead(acme, "+13055550100", campaign=c)  # Miami: FL, 08:00-20:00
    new_york = f.lead(acme, "+12125550100", campaign=c)
    assert (florida.subdivision, new_york.subdivision) == ("FL", "NY")
    at = _at("2026-12-02T20:30", "America/New_York")
    assert rules.lead_verdict(new_york, at) == (True, "")
    allowed, why = rules.lead_verdict(florida, at)
    assert not allowed and "08:00-20:00" in why and "US-FL" in why
    assert rules.max_calls_per_24h("US", "FL") == 3 and rules.max_calls_per_24h("US", "NY") is None
    assert rules.all_party_consent("US", "FL") and not rules.all_party_consent("US", "NY")


def test_a_weekday_rule_texas_sunday(acme, rules):
    dallas = f.lead(acme, "+12145550100", campaign=f.campaign(acme))
    assert dallas.subdivision == "TX"
    assert not rules.lead_verdict(dallas, _at("2026-12-06T10:00", "America/Chicago"))[0]  # Sunday before noon
    assert rules.lead_verdict(dallas, _at("2026-12-06T12:30", "America/Chicago"))[0]
    assert rules.lead_verdict(dallas, _at("2026-12-07T10:00", "America/Chicago"))[0]  # Monday: 09:00-21:00


def test_a_tenant_rule_adds_to_the_platforms(acme, globex, rules):
    ComplianceRule.objects.create(tenant=acme, country="US", subdivision="NY", start_local=dt.time(10),
                                  end_local=dt.time(18))  # fmt: skip
    person = f.lead(acme, "+12125550101", campaign=f.campaign(acme))
    assert not RuleBook.for_tenant(acme.pk).lead_verdict(person, _at("2026-12-02T09:30", "America/New_York"))[0]
    assert RuleBook.for_tenant(globex.pk).window("US", "NY", 2) == (dt.time(8), dt.time(21))  # not Globex's rule


def test_dst_edges_are_local_time(acme, rules):
    """08:00 local is 13:00 UTC in winter and 12:00 in summer in New York; the spring-forward and
    fall-back Sundays follow the wall clock."""
    person = f.lead(acme, "+12125550102", campaign=f.campaign(acme))
    assert not rules.lead_verdict(person, dt.datetime(2026, 3, 8, 11, 59, tzinfo=dt.UTC))[0]  # 07:59 EDT
    assert rules.lead_verdict(person, dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC))[0]  # 08:00 EDT (DST began 02:00)
    assert not rules.lead_verdict(person, dt.datetime(2026, 11, 1, 12, 59, tzinfo=dt.UTC))[0]  # 07:59 EST
    assert rules.lead_verdict(person, dt.datetime(2026, 11, 1, 13, 0, tzinfo=dt.UTC))[0]  # 08:00 EST
    assert rules.next_allowed(person, dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC)) == dt.datetime(
        2026, 3, 8, 12, 0, tzinfo=dt.UTC)  # fmt: skip


def test_a_lead_of_unknown_zone_waits_until_every_zone_of_its_country_is_open(acme, rules):
    zones = _country_zones("US")
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"} <= set(zones)
    assert "America/Toronto" not in zones  # Canada shares +1, not its zones
    person = f.lead(acme, "+12125550103", campaign=f.campaign(acme))
    Lead.objects.filter(pk=person.pk).update(timezone="")
    person.refresh_from_db()
    assert not rules.lead_verdict(person, _at("2026-12-02T12:00", "America/New_York"))[0]  # 07:00 in Honolulu
    assert rules.lead_verdict(person, _at("2026-12-02T14:00", "America/New_York"))[0]  # 09:00 Honolulu, 14:00 NY
    assert "US" not in rules.regions_open_everywhere(_at("2026-12-02T12:00", "America/New_York"))


def test_the_claims_sql_agrees_with_the_python_verdict(acme, rules):
    """Leads in several zones and states, known and unknown zones, at 400 random moments of a year."""
    c = f.campaign(acme)
    numbers = ["+13055550104", "+12145550104", "+12125550104", "+14155550104", "+18085550104", "+19075550104",
               "+442071838750", "+919876543210", "+61412345678", "+12125550105"]  # fmt: skip
    leads = [f.lead(acme, number, campaign=c) for number in numbers]
    Lead.objects.filter(pk=leads[-1].pk).update(timezone="")  # one US lead with no known zone
    leads = list(Lead.objects.filter(pk__in=[lead.pk for lead in leads]))
    rng = random.Random(3)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for _ in range(400):
        at = start + dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        sql, params = rules.claim_sql(at, "l")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT l.id FROM leads_lead l WHERE l.campaign_id = %s AND {sql}", [c.pk, *params])
            by_sql = {row[0] for row in cursor.fetchall()}
        by_python = {lead.pk for lead in leads if rules.lead_verdict(lead, at)[0]}
        assert by_sql == by_python, at


def test_the_24_hour_limit_in_the_claim(acme, rules):
    c = f.campaign(acme)
    florida = f.lead(acme, "+13055550106", campaign=c)
    at = _at("2026-12-02T12:00", "America/New_York")
    for hours in (1, 5, 20):
        call = f.call(florida, status="completed")
        type(call).objects.filter(pk=call.pk).update(created_at=at - dt.timedelta(hours=hours))
    sql, params = rules.limits_sql(at, "l")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM leads_lead l WHERE l.id = %s AND {sql}", [florida.pk, *params])
        assert cursor.fetchone()[0] == 0  # three calls in 24 hours: no fourth
        cursor.execute(f"SELECT count(*) FROM leads_lead l WHERE l.id = %s AND {sql}", [florida.pk, *rules.limits_sql(
            at + dt.timedelta(hours=5), "l")[1]])  # fmt: skip
        assert cursor.fetchone()[0] == 1  # the oldest is now more than 24 hours old
