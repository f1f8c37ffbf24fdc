"""API keys, users and the tenant endpoint: scoping, roles and the rules of who may change whom."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.tenants.models import ApiKey, User, hash_api_key

KEYS = "/api/v1/api-keys/"
USERS = "/api/v1/users/"
ME = "/api/v1/auth/me/"


# API keys --------------------------------------------------------------------------------------
def test_an_owner_creates_a_key_that_is_shown_once_and_stored_hashed(api_client_for, alice):
    client = api_client_for(alice)
    resp = client.post(KEYS, {"name": "CRM sync", "scope": "write"}, format="json")
    assert resp.status_code == 201
    body = resp.json()
    raw = body["key"]
    assert raw.startswith("lv_") and len(raw) > 40
    assert body["prefix"] == raw[:12]
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == hash_api_key(raw)
    assert raw not in {stored.prefix, stored.key_hash, stored.name}
    listing = client.get(KEYS).json()
    assert listing["total"] == 1
    assert "key" not in listing["api_keys"][0]
    assert "key" not in client.get(f"{KEYS}{stored.id}/").json()


def test_an_api_key_authenticates_as_its_tenant(api_client, acme, api_key_for):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme))
    resp = api_client.get(ME)
    assert resp.status_code == 200
    assert resp.json()["tenant"]["id"] == str(acme.id)
    assert resp.json()["role"] == "manager"
    assert ApiKey.objects.get().last_used_at is not None


def test_a_revoked_key_stops_working_at_once(api_client, api_client_for, alice, api_key_for):
    raw = api_key_for(alice.tenant)
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert api_client.get(ME).status_code == 200
    key = ApiKey.objects.get()
    assert api_client_for(alice).delete(f"{KEYS}{key.id}/").status_code == 204
    resp = api_client.get(ME)
    assert resp.status_code == 401
    assert resp.json()["code"] == "INVALID_API_KEY"
    key.refresh_from_db()
    assert key.revoked_at is not None  # kept for the audit trail


@pytest.mark.parametrize("raw", ["lv_wrong", "garbage", "", "lv_" + "x" * 43])
def test_an_unknown_key_is_401(api_client, acme, api_key_for, raw):
    api_key_for(acme)
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert api_client.get(ME).status_code == 401


def test_a_key_with_the_right_prefix_but_wrong_secret_is_401(api_client, acme, api_key_for):
    raw = api_key_for(acme)
    api_client.credentials(HTTP_X_API_KEY=raw[:-4] + "AAAA")
    assert api_client.get(ME).status_code == 401


def test_an_expired_key_is_401(api_client, acme, api_key_for):
    raw = api_key_for(acme)
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    api_client.credentials(HTTP_X_API_KEY=raw)
    assert api_client.get(ME).status_code == 401


def test_a_read_only_key_may_read_but_not_write(api_client, acme, alice, api_key_for):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, scope="read"))
    assert api_client.get(USERS).status_code == 200
    resp = api_client.post(USERS, {"email": "x@acme.test", "password": "a-long-enough-passphrase"}, format="json")
    assert resp.status_code == 403
    assert resp.json()["code"] == "API_KEY_READ_ONLY"


def test_an_admin_key_manages_users_but_cannot_grant_owner(api_client, acme, api_key_for):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme, scope="admin"))
    ok = api_client.post(USERS, {"email": "new@acme.test", "password": "a-long-enough-passphrase"}, format="json")
    assert ok.status_code == 201
    owner = api_client.post(
        USERS, {"email": "boss@acme.test", "password": "a-long-enough-passphrase", "role": "owner"}, format="json"
    )
    assert owner.status_code == 403
    assert owner.json()["code"] == "ROLE_NOT_GRANTABLE"


def test_one_tenants_key_never_sees_another_tenants_rows(api_client, globex, alice, api_key_for):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(globex, scope="admin"))
    assert api_client.get(USERS).json()["total"] == 0
    assert api_client.get(f"{USERS}{alice.id}/").status_code == 404


# Cross-tenant ids are 404 --------------------------------------------------------------------
def test_another_tenants_user_is_404_for_every_method(api_client_for, alice, charlie):
    client = api_client_for(charlie)
    url = f"{USERS}{alice.id}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"first_name": "Mallory"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    alice.refresh_from_db()
    assert alice.first_name == "Alice" and alice.is_active


def test_another_tenants_api_key_is_404(api_client_for, alice, charlie, api_key_for):
    api_key_for(alice.tenant)
    key = ApiKey.objects.get()
    client = api_client_for(charlie)
    assert client.get(f"{KEYS}{key.id}/").status_code == 404
    assert client.delete(f"{KEYS}{key.id}/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_a_malformed_id_is_404_not_500(api_client_for, alice):
    resp = api_client_for(alice).get(f"{USERS}not-a-uuid/")
    assert resp.status_code == 404
    assert resp.json()["code"] == "NOT_FOUND"


# Roles -----------------------------------------------------------------------------------------
def test_an_agent_cannot_manage_users_or_keys(api_client_for, bob):
    client = api_client_for(bob)
    for resp in (
        client.get(USERS),
        client.post(USERS, {"email": "x@acme.test", "password": "a-long-enough-passphrase"}, format="json"),
        client.get(KEYS),
        client.post(KEYS, {"name": "mine"}, format="json"),
    ):
        assert resp.status_code == 403
        assert resp.json()["code"] == "ROLE_FORBIDDEN"


def test_a_manager_sees_users_but_cannot_change_them(api_client_for, maria, bob):
    client = api_client_for(maria)
    assert client.get(USERS).json()["total"] == 2
    assert client.patch(f"{USERS}{bob.id}/", {"role": "manager"}, format="json").status_code == 403
    assert client.get(KEYS).status_code == 403


def test_an_owner_creates_users_in_their_own_tenant_only(api_client_for, alice, globex):
    body = {"email": "New@Acme.test", "password": "a-long-enough-passphrase", "role": "manager",
            "tenant_id": str(globex.id), "tenant": str(globex.id), "is_superuser": True}  # fmt: skip
    resp = api_client_for(alice).post(USERS, body, format="json")
    assert resp.status_code == 201
    user = User.objects.get(email="new@acme.test")
    assert user.tenant_id == alice.tenant_id
    assert user.role == "manager" and user.is_staff and not user.is_superuser


def test_deactivating_a_user_keeps_the_row_and_blocks_sign_in(api_client_for, api_client, alice, bob):
    assert api_client_for(alice).delete(f"{USERS}{bob.id}/").status_code == 204
    bob.refresh_from_db()
    assert not bob.is_active
    resp = api_client.post("/api/v1/auth/login/", {"email": bob.email, "password": "x"}, format="json")
    assert resp.status_code == 401


def test_the_last_owner_cannot_be_demoted_or_deactivated(api_client_for, alice, api_key_for, api_client):
    client = api_client_for(alice)
    assert client.patch(f"{USERS}{alice.id}/", {"role": "admin"}, format="json").json()["code"] == (
        "SELF_CHANGE_NOT_ALLOWED"
    )
    api_client.credentials(HTTP_X_API_KEY=api_key_for(alice.tenant, scope="admin"))
    # An admin-scope key ranks below the owner: it may not touch her at all.
    assert api_client.delete(f"{USERS}{alice.id}/").status_code == 403


def test_an_owner_may_demote_another_owner_but_not_the_last(api_client_for, alice):
    client = api_client_for(alice)
    second = client.post(
        USERS, {"email": "zed@acme.test", "password": "a-long-enough-passphrase", "role": "owner"}, format="json"
    ).json()
    assert client.patch(f"{USERS}{second['id']}/", {"role": "admin"}, format="json").status_code == 200
    zed = User.objects.get(pk=second["id"])
    assert zed.role == "admin" and zed.is_staff
    # zed (admin) cannot demote alice, the last owner, and cannot grant owner either
    zed_client = api_client_for(zed)
    assert zed_client.patch(f"{USERS}{alice.id}/", {"role": "agent"}, format="json").status_code == 403


def test_a_password_reset_by_an_admin_is_validated(api_client_for, alice, bob):
    resp = api_client_for(alice).patch(f"{USERS}{bob.id}/", {"password": "123"}, format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["loc"] == ["body", "password"]


# Tenant ----------------------------------------------------------------------------------------
def test_members_read_their_tenant_and_owners_change_it(api_client_for, alice, bob):
    assert api_client_for(bob).get("/api/v1/tenant/").json()["slug"] == "acme"
    assert api_client_for(bob).patch("/api/v1/tenant/", {"name": "Bob Inc"}, format="json").status_code == 403
    resp = api_client_for(alice).patch(
        "/api/v1/tenant/", {"name": "Acme Corp", "default_timezone": "Europe/London", "tier": "enterprise"},
        format="json",
    )  # fmt: skip
    assert resp.status_code == 200
    assert resp.json()["name"] == "Acme Corp"
    assert resp.json()["tier"] == "growth"  # platform staff change tiers, not tenants


@pytest.mark.parametrize(
    "field,value", [("default_timezone", "Mars/Olympus"), ("default_country", "XX"), ("contact_phone", "12345")]
)
def test_tenant_settings_are_validated(api_client_for, alice, field, value):
    resp = api_client_for(alice).patch("/api/v1/tenant/", {field: value}, format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["loc"] == ["body", field]
