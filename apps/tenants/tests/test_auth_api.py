"""Login, refresh, logout, me, register: the auth contract of specs 001 and 004."""

import pytest
from django.conf import settings

from apps.tenants.models import Tenant, User
from conftest import PASSWORD

LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"
REGISTER = "/api/v1/auth/register/"


def login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"email": email, "password": password}, format="json")


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# Login -----------------------------------------------------------------------------------------
def test_it_logs_in_with_email_and_password(api_client, alice):
    resp = login(api_client, "alice@acme.test")
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())
    assert body["access_token"] and body["refresh_token"]
    assert body["user"]["id"] == str(alice.id)
    assert body["user"]["email"] == "alice@acme.test"
    assert body["user"]["name"] == "Alice"
    assert body["user"]["role"] == "owner"
    assert body["user"]["tenant_id"] == str(alice.tenant_id)
    alice.refresh_from_db()
    assert alice.last_login is not None


def test_it_treats_the_email_case_insensitively(api_client, alice):
    assert login(api_client, "ALICE@Acme.Test").status_code == 200


@pytest.mark.parametrize("email,password", [("alice@acme.test", "wrong-password"), ("nobody@acme.test", PASSWORD)])
def test_it_refuses_wrong_credentials_with_401_and_the_envelope(api_client, alice, email, password):
    resp = login(api_client, email, password)
    assert resp.status_code == 401
    body = resp.json()
    assert body["code"] == "INVALID_CREDENTIALS"
    assert body["detail"] == "Invalid email or password."
    assert body["request_id"] == resp["X-Request-ID"]
    assert "WWW-Authenticate" in resp


def test_it_refuses_an_inactive_user(api_client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert login(api_client, "alice@acme.test").status_code == 401


def test_it_reports_missing_login_fields(api_client, db):
    resp = api_client.post(LOGIN, {"email": "alice@acme.test"}, format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["errors"] == [{"loc": ["body", "password"], "msg": "This field is required.", "type": "required"}]


def test_the_access_token_opens_me(api_client, alice):
    token = login(api_client, "alice@acme.test").json()["access_token"]
    resp = bearer(api_client, token).get(ME)
    assert resp.status_code == 200
    assert resp.json()["email"] == "alice@acme.test"
    assert resp.json()["tenant"]["slug"] == "acme"


def test_me_without_credentials_is_401(api_client, db):
    resp = api_client.get(ME)
    assert resp.status_code == 401
    assert resp.json()["code"] == "AUTHENTICATION_ERROR"


def test_a_tampered_token_is_401(api_client, alice):
    token = login(api_client, "alice@acme.test").json()["access_token"]
    head, payload, signature = token.split(".")
    resp = bearer(api_client, f"{head}.{payload}.{signature[::-1]}").get(ME)
    assert resp.status_code == 401
    assert resp.json()["code"] == "TOKEN_NOT_VALID"


# Refresh ---------------------------------------------------------------------------------------
def test_it_refreshes_and_rotates(api_client, alice):
    first = login(api_client, "alice@acme.test").json()
    resp = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json")
    assert resp.status_code == 200
    second = resp.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(api_client, second["access_token"]).get(ME).status_code == 200
    # The rotated-out refresh token is blacklisted.
    api_client.credentials()
    reuse = api_client.post(REFRESH, {"refresh_token": first["refresh_token"]}, format="json")
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "TOKEN_NOT_VALID"


def test_refresh_accepts_simplejwts_field_name(api_client, alice):
    refresh = login(api_client, "alice@acme.test").json()["refresh_token"]
    assert api_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", "use-access"])
def test_refresh_refuses_what_is_not_a_refresh_token(api_client, alice, token):
    if token == "use-access":
        token = login(api_client, "alice@acme.test").json()["access_token"]
    resp = api_client.post(REFRESH, {"refresh_token": token}, format="json")
    assert resp.status_code == 401
    assert resp.json()["code"] == "TOKEN_NOT_VALID"


def test_refresh_without_a_token_is_400(api_client, db):
    resp = api_client.post(REFRESH, {}, format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["loc"] == ["body", "refresh_token"]


def test_refresh_of_a_deactivated_user_is_refused(api_client, alice):
    refresh = login(api_client, "alice@acme.test").json()["refresh_token"]
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert api_client.post(REFRESH, {"refresh_token": refresh}, format="json").status_code == 401


# Logout ----------------------------------------------------------------------------------------
def test_logout_blacklists_the_refresh_token_and_ends_the_access_token(api_client, alice):
    pair = login(api_client, "alice@acme.test").json()
    resp = bearer(api_client, pair["access_token"]).post(
        LOGOUT, {"refresh_token": pair["refresh_token"]}, format="json"
    )
    assert resp.status_code == 200
    assert resp.json() == {"message": "Logged out."}
    assert api_client.get(ME).status_code == 401  # the access token used to log out is refused now
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh_token": pair["refresh_token"]}, format="json").status_code == 401


def test_logout_refuses_someone_elses_refresh_token(api_client, alice, charlie):
    alice_pair = login(api_client, "alice@acme.test").json()
    charlie_pair = login(api_client, "charlie@globex.test").json()
    resp = bearer(api_client, alice_pair["access_token"]).post(
        LOGOUT, {"refresh_token": charlie_pair["refresh_token"]}, format="json"
    )
    assert resp.status_code == 401
    api_client.credentials()
    assert api_client.post(REFRESH, {"refresh_token": charlie_pair["refresh_token"]}, format="json").status_code == 200


def test_logout_needs_authentication(api_client, db):
    assert api_client.post(LOGOUT, {"refresh_token": "x"}, format="json").status_code == 401


# Register --------------------------------------------------------------------------------------
def _signup(**extra):
    return {"email": "dana@newco.test", "password": "a-long-enough-passphrase", "first_name": "Dana",
            "last_name": "Lee", "company_name": "NewCo", **extra}  # fmt: skip


def test_register_creates_a_tenant_with_the_caller_as_owner(api_client, db):
    resp = api_client.post(REGISTER, _signup(), format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    tenant = Tenant.objects.get(pk=body["tenant"]["id"])
    assert tenant.name == "NewCo"
    assert tenant.slug == "newco"
    assert tenant.tier == "free" and tenant.status == "trial"
    user = User.objects.get(email="dana@newco.test")
    assert user.tenant == tenant
    assert user.role == "owner"
    assert user.is_staff  # owners may use the back office
    assert body["user"]["role"] == "owner" and body["access_token"]
    assert bearer(api_client, body["access_token"]).get(ME).json()["tenant"]["id"] == str(tenant.id)
    api_client.credentials()
    assert login(api_client, "dana@newco.test", "a-long-enough-passphrase").status_code == 200


def test_register_gives_each_tenant_its_own_slug(api_client, db):
    api_client.post(REGISTER, _signup(), format="json")
    resp = api_client.post(REGISTER, _signup(email="erin@newco.test"), format="json")
    assert resp.status_code == 201
    assert resp.json()["tenant"]["slug"] == "newco-2"


def test_register_with_someone_elses_tenant_id_gains_nothing(api_client, alice):
    users_before = set(User.objects.values_list("id", flat=True))
    resp = api_client.post(REGISTER, _signup(tenant_id=str(alice.tenant_id), role="agent"), format="json")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "tenant_id"), ("body", "role")}
    assert set(User.objects.values_list("id", flat=True)) == users_before
    assert Tenant.objects.count() == 1


def test_register_answers_the_same_for_a_tenant_id_that_does_not_exist(api_client, alice):
    real = api_client.post(REGISTER, _signup(tenant_id=str(alice.tenant_id)), format="json").json()
    fake = api_client.post(REGISTER, _signup(tenant_id="00000000-0000-0000-0000-000000000000"), format="json").json()
    assert real["errors"] == fake["errors"]


def test_register_refuses_a_taken_email(api_client, alice):
    resp = api_client.post(REGISTER, _signup(email="ALICE@acme.test"), format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "EMAIL_TAKEN"


@pytest.mark.parametrize(
    "field,value",
    [("password", "short"), ("password", "1234567890123"), ("email", "not-an-email"), ("phone", "555-1234")],
)
def test_register_refuses_bad_input_field_by_field(api_client, db, field, value):
    resp = api_client.post(REGISTER, _signup(**{field: value}), format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["loc"] == ["body", field]
    assert not User.objects.exists()


# Throttling -------------------------------------------------------------------------------------
def test_sign_in_is_throttled_per_address_with_the_envelope(api_client, alice, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    address = {"REMOTE_ADDR": "203.0.113.77"}
    for _ in range(3):
        assert (
            api_client.post(LOGIN, {"email": "alice@acme.test", "password": "x"}, format="json", **address).status_code
            == 401
        )
    resp = api_client.post(LOGIN, {"email": "alice@acme.test", "password": PASSWORD}, format="json", **address)
    assert resp.status_code == 429
    assert resp.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(resp["Retry-After"]) > 0
    # another address is not affected
    other = {"REMOTE_ADDR": "203.0.113.78"}
    assert (
        api_client.post(LOGIN, {"email": "alice@acme.test", "password": PASSWORD}, format="json", **other).status_code
        == 200
    )
