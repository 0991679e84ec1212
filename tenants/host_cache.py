"""The tenant of each host name, kept in this process between HTTP requests.

Reading the domain and tenant rows cost a query and two ``SET search_path`` on every request.
Each process now keeps host name -> tenant row, trusted only while the platform's tenants
*generation* (one integer in Redis) is the one the entries were read under. Every save or
delete of a tenant or a domain bumps the generation once committed (a process that read the
old row before the commit kept it under the old generation), so a suspension, a resumption, a
domain change or a deleted tenant takes effect:

- in the process that made it, on its very next request (it drops its entries at once);
- in every other process on its next request after the commit: each request reads the
  generation (one Redis ``GET``, ~0.1 ms) before using an entry.

A time-to-live alone would let a suspended tenant's tokens through until it expired, on every
process; the generation costs one ``GET`` and is exact. When Redis cannot be read, nothing is
cached: the request reads the rows as it always did, and for the next second Redis is not asked
again (a Redis that hangs would otherwise hold every request for its connect timeout).

Entries hold the tenant row's column values only (no per-request state); each request gets a
fresh ``Tenant`` instance built from them, so nothing a request sets on its tenant leaks into
another request.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from functools import cache
from typing import Any

from django.db import transaction

from core.redis import redis_client
from tenants.models import Domain, Tenant
from tenants.tenancy import redis_key_public

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_entries: dict[str, tuple[Any, ...]] = {}
# The generation the entries were read under; None: none read yet (or dropped by a change).
_generation: list[str | None] = [None]
# Until when (time.monotonic()) Redis is not asked, after it failed.
_redis_skipped_until: list[float] = [0.0]
REDIS_RETRY_SECONDS = 1.0


@cache
def _generation_key() -> str:
    return redis_key_public("tenants", "generation")


@cache
def _columns() -> tuple[str, ...]:
    return tuple(field.attname for field in Tenant._meta.concrete_fields)


def _current_generation() -> str | None:
    """The platform's tenants generation ("0" before any change); None when Redis fails (or
    failed less than ``REDIS_RETRY_SECONDS`` ago)."""
    if time.monotonic() < _redis_skipped_until[0]:
        return None
    try:
        value = redis_client().get(_generation_key())
    except Exception:  # noqa: BLE001  (any Redis failure: read the rows instead)
        logger.warning("tenants generation unreadable: hosts resolved without the cache")
        _redis_skipped_until[0] = time.monotonic() + REDIS_RETRY_SECONDS
        return None
    return "0" if value is None else str(value)


def _read(hostname: str) -> Tenant | None:
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    return None if domain is None else domain.tenant


def _built(values: tuple[Any, ...]) -> Tenant:
    fresh = tuple(copy.deepcopy(v) if isinstance(v, dict | list) else v for v in values)
    return Tenant.from_db("default", list(_columns()), fresh)


def tenant_for_host(hostname: str) -> Tenant | None:
    """The tenant serving ``hostname`` (a fresh instance), or None when no domain has it.

    Call it in the public schema (where tenants and domains live). Unknown hosts are not
    remembered: a domain added elsewhere answers on the next request."""
    generation = _current_generation()
    if generation is None:
        return _read(hostname)
    with _lock:
        if _generation[0] != generation:
            _entries.clear()
            _generation[0] = generation
        values = _entries.get(hostname)
    if values is not None:
        return _built(values)
    tenant = _read(hostname)
    if tenant is None:
        return None
    values = tuple(getattr(tenant, column) for column in _columns())
    with _lock:
        if _generation[0] == generation:
            _entries[hostname] = values
    return _built(values)


def tenant_hosts_forget() -> None:
    """Drop this process's entries (they are read again on the next request) and ask Redis
    again on the next request even if it failed a moment ago."""
    with _lock:
        _entries.clear()
        _generation[0] = None
        _redis_skipped_until[0] = 0.0


def _bump() -> None:
    try:
        redis_client().incr(_generation_key())
    except Exception:  # noqa: BLE001
        logger.exception("tenants generation not bumped: other processes may answer stale")


def tenants_changed(**_kwargs: Any) -> None:
    """A tenant or domain row changed: forget this process's entries now, and tell every
    process once the change is committed (see the module's docstring)."""
    tenant_hosts_forget()
    transaction.on_commit(_bump)
