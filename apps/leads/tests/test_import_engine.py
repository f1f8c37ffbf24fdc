"""The import engine's fast paths, each checked against the slow, obvious way it replaces: COPY text,
phone typing, id generation, two writers, and the database rules the engine leans on."""

import io
import random
import threading
import time as time_module
import uuid
from datetime import UTC, datetime, time
from decimal import Decimal

import phonenumbers
import pytest
from django.db import IntegrityError, connection, transaction
from phonenumbers import timezone as number_timezones

from apps.core.ids import uuid7_hex_many
from apps.leads.importing.engine import ImportSpec, import_leads
from apps.leads.importing.readers import open_rows
from apps.leads.importing.writer import Writer, _copy_line, _copy_text
from apps.leads.models import DoNotCallEntry, Lead, LeadActivity
from apps.leads.normalize import FieldPlanner, LeadContext, normalize_lead
from apps.leads.phones import _TYPE_NAMES, PhoneError, _canonical_zone, normalize_phone
from apps.leads.search_index import merge_pending

LEAD_ID, ACTIVITY_ID = "0" * 32, "f" * 32


@pytest.mark.parametrize(
    "cells",
    [
        ["plain", "text", ""],
        [None, "x", None],
        ["\\N", "a real backslash-N, not a NULL"],
        ["ends with \\N", "\\", "a\\b"],
        ["tab\there", "new\nline", "cr\rhere", "nul\x00byte"],
        [["a", 'quo"te', "back\\slash"], {"k": "v\tw"}, Decimal("12.50"), True, 7],
        [datetime(2030, 1, 2, 3, 4, tzinfo=UTC), time(9, 30), None, "Név"],
    ],
)
def test_the_joined_copy_line_is_the_cell_by_cell_one(cells):
    names = [f"c{n}" for n in range(len(cells))]
    line = _copy_line(dict(zip(names, cells, strict=True)), names, {}, LEAD_ID, ACTIVITY_ID)
    assert line == "\t".join([LEAD_ID, *map(_copy_text, cells), ACTIVITY_ID]) + "\n"


def test_copy_text_round_trips_through_postgres(db):
    """What the COPY text says is what PostgreSQL stores."""
    values = ["\\N", "tab\tand\nnewline", "back\\slash", "", None]
    line = "\t".join(_copy_text(v) for v in values) + "\n"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copy_check (a text, b text, c text, d text, e text)")
        with cursor.cursor.copy("COPY copy_check FROM STDIN") as copy:
            copy.write(line)
        cursor.execute("SELECT a, b, c, d, e FROM copy_check")
        assert list(cursor.fetchone()) == ["\\N", "tab\tand\nnewline", "back\\slash", "", None]


def _reference(text: str, region: str):
    """What phonenumbers itself says: E.164, region, type and zones, or None when not valid."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    zones = [z for z in number_timezones.time_zones_for_number(number) if z != "Etc/Unknown"]
    return (phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            phonenumbers.region_code_for_number(number), _TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
            _canonical_zone(zones[0]) if zones else "")  # fmt: skip


def test_phone_typing_agrees_with_phonenumbers_in_every_region():
    """Our parser shortcuts, compiled patterns and zone lookup give phonenumbers' own answers, for
    valid and invalid numbers of every region, written internationally and nationally."""
    rng = random.Random(5)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    checked = 0
    for _ in range(12_000):
        region = rng.choice(regions)
        example = phonenumbers.example_number(region)
        if example is not None and rng.random() < 0.6:  # a real number, its tail randomised
            national = phonenumbers.national_significant_number(example)
            cut = rng.randint(len(national) // 2, len(national))
            national = national[:cut] + "".join(rng.choice("0123456789") for _ in range(len(national) - cut))
            code = example.country_code
        else:
            national = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 13)))
            code = phonenumbers.country_code_for_region(region)
        text = f"+{code} {national}" if rng.random() < 0.5 else national
        given_region = region if rng.random() < 0.85 else ""
        try:
            phone = normalize_phone(text, given_region)
            ours = (phone.e164, phone.region, phone.kind, phone.timezone)
        except PhoneError:
            ours = None
        assert ours == _reference(text, given_region), (text, given_region)
        checked += ours is not None
    assert checked > 2_000  # the sample holds plenty of valid numbers, not only refusals


def test_uuid7_hex_many_makes_distinct_version_7_ids_in_time_order():
    ids = uuid7_hex_many(5000)
    parsed = [uuid.UUID(value) for value in ids]
    assert len(set(ids)) == 5000
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert len({value[:12] for value in ids}) <= 2  # one millisecond clock (two at a tick boundary)


def test_a_custom_mapping_target_names_the_custom_field():
    planner = FieldPlanner({"Budget": "custom:budget"})
    out = normalize_lead({"phone": "+14155552671", "Budget": "10k"}, LeadContext(region="US"), planner=planner)
    assert out.values["custom_fields"] == {"budget": "10k"}


# Two writers: only outside a transaction, so these tests commit -----------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_writers_write_every_batch_once(settings, acme, campaign, make_lead, monkeypatch):
    settings.LEAD_IMPORT_BATCH_SIZE = 50
    writers, original = set(), Writer._write

    def write(self, conn, *args, **kwargs):
        writers.add(threading.current_thread().name)
        time_module.sleep(0.01)  # let the other writer take the next batch
        return original(self, conn, *args, **kwargs)

    monkeypatch.setattr(Writer, "_write", write)
    make_lead(campaign=campaign, phone="+14155550100")
    DoNotCallEntry.objects.create(tenant=acme, phone_e164="+14155550101")
    rows = ["phone,first_name"] + [f"+1415555{n:04d},Lead {n}" for n in range(100, 1100)]
    rows += ["+14155550200,Twin", "not a phone,Bad"]
    source = open_rows(io.BytesIO("\n".join(rows).encode()), "x.csv")
    assert not connection.in_atomic_block
    outcome = import_leads(source, ImportSpec(tenant=acme, campaign=campaign))
    assert outcome.counts() == {"total": 1002, "valid": 998, "invalid": 1, "duplicates": 2, "dnc": 1, "inserted": 998}
    assert Lead.objects.filter(campaign=campaign).count() == 999
    assert LeadActivity.objects.filter(activity_type="imported").count() == 998
    assert sorted(e["row"] for e in outcome.errors) == [2, 1002, 1003]
    assert writers == {"lead-import-writer", "lead-import-writer-2"}


@pytest.mark.django_db(transaction=True)
def test_imported_leads_are_found_before_and_after_the_search_index_merge(acme, campaign):
    source = open_rows(io.BytesIO(b"phone,first_name,last_name\n+14155550300,Zebulon,Quist\n"), "x.csv")
    import_leads(source, ImportSpec(tenant=acme, campaign=campaign))
    found = Lead.objects.filter(search_document="quist")
    assert found.count() == 1  # from the index's pending list
    assert merge_pending() >= 0
    assert merge_pending() == 0  # nothing left
    assert found.count() == 1


# The database rules the engine leans on ----------------------------------------------------------
def test_a_lead_cannot_point_at_another_tenants_campaign_even_in_sql(acme, make_lead, globex_campaign):
    lead = make_lead()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE leads_lead SET campaign_id = %s WHERE id = %s", [globex_campaign.pk, lead.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_lead_cannot_point_at_another_tenants_agent_even_in_sql(acme, make_lead, globex_agent):
    lead = make_lead()
    for column in ("agent_id", "assigned_to_id"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE leads_lead SET {column} = %s WHERE id = %s", [globex_agent.pk, lead.pk])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_deleting_a_lead_takes_its_timeline_with_it(acme, make_lead):
    """The timeline has no database foreign key; Django's on_delete still cascades."""
    lead = make_lead()
    assert LeadActivity.objects.filter(lead_id=lead.pk).exists()
    lead.delete()
    assert not LeadActivity.objects.filter(lead_id=lead.pk).exists()
