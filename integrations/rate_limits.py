"""Requests per minute of API keys: each key's own limit and its tenant's, counted in Redis
in fixed one-minute windows.

The state of the tighter limit is kept on the request and written as ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (Unix time the window ends) on the answer by
``RateLimitHeadersMiddleware``; a request over either limit gets 429 ``rate_limited`` with
``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.counters import cache_count
from integrations.errors import RateLimited
from integrations.models import ApiKey
from tenants.tenancy import current_tenant

WINDOW_SECONDS = 60
_STATE_ATTRIBUTE = "api_rate_limit"


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_at: int


def tenant_limit_per_minute() -> int:
    """The current tenant's limit over all its keys (set by the platform admin), else the
    installation's default."""
    own = current_tenant().api_rate_limit_per_minute
    return int(own or settings.API_TENANT_RATE_LIMIT_PER_MINUTE)


def key_limit_per_minute(key: ApiKey) -> int:
    return int(key.rate_limit_per_minute or settings.API_KEY_RATE_LIMIT_PER_MINUTE)


def rate_limit_consume(*, key: ApiKey, request: HttpRequest) -> RateLimitState:
    """Count one request of ``key`` (and of its tenant); 429 once either limit is used up.

    The state of whichever limit has less room left is kept on ``request`` for the headers.
    """
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    reset_at = (window + 1) * WINDOW_SECONDS
    states = []
    for name, limit in (
        (f"api-rate:key:{key.pk}:{window}", key_limit_per_minute(key)),
        (f"api-rate:tenant:{window}", tenant_limit_per_minute()),
    ):
        used = cache_count(name, window=WINDOW_SECONDS + 5)
        states.append(
            RateLimitState(limit=limit, remaining=max(limit - used, 0), reset_at=reset_at)
        )
        if used > limit:
            setattr(request, _STATE_ATTRIBUTE, states[-1])
            raise RateLimited(extra={"retry_after": max(int(reset_at - now), 1), "limit": limit})
    state = min(states, key=lambda s: s.remaining)
    setattr(request, _STATE_ATTRIBUTE, state)
    return state


class RateLimitHeadersMiddleware:
    """Writes the X-RateLimit-* headers of a key-authenticated request on its answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state: RateLimitState | None = getattr(request, _STATE_ATTRIBUTE, None)
        if state is not None:
            response["X-RateLimit-Limit"] = str(state.limit)
            response["X-RateLimit-Remaining"] = str(state.remaining)
            response["X-RateLimit-Reset"] = str(state.reset_at)
        return response
