"""List filters for calls: spec 004's names (campaign_id, agent_id, disposition, answered_by,
date_from, date_to) and spec 000's (outcome, start_date, end_date, search), every document's words
mapped onto ours in one place. A value that names nothing is a 400 (loc ["query", name]), never an
unfiltered list."""

import contextlib
import datetime as dt
import re
import zoneinfo

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q

from apps.agents.filtersets import StrictBooleanFilter
from apps.calls.choices import MACHINE, OUTCOME_WORDS, AnsweredBy, CallOutcome, CallStatus
from apps.calls.models import Call, CallDisposition, ComplianceRule, DialerStatus
from apps.core.exceptions import QueryValidationError
from apps.core.filters import LeanFilterSet
from apps.leads.models import search_matches
from apps.leads.phones import PhoneError, normalize_phone

# Spec 004's dispositions are how the call ended: our outcome.
SPEC_004_DISPOSITIONS = {"answered": CallOutcome.ANSWERED, "voicemail": CallOutcome.VOICEMAIL,
                         "no_answer": CallOutcome.NO_ANSWER, "busy": CallOutcome.BUSY,
                         "failed": CallOutcome.FAILED}  # fmt: skip
# "machine" is any answering machine (or fax) Twilio's detection names.
ANSWERED_BY_WORDS = {**{value: {value} for value in AnsweredBy.values}, "machine": set(MACHINE)}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TERM_JUNK = re.compile(r"[^\w@.+\-]", re.UNICODE)


def _words(value) -> list[str]:
    """Comma-separated words, trimmed, lower-cased, Twilio's hyphens read as underscores."""
    return [w.strip().lower().replace("-", "_") for w in str(value or "").split(",") if w.strip()]


def _unknown(name: str, word: str, allowed) -> QueryValidationError:
    return QueryValidationError({name: [f"Unknown {name} '{word}'. Use {', '.join(sorted(allowed))}."]})


def parse_day(name: str, raw) -> dt.date | None:
    """A YYYY-MM-DD query value, or a 400 naming the parameter."""
    if raw in (None, ""):
        return None
    try:
        if not _DATE.match(str(raw)):
            raise ValueError
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise QueryValidationError({name: [f"'{raw}' is not a date YYYY-MM-DD."]}) from None


def local_midnight(day: dt.date, zone_name: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(zone_name or "UTC"))


def search_calls(queryset, value: str, *, region: str = ""):
    """A number in any format matches calls to it exactly; words match the lead's names (as
    prefixes, through the leads' search index, as the lead search does) or part of the agent's name."""
    value = (value or "").strip()[:200]
    if not value:
        return queryset
    condition = Q(agent__name__icontains=value)
    if len(re.sub(r"\D", "", value)) >= 7:
        with contextlib.suppress(PhoneError):
            condition |= Q(to_number=normalize_phone(value, region).e164)
    terms = [t for t in (_TERM_JUNK.sub("", term) for term in value.replace("-", " ").split()) if t]
    if terms:
        raw = " & ".join(f"{term}:*" for term in terms[:8])
        condition |= search_matches(SearchQuery(raw, search_type="raw", config="simple"), prefix="lead__")
    return queryset.filter(condition)


class CallFilterSet(LeanFilterSet):
    campaign_id = django_filters.UUIDFilter(field_name="campaign_id")
    agent_id = django_filters.UUIDFilter(field_name="agent_id")
    lead_id = django_filters.UUIDFilter(field_name="lead_id")
    status = django_filters.CharFilter(method="filter_status",
                                       help_text=f"Comma-separated: {', '.join(CallStatus.values)}.")  # fmt: skip
    outcome = django_filters.CharFilter(
        method="filter_outcome",
        help_text=f"Comma-separated: {', '.join(CallOutcome.values)}; completed and human mean answered, "
        "machine means voicemail.",
    )  # fmt: skip
    disposition = django_filters.CharFilter(
        method="filter_disposition",
        help_text="Comma-separated. Spec 004's answered, voicemail, no_answer, busy and failed are how the call "
        "ended (the outcome); any other word is one of your disposition codes (sale, callback_requested...).",
    )  # fmt: skip
    answered_by = django_filters.CharFilter(
        method="filter_answered_by",
        help_text=f"Comma-separated: {', '.join(AnsweredBy.values)}; machine means any answering machine.",
    )  # fmt: skip
    date_from = django_filters.CharFilter(method="filter_day", help_text="YYYY-MM-DD in the tenant's time zone, "
                                          "included (calls created from that local midnight).")  # fmt: skip
    date_to = django_filters.CharFilter(method="filter_day",
                                        help_text="YYYY-MM-DD in the tenant's time zone, included.")  # fmt: skip
    start_date = django_filters.CharFilter(method="filter_day", help_text="Spec 000's name for date_from.")
    end_date = django_filters.CharFilter(method="filter_day", help_text="Spec 000's name for date_to.")
    search = django_filters.CharFilter(method="filter_search",
                                       help_text="Lead name, phone number (any format) or agent name.")  # fmt: skip
    q = django_filters.CharFilter(method="filter_search", help_text="Same as search.")

    class Meta:
        model = Call
        fields: list[str] = []

    @property
    def tenant(self):
        return getattr(getattr(self.request, "user", None), "tenant", None)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        starts = [d for d in (parse_day(n, self.data.get(n)) for n in ("date_from", "start_date")) if d]
        ends = [d for d in (parse_day(n, self.data.get(n)) for n in ("date_to", "end_date")) if d]
        if starts and ends and max(starts) > min(ends):
            name = "date_from" if "date_from" in self.data else "start_date"
            raise QueryValidationError({name: [f"{max(starts)} is after the end date {min(ends)}."]})
        return queryset

    def filter_status(self, queryset, name, value):
        words = _words(value)
        for word in words:
            if word not in CallStatus.values:
                raise _unknown(name, word, CallStatus.values)
        return queryset.filter(status__in=words) if words else queryset

    def filter_outcome(self, queryset, name, value):
        outcomes = set()
        for word in _words(value):
            if word not in OUTCOME_WORDS:
                raise _unknown(name, word, OUTCOME_WORDS)
            outcomes.add(OUTCOME_WORDS[word])
        return queryset.filter(outcome__in=outcomes) if outcomes else queryset

    def filter_disposition(self, queryset, name, value):
        from apps.calls.selectors import disposition_codes

        words = _words(value)
        outcomes = {SPEC_004_DISPOSITIONS[w] for w in words if w in SPEC_004_DISPOSITIONS}
        codes = {w for w in words if w not in SPEC_004_DISPOSITIONS}
        if codes:
            known = disposition_codes(tenant=self.tenant)
            unknown = sorted(codes - known)
            if unknown:
                raise _unknown(name, unknown[0], set(SPEC_004_DISPOSITIONS) | known)
        if not words:
            return queryset
        return queryset.filter(Q(outcome__in=outcomes) | Q(disposition__in=codes))

    def filter_answered_by(self, queryset, name, value):
        values = set()
        for word in _words(value):
            if word not in ANSWERED_BY_WORDS:
                raise _unknown(name, word, ANSWERED_BY_WORDS)
            values |= ANSWERED_BY_WORDS[word]
        return queryset.filter(answered_by__in=values) if values else queryset

    def filter_day(self, queryset, name, value):
        day = parse_day(name, value)
        if day is None:
            return queryset
        zone = getattr(self.tenant, "default_timezone", "") or "UTC"
        if name in ("date_from", "start_date"):
            return queryset.filter(created_at__gte=local_midnight(day, zone))
        return queryset.filter(created_at__lt=local_midnight(day + dt.timedelta(days=1), zone))

    def filter_search(self, queryset, name, value):
        return search_calls(queryset, value, region=getattr(self.tenant, "default_country", ""))


class ComplianceRuleFilterSet(LeanFilterSet):
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    subdivision = django_filters.CharFilter(field_name="subdivision", lookup_expr="iexact")
    scope = django_filters.ChoiceFilter(choices=[("platform", "platform"), ("tenant", "tenant")],
                                        method="filter_scope", help_text="platform or tenant (your own).")  # fmt: skip
    is_active = StrictBooleanFilter()

    class Meta:
        model = ComplianceRule
        fields: list[str] = []

    def filter_scope(self, queryset, name, value):
        return queryset.filter(tenant__isnull=value == "platform")


class DispositionFilterSet(LeanFilterSet):
    is_active = StrictBooleanFilter()
    is_system = StrictBooleanFilter()

    class Meta:
        model = CallDisposition
        fields: list[str] = []


class DialerStatusFilterSet(LeanFilterSet):
    campaign_id = django_filters.UUIDFilter(field_name="campaign_id")
    agent_id = django_filters.UUIDFilter(field_name="agent_id")

    class Meta:
        model = DialerStatus
        fields: list[str] = []
