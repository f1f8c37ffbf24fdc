"""The signed-in principal is cached in Redis between requests; every change to the user or the
tenant must still hold from the very next request."""

from django.contrib.auth.hashers import check_password
from django.core.cache import cache

from apps.tenants.authentication import _principal_from_cache, principal_cache_key
from apps.tenants.choices import Role, TenantStatus
from apps.tenants.models import User
from conftest import PASSWORD

ME = "/api/v1/auth/me/"


def test_a_second_request_is_served_from_the_cache_without_a_user_query(
    api_client_for, alice, django_assert_num_queries
):
    client = api_client_for(alice)
    assert client.get(ME).status_code == 200
    assert cache.get(principal_cache_key(alice.pk)) is not None
    with django_assert_num_queries(0):
        resp = client.get(ME)
    assert resp.status_code == 200
    assert resp.json()["email"] == "alice@acme.test"


def test_deactivating_a_user_refuses_their_token_at_once(api_client_for, alice):
    client = api_client_for(alice)
    assert client.get(ME).status_code == 200
    alice.is_active = False
    alice.save()
    resp = client.get(ME)
    assert resp.status_code == 401
    assert resp.json()["code"] == "USER_INACTIVE"


def test_a_role_change_holds_from_the_next_request(api_client_for, alice, bob):
    client = api_client_for(bob)
    assert client.get("/api/v1/users/").status_code == 403
    bob.role = Role.ADMIN
    bob.save()
    assert client.get("/api/v1/users/").status_code == 200


def test_a_tenant_change_drops_its_users_entries(api_client_for, alice, acme):
    client = api_client_for(alice)
    client.get(ME)
    acme.status = TenantStatus.SUSPENDED
    acme.save()
    assert cache.get(principal_cache_key(alice.pk)) is None


def test_a_deleted_user_is_refused(api_client_for, alice, bob):
    client = api_client_for(bob)
    assert client.get(ME).status_code == 200
    User.objects.get(pk=bob.pk).delete()
    assert client.get(ME).status_code == 401


def test_the_cached_principal_never_carries_the_password_and_saving_it_keeps_the_hash(api_client_for, alice):
    client = api_client_for(alice)
    client.get(ME)
    assert PASSWORD not in repr(cache.get(principal_cache_key(alice.pk)))
    assert alice.password not in repr(cache.get(principal_cache_key(alice.pk)))
    # A change saved through the cached principal (what a view holding request.user would do) must
    # write the change and leave the password hash alone: the hash is deferred, not blank.
    principal = _principal_from_cache(cache.get(principal_cache_key(alice.pk)))
    assert "password" in principal.get_deferred_fields()
    principal.first_name = "Alicia"
    principal.save()
    stored = User.objects.get(pk=alice.pk)
    assert stored.first_name == "Alicia"
    assert check_password(PASSWORD, stored.password)
    assert cache.get(principal_cache_key(alice.pk)) is None  # and the save dropped the entry


def test_a_tenant_change_made_through_the_cached_principal_is_stored(api_client_for, alice, acme):
    client = api_client_for(alice)
    client.get(ME)  # the next request's principal (and its tenant) come from the cache
    resp = client.patch("/api/v1/tenant/", {"name": "Acme Renamed"}, format="json")
    assert resp.status_code == 200, resp.json()
    acme.refresh_from_db()
    assert acme.name == "Acme Renamed"
    assert client.get(ME).json()["tenant"]["name"] == "Acme Renamed"


def test_a_garbled_cache_entry_falls_back_to_the_database(api_client_for, alice):
    client = api_client_for(alice)
    cache.set(principal_cache_key(alice.pk), {"user": ["not", "the", "right", "shape"], "tenant": None})
    resp = client.get(ME)
    assert resp.status_code == 200
    assert resp.json()["email"] == "alice@acme.test"
