"""Validators shared by several apps: IANA time zones, phone regions, E.164 numbers."""

import zoneinfo
from functools import cache

import phonenumbers
from django.core.exceptions import ValidationError


@cache
def time_zone_names() -> frozenset[str]:
    """Every IANA zone name this machine's tz database knows."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            f"'{value}' is not an IANA time zone name (for example America/New_York).", code="invalid"
        )


def validate_region(value: str) -> None:
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"'{value}' is not a two-letter country code we can parse numbers for.", code="invalid")


def validate_e164(value: str) -> None:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            f"'{value}' is not a phone number in E.164 format (+14155552671).", code="invalid"
        ) from None
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != value
    ):
        raise ValidationError(f"'{value}' is not a valid phone number in E.164 format (+14155552671).", code="invalid")
