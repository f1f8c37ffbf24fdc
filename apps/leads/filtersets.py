"""List filters for leads: every spec document's names, aliases mapped in one place (choices.py)."""

import contextlib
import re

import django_filters
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from psycopg.errors import QueryCanceled

from apps.core.exceptions import QueryValidationError
from apps.core.filters import LeanFilterSet
from apps.core.pagination import with_known_count
from apps.leads.choices import Disposition, InterestLevel, LeadStage, status_word
from apps.leads.models import DoNotCallEntry, ImportJob, Lead, search_matches
from apps.leads.phones import PhoneError, normalize_phone

_TERM_JUNK = re.compile(r"[^\w@.+\-]", re.UNICODE)


def search_leads(queryset, value: str, *, region: str = ""):
    """Search names, email, company and phone. A query that reads as a phone number (in any format
    people type) matches that number exactly; every other word matches as a prefix."""
    value = (value or "").strip()[:200]
    if not value:
        return queryset
    condition = Q()
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7:
        with contextlib.suppress(PhoneError):
            e164 = normalize_phone(value, region).e164
            # Through the search index (the number's digits are a term of it), checked exactly.
            exact = SearchQuery(e164.lstrip("+"), search_type="raw", config="simple")
            condition |= search_matches(exact) & Q(phone_e164=e164)
    terms = [t for t in (_TERM_JUNK.sub("", term) for term in value.replace("-", " ").split()) if t]
    if terms:
        raw = " & ".join(f"{term}:*" for term in terms[:8])
        condition |= search_matches(SearchQuery(raw, search_type="raw", config="simple"))
    if not condition:
        return queryset.none()
    # PostgreSQL cannot estimate how many leads a prefix search matches, and a wrong guess costs
    # either a scan of the whole book (rare term, walked in date order) or a sort of every match
    # (common term, collected through the index). So ask the index itself, capped in rows and in
    # time: a few matches become an id list (exact count, primary-key lookups); many matches, or a
    # probe that could not finish in LIST_SEARCH_PROBE_MS (a very common term: the index must
    # gather every match before it returns one), keep the plain filter, whose date-ordered walk
    # finds a page quickly when matches are dense.
    cap = settings.LIST_EXACT_COUNT_LIMIT
    probe = queryset.filter(condition).order_by().values_list("pk", flat=True)[: cap + 1]
    ids = _probe_index(probe)
    if ids is not None and len(ids) <= cap:
        return with_known_count(queryset.filter(pk__in_array=ids), len(ids)) if ids else queryset.none()
    return queryset.filter(condition)


def _probe_index(probe) -> list | None:
    """The ids `probe` selects, collected through the search index (bitmap scans only), or None if
    that took longer than LIST_SEARCH_PROBE_MS. Outside a transaction the settings and the query go
    in one message (one implicit transaction, so SET LOCAL ends with it); inside one, a savepoint
    rolled back afterwards takes the settings back."""
    try:
        sql, params = probe.query.sql_with_params()
    except EmptyResultSet:
        return []
    settings_sql = [
        "SET LOCAL enable_indexscan = off", "SET LOCAL enable_seqscan = off",
        f"SET LOCAL statement_timeout = {int(settings.LIST_SEARCH_PROBE_MS)}",
    ]  # fmt: skip

    def run(cursor) -> list:
        cursor.execute("; ".join([*settings_sql, sql]), params)  # Django's cursors bind client-side
        for _ in settings_sql:
            cursor.cursor.nextset()  # past each SET's empty result, to the ids
        return [row[0] for row in cursor.cursor.fetchall()]

    try:
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                return run(cursor)
        with transaction.atomic(), connection.cursor() as cursor:
            ids = run(cursor)
            transaction.set_rollback(True)  # back to the savepoint: the settings end here
            return ids
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        return None


class StatusWordFilter(django_filters.CharFilter):
    """status / status_filter: our statuses, stages, or any spec's word for them; comma-separated."""

    def filter(self, qs, value):
        if not value:
            return qs
        statuses, stages = set(), set()
        for word in str(value).split(","):
            resolved = status_word(word)
            if resolved is None:
                raise QueryValidationError({self.field_name: [f"Unknown status '{word.strip()}'."]})
            field, values, _ = resolved
            (statuses if field == "status" else stages).update(values)
        condition = Q()
        if statuses:
            condition |= Q(status__in=statuses)
        if stages:
            condition |= Q(stage__in=stages)
        return qs.filter(condition)


class ScoreFilter(django_filters.NumberFilter):
    """Scores are 0-100; spec 001 writes 0-1 fractions, which are scaled."""

    def filter(self, qs, value):
        if value is None:
            return qs
        if 0 < value < 1:
            value *= 100
        return super().filter(qs, value)


class LeadFilterSet(LeanFilterSet):
    agent_id = django_filters.UUIDFilter(field_name="agent_id")
    campaign_id = django_filters.UUIDFilter(field_name="campaign_id")
    campaign_ids = django_filters.BaseInFilter(field_name="campaign_id")
    assigned_to = django_filters.UUIDFilter(field_name="assigned_to_id")
    unassigned = django_filters.BooleanFilter(field_name="assigned_to", lookup_expr="isnull")
    status = StatusWordFilter(field_name="status")
    status_filter = StatusWordFilter(field_name="status")
    stage = django_filters.MultipleChoiceFilter(choices=LeadStage.choices)
    disposition = django_filters.MultipleChoiceFilter(choices=Disposition.choices)
    interest_level = django_filters.MultipleChoiceFilter(choices=InterestLevel.choices)
    source = django_filters.CharFilter(field_name="source", lookup_expr="iexact")
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact")
    state = django_filters.CharFilter(field_name="state", lookup_expr="iexact")
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    niche = django_filters.CharFilter(field_name="niche", lookup_expr="iexact")
    industry = django_filters.CharFilter(field_name="industry", lookup_expr="iexact")
    is_hot_lead = django_filters.BooleanFilter()
    do_not_call = django_filters.BooleanFilter()
    priority = django_filters.NumberFilter()
    priority_max = django_filters.NumberFilter(field_name="priority", lookup_expr="lte")
    min_score = ScoreFilter(field_name="lead_score", lookup_expr="gte")
    max_score = ScoreFilter(field_name="lead_score", lookup_expr="lte")
    tags = django_filters.BaseInFilter(field_name="tags", lookup_expr="overlap")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    start_date = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    end_date = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    due_before = django_filters.IsoDateTimeFilter(field_name="next_call_at", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search")
    q = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Lead
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        tenant = getattr(getattr(self.request, "user", None), "tenant", None)
        return search_leads(queryset, value, region=getattr(tenant, "default_country", ""))


class DoNotCallFilterSet(LeanFilterSet):
    source = django_filters.CharFilter()
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = DoNotCallEntry
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        digits = re.sub(r"\D", "", value or "")
        return queryset.filter(phone_e164__contains=digits) if digits else queryset


class ImportJobFilterSet(LeanFilterSet):
    status = django_filters.CharFilter()

    class Meta:
        model = ImportJob
        fields: list[str] = []
