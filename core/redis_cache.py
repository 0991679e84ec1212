"""Django's Redis cache, with one Redis client per server kept for the process.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache operation (on the
server's kept connection pool). Building one copies redis-py's table of ~170 response callbacks:
0.3-0.5 ms of CPU, more than the operation's own round trip, paid by every ``cache.get``,
``cache.add`` or ``cache.delete`` of every request and task (a webhook's coalesced enqueue is one
``cache.add``). A ``redis.Redis`` holds no connection of its own (each command takes one from the
pool and gives it back), so one client per pool serves every thread; the pool itself notices a
fork and opens new connections in the child.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    """``RedisCacheClient`` answering every operation with the same client per server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # Django's own attributes, which its type stubs leave out
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in django._pools:
                django._pools[index] = django._pool_class.from_url(
                    django._servers[index], **django._pool_options
                )
            client = self._clients[index] = django._client(connection_pool=django._pools[index])
        return client


class KeptClientRedisCache(RedisCache):
    """The ``CACHES`` backend: Django's ``RedisCache`` on ``KeptClientRedisCacheClient``."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
