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

The mechanism is ``GenerationCache``: any in-process cache of rows keyed on one or more named
generations (the webhook routes, ``channels_integrations.services.webhook_routes``, depend on
"tenants" and "channels"); ``generations_changed`` is what a write calls.

Within one HTTP request, the generations are read once, all of them in one ``MGET``: the host
cache's use (the tenant middleware) reads every cache's generations, and the webhook routes'
use later in the same request takes them from that reading (``request_generations_begin`` and
``request_generations_end``, on Django's ``request_started`` and ``request_finished``). A change
committed before the request started is seen by both, as when each read its own; a webhook's
acknowledgement makes one Redis round trip for them instead of two. Outside a request (tasks,
commands) every use reads its own.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.db import models, transaction

from core.redis import redis_client
from tenants.models import Domain, Tenant
from tenants.tenancy import redis_key_public

logger = logging.getLogger(__name__)

# Until when (time.monotonic()) Redis is not asked, after it failed (one Redis for every cache).
_redis_skipped_until: list[float] = [0.0]
REDIS_RETRY_SECONDS = 1.0
TENANTS = "tenants"


@cache
def _generation_key(name: str) -> str:
    return redis_key_public(name, "generation")


# The generations read during the current HTTP request (name -> value), or None outside one.
_request_generations: ContextVar[dict[str, str] | None] = ContextVar(
    "request_generations", default=None
)


def request_generations_begin(**_kwargs: Any) -> None:
    """An HTTP request starts: the generations it reads are read once (see the docstring)."""
    _request_generations.set({})


def request_generations_end(**_kwargs: Any) -> None:
    """The request ended: the next one reads the generations afresh."""
    _request_generations.set(None)


def _current_generations(names: tuple[str, ...]) -> tuple[str, ...] | None:
    """The named generations ("0" before any change) in one Redis round trip, or none when the
    current request read them already; None when Redis fails (or failed less than
    ``REDIS_RETRY_SECONDS`` ago)."""
    read = _request_generations.get()
    if read is None:
        return _generations_read(names)
    if any(name not in read for name in names):
        # Every cache's generations at once: a later use in this request needs no round trip.
        every = (*names, *(name for entry in _caches for name in entry.generations))
        unread = tuple(dict.fromkeys(name for name in every if name not in read))
        values = _generations_read(unread)
        if values is None:
            return None
        read.update(zip(unread, values, strict=True))
    return tuple(read[name] for name in names)


def _generations_read(names: tuple[str, ...]) -> tuple[str, ...] | None:
    if time.monotonic() < _redis_skipped_until[0]:
        return None
    keys = [_generation_key(name) for name in names]
    try:
        client = redis_client()
        values = [client.get(keys[0])] if len(keys) == 1 else client.mget(keys)
    except Exception:  # noqa: BLE001  (any Redis failure: read the rows instead)
        logger.warning("%s generation unreadable: read without the cache", "/".join(names))
        _redis_skipped_until[0] = time.monotonic() + REDIS_RETRY_SECONDS
        return None
    return tuple("0" if value is None else str(value) for value in values)


class GenerationCache:
    """``key -> values`` read from the database, kept in this process and trusted only while
    every named generation in Redis is the one the entries were read under (see the module's
    docstring). ``values`` must be immutable (a tuple of column values): callers build fresh
    instances from them. A read answering None is not remembered."""

    def __init__(self, *generations: str) -> None:
        self.generations = generations
        self._lock = threading.Lock()
        self._entries: dict[Hashable, Any] = {}
        # The generations the entries were read under; None: none read yet (or dropped).
        self._generation: tuple[str, ...] | None = None
        _caches.append(self)

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        generation = _current_generations(self.generations)
        if generation is None:
            return read()
        with self._lock:
            if self._generation != generation:
                self._entries.clear()
                self._generation = generation
            values = self._entries.get(key)
        if values is not None:
            return values
        values = read()
        if values is None:
            return None
        with self._lock:
            if self._generation == generation:
                self._entries[key] = values
        return values

    def forget(self, key: Hashable | None = None) -> None:
        """Drop ``key``'s entry, or every entry (read again on next use)."""
        with self._lock:
            if key is not None:
                self._entries.pop(key, None)
                return
            self._entries.clear()
            self._generation = None


_caches: list[GenerationCache] = []


def row_values(instance: models.Model) -> tuple[Any, ...]:
    """A row's concrete column values, as ``row_built`` takes them back."""
    return tuple(getattr(instance, column) for column in _columns(type(instance)))


def row_built(model: type[models.Model], values: tuple[Any, ...]) -> Any:
    """A fresh instance of ``model`` from ``row_values`` (mutable values copied)."""
    fresh = tuple(copy.deepcopy(v) if isinstance(v, dict | list) else v for v in values)
    return model.from_db("default", list(_columns(model)), fresh)


@cache
def _columns(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def _bump(names: tuple[str, ...]) -> None:
    try:
        client = redis_client()
        for name in names:
            client.incr(_generation_key(name))
    except Exception:  # noqa: BLE001
        logger.exception("%s generation not bumped: other processes may answer stale", names)


def generations_changed(*names: str) -> None:
    """Rows the named generations cover changed: this process forgets the caches depending on
    them now, and every process once the change is committed."""
    for entry in _caches:
        if set(entry.generations) & set(names):
            entry.forget()
    read = _request_generations.get()
    if read is not None:
        for name in names:
            read.pop(name, None)
    _redis_skipped_until[0] = 0.0
    transaction.on_commit(lambda: _bump(names))


# --------------------------------------------------------------------------- hosts

_hosts = GenerationCache(TENANTS)


def _read(hostname: str) -> tuple[Any, ...] | None:
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    return None if domain is None else row_values(domain.tenant)


def tenant_for_host(hostname: str) -> Tenant | None:
    """The tenant serving ``hostname`` (a fresh instance), or None when no domain has it.

    Call it in the public schema (where tenants and domains live). Unknown hosts are not
    remembered: a domain added elsewhere answers on the next request."""
    values = _hosts.get(hostname, lambda: _read(hostname))
    return None if values is None else row_built(Tenant, values)


def tenant_hosts_forget() -> None:
    """Drop this process's entries (they are read again on the next request) and ask Redis
    again on the next request even if it failed a moment ago."""
    _hosts.forget()
    _redis_skipped_until[0] = 0.0


def tenants_changed(**_kwargs: Any) -> None:
    """A tenant or domain row changed: forget this process's entries now, and tell every
    process once the change is committed (see the module's docstring)."""
    generations_changed(TENANTS)
