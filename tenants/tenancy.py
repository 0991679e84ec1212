"""The one place that knows how tenant context is entered, read and turned into names.

Domain code never passes tenant ids around: the current PostgreSQL schema *is* the tenant. Entry
points (HTTP middleware, provider webhooks, Celery, Channels) enter a tenant with
``tenant_scope``; everything tenant-shaped (channel-layer groups, cache keys, file paths) is
derived from the current schema through a helper here or in django-tenants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

if TYPE_CHECKING:  # annotations only: tenants.models imports this module (same app)
    from tenants.models import Tenant

T = TypeVar("T")

_GROUP_PART = re.compile(r"^[A-Za-z0-9_-]+$")


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block in ``tenant``'s schema and restore the previous schema afterwards."""
    with tenant_context(tenant):
        yield tenant


@contextmanager
def public_scope() -> Iterator[None]:
    """Run the block in the public schema (tenants, domains, platform staff)."""
    with schema_context(get_public_schema_name()):
        yield


def current_schema() -> str:
    """The schema the current database connection works in."""
    return str(connection.schema_name)  # type: ignore[attr-defined]


def current_tenant() -> Tenant:
    """The tenant the current database connection works in (the public tenant on the platform)."""
    return connection.tenant  # type: ignore[attr-defined]


def in_public_schema() -> bool:
    return current_schema() == get_public_schema_name()


def group_name(*parts: object) -> str:
    """A channel-layer group name scoped to the current tenant: ``t.<schema>.<part>.<part>``.

    One Redis channel layer serves every tenant, so an unscoped name like ``inbox`` would be
    shared between them. Channels accepts only ``[A-Za-z0-9._-]`` and fewer than 100 characters.
    """
    rendered = [str(part) for part in parts]
    if not rendered or not all(_GROUP_PART.match(part) for part in rendered):
        raise ValueError(f"Invalid group name parts: {parts!r}")
    name = ".".join(["t", current_schema(), *rendered])
    if len(name) >= 100:
        raise ValueError(f"Group name too long: {name!r}")
    return name


def redis_key(*parts: object) -> str:
    """A raw Redis key scoped to the current tenant: ``<schema>:<KEY_PREFIX>:<part>:<part>``.

    For the structures the Django cache API cannot express (streams, sorted sets, scripts). It
    has the same shape as the cache's keys (``django_tenants.cache.make_key``), so one pattern
    finds every key of a tenant.
    """
    rendered = [str(part) for part in parts]
    if not rendered or not all(_GROUP_PART.match(part) for part in rendered):
        raise ValueError(f"Invalid key parts: {parts!r}")
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return ":".join([current_schema(), prefix, *rendered])


def redis_key_public(*parts: object) -> str:
    """A raw Redis key of the platform itself (the public schema's prefix), for the few
    structures that list tenants, never their data (e.g. which tenants have live sockets)."""
    with schema_context(get_public_schema_name()):
        return redis_key(*parts)


def tenant_media_path(area: str, name: str) -> str:
    """A storage path under the current tenant's own prefix: ``tenants/<schema>/<area>/<name>``.

    Every file a tenant uploads or receives is stored through this, so one tenant's files can
    never be addressed with another tenant's path, and the serving view can check the prefix.
    """
    if in_public_schema():
        raise RuntimeError("Tenant files cannot be stored from the public schema.")
    if not _GROUP_PART.match(area) or ".." in name or name.startswith("/"):
        raise ValueError(f"Invalid media path: {area!r}/{name!r}")
    return f"tenants/{current_schema()}/{area}/{name}"


def tenant_media_owns(name: str, area: str = "") -> bool:
    """Whether a stored path lies under the current tenant's prefix (and ``area`` of it, when
    given), as ``tenant_media_path`` makes them: what a serving or reading view checks before
    it opens a path that came from a row or a request."""
    if in_public_schema() or not name or ".." in name:
        return False
    prefix = f"tenants/{current_schema()}/" + (f"{area}/" if area else "")
    return name.startswith(prefix)


async def run_in_tenant(tenant: Tenant, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call a synchronous (ORM) function from async code inside ``tenant``'s schema.

    ``database_sync_to_async`` runs work on a shared thread whose connection keeps the last
    ``search_path``; entering the scope inside that thread, and leaving it afterwards, keeps one
    consumer's schema from leaking into the next call.
    """

    def scoped() -> T:
        with tenant_scope(tenant):
            return func(*args, **kwargs)

    return await database_sync_to_async(scoped)()


async def run_in_public(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Like ``run_in_tenant`` for the public schema."""

    def scoped() -> T:
        with public_scope():
            return func(*args, **kwargs)

    return await database_sync_to_async(scoped)()
