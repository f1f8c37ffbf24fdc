"""Phone numbers: parse what people type into E.164, refuse what is not a real number for its
region, and derive a time zone from the number when none is given."""

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import (
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberType,
    is_number_type_geographical,
    national_significant_number,
)
from phonenumbers import timezone as number_timezones
from phonenumbers.phonenumberutil import _number_type_helper

from apps.leads.choices import TimezoneSource

_TYPE_NAMES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


class PhoneError(ValueError):
    """A number we cannot call. The message is written for the person who typed it."""


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str
    region: str  # ISO 3166 alpha-2 of the number
    kind: str  # mobile, fixed_line, toll_free...
    national: str  # national significant number, digits only
    timezone: str  # IANA zone derived from the number ("" when unknown)
    timezone_source: str  # TimezoneSource: number (exact), guess (first of several), unknown


def _clean(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # Excel stores 4155552671 as 4155552671.0
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if text.startswith("00") and text[2:3].isdigit():
        text = "+" + text[2:]  # international prefix written the European way
    return text


_SEPARATORS = re.compile(r"[\s().\-/]")
_NANP_REGIONS = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])


def _quick_nanp(text: str, region: str) -> PhoneNumber | None:
    """The +1 numbers people type most (E.164, or ten digits with the usual separators in a NANP
    region) built without phonenumbers' general parser, which is a third of the cost of an import
    row. Anything else, or anything odd, goes to the full parser. Validity is checked either way."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+1") and len(digits) == 12 and digits[1:].isdigit():
        national = digits[2:]
    elif (
        region in _NANP_REGIONS and digits.isdigit() and (len(digits) == 10 or (len(digits) == 11 and digits[0] == "1"))
    ):
        national = digits[-10:]
    else:
        return None
    if national[0] in "01":  # area codes never start with 0 or 1
        return None
    return PhoneNumber(country_code=1, national_number=int(national))


def _region_and_type(number: PhoneNumber) -> tuple[str | None, int]:
    """phonenumbers' region lookup, keeping the number type it computes on the way (region_code_for_number
    followed by number_type would match the number against its region's patterns twice)."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code)
    if not regions:
        return None, PhoneNumberType.UNKNOWN
    national = national_significant_number(number)
    if len(regions) == 1:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, regions[0])
        return regions[0], _number_type_helper(national, metadata) if metadata else PhoneNumberType.UNKNOWN
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, national):
                return region, _number_type_helper(national, metadata)
        else:
            kind = _number_type_helper(national, metadata)
            if kind != PhoneNumberType.UNKNOWN:
                return region, kind
    return None, PhoneNumberType.UNKNOWN


@lru_cache(maxsize=65536)
def _parse(text: str, region: str) -> Phone:
    number = _quick_nanp(text, region)
    if number is None:
        try:
            number = phonenumbers.parse(text, region or None)
        except phonenumbers.NumberParseException:
            if not text.startswith("+") and not region:
                raise PhoneError(
                    f"Invalid phone number format: {text} (no country code and no default region)"
                ) from None
            raise PhoneError(f"Invalid phone number format: {text}") from None
    # Validity, region and type come from one match against the region's patterns.
    number_region, kind = _region_and_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        where = number_region or region or "any region"
        raise PhoneError(f"Invalid phone number format: {text} (not a valid number for {where})")
    if is_number_type_geographical(kind, number.country_code):
        zones = number_timezones.time_zones_for_geographical_number(number)
    else:
        zones = number_timezones._country_level_time_zones_for_number(number)  # the public twin re-derives the type
    zones = [_canonical_zone(z) for z in zones if z != "Etc/Unknown"]
    if not zones:
        zone, source = "", TimezoneSource.UNKNOWN
    else:
        zone, source = zones[0], (TimezoneSource.NUMBER if len(zones) == 1 else TimezoneSource.GUESS)
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        region=number_region, kind=_TYPE_NAMES.get(kind, "unknown"), timezone=zone, timezone_source=source,
        national=national_significant_number(number),
    )  # fmt: skip


def normalize_phone(raw, region: str = "") -> Phone:
    """Parse `raw` (E.164, national formats with the default `region`, Excel numeric cells, 00-prefixed
    international numbers). Raises PhoneError with a message naming the number."""
    text = _clean(raw)
    if not text:
        raise PhoneError("Phone number is required")
    if len(text) > 40:
        raise PhoneError(f"Invalid phone number format: {text[:40]}…")
    return _parse(text, (region or "").upper())


def timezone_for_number(e164: str) -> tuple[str, str]:
    """(IANA zone, TimezoneSource) for a stored number: exact when its prefix has one zone (US area
    codes do), the first of several as a guess when it does not, ("", unknown) when nothing is known."""
    phone = normalize_phone(e164)
    return phone.timezone, phone.timezone_source


# phonenumbers still uses a few zone names that the IANA database has renamed; keep the current ones.
_ZONE_RENAMES = {"Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Katmandu": "Asia/Kathmandu",
                 "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv"}  # fmt: skip


def _canonical_zone(zone: str) -> str:
    return _ZONE_RENAMES.get(zone, zone)
