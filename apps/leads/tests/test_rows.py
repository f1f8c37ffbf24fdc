"""The lean page fetch (apps.core.rows.fetch_values) gives what Django's values() gives, and the
search probe gives the same leads in and out of a transaction."""

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from apps.core.rows import fetch_values
from apps.leads.api.serializers import LEAD_LIST_FIELDS
from apps.leads.filtersets import search_leads
from apps.leads.models import Lead


@pytest.fixture
def varied_leads(acme, campaign, human_agent, make_lead):
    full = make_lead(campaign=campaign, phone="+14155550001", first_name="Zoë", last_name="Ångström",
                     email="zoe@example.com", tags=["vip", "q1"], pain_points=["price"], annual_revenue="1250000.50",
                     custom_fields={"plan": "gold", "seats": 12, "nested": {"a": [1, 2]}}, best_time_to_call="09:30",
                     schedule_at="2030-01-02T03:04:05Z", notes="tab\there, newline\nthere")  # fmt: skip
    Lead.objects.filter(pk=full.pk).update(assigned_to=human_agent, score_breakdown={"fit": 0.5},
                                           conversion_value=Decimal("99.90"),
                                           converted_at=datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC))  # fmt: skip
    bare = make_lead(phone="+14155550002", first_name="")
    return [full, bare]


def test_fetch_values_is_values(varied_leads, acme):
    queryset = Lead.objects.alive().for_tenant(acme).order_by("-created_at")
    assert fetch_values(queryset[:10], LEAD_LIST_FIELDS) == list(queryset[:10].values(*LEAD_LIST_FIELDS))
    row = fetch_values(queryset.filter(phone_e164="+14155550001"), LEAD_LIST_FIELDS)[0]
    assert row["custom_fields"] == {"plan": "gold", "seats": 12, "nested": {"a": [1, 2]}}
    assert row["best_time_to_call"] == time(9, 30) and row["annual_revenue"] == Decimal("1250000.50")
    assert row["converted_at"] == datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert row["converted_at"].utcoffset().total_seconds() == 0


def test_fetch_values_takes_the_values_way_for_what_it_does_not_rewrite(varied_leads, acme):
    joined = Lead.objects.for_tenant(acme).filter(campaign__name="Q1 Outreach").order_by("campaign__name", "pk")
    assert fetch_values(joined, LEAD_LIST_FIELDS) == list(joined.values(*LEAD_LIST_FIELDS))
    assert fetch_values(Lead.objects.none(), LEAD_LIST_FIELDS) == []
    assert fetch_values(Lead.objects.filter(pk__in=[]), LEAD_LIST_FIELDS) == []


def _search(acme, term: str) -> set:
    return set(search_leads(Lead.objects.for_tenant(acme), term, region="US").values_list("pk", flat=True))


def test_the_search_probe_inside_a_transaction(varied_leads, acme):
    assert _search(acme, "ångström") == {varied_leads[0].pk}
    assert _search(acme, "nobody") == set()
    # The probe's planner settings ended with its savepoint.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_indexscan")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_the_search_probe_outside_a_transaction(acme, campaign, human_agent, make_lead):
    from django.db import connection

    lead = make_lead(campaign=campaign, phone="+14155550003", last_name="Quixote")
    assert not connection.in_atomic_block
    assert _search(acme, "quix") == {lead.pk}
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


def test_the_in_array_lookup(varied_leads):
    full, bare = varied_leads
    assert set(Lead.objects.filter(pk__in_array=[full.pk, str(bare.pk)]).values_list("pk", flat=True)) == {
        full.pk, bare.pk}  # fmt: skip
    assert not Lead.objects.filter(pk__in_array=[]).exists()
    with pytest.raises(ValueError):
        list(Lead.objects.filter(pk__in_array=["not-a-uuid"]))
