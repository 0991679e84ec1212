"""The process's raw Redis client (for streams, sorted sets and scripts; caching goes through
Django's cache). Keys must come from ``tenants.tenancy.redis_key``."""

from __future__ import annotations

from functools import cache
from typing import Any

import redis
from django.conf import settings


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=2, decode_responses=True
    )


def redis_client() -> Any:
    """A shared, thread-safe client (connection pool) for ``settings.REDIS_URL`` that answers
    with ``str``. Typed ``Any``: redis-py's stubs type every reply as a sync/async union."""
    return _client(settings.REDIS_URL)
