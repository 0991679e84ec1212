"""Counting in the cache within a time window (throttles, lockouts).

The cache's key function is django-tenants' ``make_key``, so a counter name is scoped to the
current tenant without being built by hand.
"""

from __future__ import annotations

from django.core.cache import cache


def cache_count(name: str, *, window: int) -> int:
    """Add one to the counter ``name`` (created for ``window`` seconds) and return its value."""
    cache.add(name, 0, timeout=window)
    try:
        return int(cache.incr(name))
    except ValueError:  # expired between add() and incr()
        cache.set(name, 1, timeout=window)
        return 1
