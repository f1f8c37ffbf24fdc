"""The leads back office: tenant-scoped, import with preview through the same rules, actions."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.leads.models import DoNotCallEntry, Lead, LeadActivity


@pytest.fixture
def staff(client, alice):
    client.force_login(alice)
    return client


def test_the_changelist_shows_only_the_tenants_live_leads(staff, make_lead, globex):
    make_lead(first_name="Mine", phone="+14155550101")
    make_lead(tenant=globex, first_name="Theirs", phone="+14155550102")
    gone = make_lead(first_name="Gone", phone="+14155550103")
    Lead.objects.filter(pk=gone.pk).update(deleted_at="2030-01-01T00:00:00Z")
    page = staff.get("/admin/leads/lead/").content.decode()
    assert "Mine" in page and "Theirs" not in page and "Gone" not in page
    assert "Gone" in staff.get("/admin/leads/lead/?deleted=yes").content.decode()


def test_the_change_page_shows_the_timeline(staff, make_lead):
    lead = make_lead()
    page = staff.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "Timeline" in page and "Created with status" in page


def test_import_with_preview_then_confirm_uses_the_same_rules(staff, acme, campaign, make_lead):
    make_lead(campaign=campaign, phone="+14155550100")  # already there: skipped
    DoNotCallEntry.objects.create(tenant=acme, phone_e164="+14155550101")  # on the list: skipped
    content = b"phone,first_name\n+14155550100,Dup\n+14155550101,Dnc\n(415) 555-0102,New\n415.555.0102,Twin\n"
    preview = staff.post("/admin/leads/lead/import/", {
        "import_file": SimpleUploadedFile("leads.csv", content), "format": "0", "campaign": str(campaign.pk),
        "region": "US", "resource": "0",
    })  # fmt: skip
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "confirm" in html.lower()
    assert Lead.objects.filter(campaign=campaign).count() == 1  # the preview wrote nothing
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|campaign|region|resource)" '
                             r'value="([^"]*)"', html))  # fmt: skip
    done = staff.post("/admin/leads/lead/process_import/", fields)
    assert done.status_code == 302, done.content.decode()[:3000]
    new = Lead.objects.get(campaign=campaign, first_name="New")
    assert new.phone_e164 == "+14155550102" and new.tenant == acme
    assert Lead.objects.filter(campaign=campaign).count() == 2
    assert LeadActivity.objects.filter(lead=new, activity_type="imported").exists()


def test_an_invalid_row_shows_in_the_preview(staff):
    content = b"phone,first_name\nnot-a-phone,Bad\n"
    preview = staff.post("/admin/leads/lead/import/", {
        "import_file": SimpleUploadedFile("leads.csv", content), "format": "0", "resource": "0",
    })  # fmt: skip
    assert "Invalid phone number format" in preview.content.decode()
    assert not Lead.objects.exists()


def test_actions_schedule_mark_dnc_and_restore(staff, make_lead, acme):
    lead = make_lead()
    staff.post("/admin/leads/lead/", {"action": "mark_dnc", "_selected_action": [str(lead.pk)]})
    lead.refresh_from_db()
    assert lead.do_not_call and lead.status == "dnc"
    assert DoNotCallEntry.objects.filter(tenant=acme, phone_e164=lead.phone_e164).exists()
    other = make_lead(phone="+14155550199")
    Lead.objects.filter(pk=other.pk).update(deleted_at="2030-01-01T00:00:00Z")
    staff.post("/admin/leads/lead/?deleted=yes", {"action": "restore", "_selected_action": [str(other.pk)]})
    other.refresh_from_db()
    assert other.deleted_at is None


def test_an_agent_sees_no_leads_admin(client, bob):
    client.force_login(bob)
    assert client.get("/admin/leads/lead/").status_code == 302


def test_the_admin_export_neutralises_formulas(staff, make_lead):
    make_lead(company_name="=cmd")
    resp = staff.post("/admin/leads/lead/export/", {"format": "0", "resource": "0", "export_items": []})
    assert resp.status_code == 200
    assert b"=cmd" not in resp.content.replace(b"'=cmd", b"")
