"""Counting failed sign-ins per e-mail and per IP address, in the tenant-scoped cache.

Keys go through Django's cache, whose KEY_FUNCTION prefixes the current schema, so one tenant's
failures never lock out another tenant's user with the same e-mail. A locked key records when it
opens again, which the API returns as ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from core.counters import cache_count


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"login:{kind}:{digest}"


def counter_key(kind: str, value: str) -> str:
    """The cache key of another counter of these sign-in rules (password-reset requests)."""
    return _key(kind, value)


def _limits() -> dict[str, int]:
    return {"email": settings.LOGIN_FAILURES_PER_EMAIL, "ip": settings.LOGIN_FAILURES_PER_IP}


def seconds_locked(*, email: str | None, ip: str) -> int:
    """Seconds until a sign-in for this e-mail (None: any) from this IP may be tried again
    (0: now)."""
    now = time.time()
    watched = (("email", email), ("ip", ip)) if email is not None else (("ip", ip),)
    unlock_times = cache.get_many([_key(f"{kind}-lock", value) for kind, value in watched])
    remaining = [float(until) - now for until in unlock_times.values()]
    return max([0, *[int(r) + 1 for r in remaining if r > 0]])


def record_failure(*, email: str | None, ip: str) -> None:
    """Count one failure for the e-mail (None: none named) and the IP; lock whichever reached
    its limit."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    counted = (("email", email), ("ip", ip)) if email is not None else (("ip", ip),)
    for kind, value in counted:
        failures = cache_count(_key(kind, value), window=window)
        if failures >= _limits()[kind]:
            cache.set(_key(f"{kind}-lock", value), time.time() + window, timeout=window)


def clear_email_failures(*, email: str) -> None:
    """A successful sign-in forgives the e-mail's earlier failures (not the IP's)."""
    cache.delete_many([_key("email", email)])
