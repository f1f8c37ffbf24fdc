"""Imports: one engine behind spec 000's csv-import, the general import (CSV/XLSX/JSON, partial or
atomic), background jobs; and every bad file the issue lists."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from apps.leads.models import DoNotCallEntry, ImportJob, Lead, LeadActivity

CSV_IMPORT = "/api/v1/leads/csv-import/"
IMPORT = "/api/v1/leads/import/"


def upload(content: bytes | str, name: str = "leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


SPEC_000_CSV = """first_name,phone,company,position,notes,schedule_at
John,+14155552671,Acme Corp,Manager,Interested in premium,2030-06-24T14:00:00Z
Jane,415-555-2672,TechCo,Director,Follow up next week,
Bob,(415) 555-invalid,StartupInc,CEO,High priority,
"""


def test_spec_000_csv_import(api_client_for, alice, ai_agent):
    resp = api_client_for(alice).post(f"{CSV_IMPORT}?agent_id={ai_agent.id}", {"file": upload(SPEC_000_CSV)},
                                      format="multipart")  # fmt: skip
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert (body["success_count"], body["error_count"], body["total_processed"]) == (2, 1, 3)
    assert body["errors"][0]["row"] == 4
    assert "Invalid phone number format: (415) 555-invalid" in body["errors"][0]["error"]
    john = Lead.objects.get(first_name="John")
    assert john.agent == ai_agent and john.phone_e164 == "+14155552671"
    # Columns that name a lead field land in it; the rest become custom fields.
    assert (john.company_name, john.job_title, john.notes) == ("Acme Corp", "Manager", "Interested in premium")
    assert john.status == "new"  # imported leads join the queue; schedule_at is kept
    assert john.next_call_at.isoformat() == "2030-06-24T14:00:00+00:00"
    assert Lead.objects.get(first_name="Jane").phone_e164 == "+14155552672"
    assert LeadActivity.objects.filter(activity_type="imported").count() == 2


def test_import_counts_duplicates_dnc_and_invalid_disjointly(api_client_for, alice, acme, campaign, make_lead):
    make_lead(campaign=campaign, phone="+14155550100")  # already in the campaign
    DoNotCallEntry.objects.create(tenant=acme, phone_e164="+14155550101")
    rows = "phone,first_name\n+14155550100,Old\n+14155550101,Blocked\n+14155550102,New\n415-555-0102,Twin\nbad,Bad\n"
    resp = api_client_for(alice).post(IMPORT, {"file": upload(rows), "campaign_id": str(campaign.id)},
                                      format="multipart")  # fmt: skip
    assert resp.status_code == 201, resp.json()
    results = resp.json()["results"]
    assert results == {"total": 5, "valid": 1, "invalid": 1, "duplicates": 2, "dnc": 1, "inserted": 1}
    errors = {(e["row"], e["field"]) for e in resp.json()["errors"]}
    assert errors == {(2, "phone"), (5, "phone"), (6, "phone")}
    assert Lead.objects.filter(campaign=campaign).count() == 2


def test_field_mapping_defaults_and_custom_fields(api_client_for, alice, campaign):
    rows = "Phone Number,Given,Colour\n+14155550111,Ann,blue\n+14155550112,,red\n"
    resp = api_client_for(alice).post(IMPORT, {
        "file": upload(rows), "campaign_id": str(campaign.id),
        "field_mapping": json.dumps({"Phone Number": "phone", "Given": "first_name"}),
        "default_values": json.dumps({"status": "pending", "source": "bulk_import", "first_name": "Friend"}),
    }, format="multipart")  # fmt: skip
    assert resp.status_code == 201, resp.json()
    ann = Lead.objects.get(phone_e164="+14155550111")
    assert (ann.first_name, ann.source, ann.custom_fields) == ("Ann", "bulk_import", {"Colour": "blue"})
    assert Lead.objects.get(phone_e164="+14155550112").first_name == "Friend"


def test_atomic_mode_writes_nothing_when_a_row_is_bad(api_client_for, alice):
    rows = "phone,first_name\n+14155550121,A\n+14155550122,B\nnope,C\n"
    resp = api_client_for(alice).post(IMPORT, {"file": upload(rows), "mode": "atomic"}, format="multipart")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "IMPORT_REJECTED" and body["rolled_back"] is True
    assert body["results"]["invalid"] == 1 and body["errors"][0]["row"] == 4
    assert not Lead.objects.exists()
    assert not LeadActivity.objects.exists()


def test_atomic_mode_writes_everything_when_all_rows_are_good(api_client_for, alice):
    rows = "phone\n+14155550131\n+14155550132\n"
    resp = api_client_for(alice).post(IMPORT, {"file": upload(rows), "mode": "atomic"}, format="multipart")
    assert resp.status_code == 201 and resp.json()["results"]["inserted"] == 2


@pytest.mark.parametrize(
    "content,name",
    [
        ("\ufeffphone;first_name\n+14155550141;Zoë\n", "bom-semicolon.csv"),
        ("phone\tfirst_name\n+14155550141\tZoë\n", "tabs.tsv"),
        ("phone|first_name\n+14155550141|Zoë\n", "pipes.csv"),
        ("\n\nphone,first_name\n\n+14155550141,Zoë\n\n", "blank-lines.csv"),
    ],
)
def test_csv_dialects(api_client_for, alice, content, name):
    resp = api_client_for(alice).post(IMPORT, {"file": upload(content, name)}, format="multipart")
    assert resp.status_code == 201, resp.json()
    assert Lead.objects.get().first_name == "Zoë"


def test_windows_1252_text_is_read(api_client_for, alice):
    content = "phone,first_name,notes\n+14155550151,Zoë,“smart quotes” – café\n".encode("cp1252")
    resp = api_client_for(alice).post(IMPORT, {"file": upload(content)}, format="multipart")
    assert resp.status_code == 201, resp.json()
    lead = Lead.objects.get()
    assert (lead.first_name, lead.notes) == ("Zoë", "“smart quotes” – café")


def test_quoted_newlines_keep_row_numbers_honest(api_client_for, alice):
    content = 'phone,notes\n+14155550161,"line one\nline two"\nbad,x\n'
    body = api_client_for(alice).post(IMPORT, {"file": upload(content)}, format="multipart").json()
    assert Lead.objects.get().notes == "line one\nline two"
    assert body["errors"][0]["row"] == 3  # records, not physical lines


def test_xlsx_with_numeric_phone_cells(api_client_for, alice):
    data = xlsx([["Phone", "First Name", "Zip"], [4155550171, "Ann", 94105], ["+14155550172", "Bo", None]])
    resp = api_client_for(alice).post(IMPORT, {"file": upload(data, "leads.xlsx")}, format="multipart")
    assert resp.status_code == 201, resp.json()
    assert set(Lead.objects.values_list("phone_e164", "postal_code")) == {("+14155550171", "94105"),
                                                                          ("+14155550172", "")}  # fmt: skip


def test_json_import_in_spec_003s_shape(api_client_for, alice, campaign):
    body = {"campaign_id": str(campaign.id), "default_values": {"source": "api_import"},
            "leads": [{"first_name": "John", "phone": "+14155550181", "tags": ["enterprise"]},
                      {"first_name": "Jane", "phone": "4155550182", "lead_score": 75}]}  # fmt: skip
    resp = api_client_for(alice).post(IMPORT, body, format="json")
    assert resp.status_code == 201, resp.json()
    assert resp.json()["imported_count"] == 2
    assert set(Lead.objects.values_list("source", flat=True)) == {"api_import"}
    assert Lead.objects.get(first_name="John").tags == ["enterprise"]


def test_a_big_file_becomes_a_background_job(api_client_for, alice, settings, celery_worker_process):
    settings.LEAD_IMPORT_SYNC_MAX_BYTES = 100  # anything bigger runs on the worker
    rows = "phone,first_name\n" + "".join(f"+1415555{n:04d},Lead {n}\n" for n in range(200, 260))
    client = api_client_for(alice)
    resp = client.post(IMPORT, {"file": upload(rows)}, format="multipart")
    assert resp.status_code == 202, resp.json()
    job_url = resp.json()["status_url"]
    assert resp["Location"] == job_url
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(job_url).json()
        if job["status"] in ("completed", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "completed", job
    assert job["results"]["inserted"] == 60 and job["rows_processed"] == 60
    assert Lead.objects.count() == 60
    assert not ImportJob.objects.get().file  # the upload is removed once processed


def test_the_csv_template(api_client_for, alice):
    resp = api_client_for(alice).get("/api/v1/leads/template/csv/")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp.content.decode().startswith("first_name,last_name,phone,")


# Bad input: each a clear 4xx or a row error, never a 500 ------------------------------------------
@pytest.mark.parametrize(
    "content,name,status,code",
    [
        (b"", "empty.csv", 400, "EMPTY_FILE"),
        (b"first_name,email\nAnn,a@b.co\n", "no-phone.csv", 400, "NO_PHONE_COLUMN"),
        (b"%PDF-1.4 binary", "leads.pdf", 415, "UNSUPPORTED_FILE_TYPE"),
        (b"phone\n+14155550100\n", "old.xls", 415, "UNSUPPORTED_FILE_TYPE"),
        (b"this is not a zip", "leads.xlsx", 400, "INVALID_XLSX"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "leads.csv", 400, "NOT_TEXT"),
        (b'{"not": "a list"}', "leads.json", 400, "NOT_A_LIST"),
        (b"[1, 2", "leads.json", 400, "INVALID_JSON"),
    ],
)
def test_bad_files_are_refused_before_anything_is_written(api_client_for, alice, content, name, status, code):
    resp = api_client_for(alice).post(IMPORT, {"file": upload(content, name)}, format="multipart")
    assert resp.status_code == status, resp.json()
    assert resp.json()["code"] == code
    assert not Lead.objects.exists()


def test_header_only_imports_nothing_and_says_so(api_client_for, alice):
    resp = api_client_for(alice).post(IMPORT, {"file": upload("phone,first_name\n")}, format="multipart")
    assert resp.status_code == 201
    assert resp.json()["results"]["total"] == 0 and resp.json()["imported_count"] == 0


def test_a_zip_bomb_disguised_as_xlsx_is_refused_unopened(api_client_for, alice):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros, ~50 KB packed
    resp = api_client_for(alice).post(IMPORT, {"file": upload(out.getvalue(), "bomb.xlsx")}, format="multipart")
    assert resp.status_code == 413
    assert resp.json()["code"] == "XLSX_TOO_LARGE"


def test_a_synchronous_upload_over_10_mb_is_413(api_client_for, alice, settings):
    content = b"phone\n" + b"+14155550100\n" * (settings.LEAD_IMPORT_SYNC_MAX_BYTES // 13 + 1)
    assert len(content) == settings.LEAD_IMPORT_SYNC_MAX_BYTES + 1 or len(content) > settings.LEAD_IMPORT_SYNC_MAX_BYTES
    resp = api_client_for(alice).post(CSV_IMPORT, {"file": upload(content)}, format="multipart")
    assert resp.status_code == 413
    assert resp.json()["code"] == "FILE_TOO_LARGE"
    assert "/api/v1/leads/import/" in resp.json()["detail"]


def test_exactly_10_mb_plus_one_byte(api_client_for, alice, settings):
    limit = settings.LEAD_IMPORT_SYNC_MAX_BYTES
    header = b"phone,notes\n+14155550100,"
    content = header + b"x" * (limit + 1 - len(header) - 1) + b"\n"
    assert len(content) == limit + 1
    resp = api_client_for(alice).post(CSV_IMPORT, {"file": upload(content)}, format="multipart")
    assert resp.status_code == 413


def test_a_json_import_that_is_not_a_list(api_client_for, alice):
    resp = api_client_for(alice).post(IMPORT, {"leads": {"phone": "+14155550100"}}, format="json")
    assert resp.status_code == 400 and resp.json()["code"] == "NOT_A_LIST"


def test_json_items_that_are_not_objects_are_row_errors(api_client_for, alice):
    resp = api_client_for(alice).post(IMPORT, {"leads": [{"phone": "+14155550100"}, "junk"]}, format="json")
    assert resp.status_code == 201
    assert resp.json()["results"]["invalid"] == 1 and resp.json()["errors"][0]["row"] == 2


def test_another_tenants_campaign_or_agent_is_404(api_client_for, alice, globex_campaign, globex_agent):
    client = api_client_for(alice)
    for params in ({"campaign_id": str(globex_campaign.id)}, {"agent_id": str(globex_agent.id)}):
        resp = client.post(IMPORT, {"file": upload("phone\n+14155550100\n"), **params}, format="multipart")
        assert resp.status_code == 404
    assert not Lead.objects.exists()


def test_bad_mapping_and_defaults_are_400(api_client_for, alice):
    client = api_client_for(alice)
    bad_mapping = client.post(IMPORT, {"file": upload("p\n+14155550100\n"),
                                       "field_mapping": json.dumps({"p": "favourite_colour"})}, format="multipart")  # fmt: skip
    assert bad_mapping.status_code == 400 and bad_mapping.json()["code"] == "INVALID_MAPPING"
    bad_defaults = client.post(IMPORT, {"file": upload("phone\n+14155550100\n"),
                                        "default_values": json.dumps({"priority": 9})}, format="multipart")  # fmt: skip
    assert bad_defaults.status_code == 400 and bad_defaults.json()["code"] == "INVALID_DEFAULTS"
    not_json = client.post(IMPORT, {"file": upload("phone\n+14155550100\n"), "default_values": "{oops"},
                           format="multipart")  # fmt: skip
    assert not_json.status_code == 400


def test_no_file(api_client_for, alice):
    resp = api_client_for(alice).post(IMPORT, {}, format="multipart")
    assert resp.status_code == 400 and resp.json()["code"] == "NO_FILE"


# The engine's own paths -------------------------------------------------------------------------
def test_many_batches_through_the_writer_thread(acme, campaign, settings):
    from apps.leads.importing.engine import ImportSpec, import_leads
    from apps.leads.importing.readers import open_rows

    settings.LEAD_IMPORT_BATCH_SIZE = 7
    rows = "phone,first_name,tags,notes\n" + "".join(
        f'+1415555{n:04d},Név {n},"a,b","tab\there\\ and ""quotes"""\n' for n in range(100, 150)
    )
    outcome = import_leads(open_rows(io.BytesIO(rows.encode()), "x.csv"), ImportSpec(tenant=acme, campaign=campaign))
    assert outcome.counts() == {"total": 50, "valid": 50, "invalid": 0, "duplicates": 0, "dnc": 0, "inserted": 50}
    lead = Lead.objects.get(phone_e164="+14155550123")
    assert (lead.first_name, lead.tags, lead.notes) == ("Név 123", ["a", "b"], 'tab\there\\ and "quotes"')
    assert LeadActivity.objects.filter(activity_type="imported").count() == 50


def test_a_phone_taken_after_the_check_is_a_duplicate_not_an_error(acme, campaign, make_lead, monkeypatch):
    """The writer skips the duplicate probe for a scope that was empty when the import began; a lead
    written meanwhile meets the unique index, and the batch is redone with ON CONFLICT DO NOTHING."""
    from apps.leads.importing import engine, writer
    from apps.leads.importing.readers import open_rows

    original = writer.Writer._prepare

    def prepare_before_the_race(self, conn):
        original(self, conn)
        self.scope_has_leads = False  # as if the check ran before make_lead below

    make_lead(campaign=campaign, phone="+14155550201")
    monkeypatch.setattr(writer.Writer, "_prepare", prepare_before_the_race)
    rows = b"phone\n+14155550200\n+14155550201\n+14155550202\n"
    outcome = engine.import_leads(
        open_rows(io.BytesIO(rows), "x.csv"), engine.ImportSpec(tenant=acme, campaign=campaign)
    )
    assert (outcome.inserted, outcome.duplicates, outcome.valid) == (2, 1, 2)
    assert outcome.errors[0]["row"] == 3
    assert Lead.objects.filter(campaign=campaign).count() == 3


def test_the_fast_nanp_path_agrees_with_phonenumbers():
    import random

    import phonenumbers

    from apps.leads.phones import PhoneError, normalize_phone

    rng = random.Random(11)
    samples = [f"+1{rng.randint(2_000_000_000, 9_999_999_999)}" for _ in range(1500)]
    samples += [f"({rng.randint(100, 999)}) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}" for _ in range(1500)]
    for raw in samples:
        expected = phonenumbers.parse(raw, "US")
        try:
            ours = normalize_phone(raw, "US")
        except PhoneError:
            assert not phonenumbers.is_valid_number(expected), raw
            continue
        assert phonenumbers.is_valid_number(expected), raw
        assert ours.e164 == phonenumbers.format_number(expected, phonenumbers.PhoneNumberFormat.E164)
        assert ours.region == phonenumbers.region_code_for_number(expected)
