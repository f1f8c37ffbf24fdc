"""The input rules shared by the API, imports and the admin."""

from datetime import time
from decimal import Decimal

import pytest

from apps.leads.choices import LeadStatus, TimezoneSource, status_word
from apps.leads.normalize import LeadContext, canonical_key, normalize_lead
from apps.leads.phones import PhoneError, normalize_phone

US = LeadContext(region="US", default_timezone="America/New_York")


@pytest.mark.parametrize(
    "raw,region,e164",
    [
        ("+14155552671", "", "+14155552671"),
        ("415-555-2671", "US", "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        (4155552671, "US", "+14155552671"),
        (4155552671.0, "US", "+14155552671"),  # an Excel numeric cell
        ("020 7183 8750", "GB", "+442071838750"),
        ("0044 20 7183 8750", "US", "+442071838750"),
        ("+91 98765 43210", "", "+919876543210"),
        ("98765 43210", "IN", "+919876543210"),
    ],
)
def test_it_parses_the_formats_people_type(raw, region, e164):
    assert normalize_phone(raw, region).e164 == e164


@pytest.mark.parametrize("raw,region", [("555-1234", "US"), ("abc", "US"), ("4155552671", ""), ("", "US"),
                                        ("+1415555267", ""), ("020 7183 8750", "US")])  # fmt: skip
def test_it_refuses_numbers_that_are_not_valid_for_their_region(raw, region):
    with pytest.raises(PhoneError):
        normalize_phone(raw, region)


def test_the_time_zone_comes_from_the_number():
    sf = normalize_phone("+14155552671")
    assert (sf.timezone, sf.timezone_source) == ("America/Los_Angeles", TimezoneSource.NUMBER)
    nyc = normalize_phone("+12125551234")
    assert nyc.timezone == "America/New_York"
    india = normalize_phone("+919876543210")
    assert india.timezone == "Asia/Kolkata"  # the current IANA name, not phonenumbers' Asia/Calcutta


def test_a_number_in_a_multi_zone_country_without_a_telling_prefix_is_a_recorded_guess():
    mobile = normalize_phone("+61412345678")  # Australian mobiles carry no area
    assert mobile.timezone_source == TimezoneSource.GUESS
    assert mobile.timezone.startswith("Australia/")


def test_a_given_time_zone_wins_and_is_recorded_as_given():
    out = normalize_lead({"phone": "+14155552671", "timezone": "America/Chicago"}, US)
    assert out.values["timezone"] == "America/Chicago"
    assert out.values["timezone_source"] == TimezoneSource.GIVEN


def test_it_maps_every_specs_field_names():
    out = normalize_lead(
        {"Phone Number": "415 555 2671", "First Name": "Ann", "company": "Acme", "title": "CTO", "zip": 94105.0,
         "schedule_at": "2030-01-02T10:00:00Z", "Tags": "vip; expo , q1", "Lead Score": "0.75", "priority": "high",
         "Favourite Colour": "blue"},
        US,
    )  # fmt: skip
    assert not out.errors
    v = out.values
    assert (v["phone_e164"], v["first_name"]) == ("+14155552671", "Ann")
    assert (v["company_name"], v["job_title"]) == ("Acme", "CTO")
    assert v["postal_code"] == "94105"
    assert v["tags"] == ["vip", "expo", "q1"]
    assert v["lead_score"] == 75 and v["priority"] == 2
    assert v["next_call_at"].isoformat() == "2030-01-02T10:00:00+00:00"
    assert v["custom_fields"] == {"Favourite Colour": "blue"}


def test_it_reports_each_bad_field_with_its_value():
    out = normalize_lead(
        {"phone": "nope", "email": "not-an-email", "priority": 9, "lead_score": 140, "interest_level": "hot",
         "timezone": "Mars/Olympus", "best_time_to_call": "25:99", "annual_revenue": "lots", "status": "flying"},
        US,
    )  # fmt: skip
    fields = {e["field"] for e in out.errors}
    assert fields == {"phone_e164", "email", "priority", "lead_score", "interest_level", "timezone",
                      "best_time_to_call", "annual_revenue", "status"}  # fmt: skip
    assert next(e for e in out.errors if e["field"] == "email")["value"] == "not-an-email"


def test_a_missing_phone_is_an_error_except_for_updates():
    assert normalize_lead({"first_name": "Ann"}, US).errors[0]["error"] == "Missing required field: phone"
    assert normalize_lead({"first_name": "Ann"}, US, partial=True).errors == []


def test_naive_times_are_read_in_the_tenants_zone():
    out = normalize_lead({"phone": "+14155552671", "schedule_at": "2030-07-01T09:00:00"}, US)
    assert out.values["next_call_at"].utcoffset().total_seconds() == -4 * 3600  # EDT


def test_values_are_typed():
    out = normalize_lead({"phone": "+14155552671", "annual_revenue": "$5,000,000.00", "best_time_to_call": "14:30",
                          "do_not_call": "yes", "contact_name": "Rahul Sharma"}, US)  # fmt: skip
    v = out.values
    assert v["annual_revenue"] == Decimal("5000000.00")
    assert v["best_time_to_call"] == time(14, 30)
    assert v["do_not_call"] is True
    assert (v["first_name"], v["last_name"]) == ("Rahul", "Sharma")


@pytest.mark.parametrize(
    "word,expected",
    [("pending", ("status", "new")), ("in_progress", ("status", "scheduled")), ("completed", ("status", "done")),
     ("blacklisted", ("status", "dnc")), ("qualified", ("stage", "qualified")), ("closed_won", ("stage", "converted")),
     ("In Progress", ("status", "scheduled")), ("DNC", ("status", "dnc"))],
)  # fmt: skip
def test_the_specs_status_words_map_in_one_place(word, expected):
    field, _, value = status_word(word)
    assert (field, value) == expected


def test_the_dialers_own_statuses_cannot_be_written():
    out = normalize_lead({"phone": "+14155552671", "status": "calling"}, US)
    assert out.errors[0]["field"] == "status"
    assert normalize_lead({"phone": "+14155552671", "status": "pending"}, US).values["status"] == LeadStatus.NEW


def test_canonical_keys():
    assert canonical_key(" Phone-Number ") == "phone_e164"
    assert canonical_key("next_contact_date") == "next_call_at"
    assert canonical_key("my_own_column") == "my_own_column"
