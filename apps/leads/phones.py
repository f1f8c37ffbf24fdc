"""Phone numbers: parse what people type into E.164, refuse what is not a real number for its
region, and derive a time zone from the number when none is given."""

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import (
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberType,
    is_number_type_geographical,
    national_significant_number,
)
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

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


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit alone takes "²" and other scripts' digits


def _quick_parse(text: str, region: str) -> PhoneNumber | None:
    """The numbers people type most, built without phonenumbers' general parser (half the cost of
    an import row): +1 numbers and ten NANP digits with the usual separators, and international
    numbers written +<country code><number>. Anything else, or anything odd (letters, extensions, a
    national prefix or leading zero after the country code), goes to the full parser, which reads
    it the way these shortcuts would have. Validity is checked either way, after this."""
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("+1") and len(compact) == 12 and _digits(compact[1:]):
        national = compact[2:]
    elif region in _NANP_REGIONS and _digits(compact) and (len(compact) == 10 or (len(compact) == 11
                                                                                  and compact[0] == "1")):  # fmt: skip
        national = compact[-10:]
    elif compact.startswith("+") and 8 <= len(compact) <= 18 and _digits(compact[1:]) and compact[1] != "0":
        return _quick_international(compact[1:])
    else:
        return None
    if national[0] in "01":  # area codes never start with 0 or 1
        return None
    return PhoneNumber(country_code=1, national_number=int(national))


def _quick_international(digits: str) -> PhoneNumber | None:
    # As phonenumbers' _extract_country_code: the shortest prefix that is a calling code.
    for length in (1, 2, 3):
        country_code = int(digits[:length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[length:]
    if len(national) < 2 or national[0] == "0":  # too short, or an Italian-style leading zero
        return None
    prefix = _national_prefix_for_parsing(country_code)
    if prefix is not None and prefix(national):  # the parser would strip (or rewrite) a prefix here
        return None
    return PhoneNumber(country_code=country_code, national_number=int(national))


@cache
def _national_prefix_for_parsing(country_code: int):
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    pattern = getattr(metadata, "national_prefix_for_parsing", None)
    return re.compile(pattern).match if pattern else None


class _Desc:
    """A PhoneNumberDesc reduced to what matching needs: its possible lengths and its pattern, compiled
    once. phonenumbers itself looks every pattern up in re's cache on every call and matches it
    twice (match, then fullmatch), which made number typing half the cost of an import row."""

    __slots__ = ("fullmatch", "lengths", "pattern")

    def __init__(self, desc):
        self.lengths = frozenset(desc.possible_length or ()) if desc is not None else frozenset()
        self.pattern = desc.national_number_pattern if desc is not None else None
        self.fullmatch = re.compile(self.pattern).fullmatch if self.pattern else None

    def matches(self, national: str) -> bool:
        # As phonenumbers' _is_number_matching_desc: lengths first, then the whole pattern.
        if self.fullmatch is None or (self.lengths and len(national) not in self.lengths):
            return False
        return self.fullmatch(national) is not None


# The order of phonenumbers' _number_type_helper: special types before fixed line and mobile.
_SPECIAL_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE), ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST), ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER), ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN), ("voicemail", PhoneNumberType.VOICEMAIL),
)  # fmt: skip


class _Classifier:
    """One region's (or non-geographic calling code's) number types, answering as phonenumbers'
    _number_type_helper does."""

    def __init__(self, metadata):
        self.general = _Desc(metadata.general_desc)
        self.special = [(kind, _Desc(getattr(metadata, name))) for name, kind in _SPECIAL_TYPES]
        self.special = [(kind, desc) for kind, desc in self.special if desc.fullmatch is not None]
        self.fixed_line, self.mobile = _Desc(metadata.fixed_line), _Desc(metadata.mobile)
        self.same_mobile_and_fixed = metadata.same_mobile_and_fixed_line_pattern
        self.leading_digits = re.compile(metadata.leading_digits).match if metadata.leading_digits else None
        self.by_length: dict[int, tuple] = {}

    def number_type(self, national: str) -> int:
        if not self.general.matches(national):
            return PhoneNumberType.UNKNOWN
        match, kinds = self._types_for_length(len(national))
        found = match(national) if match is not None else None
        if found is None:
            return PhoneNumberType.UNKNOWN
        kind = kinds[found.lastindex - 1]
        if kind == PhoneNumberType.FIXED_LINE and (self.same_mobile_and_fixed or self.mobile.matches(national)):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return kind

    def _types_for_length(self, length: int) -> tuple:
        """One pattern for every type a number of this length may be: each type's pattern in its own
        group, in the order phonenumbers tries them. A regular expression takes the first alternative
        that matches the whole number, so the group that matched is the type phonenumbers would give,
        found in one call instead of one per type."""
        compiled = self.by_length.get(length)
        if compiled is None:
            candidates = [*self.special, (PhoneNumberType.FIXED_LINE, self.fixed_line)]
            if not self.same_mobile_and_fixed:
                candidates.append((PhoneNumberType.MOBILE, self.mobile))
            usable = [(kind, desc) for kind, desc in candidates
                      if desc.fullmatch is not None and (not desc.lengths or length in desc.lengths)]  # fmt: skip
            if usable:
                # Each type's own groups (the metadata has none today) made non-capturing: group i is type i.
                pattern = "|".join(f"({_non_capturing(desc.pattern)})" for _, desc in usable)
                compiled = (re.compile(pattern).fullmatch, [kind for kind, _ in usable])
            else:
                compiled = (None, [])
            self.by_length[length] = compiled
        return compiled


_CAPTURING_GROUP = re.compile(r"(?<!\\)\((?!\?)")


def _non_capturing(pattern: str) -> str:
    return _CAPTURING_GROUP.sub("(?:", pattern)


@cache
def _classifier(country_code: int, region: str) -> _Classifier | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    return _Classifier(metadata) if metadata is not None else None


def _region_and_type(number: PhoneNumber) -> tuple[str | None, int]:
    """phonenumbers' region lookup (region_code_for_number), keeping the number type it computes on the
    way: region_code_for_number followed by number_type would match the region's patterns twice."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(number.country_code)
    if not regions:
        return None, PhoneNumberType.UNKNOWN
    national = national_significant_number(number)
    if len(regions) == 1:
        classifier = _classifier(number.country_code, regions[0])
        return regions[0], classifier.number_type(national) if classifier else PhoneNumberType.UNKNOWN
    for region in regions:
        classifier = _classifier(number.country_code, region)
        if classifier is None:
            continue
        if classifier.leading_digits is not None:
            if classifier.leading_digits(national):
                return region, classifier.number_type(national)
        else:
            kind = classifier.number_type(national)
            if kind != PhoneNumberType.UNKNOWN:
                return region, kind
    return None, PhoneNumberType.UNKNOWN


def _time_zones(e164: str, country_code: int, geographical: bool) -> tuple[str, ...]:
    """phonenumbers' time_zones_for_geographical_number (the longest known prefix of the E.164 digits)
    or, for numbers without a place, its country-level lookup (prefixes of the calling code, as the
    library slices them), read off the E.164 text we already have instead of formatting it again."""
    digits, offset = (e164[1:], 0) if geographical else (str(country_code), 1)
    for length in range(TIMEZONE_LONGEST_PREFIX, 0, -1):
        zones = TIMEZONE_DATA.get(digits[: length + offset])
        if zones is not None:
            return zones
    return ()


@lru_cache(maxsize=65536)
def _parse(text: str, region: str) -> Phone:
    number = _quick_parse(text, region)
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
    national = national_significant_number(number)
    e164 = f"+{number.country_code}{national}"
    zones = _time_zones(e164, number.country_code, is_number_type_geographical(kind, number.country_code))
    zones = [_canonical_zone(z) for z in zones if z != "Etc/Unknown"]
    if not zones:
        zone, source = "", TimezoneSource.UNKNOWN
    else:
        zone, source = zones[0], (TimezoneSource.NUMBER if len(zones) == 1 else TimezoneSource.GUESS)
    return Phone(e164=e164, region=number_region, kind=_TYPE_NAMES.get(kind, "unknown"), timezone=zone,
                 timezone_source=source, national=national)  # fmt: skip


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
