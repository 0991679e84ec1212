"""The public routing table of provider webhooks: writes and the one lookup.

Connection services call ``channel_routes_set`` from inside the tenant (the current tenant owns
the routes) whenever a connection's routing keys change, and ``channel_routes_clear`` when it
stops receiving; the webhook views find routes with ``channel_route_find`` on the platform host
(through the webhook routes' in-process cache, ``channels_integrations.services.webhook_routes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import IntegrityError, transaction

from tenants.errors import ChannelAccountTaken
from tenants.host_cache import generations_changed
from tenants.models import ChannelRoute
from tenants.tenancy import current_tenant, in_public_schema, public_scope

# The generation of the webhook routes' in-process cache
# (``channels_integrations.services.webhook_routes``): bumped by every route write here (routes
# are created in bulk, without ``post_save``) and by every connection save or delete.
CHANNELS = "channels"


def channel_routes_set(*, provider: str, connection_public_id: UUID, keys: Iterable[str]) -> None:
    """Make ``keys`` exactly the routes of the connection (in the current tenant).

    409 ``channel_account_taken`` when a key already routes to another connection, of this
    tenant or another one (the same answer for both); then nothing changes.
    """
    if in_public_schema():
        raise RuntimeError("Channel routes belong to a tenant: call this inside tenant_scope.")
    tenant = current_tenant()
    wanted = {key for key in keys if key}
    with public_scope(), transaction.atomic():
        taken = (
            ChannelRoute.objects.filter(provider=provider, external_account_id__in=wanted)
            .exclude(tenant=tenant, connection_public_id=connection_public_id)
            .values_list("external_account_id", flat=True)
        )
        if (first_taken := taken.first()) is not None:
            raise ChannelAccountTaken(account_id=first_taken)
        mine = ChannelRoute.objects.filter(tenant=tenant, connection_public_id=connection_public_id)
        mine.exclude(provider=provider, external_account_id__in=wanted).delete()
        existing = set(mine.values_list("external_account_id", flat=True))
        try:
            with transaction.atomic():
                ChannelRoute.objects.bulk_create(
                    [
                        ChannelRoute(
                            provider=provider,
                            external_account_id=key,
                            tenant=tenant,
                            connection_public_id=connection_public_id,
                        )
                        for key in sorted(wanted - existing)
                    ]
                )
        except IntegrityError as exc:  # another connection took a key concurrently
            raise ChannelAccountTaken(account_id=taken.first() or "") from exc
        generations_changed(CHANNELS)


def channel_routes_clear(*, connection_public_id: UUID) -> int:
    """Remove every route of the connection (in the current tenant); returns how many."""
    if in_public_schema():
        raise RuntimeError("Channel routes belong to a tenant: call this inside tenant_scope.")
    tenant = current_tenant()
    with public_scope():
        deleted, _ = ChannelRoute.objects.filter(
            tenant=tenant, connection_public_id=connection_public_id
        ).delete()
    return deleted


def channel_route_find(*, provider: str, external_account_id: str) -> ChannelRoute | None:
    """The route of a provider account with its tenant, or None; reads the public schema."""
    if not external_account_id:
        return None
    with public_scope():
        return (
            ChannelRoute.objects.select_related("tenant")
            .filter(provider=provider, external_account_id=external_account_id)
            .first()
        )
