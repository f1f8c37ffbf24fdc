"""Django's Redis cache with connection pools that live as long as the process.

Under ASGI, Django builds a cache object per request context (its cache handler is a context-local),
and the stock client gives every such object a connection pool of its own: each request opened a
new TCP connection to Redis, with its handshake, only to check the token denylist. Here the pools are
shared per process and per server, so a request borrows an open connection instead. redis-py's pools
notice a fork (Celery's prefork workers) and start over in the child. The client object over a pool
is shared too: the stock cache builds a new one per call, and its set-up (a table of ~170 response
callbacks) cost more than the MGET it was made for. A redis-py client is safe to share across
threads: each command borrows a connection from the pool."""

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict = {}
_clients: dict = {}
_pools_lock = threading.Lock()


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, repr(sorted(self._pool_options.items(), key=lambda item: item[0])))
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            client = _clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient


def redis_client():
    """The raw Redis client behind Django's default cache (for data that is not a cache entry:
    counters, the simulator's calls). Keys are not prefixed: callers name theirs."""
    from django.core.cache import caches

    return caches["default"]._cache.get_client(write=True)
