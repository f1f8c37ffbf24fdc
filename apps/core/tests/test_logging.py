"""Log lines are JSON and carry the request id (and tenant) of the request that wrote them."""

import io
import json
import logging

from django.conf import settings
from django.utils.module_loading import import_string


def test_json_log_lines_carry_the_request_id(api_client_for, alice):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = settings.LOGGING["formatters"]["json"]
    handler.setFormatter(import_string(formatter["()"])(fmt=formatter["fmt"], rename_fields=formatter["rename_fields"]))
    handler.addFilter(import_string(settings.LOGGING["filters"]["request_context"]["()"])())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        resp = api_client_for(alice).get("/api/v1/users/00000000-0000-0000-0000-000000000000/")
    finally:
        logger.removeHandler(handler)
    assert resp.status_code == 404
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "django.request logged nothing for a 404"
    record = lines[-1]
    assert record["request_id"] == resp["X-Request-ID"]
    assert record["tenant_id"] == str(alice.tenant_id)
    assert record["level"] == "WARNING" and "time" in record
