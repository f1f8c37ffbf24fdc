"""The HTTP stack under the views: the ASGI handler, the JSON renderer, the shared Redis pools."""

import datetime as dt
import decimal
import uuid

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from apps.core.cache import SharedPoolRedisCache
from apps.core.renderers import FastJSONRenderer
from leadvoice.handlers import SyncChainASGIHandler


# ASGI handler -------------------------------------------------------------------------------------
def test_the_middleware_chain_runs_synchronously_behind_one_thread_hop():
    handler = SyncChainASGIHandler()
    assert isinstance(handler._middleware_chain, SyncToAsync)


async def _get(application, path: str, headers=()) -> tuple[dict, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"localhost"), *headers], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000)}  # fmt: skip
    comm = ApplicationCommunicator(application, scope)
    await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await comm.receive_output(5)
    body = b""
    while True:
        message = await comm.receive_output(5)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start, body


@pytest.mark.django_db(transaction=True)
def test_the_asgi_application_serves_http_through_the_whole_middleware_chain():
    from leadvoice.asgi import application

    start, body = async_to_sync(_get)(application, "/api/v1/nowhere/", headers=[(b"x-request-id", b"req-abc-123")])
    assert start["status"] == 404
    headers = {name.lower(): value for name, value in start["headers"]}
    assert headers[b"x-request-id"] == b"req-abc-123"  # RequestIdMiddleware ran
    assert headers[b"x-frame-options"] == b"DENY"  # and so did the innermost of Django's
    assert b'"code":"NOT_FOUND"' in body.replace(b" ", b"")


# Renderer -----------------------------------------------------------------------------------------
SAMPLE = {
    "id": uuid.UUID("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
    "at": dt.datetime(2026, 11, 25, 18, 30, 5, 123456, tzinfo=dt.UTC),
    "local": dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    "day": dt.date(2026, 11, 25),
    "time": dt.time(9, 30),
    "money": decimal.Decimal("1234.50"),
    "label": gettext_lazy("Leads"),
    "text": "Zoë — ☎ 😀",
    "nested": [{"n": 1, "ok": True, "none": None, "f": 1.5}],
    "set_like": (1, 2),
    7: "integer key",
}


def test_the_fast_renderer_writes_what_drf_writes():
    assert FastJSONRenderer().render(SAMPLE) == JSONRenderer().render(SAMPLE)


def test_the_fast_renderer_falls_back_for_what_orjson_cannot_encode():
    huge = {"n": 2**70}
    assert FastJSONRenderer().render(huge) == JSONRenderer().render(huge) == b'{"n":1180591620717411303424}'


def test_the_fast_renderer_pretty_prints_when_asked():
    rendered = FastJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert rendered == b'{\n  "a": 1\n}'


def test_the_fast_renderer_renders_nothing_for_none():
    assert FastJSONRenderer().render(None) == b""


# Redis pools --------------------------------------------------------------------------------------
def test_cache_objects_of_one_process_share_their_redis_connection_pool(settings):
    first = SharedPoolRedisCache(settings.CACHES["default"]["LOCATION"], settings.CACHES["default"])
    second = SharedPoolRedisCache(settings.CACHES["default"]["LOCATION"], settings.CACHES["default"])
    assert first._cache._get_connection_pool(True) is second._cache._get_connection_pool(True)
    stock = RedisCache(settings.CACHES["default"]["LOCATION"], settings.CACHES["default"])
    assert stock._cache._get_connection_pool(True) is not stock.__class__(
        settings.CACHES["default"]["LOCATION"], settings.CACHES["default"]
    )._cache._get_connection_pool(True)  # what Django alone would do: a pool per object
    assert isinstance(caches["default"], SharedPoolRedisCache)
    first.set("pool-check", 1)
    assert second.get("pool-check") == 1
    first.delete("pool-check")
