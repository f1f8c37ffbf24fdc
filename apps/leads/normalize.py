"""One set of rules for lead input, whatever the door: the API, file imports and the admin.

`normalize_lead(values, context)` turns loosely typed input (strings from a CSV, numbers from
Excel, JSON from an integrator) into clean model values, or reports each bad field with its value
and a message. It is fast (a few dozen microseconds a row) because imports run it on every row.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone as dj_timezone

from apps.core.validators import time_zone_names
from apps.leads.choices import PRIORITY_WORDS, InterestLevel, LeadStage, LeadStatus, TimezoneSource, status_word
from apps.leads.phones import PhoneError, normalize_phone
from apps.leads.regions import subdivision_of

# What each spec document (and people's spreadsheets) call our fields. Keys are compared after
# lower-casing and turning spaces and dashes into underscores.
FIELD_ALIASES = {
    "phone": "phone_e164", "phone_number": "phone_e164", "phonenumber": "phone_e164", "mobile": "phone_e164",
    "mobile_phone": "phone_e164", "cell": "phone_e164", "telephone": "phone_e164", "tel": "phone_e164",
    "phone_normalized": "phone_e164", "number": "phone_e164",
    "alt_phone": "alternate_phone", "secondary_phone": "alternate_phone",
    "firstname": "first_name", "first": "first_name", "given_name": "first_name",
    "lastname": "last_name", "last": "last_name", "surname": "last_name", "family_name": "last_name",
    "name": "full_name", "contact_name": "full_name", "full_name": "full_name",
    "company": "company_name", "organization": "company_name", "organisation": "company_name",
    "business_name": "company_name", "account": "company_name",
    "title": "job_title", "position": "job_title", "role": "job_title",
    "category": "industry", "sector": "industry",
    "zip": "postal_code", "zip_code": "postal_code", "postcode": "postal_code",
    "street": "address", "address1": "address", "street_address": "address",
    "province": "state", "region": "state",
    "tz": "timezone", "time_zone": "timezone",
    "language": "preferred_language", "lang": "preferred_language",
    "revenue": "annual_revenue",
    "employees": "company_size", "size": "company_size",
    "score": "lead_score",
    "interest": "interest_level",
    "schedule_at": "next_call_at", "next_contact_date": "next_call_at", "scheduled_call_time": "next_call_at",
    "scheduled_at": "next_call_at", "call_at": "next_call_at",
    "last_contact_date": "last_call_at",
    "note": "notes", "comments": "notes", "comment": "notes",
    "tag": "tags", "labels": "tags",
    "dnc": "do_not_call", "donotcall": "do_not_call",
    "hot": "is_hot_lead", "hot_lead": "is_hot_lead",
}  # fmt: skip

TEXT_LIMITS = {
    "first_name": 150, "last_name": 150, "company_name": 200, "job_title": 150, "industry": 100, "niche": 100,
    "company_size": 50, "preferred_language": 35, "address": 255, "city": 100, "state": 100, "country": 100,
    "postal_code": 20, "source": 100, "source_details": 5000, "notes": 20000, "sub_status": 50,
    "consent_type": 32, "consent_source": 255,
}  # fmt: skip
LIST_FIELDS = ("tags", "pain_points", "requirements")
# Fields an input may set. Lifecycle counters (attempts, conversions, deletion) are not among them.
WRITABLE = frozenset(
    {*TEXT_LIMITS, *LIST_FIELDS, "phone_e164", "alternate_phone", "email", "timezone", "annual_revenue", "priority",
     "interest_level", "lead_score", "custom_fields", "status", "stage", "next_call_at", "best_time_to_call",
     "do_not_call", "is_hot_lead", "full_name", "last_call_at", "consent_at"}
)  # fmt: skip

_TRUE = {"1", "true", "yes", "y", "t", "on", "x"}
_FALSE = {"0", "false", "no", "n", "f", "off", ""}
_LIST_SPLIT = re.compile(r"\s*[,;|]\s*")
_MONEY_JUNK = re.compile(r"[\s$€£¥,_]")


@lru_cache(maxsize=4096)  # a file has a handful of distinct column names, seen on every row
def canonical_key(key: str) -> str:
    """The field a column or JSON key names: ours, a spec document's alias, or itself (a custom field)."""
    k = str(key).strip().lower().replace(" ", "_").replace("-", "_")
    return FIELD_ALIASES.get(k, k)


@dataclass
class LeadContext:
    """What a row is read against: the default region for national numbers and the time zone used
    for naive date-times (the tenant's)."""

    region: str = ""
    default_timezone: str = "UTC"


@dataclass
class Normalized:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {field, value, error}

    def fail(self, name: str, value: Any, message: str) -> None:
        self.errors.append({"field": name, "value": _printable(value), "error": message})


def _printable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value if not isinstance(value, str) else value[:200]
    return str(value)[:200]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{value}' is not yes/no")


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        items = [str(v).strip() for v in value]
    else:
        items = _LIST_SPLIT.split(str(value).strip())
    return [item for item in items if item]


def _as_priority(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower() in PRIORITY_WORDS:
        return PRIORITY_WORDS[value.strip().lower()]
    number = float(value)
    if not number.is_integer() or not 1 <= number <= 5:
        raise ValueError("Priority must be a whole number from 1 (highest) to 5, or a word (high, normal, low)")
    return int(number)


def _as_score(value: Any) -> int:
    number = float(str(value).strip().rstrip("%"))
    if 0 < number < 1 and not float(number).is_integer():
        number *= 100  # spec 001 writes scores as 0-1 fractions
    if not 0 <= number <= 100:
        raise ValueError("Lead score must be between 0 and 100")
    return round(number)


def _as_money(value: Any) -> Decimal:
    try:
        amount = Decimal(_MONEY_JUNK.sub("", str(value)))
    except InvalidOperation:
        raise ValueError(f"'{value}' is not an amount") from None
    if amount.is_nan() or amount < 0:
        raise ValueError("Amount must not be negative")
    return amount.quantize(Decimal("0.01"))


def _as_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, float):  # an Excel time cell read as a fraction of a day
        seconds = round(value * 86400) % 86400
        return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    return dateparser.parse(str(value)).time()


def _as_datetime(value: Any, zone: str) -> datetime:
    parsed = value if isinstance(value, datetime) else dateparser.isoparse(str(value).strip())
    if dj_timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=ZoneInfo(zone or "UTC"))
    return parsed


class FieldPlanner:
    """What each key of a row means, worked out once per distinct list of keys (a file's rows share
    one): the field it names (ours, a spec's alias, or a custom field) and its converter. An import's
    column map (column as written -> target) is applied on the way; a target of "" ignores the
    column and "custom:<name>" keeps it as that custom field even if <name> is one of ours."""

    def __init__(self, column_map: dict[str, str] | None = None):
        self.column_map = column_map or {}
        self.plans: dict[tuple, tuple] = {}

    def plan(self, keys: tuple) -> tuple:
        plan = self.plans.get(keys)
        if plan is None:
            if len(self.plans) > 1024:  # JSON rows may each have other keys; keep the table small
                self.plans.clear()
            plan = self.plans[keys] = tuple(self._resolve(key) for key in keys)
        return plan

    def _resolve(self, key) -> tuple[str, str | None, Any]:
        """(custom field name, field name, converter); the converter is None for custom fields and
        the field name None for ignored columns."""
        target = self.column_map.get(key, key)
        if target == "":
            return "", None, None
        if isinstance(target, str) and target.startswith("custom:"):
            return target.removeprefix("custom:").strip(), "", None
        name = canonical_key(target)
        if name == "custom_fields":
            return "", None, None  # merged as a whole, below
        return str(target).strip(), name, _CONVERTERS.get(name)


_PLANNER = FieldPlanner()


def normalize_lead(
    raw: dict[str, Any], context: LeadContext, *, partial: bool = False, planner: FieldPlanner = _PLANNER
) -> Normalized:
    """Clean one lead's input. `raw` keys may be our names, the specs' aliases or anything else (which
    goes to custom_fields). With partial=True (updates) a missing phone is not an error."""
    out = Normalized()
    values = out.values
    custom: dict[str, Any] = {}
    for (custom_key, name, convert), given in zip(planner.plan(tuple(raw)), raw.values(), strict=True):
        value = given.strip() if isinstance(given, str) else given
        if convert is None:
            if name is not None and value not in ("", None):
                custom[custom_key] = value
            continue
        if name in values:  # two columns for one field (e.g. phone and phone_e164): the first wins
            continue
        try:
            if name == "phone_e164" or (value is not None and value != ""):  # a blank phone is its own error
                convert(name, value, values, context)
            elif name in _BLANK_VALUES:
                blank = _BLANK_VALUES[name]
                values[name] = [] if blank is list else blank
        except (ValueError, TypeError, OverflowError, ValidationError, PhoneError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            out.fail(name, value, message)
    _finish(raw, out, custom, partial=partial)
    return out


def _finish(raw: dict[str, Any], out: Normalized, custom: dict[str, Any], *, partial: bool) -> None:
    """What needs the whole row: custom fields merged, a full name split, the phone required, the
    time zone derived from the number."""
    values = out.values
    if "custom_fields" in raw and not _blank(raw["custom_fields"]):
        given = raw["custom_fields"]
        if isinstance(given, dict):
            custom = {**custom, **given}
        else:
            out.fail("custom_fields", given, "custom_fields must be an object")
    if custom:
        values["custom_fields"] = custom
    full_name = values.pop("full_name", None)
    if full_name and not values.get("first_name") and not values.get("last_name"):
        first, _, last = full_name.partition(" ")
        values["first_name"], values["last_name"] = first[:150], last.strip()[:150]
    if not partial and "phone_e164" not in values and not any(e["field"] == "phone_e164" for e in out.errors):
        out.fail("phone_e164", None, "Missing required field: phone")
    _derive_timezone(values)


# One converter per field, looked up once per cell: an import runs them on every cell of every row.
# Each takes (field, value, values, context) and writes values[field] (status may write stage).
def _convert_phone(name: str, value: Any, values: dict, context: LeadContext) -> None:
    phone = normalize_phone(value, context.region)
    values.update(phone_e164=phone.e164, phone_raw=str(value).strip()[:64], phone_region=phone.region,
                  phone_type=phone.kind, phone_national=phone.national, _phone=phone)  # fmt: skip


def _convert_text(name: str, value: Any, values: dict, context: LeadContext) -> None:
    if type(value) is str:
        text = value  # stripped by normalize_lead
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # Excel turns ZIP 94105 into 94105.0
    else:
        text = str(value).strip()
    limit = TEXT_LIMITS.get(name, 300)
    if len(text) > limit:
        raise ValueError(f"Too long: at most {limit} characters")
    values[name] = text


def _convert_email(name: str, value: Any, values: dict, context: LeadContext) -> None:
    email = str(value).strip().lower()
    user, _, domain = email.rpartition("@")
    # Django's own rules, with the domain half (the costly one, and shared by many rows) remembered.
    if not user or len(email) > 320 or not _email_user_match(user) or not _valid_email_domain(domain):
        validate_email(email)  # raises with Django's message
    values[name] = email


_email_user_match = validate_email.user_regex.match  # bound once: the attribute is a lazy object


@lru_cache(maxsize=8192)
def _valid_email_domain(domain: str) -> bool:
    return domain in validate_email.domain_allowlist or validate_email.validate_domain_part(domain)


def _convert_timezone(name: str, value: Any, values: dict, context: LeadContext) -> None:
    zone = str(value).strip()
    if zone not in time_zone_names():
        raise ValueError(f"'{zone}' is not an IANA time zone name (for example America/New_York)")
    values[name] = zone


def _convert_interest(name: str, value: Any, values: dict, context: LeadContext) -> None:
    level = str(value).strip().lower()
    if level not in InterestLevel.values:
        raise ValueError("Invalid interest level: use low, medium or high")
    values[name] = level


def _convert_stage(name: str, value: Any, values: dict, context: LeadContext) -> None:
    text = str(value).strip().lower()
    word = status_word(text)
    if text in LeadStage.values:
        values["stage"] = text
    elif word is not None and word[0] == "stage":
        values["stage"] = word[2]
    else:
        raise ValueError(f"Invalid stage '{value}': use one of {', '.join(LeadStage.values)}")


def _simple(function):
    def convert(name: str, value: Any, values: dict, context: LeadContext) -> None:
        values[name] = function(value)

    return convert


def _convert_alternate_phone(name: str, value: Any, values: dict, context: LeadContext) -> None:
    values[name] = normalize_phone(value, context.region).e164


def _convert_status(name: str, value: Any, values: dict, context: LeadContext) -> None:
    _set_status(str(value), values)


def _convert_datetime(name: str, value: Any, values: dict, context: LeadContext) -> None:
    values[name] = _as_datetime(value, context.default_timezone)


_CONVERTERS = {
    **dict.fromkeys([*TEXT_LIMITS, "full_name"], _convert_text),
    **dict.fromkeys(LIST_FIELDS, _simple(_as_list)),
    **dict.fromkeys(("do_not_call", "is_hot_lead"), _simple(_as_bool)),
    **dict.fromkeys(("next_call_at", "last_call_at", "consent_at"), _convert_datetime),
    "phone_e164": _convert_phone,
    "email": _convert_email,
    "alternate_phone": _convert_alternate_phone,
    "timezone": _convert_timezone,
    "priority": _simple(_as_priority),
    "lead_score": _simple(_as_score),
    "annual_revenue": _simple(_as_money),
    "interest_level": _convert_interest,
    "best_time_to_call": _simple(_as_time),
    "status": _convert_status,
    "stage": _convert_stage,
    "custom_fields": None,  # merged after the other fields
}
_CONVERTERS = {name: convert for name, convert in _CONVERTERS.items() if convert is not None}
if set(_CONVERTERS) | {"custom_fields"} != WRITABLE:  # a field added to one table and not the other
    raise ImportError(f"normalize: converters and WRITABLE disagree on {set(_CONVERTERS) ^ WRITABLE}")

# What a blank cell means, per field (absent: a blank leaves the field alone).
_BLANK_VALUES: dict[str, Any] = {
    **dict.fromkeys(LIST_FIELDS, list),
    **dict.fromkeys([*TEXT_LIMITS, "email", "alternate_phone", "timezone"], ""),
    **dict.fromkeys(("next_call_at", "best_time_to_call", "annual_revenue", "last_call_at", "consent_at"), None),
}


# Statuses a person or an import may set; queued and calling belong to the dialer.
SETTABLE_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.SCHEDULED, LeadStatus.DONE, LeadStatus.FAILED,
                               LeadStatus.DNC})  # fmt: skip


def _set_status(text: str, values: dict) -> None:
    word = status_word(text)
    if word is None:
        raise ValueError(f"Invalid status value '{text}'")
    field_name, _, target = word
    if field_name == "stage":  # "qualified", "contacted"...: the spec documents' status is our stage
        values["stage"] = target
        return
    if target not in SETTABLE_STATUSES:
        raise ValueError(f"Status '{text}' is set by the dialer, not by hand")
    values["status"] = target


def _derive_timezone(values: dict) -> None:
    """The time zone (given, else from the number) and the state whose calling rules apply."""
    phone = values.pop("_phone", None)
    if values.get("timezone"):
        values["timezone_source"] = TimezoneSource.GIVEN
    elif phone is not None:
        values["timezone"], values["timezone_source"] = phone.timezone, phone.timezone_source
    if phone is not None:
        values["subdivision"] = subdivision_of(state=values.get("state", ""), country=phone.region, e164=phone.e164)
