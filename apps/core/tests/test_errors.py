"""The error envelope {detail, code, request_id} (+ errors[]) on every error the API can give."""

import pytest
from rest_framework.test import APIClient


def assert_envelope(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == resp["X-Request-ID"]
    return body


def test_400_validation_lists_each_error_with_its_location(api_client, db):
    resp = api_client.post("/api/v1/auth/register/", {"email": "bad", "password": "x"}, format="json")
    body = assert_envelope(resp, 400, "VALIDATION_ERROR")
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "email")}
    assert body["errors"][0]["type"] == "invalid"
    assert body["detail"].startswith("email: ")


def test_400_for_malformed_json(api_client, db):
    resp = api_client.post("/api/v1/auth/login/", data="{not json", content_type="application/json")
    assert_envelope(resp, 400, "PARSE_ERROR")


def test_401_without_credentials(api_client, db):
    assert_envelope(api_client.get("/api/v1/users/"), 401, "AUTHENTICATION_ERROR")


def test_403_names_the_reason(api_client_for, bob):
    assert_envelope(api_client_for(bob).get("/api/v1/users/"), 403, "ROLE_FORBIDDEN")


def test_404_for_an_unknown_api_path(api_client, db):
    body = assert_envelope(api_client.get("/api/v1/no-such-thing/"), 404, "NOT_FOUND")
    assert "/api/v1/no-such-thing/" in body["detail"]


def test_404_for_an_unknown_object(api_client_for, alice):
    resp = api_client_for(alice).get("/api/v1/users/00000000-0000-0000-0000-000000000000/")
    assert_envelope(resp, 404, "NOT_FOUND")


def test_405_for_a_wrong_method(api_client, db):
    resp = api_client.get("/api/v1/auth/login/")
    body = assert_envelope(resp, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in body["detail"]


def test_415_for_an_unsupported_media_type(api_client, db):
    resp = api_client.post("/api/v1/auth/login/", data="email=a", content_type="text/csv")
    assert_envelope(resp, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.urls("tests.crash_urls")
def test_500_from_an_api_view_hides_the_internals(db):
    client = APIClient(raise_request_exception=False)
    body = assert_envelope(client.get("/api/v1/test/explode/"), 500, "INTERNAL_ERROR")
    assert "hunter2" not in str(body)


@pytest.mark.urls("tests.crash_urls")
def test_500_from_a_plain_view_is_json_too(db):
    client = APIClient(raise_request_exception=False)
    resp = client.get("/api/v1/test/explode-plain/")
    assert resp.status_code == 500
    body = resp.json()
    assert body["code"] == "INTERNAL_ERROR"
    assert "hunter2" not in str(body)


def test_a_callers_request_id_is_kept_and_a_forged_one_replaced(api_client, db):
    resp = api_client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="trace-123")
    assert resp["X-Request-ID"] == "trace-123" == resp.json()["request_id"]
    forged = api_client.get("/api/v1/nope/", HTTP_X_REQUEST_ID="evil\nINFO fake log line")
    assert forged["X-Request-ID"].startswith("req_")


def test_a_browser_gets_html_for_an_unknown_page_outside_the_api(client, db):
    resp = client.get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert resp.status_code == 404
    assert resp["Content-Type"].startswith("text/html")
