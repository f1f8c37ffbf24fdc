"""The back office is tenant-scoped for tenant staff and follows the same role rules as the API."""

import re

import pytest

from apps.tenants.models import ApiKey, User, hash_api_key


@pytest.fixture
def admin_client_for(client):
    def make(user):
        client.force_login(user)
        return client

    return make


def test_an_owner_sees_only_their_tenants_users(admin_client_for, alice, bob, charlie):
    page = admin_client_for(alice).get("/admin/tenants/user/").content.decode()
    assert "bob@acme.test" in page
    assert "charlie@globex.test" not in page


def test_another_tenants_user_cannot_be_opened(admin_client_for, alice, charlie):
    resp = admin_client_for(alice).get(f"/admin/tenants/user/{charlie.pk}/change/")
    assert resp.status_code == 302  # the admin's "does not exist" redirect, no data
    assert "charlie" not in resp.content.decode()


def test_an_agent_cannot_enter_the_admin(admin_client_for, bob):
    resp = admin_client_for(bob).get("/admin/")
    assert resp.status_code == 302 and "/admin/login/" in resp["Location"]


def test_a_manager_can_look_at_users_but_not_add_them(admin_client_for, maria):
    client = admin_client_for(maria)
    assert client.get("/admin/tenants/user/").status_code == 200
    assert client.get("/admin/tenants/user/add/").status_code == 403
    assert client.get("/admin/tenants/apikey/").status_code == 403


def test_an_owner_adds_a_user_to_their_own_tenant(admin_client_for, alice):
    resp = admin_client_for(alice).post(
        "/admin/tenants/user/add/",
        {"email": "Newbie@Acme.test", "first_name": "New", "last_name": "Bie", "role": "manager",
         "password1": "a-long-enough-passphrase", "password2": "a-long-enough-passphrase"},
    )  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    user = User.objects.get(email="newbie@acme.test")
    assert user.tenant_id == alice.tenant_id and user.role == "manager" and user.is_staff


def test_the_admin_refuses_to_remove_the_last_owner(admin_client_for, alice, acme):
    zed = User.objects.create_user(email="zed@acme.test", password=None, tenant=acme, role="admin", is_staff=True)
    resp = admin_client_for(zed).get(f"/admin/tenants/user/{alice.pk}/change/")
    assert resp.status_code == 200
    form = {"email": alice.email, "first_name": "Alice", "last_name": "", "phone": "", "role": "agent",
            "is_active": "on", "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00"}  # fmt: skip
    resp = admin_client_for(zed).post(f"/admin/tenants/user/{alice.pk}/change/", form)
    assert resp.status_code == 200  # the form comes back with the error
    alice.refresh_from_db()
    assert alice.role == "owner"


def test_creating_an_api_key_in_the_admin_shows_it_once(admin_client_for, alice):
    client = admin_client_for(alice)
    resp = client.post("/admin/tenants/apikey/add/", {"name": "Zapier", "scope": "read"})
    assert resp.status_code == 200
    raw = re.search(r"(lv_[A-Za-z0-9_-]{40,})", resp.content.decode()).group(1)
    key = ApiKey.objects.get(name="Zapier")
    assert key.tenant_id == alice.tenant_id and key.created_by == alice
    assert key.key_hash == hash_api_key(raw)
    assert raw not in client.get(f"/admin/tenants/apikey/{key.pk}/change/").content.decode()
    assert raw not in client.get("/admin/tenants/apikey/").content.decode()


def test_the_revoke_action_revokes(admin_client_for, alice, api_key_for):
    api_key_for(alice.tenant)
    key = ApiKey.objects.get()
    resp = admin_client_for(alice).post(
        "/admin/tenants/apikey/", {"action": "revoke", "_selected_action": [str(key.pk)]}
    )
    assert resp.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_tenant_staff_see_their_tenant_but_not_tier_changes(admin_client_for, alice, globex):
    client = admin_client_for(alice)
    listing = client.get("/admin/tenants/tenant/").content.decode()
    assert "Acme" in listing and "Globex" not in listing
    assert client.get(f"/admin/tenants/tenant/{globex.pk}/change/").status_code == 302
    assert client.get("/admin/tenants/tenant/add/").status_code == 403


def test_the_tenants_twilio_token_is_write_only_and_stored_encrypted(admin_client_for, alice, acme):
    from django.db import connection

    from apps.tenants.admin import TenantForm
    from apps.tenants.models import Tenant

    sid = "AC" + "b2" * 16
    data = {field: getattr(acme, field) for field in ("name", "slug", "tier", "status", "default_country",
                                                      "default_timezone")}  # fmt: skip
    form = TenantForm(data={**data, "twilio_account_sid": sid, "twilio_auth_token": "s3cret-token"}, instance=acme)
    assert form.is_valid(), form.errors
    form.save()
    assert Tenant.objects.get(pk=acme.pk).twilio_auth_token == "s3cret-token"
    with connection.cursor() as cursor:
        cursor.execute("SELECT twilio_auth_token FROM tenants_tenant WHERE id = %s", [acme.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "s3cret" not in stored
    page = admin_client_for(alice).get(f"/admin/tenants/tenant/{acme.pk}/change/").content.decode()
    assert "s3cret-token" not in page and stored not in page  # never shown back
    kept = TenantForm(data={**data, "twilio_account_sid": sid, "twilio_auth_token": ""}, instance=Tenant.objects.get(
        pk=acme.pk))  # fmt: skip
    assert kept.is_valid()
    kept.save()
    assert Tenant.objects.get(pk=acme.pk).twilio_auth_token == "s3cret-token"  # empty keeps it
    bad = TenantForm(data={**data, "twilio_account_sid": "nope"}, instance=acme)
    assert not bad.is_valid() and "twilio_account_sid" in bad.errors
