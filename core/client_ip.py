"""The client's IP address, trusting X-Forwarded-For only from the configured proxies."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """``REMOTE_ADDR``, or the address ``TRUSTED_PROXY_COUNT`` hops back in X-Forwarded-For.

    Each proxy appends the address it saw, so with N trusted proxies the client is the N-th entry
    from the right; anything further left was written by the client and cannot be trusted.
    """
    remote = str(request.META.get("REMOTE_ADDR", "") or "unknown")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
    ]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return remote
