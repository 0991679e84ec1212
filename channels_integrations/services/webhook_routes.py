"""Provider account -> (tenant, connection), kept in this process for the webhook views.

Finding a webhook's connection cost four statements before its ``INSERT``: ``SET search_path``
public, the route (``tenants.channel_routes``), ``SET search_path`` into the tenant and the
active connection; under a backlog each of them waits for a PostgreSQL busy with processing.
Each process now keeps ``(provider, route key)`` -> the tenant's row and the active
connection's row (what verification needs: its public id and encrypted credentials), in a
``tenants.host_cache.GenerationCache`` trusted only while the "tenants" and "channels"
generations in Redis are unchanged. The same guarantees as the host cache follow:

- a tenant saved (suspended, resumed, deleted) bumps "tenants"; a connection saved or deleted
  (deactivated, its secret changed) and a route written bump "channels"; the process that made
  the change forgets its entries at once, every other process on its next webhook after the
  commit (each webhook reads both generations in one Redis ``MGET`` first);
- unknown keys and inactive connections are not remembered (read on every delivery);
- when Redis cannot be read, every webhook reads the rows as before.

A connection deleted by a transaction whose generation bump has not reached this process yet
(the moment between its commit and its on-commit ``INCR``) makes the event's ``INSERT`` fail its
foreign key: the webhook answers 404 with nothing stored (``inbound._receive_routed``).
"""

from __future__ import annotations

from typing import Any

from connections.models import ChannelConnection
from tenants.channel_routes import CHANNELS, channel_route_find
from tenants.host_cache import TENANTS, GenerationCache, generations_changed, row_built, row_values
from tenants.models import Tenant
from tenants.tenancy import tenant_scope

_routes = GenerationCache(TENANTS, CHANNELS)


def _read(provider_key: str, route_key: str) -> tuple[Any, ...] | None:
    route = channel_route_find(provider=provider_key, external_account_id=route_key)
    if route is None:
        return None
    with tenant_scope(route.tenant):
        connection = ChannelConnection.objects.filter(
            public_id=route.connection_public_id, is_active=True
        ).first()
    if connection is None:
        return None
    return row_values(route.tenant), row_values(connection)


def webhook_route(provider_key: str, route_key: str) -> tuple[Tenant, ChannelConnection] | None:
    """The tenant and the active connection receiving ``route_key``'s webhooks (fresh
    instances), or None. Call it outside any tenant scope (the platform host)."""
    values = _routes.get((provider_key, route_key), lambda: _read(provider_key, route_key))
    if values is None:
        return None
    tenant_values, connection_values = values
    return row_built(Tenant, tenant_values), row_built(ChannelConnection, connection_values)


def webhook_route_forget(provider_key: str, route_key: str) -> None:
    """Drop one entry (its connection turned out to be gone)."""
    _routes.forget((provider_key, route_key))


def webhook_routes_forget() -> None:
    """Drop every entry of this process."""
    _routes.forget()


def channels_changed(**_kwargs: Any) -> None:
    """A connection or a route changed: see the module's docstring."""
    generations_changed(CHANNELS)
