"""The calls back office: tenant-scoped, read-only where the dialer owns the rows, the same rules
as the API (system dispositions, platform rules), the dialing switch for platform staff only."""

import datetime as dt

import pytest

from apps.calls.choices import CallStatus, EventKind
from apps.calls.models import Call, CallDisposition, CallEvent, ComplianceRule, DialerStatus, DialerSwitch
from apps.campaigns.models import Campaign
from apps.tenants.models import User


@pytest.fixture
def staff(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def ops(client, db):
    client.force_login(User.objects.create_superuser(email="ops@leadvoice.test", password="x" * 20))
    return client


@pytest.fixture
def acme_call(api_make_lead, api_make_call, api_campaign):
    lead = api_make_lead(phone="+14155552671", campaign=api_campaign, first_name="Sara")
    call = api_make_call(lead, status=CallStatus.IN_PROGRESS, call_sid="CA" + "1" * 32)
    CallEvent.objects.create(tenant_id=call.tenant_id, call=call, kind=EventKind.STATUS, provider_status="ringing",
                             to_status="ringing", applied=True, dedupe_key="status:ringing")  # fmt: skip
    return call


def test_the_call_log_shows_the_tenants_calls_only(staff, acme_call, api_globex_call):
    page = staff.get("/admin/calls/call/").content.decode()
    assert acme_call.to_number in page and api_globex_call.to_number not in page
    assert staff.get(f"/admin/calls/call/{api_globex_call.pk}/change/").status_code == 302  # "does not exist"


def test_the_call_log_searches_numbers_and_sids_and_filters(staff, acme_call, api_make_call, api_campaign):
    other = api_make_call(acme_call.lead, status=CallStatus.BUSY, outcome="busy", to_number="+14155550188")
    assert acme_call.to_number in staff.get(f"/admin/calls/call/?q={acme_call.call_sid}").content.decode()
    assert "+14155550188" not in staff.get(f"/admin/calls/call/?q={acme_call.call_sid}").content.decode()
    assert "+14155550188" in staff.get("/admin/calls/call/?q=4155550188").content.decode()
    busy = staff.get("/admin/calls/call/?status=busy").content.decode()
    assert str(other.pk) in busy and str(acme_call.pk) not in busy
    for query in ("outcome=busy", "provider=simulator", "disposition=", "answered_by=human"):
        assert staff.get(f"/admin/calls/call/?{query}").status_code == 200


def test_a_call_is_read_only_with_its_events(staff, acme_call):
    resp = staff.get(f"/admin/calls/call/{acme_call.pk}/change/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "Events" in page and "ringing" in page
    assert 'name="status"' not in page and 'name="_save"' not in page  # nothing to edit
    assert staff.get("/admin/calls/call/add/").status_code == 403
    assert staff.post(f"/admin/calls/call/{acme_call.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Call.objects.filter(pk=acme_call.pk).exists()


def test_the_hang_up_action(staff, acme_call, api_make_lead, api_make_call, api_campaign):
    queued = api_make_call(api_make_lead(phone="+14155550177", campaign=api_campaign), status=CallStatus.QUEUED)
    selected = [str(acme_call.pk), str(queued.pk)]
    resp = staff.post("/admin/calls/call/", {"action": "hang_up", "_selected_action": selected})
    assert resp.status_code == 302
    assert CallEvent.objects.filter(call=acme_call, kind=EventKind.ACTION).exists()
    queued.refresh_from_db()
    assert queued.status == CallStatus.CANCELED


def test_dispositions_are_seeded_and_scoped(staff, acme, globex):
    CallDisposition.objects.create(tenant=globex, code="globex_only", label="Globex only")
    page = staff.get("/admin/calls/calldisposition/").content.decode()
    assert "Callback requested" in page and "Globex only" not in page
    assert CallDisposition.objects.filter(tenant=acme, is_system=True).exists()


def test_a_system_disposition_keeps_its_code_and_cannot_be_deleted(staff, acme):
    staff.get("/admin/calls/calldisposition/")
    no_answer = CallDisposition.objects.get(tenant=acme, code="no_answer")
    page = staff.get(f"/admin/calls/calldisposition/{no_answer.pk}/change/").content.decode()
    assert 'name="code"' not in page and 'name="label"' in page
    assert staff.post(f"/admin/calls/calldisposition/{no_answer.pk}/delete/", {"post": "yes"}).status_code == 403
    assert CallDisposition.objects.filter(pk=no_answer.pk).exists()


def test_a_disposition_added_in_the_admin_belongs_to_the_tenant(staff, acme):
    form = {"code": "demo_booked", "label": "Demo booked", "description": "", "sort_order": "35", "is_active": "on",
            "contact": "on"}  # fmt: skip
    resp = staff.post("/admin/calls/calldisposition/add/", form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    created = CallDisposition.objects.get(code="demo_booked")
    assert created.tenant == acme and created.contact and not created.is_system
    again = staff.post("/admin/calls/calldisposition/add/", form)
    assert again.status_code == 200 and "exists already" in again.content.decode()


def test_tenant_staff_edit_their_rules_and_only_see_the_platforms(staff, acme, globex):
    platform = ComplianceRule.objects.create(tenant=None, country="US", subdivision="ZZ", source="Platform zz")
    theirs = ComplianceRule.objects.create(tenant=globex, country="US", subdivision="YY", source="Globex yy")
    page = staff.get("/admin/calls/compliancerule/").content.decode()
    assert "US-ZZ" in page and "US-YY" not in page
    view = staff.get(f"/admin/calls/compliancerule/{platform.pk}/change/")
    assert view.status_code == 200 and 'name="end_local"' not in view.content.decode()  # read-only
    refused = staff.post(f"/admin/calls/compliancerule/{platform.pk}/change/", {"country": "US", "end_local": "10:00"})
    assert refused.status_code == 403
    assert staff.post(f"/admin/calls/compliancerule/{platform.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff.get(f"/admin/calls/compliancerule/{theirs.pk}/change/").status_code == 302
    resp = staff.post("/admin/calls/compliancerule/add/", {"country": "us", "subdivision": "ny", "start_local": "09:00",
                                                           "end_local": "20:00", "is_active": "on"})  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    mine = ComplianceRule.objects.get(subdivision="NY")
    assert mine.tenant == acme and mine.country == "US"
    assert staff.get(f"/admin/calls/compliancerule/{mine.pk}/change/").status_code == 200


def test_a_rule_that_ends_before_it_starts_is_refused(staff):
    resp = staff.post("/admin/calls/compliancerule/add/", {"country": "US", "start_local": "20:00",
                                                           "end_local": "09:00", "is_active": "on"})  # fmt: skip
    assert resp.status_code == 200 and "must be after the start" in resp.content.decode()
    assert not ComplianceRule.objects.filter(tenant__isnull=False).exists()


def test_platform_staff_manage_every_rule(ops, globex):
    theirs = ComplianceRule.objects.create(tenant=globex, country="US", subdivision="YY")
    assert ops.get(f"/admin/calls/compliancerule/{theirs.pk}/change/").status_code == 200
    resp = ops.post("/admin/calls/compliancerule/add/", {"country": "US", "subdivision": "QQ", "is_active": "on",
                                                         "tenant": ""})  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert ComplianceRule.objects.get(subdivision="QQ").tenant is None


def test_the_dialer_status_page_says_why(staff, acme, globex, api_campaign):
    DialerStatus.objects.create(tenant=acme, campaign=api_campaign, dialing=False, reason="outside_window",
                                message="Not dialing: outside calling hours.",
                                checked_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))  # fmt: skip
    DialerStatus.objects.create(tenant=globex, campaign=Campaign.objects.create(tenant=globex, name="Globex secret"))
    page = staff.get("/admin/calls/dialerstatus/").content.decode()
    assert "Why each campaign is or is not dialing" in page
    assert "outside calling hours" in page and "Spring Outreach" in page and "Globex secret" not in page
    status = DialerStatus.objects.get(tenant=acme)
    view = staff.get(f"/admin/calls/dialerstatus/{status.pk}/change/")
    assert view.status_code == 200 and 'name="reason"' not in view.content.decode()


def test_the_dialing_switch_is_for_platform_staff_only(client, alice, db):
    client.force_login(alice)
    assert client.get("/admin/calls/dialerswitch/").status_code == 403
    client.force_login(User.objects.create_superuser(email="ops@leadvoice.test", password="x" * 20))
    resp = client.post("/admin/calls/dialerswitch/add/", {"dialing_enabled": "", "reason": "carrier outage"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    switch = DialerSwitch.objects.get()
    assert switch.dialing_enabled is False and switch.reason == "carrier outage" and switch.changed_by is not None
    assert client.get("/admin/calls/dialerswitch/add/").status_code == 403  # one switch


def test_an_agent_sees_no_calls_admin(client, bob):
    client.force_login(bob)
    assert client.get("/admin/calls/call/").status_code == 302
