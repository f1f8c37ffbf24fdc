"""The list envelope and both pagination styles, on a real list endpoint (users)."""

import pytest

from apps.tenants import services


@pytest.fixture
def crowd(acme, alice):
    for n in range(24):
        services.user_create(tenant=acme, email=f"user{n:02d}@acme.test", password=None)
    return 25  # with alice


def test_page_and_per_page(api_client_for, alice, crowd):
    body = api_client_for(alice).get("/api/v1/users/?page=2&per_page=10&ordering=email").json()
    assert set(body) == {"users", "total", "page", "per_page", "total_pages"}
    assert (body["total"], body["page"], body["per_page"], body["total_pages"]) == (25, 2, 10, 3)
    assert [u["email"] for u in body["users"]][:2] == ["user09@acme.test", "user10@acme.test"]


def test_limit_and_offset(api_client_for, alice, crowd):
    body = api_client_for(alice).get("/api/v1/users/?limit=5&offset=20&ordering=email").json()
    assert len(body["users"]) == 5
    assert (body["total"], body["limit"], body["offset"], body["page"]) == (25, 5, 20, 5)


def test_default_page_size_is_10(api_client_for, alice, crowd):
    body = api_client_for(alice).get("/api/v1/users/").json()
    assert (len(body["users"]), body["per_page"], body["page"]) == (10, 10, 1)


@pytest.mark.parametrize("query", ["per_page=1000", "limit=1000"])
def test_page_size_is_capped_at_100(api_client_for, alice, crowd, query):
    assert api_client_for(alice).get(f"/api/v1/users/?{query}").json()["per_page"] == 100


def test_a_page_past_the_end_is_empty_not_an_error(api_client_for, alice, crowd):
    body = api_client_for(alice).get("/api/v1/users/?page=99").json()
    assert body["users"] == [] and body["total"] == 25


@pytest.mark.parametrize("query,field", [("page=abc", "page"), ("page=0", "page"), ("per_page=-1", "per_page"),
                                         ("offset=-5", "offset"), ("limit=0", "limit")])  # fmt: skip
def test_bad_paging_parameters_are_400(api_client_for, alice, query, field):
    resp = api_client_for(alice).get(f"/api/v1/users/?{query}")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["loc"] == ["query", field]


def test_an_empty_list(api_client_for, acme, api_key_for, api_client):
    api_client.credentials(HTTP_X_API_KEY=api_key_for(acme))
    body = api_client.get("/api/v1/users/").json()
    assert body == {"users": [], "total": 0, "page": 1, "per_page": 10, "total_pages": 0}
