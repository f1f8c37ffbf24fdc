"""The campaigns back office: tenant-scoped, lifecycle actions, lead counts, read-only history."""

import pytest

from apps.campaigns.models import Campaign, CampaignStatus, CampaignTransition
from apps.leads.models import Lead


@pytest.fixture
def staff(client, alice):
    client.force_login(alice)
    return client


def test_the_changelist_is_the_tenants_own(staff, ready_campaign, globex_things):
    page = staff.get("/admin/campaigns/campaign/").content.decode()
    assert "Ready" in page and "Globex secret" not in page
    assert staff.get(f"/admin/campaigns/campaign/{globex_things['campaign'].pk}/change/").status_code in (302, 404)


def test_lifecycle_actions_run_the_same_rules(staff, ready_campaign, acme):
    broken = Campaign.objects.create(tenant=acme, name="No caller ID")
    resp = staff.post("/admin/campaigns/campaign/", {"action": "start_campaigns",
                                                     "_selected_action": [ready_campaign.pk, broken.pk]}, follow=True)  # fmt: skip
    page = resp.content.decode()
    assert "Start: 1 campaign(s)." in page and "it has no caller ID" in page
    assert Campaign.objects.get(pk=ready_campaign.pk).status == CampaignStatus.ACTIVE
    assert Campaign.objects.get(pk=broken.pk).status == CampaignStatus.DRAFT
    assert CampaignTransition.objects.get(campaign=ready_campaign).actor_label == "alice@acme.test"


def test_the_change_page_shows_leads_by_status_and_the_history(staff, ready_campaign, acme):
    Lead.objects.create(tenant=acme, campaign=ready_campaign, phone_e164="+14155550101")
    Lead.objects.create(tenant=acme, campaign=ready_campaign, phone_e164="+14155550102", status="done")
    staff.post("/admin/campaigns/campaign/", {"action": "start_campaigns", "_selected_action": [ready_campaign.pk]})
    page = staff.get(f"/admin/campaigns/campaign/{ready_campaign.pk}/change/").content.decode()
    assert "done: 1" in page and "new: 1" in page
    assert "lifecycle history" in page.lower() and "draft" in page


def test_the_admin_form_refuses_unknown_placeholders_and_backwards_hours(staff, ready_campaign):
    page = staff.get(f"/admin/campaigns/campaign/{ready_campaign.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "team_members"}
    data.update({"name": "Ready", "script_template": "Hi {nickname}", "calling_hours_start": "17:00",
                 "calling_hours_end": "09:00", "working_days": "monday,friday", "tags": "", "target_cities": "",
                 "campaigntransition_set-TOTAL_FORMS": "0", "campaigntransition_set-INITIAL_FORMS": "0",
                 "transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0"})  # fmt: skip
    resp = staff.post(f"/admin/campaigns/campaign/{ready_campaign.pk}/change/", data)
    assert resp.status_code == 200  # the form again, with errors
    errors = resp.context["adminform"].form.errors
    assert "Unknown placeholder {nickname}" in str(errors["script_template"])
    assert "calling_hours_end" in errors
    assert Campaign.objects.get(pk=ready_campaign.pk).script_template == ""
