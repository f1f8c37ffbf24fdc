"""When a person may be called, in their own time: the dialer's window (08:00-21:00 local by
default, configurable stricter, never looser), narrowed by the state and country rules that apply
(apps.calls.models.ComplianceRule: the platform's and the tenant's; the strictest wins), plus how
many calls a person may get in 24 hours and whether recording needs everyone's consent.

The same rules run twice: as SQL inside the dialer's claim (so a tick only ever claims leads it may
call now), and in Python for one lead (the schedule-now endpoint, the last check before a call is
placed, and the explanation of why a lead is waiting).
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import cache

import phonenumbers
from django.conf import settings
from django.db.models import Q

from apps.calls.models import ComplianceRule

Window = tuple[dt.time, dt.time] | None  # None: no calls


def base_window() -> tuple[dt.time, dt.time]:
    """The dialer's own local window; settings may make it stricter than 08:00-21:00, never looser."""
    start = max(dt.time.fromisoformat(settings.DIALER_LOCAL_START), dt.time(8))
    end = min(dt.time.fromisoformat(settings.DIALER_LOCAL_END), dt.time(21))
    return start, end


@cache
def _country_zones(region: str) -> tuple[str, ...]:
    """Every IANA zone of a country: those phonenumbers gives its numbers. Under a shared calling
    code, a North American country's own area codes (US states, Canadian provinces), else every zone
    of the code (more zones only make the unknown-zone rule stricter)."""
    from phonenumbers.tzdata import TIMEZONE_DATA

    from apps.leads.regions import CA_PROVINCES, US_STATES, area_code_subdivisions

    code = phonenumbers.country_code_for_region(region)
    if not code:
        return ()
    if code == 1 and region in ("US", "CA"):
        own = US_STATES if region == "US" else CA_PROVINCES
        areas = {prefix for prefix, state in area_code_subdivisions().items() if state in own}
        keys = [key for key in TIMEZONE_DATA if key[:4] in areas]
    elif code == 1:
        example = phonenumbers.example_number(region)
        keys = [key for key in TIMEZONE_DATA if example is not None
                and key == phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)[1:5]]  # fmt: skip
    else:
        keys = [key for key in TIMEZONE_DATA if key.startswith(str(code))]
    return tuple(sorted({zone for key in keys for zone in TIMEZONE_DATA[key] if zone != "Etc/Unknown"}))


# Countries whose every zone is inside the window, per process and minute. They depend only on the
# minute, the base window and the country-wide rules, not on the book, and tick() builds a book per
# tenant every tick: kept per book, they were worked out again (every zone of every country, ~13 ms)
# at every tick for every tenant with a queue (make bench, dialer).
_OPEN_EVERYWHERE: dict = {}


@dataclass
class RuleBook:
    """The rules of one tenant (platform rules plus its own), evaluated for a moment."""

    rules: list = field(default_factory=list)

    @classmethod
    def for_tenant(cls, tenant_id) -> "RuleBook":
        rows = ComplianceRule.objects.filter(Q(tenant__isnull=True) | Q(tenant_id=tenant_id), is_active=True)
        return cls(rules=list(rows))

    def _applicable(self, country: str, subdivision: str, weekday: int | None):
        for rule in self.rules:
            if rule.country != country or (rule.subdivision and rule.subdivision != subdivision):
                continue
            if rule.weekday is not None and rule.weekday != weekday:
                continue
            yield rule

    def window(self, country: str, subdivision: str, weekday: int) -> Window:
        """The strictest local window of every rule for this place and weekday (0 = Monday)."""
        start, end = base_window()
        for rule in self._applicable(country, subdivision, weekday):
            if rule.no_calls:
                return None
            if rule.start_local is not None:
                start = max(start, rule.start_local)
            if rule.end_local is not None:
                end = min(end, rule.end_local)
        return (start, end) if start < end else None

    def max_calls_per_24h(self, country: str, subdivision: str) -> int | None:
        limits = [rule.max_calls_per_24h for rule in self._applicable(country, subdivision, None)
                  if rule.max_calls_per_24h]  # fmt: skip
        limits += [rule.max_calls_per_24h for rule in self.rules if rule.weekday is not None
                   and rule.max_calls_per_24h and rule.country == country
                   and rule.subdivision in ("", subdivision)]  # fmt: skip
        return min(limits) if limits else None

    def all_party_consent(self, country: str, subdivision: str) -> bool:
        return any(rule.all_party_consent for rule in self._applicable(country, subdivision, None))

    # One lead, in Python ----------------------------------------------------------------------------
    def lead_verdict(self, lead, at: dt.datetime) -> tuple[bool, str]:
        """May this lead be called at `at`, by their local time? (True, "") or (False, why)."""
        country, subdivision = lead.phone_region or "", lead.subdivision or ""
        zones = [lead.timezone] if lead.timezone else list(_country_zones(country))
        if not zones:
            return False, "the lead's time zone is unknown"
        for zone in zones:
            local = at.astimezone(zoneinfo.ZoneInfo(zone))
            window = self.window(country, subdivision, local.weekday())
            place = f"{country}-{subdivision}" if subdivision else (country or "here")
            if window is None:
                return False, f"no calls on {local:%A} in {place}"
            if not (window[0] <= local.time() < window[1]):
                where = f"the lead's local time ({local:%H:%M} {zone})" if lead.timezone else f"{local:%H:%M} in {zone}"
                return False, f"{where} is outside {window[0]:%H:%M}-{window[1]:%H:%M} ({place})"
        return True, ""

    def next_allowed(self, lead, after: dt.datetime, *, days: int = 8) -> dt.datetime | None:
        """The first moment at or after `after` when the lead's own window is open (every zone of the
        country, when the lead's is unknown)."""
        zones = [lead.timezone] if lead.timezone else list(_country_zones(lead.phone_region or ""))
        if not zones:
            return None
        candidates = {after}
        for zone in zones:
            tz = zoneinfo.ZoneInfo(zone)
            local = after.astimezone(tz)
            for offset in range(days):
                day = local.date() + dt.timedelta(days=offset)
                window = self.window(lead.phone_region or "", lead.subdivision or "", day.weekday())
                if window is not None:
                    candidates.add(dt.datetime.combine(day, window[0], tzinfo=tz).astimezone(dt.UTC))
        for moment in sorted(m for m in candidates if m >= after):
            if self.lead_verdict(lead, moment)[0]:
                return moment
        return None

    # The dialer's claim, in SQL ------------------------------------------------------------------
    def claim_sql(self, at: dt.datetime, table: str = "l") -> tuple[str, list]:
        """A condition on leads (alias `table`) true when the lead may be called at `at` by the local
        windows: per place with rules (most specific first) and weekday, else the base window. A lead
        of unknown zone only when every zone of its country is inside the window."""
        ruled = {(rule.country, rule.subdivision) for rule in self.rules
                 if rule.start_local or rule.end_local or rule.no_calls}  # fmt: skip
        places = sorted(ruled, key=lambda place: (place[1] == "", place))
        moment = f"'{at.astimezone(dt.UTC).isoformat()}'::timestamptz"  # our own clock: no input reaches SQL here
        local = f"({moment} AT TIME ZONE {table}.timezone)"
        branches, params = [], []
        for country, subdivision in places:
            where = f"{table}.phone_region = %s" + (f" AND {table}.subdivision = %s" if subdivision else "")
            for weekday in range(7):
                window = self.window(country, subdivision, weekday)
                start, end = window if window else (dt.time(0), dt.time(0))
                branches.append(f"WHEN {where} AND extract(isodow FROM {local}) = {weekday + 1} "
                                f"THEN {local}::time >= %s::time AND {local}::time < %s::time")  # fmt: skip
                params += [country, *([subdivision] if subdivision else []), start, end]
        base_start, base_end = base_window()
        base = f"{local}::time >= %s::time AND {local}::time < %s::time"
        params += [base_start, base_end]
        # No place has rules (none seeded, or all removed): the base window alone ("CASE ELSE" is no SQL).
        windows = f"CASE {' '.join(branches)} ELSE {base} END" if branches else base
        # CASE keeps AT TIME ZONE away from leads with no zone (it would fail on '').
        sql = f"(CASE WHEN {table}.timezone = '' THEN {table}.phone_region = ANY(%s) ELSE ({windows}) END)"
        return sql, [self.regions_open_everywhere(at), *params]

    def regions_open_everywhere(self, at: dt.datetime, regions: tuple[str, ...] | None = None) -> list[str]:
        """Countries whose every zone is inside the window now (for leads whose own zone is unknown).
        Kept per minute (windows are whole minutes) for every book with the same country-wide rules."""
        country_rules = tuple(sorted(
            (rule.country, -1 if rule.weekday is None else rule.weekday, rule.no_calls, str(rule.start_local),
             str(rule.end_local)) for rule in self.rules if not rule.subdivision
        ))  # fmt: skip
        key = (at.replace(second=0, microsecond=0), regions, base_window(), country_rules)
        cached = _OPEN_EVERYWHERE.get(key)
        if cached is None:
            if len(_OPEN_EVERYWHERE) >= 256:  # old minutes
                _OPEN_EVERYWHERE.clear()
            cached = _OPEN_EVERYWHERE[key] = self._regions_open(at, regions)
        return list(cached)

    def _regions_open(self, at: dt.datetime, regions: tuple[str, ...] | None) -> list[str]:
        regions = regions or tuple(sorted(phonenumbers.SUPPORTED_REGIONS))
        out = []
        for region in regions:
            zones = _country_zones(region)
            if not zones:
                continue
            for zone in zones:
                local = at.astimezone(zoneinfo.ZoneInfo(zone))
                window = self.window(region, "", local.weekday())
                if window is None or not (window[0] <= local.time() < window[1]):
                    break
            else:
                out.append(region)
        return out

    def limits_sql(self, at: dt.datetime, table: str = "l") -> tuple[str, list]:
        """A condition true when the lead has not had its place's most calls in the last 24 hours."""
        limited = {}
        for rule in self.rules:
            if rule.max_calls_per_24h:
                key = (rule.country, rule.subdivision)
                limited[key] = min(limited.get(key, rule.max_calls_per_24h), rule.max_calls_per_24h)
        if not limited:
            return "TRUE", []
        branches, params = [], []
        for (country, subdivision), limit in sorted(limited.items(), key=lambda item: item[0][1] == ""):
            cond = f"{table}.phone_region = %s" + (f" AND {table}.subdivision = %s" if subdivision else "")
            branches.append(f"WHEN {cond} THEN %s")
            params += [country, *([subdivision] if subdivision else []), limit]
        limit_sql = f"CASE {' '.join(branches)} ELSE NULL END"
        count_sql = (
            f"(SELECT count(*) FROM calls_call c WHERE c.tenant_id = {table}.tenant_id "
            f"AND c.to_number = {table}.phone_e164 AND c.created_at > %s AND c.status <> 'canceled')"
        )
        return (f"({limit_sql} IS NULL OR {count_sql} < {limit_sql})",
                [*params, at - dt.timedelta(hours=24), *params])  # fmt: skip


def calls_in_24h(*, tenant_id, number: str, at: dt.datetime) -> int:
    from apps.calls.models import Call

    return (Call.objects.filter(tenant_id=tenant_id, to_number=number, created_at__gt=at - dt.timedelta(hours=24))
            .exclude(status="canceled").count())  # fmt: skip
