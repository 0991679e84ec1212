"""The cache (``core.redis_cache``): Django's Redis cache without a Redis client built for every
operation; the operations behave as Django's."""

from __future__ import annotations

from django.core.cache import cache


def test_every_operation_of_a_process_goes_through_one_client():
    client = cache._cache.get_client(write=True)

    assert cache.add("redis-cache:flag", 1, 10) is True
    assert cache.add("redis-cache:flag", 1, 10) is False
    cache.set("redis-cache:value", {"a": [1, 2]}, 10)

    assert cache.get("redis-cache:value") == {"a": [1, 2]}
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is client
    cache.delete_many(["redis-cache:flag", "redis-cache:value"])
    assert cache.get("redis-cache:flag") is None
