"""Export (streamed, filtered, formula-safe) and the do-not-call list."""

import csv
import io

from openpyxl import load_workbook

from apps.leads.exporting import neutralise
from apps.leads.models import DoNotCallEntry, Lead, LeadActivity

EXPORT = "/api/v1/leads/export/"
DNC = "/api/v1/dnc/"


def _csv(resp) -> list[dict]:
    assert resp.status_code == 200, resp.content[:500]
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_streams_the_filtered_leads(api_client_for, alice, make_lead, campaign):
    make_lead(first_name="Ann", phone="+14155550101", campaign=campaign)
    make_lead(first_name="Bo", phone="+14155550102")
    resp = api_client_for(alice).get(f"{EXPORT}?format=csv&campaign_id={campaign.id}")
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment;" in resp["Content-Disposition"]
    rows = _csv(resp)
    assert [r["first_name"] for r in rows] == ["Ann"]
    assert rows[0]["phone_e164"] == "+14155550101"  # a plain E.164 number is not a formula
    assert "schedule_at" in rows[0]


def test_export_neutralises_formulas(api_client_for, alice, make_lead):
    lead = make_lead(first_name="=HYPERLINK(\"http://evil\")", last_name="+cmd|' /C calc'!A0", company_name="@SUM(1)",
                     notes="-2+3")  # fmt: skip
    Lead.objects.filter(pk=lead.pk).update(job_title="\tTab")  # inputs are trimmed; rows written otherwise are not
    row = _csv(api_client_for(alice).get(EXPORT))[0]
    assert row["first_name"].startswith("'=")
    assert row["last_name"].startswith("'+")
    assert row["company_name"].startswith("'@")
    assert row["notes"] == "'-2+3"
    assert row["job_title"].startswith("'\t")


def test_neutralise_leaves_numbers_alone():
    assert neutralise("+14155552671") == "+14155552671"
    assert neutralise("-42.5") == "-42.5"
    assert neutralise("=1+1") == "'=1+1"


def test_xlsx_export(api_client_for, alice, make_lead):
    make_lead(first_name="Ann", phone="+14155550101", company_name="=cmd")
    resp = api_client_for(alice).get(f"{EXPORT}?format=xlsx")
    assert resp.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "phone_e164" in header
    assert first["first_name"] == "Ann" and first["company_name"] == "'=cmd"


def test_export_pages_through_more_rows_than_a_chunk(api_client_for, alice, make_lead, monkeypatch):
    from apps.leads import exporting

    monkeypatch.setattr(exporting, "CHUNK", 3)
    for n in range(8):
        make_lead(phone=f"+1415555{n:04d}")
    rows = _csv(api_client_for(alice).get(EXPORT))
    assert len(rows) == 8 and len({r["id"] for r in rows}) == 8


def test_bad_export_format_is_400(api_client_for, alice):
    resp = api_client_for(alice).get(f"{EXPORT}?format=pdf")
    assert resp.status_code == 400 and resp.json()["errors"][0]["loc"] == ["query", "format"]


def test_export_is_tenant_scoped(api_client_for, charlie, make_lead):
    make_lead()
    assert _csv(api_client_for(charlie).get(EXPORT)) == []


# Do-not-call --------------------------------------------------------------------------------------
def test_adding_a_number_marks_its_leads(api_client_for, alice, make_lead):
    lead = make_lead(phone="+14155552671")
    resp = api_client_for(alice).post(DNC, {"phone": "(415) 555-2671", "reason": "asked us"}, format="json")
    assert resp.status_code == 201
    assert resp.json()["phone_e164"] == "+14155552671"
    lead.refresh_from_db()
    assert lead.do_not_call and lead.status == "dnc"
    assert LeadActivity.objects.filter(lead=lead, activity_type="dnc").exists()
    again = api_client_for(alice).post(DNC, {"phone": "+14155552671"}, format="json")
    assert again.status_code == 200  # already listed
    assert DoNotCallEntry.objects.count() == 1


def test_a_dnc_lead_cannot_be_rescheduled_or_revived_while_listed(api_client_for, alice, make_lead):
    lead = make_lead(phone="+14155552671")
    client = api_client_for(alice)
    client.post(DNC, {"phone": "+14155552671"}, format="json")
    assert client.patch(f"/api/v1/leads/{lead.id}/schedule/", {"schedule_at": "2030-01-01T10:00:00Z"},
                        format="json").status_code == 409  # fmt: skip
    assert client.patch(f"/api/v1/leads/{lead.id}/status/", {"status": "new"}, format="json").json()["code"] == (
        "NUMBER_ON_DNC_LIST"
    )


def test_bulk_add_reports_bad_numbers(api_client_for, alice):
    resp = api_client_for(alice).post(f"{DNC}bulk/", {"phones": ["+14155552671", "415-555-2672", "junk",
                                                                 "+14155552671"]}, format="json")  # fmt: skip
    body = resp.json()
    assert (body["added"], body["invalid"]) == (2, 1)
    assert body["errors"][0] == {"row": 3, "value": "junk", "error": "Invalid phone number format: junk"}


def test_csv_upload(api_client_for, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"Phone Number,reason\n+14155552671,x\n(415) 555-2672,y\nbad,z\n"
    resp = api_client_for(alice).post(f"{DNC}upload/", {"file": SimpleUploadedFile("dnc.csv", content)},
                                      format="multipart")  # fmt: skip
    assert resp.status_code == 200, resp.json()
    assert resp.json()["added"] == 2 and resp.json()["invalid"] == 1


def test_dnc_is_tenant_scoped_and_operators_only(api_client_for, alice, bob, charlie):
    entry_id = api_client_for(alice).post(DNC, {"phone": "+14155552671"}, format="json").json()["id"]
    assert api_client_for(charlie).get(f"{DNC}{entry_id}/").status_code == 404
    assert api_client_for(charlie).delete(f"{DNC}{entry_id}/").status_code == 404
    assert api_client_for(bob).post(DNC, {"phone": "+14155552672"}, format="json").status_code == 403
    assert api_client_for(alice).delete(f"{DNC}{entry_id}/").status_code == 204
    assert not DoNotCallEntry.objects.exists()


def test_import_skips_numbers_on_the_list(api_client_for, alice, acme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    DoNotCallEntry.objects.create(tenant=acme, phone_e164="+14155552671")
    content = b"phone\n+14155552671\n+14155552672\n"
    resp = api_client_for(alice).post("/api/v1/leads/import/", {"file": SimpleUploadedFile("l.csv", content)},
                                      format="multipart")  # fmt: skip
    assert resp.json()["results"]["dnc"] == 1
    assert list(Lead.objects.values_list("phone_e164", flat=True)) == ["+14155552672"]
