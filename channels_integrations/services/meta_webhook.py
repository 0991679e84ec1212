"""Meta's one callback URL for every app product (``/webhooks/meta/`` on the platform host).

WhatsApp Cloud, Messenger and Instagram post to the same URL; the body's ``object`` names the
product (so the adapter), and the ids inside name the accounts, which the inbound pipeline
routes through the public ChannelRoute table and verifies with each connection's app secret.

GET is Meta's subscription handshake: ``hub.mode=subscribe``, ``hub.verify_token`` and
``hub.challenge``; the challenge is echoed when the token is the verify token of an active
Meta connection. The handshake names no account, so the token is compared (in constant time)
with the verify token of every routed Meta connection; this happens only when an admin saves
the callback in Meta's dashboard.
https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests

Accounts nobody receives (``inbound._receive_shared``, the same rule as a per-connection URL
whose token is unknown): a delivery none of whose accounts is routed to an active connection is
answered 404 ``webhook_unknown`` and nothing is stored; in a batch that also holds routed
accounts, the stray items are acknowledged with the rest and counted as ``ignored``. The 404 is
deliberate: Meta keeps retrying a non-200 delivery (for days, with decreasing frequency:
https://developers.facebook.com/docs/whatsapp/cloud-api/guides/set-up-webhooks), so messages
sent to a connection an admin disabled for a moment arrive once it is enabled again, and a
leftover subscription shows up as failing in Meta's dashboard instead of being swallowed.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from channels_integrations.errors import WebhookMalformed, WebhookUnknown
from channels_integrations.providers.meta.provider import meta_providers_by_object
from channels_integrations.providers.meta.webhooks import (
    MalformedPayload,
    meta_route_keys_of,
    meta_verify_subscription,
)
from connections.models import ChannelConnection
from tenants.channel_routes import channel_routes_of_providers
from tenants.tenancy import tenant_scope


def meta_delivery_of(body: bytes) -> tuple[str, list[str]]:
    """The provider of a Meta delivery (from its ``object``) and the accounts its envelope
    names: 400 ``webhook_malformed`` for a body that is no Meta envelope, 404
    ``webhook_unknown`` for a product we do not receive."""
    try:
        object_type, keys = meta_route_keys_of(body)
    except MalformedPayload as exc:
        raise WebhookMalformed() from exc
    provider_key = meta_providers_by_object().get(object_type)
    if provider_key is None:
        raise WebhookUnknown()
    return provider_key, keys


def _verify_token_known(token: str) -> bool:
    by_tenant: dict[Any, set[Any]] = defaultdict(set)
    tenants = {}
    for route in channel_routes_of_providers(meta_providers_by_object().values()):
        if route.tenant.is_active:
            by_tenant[route.tenant.pk].add(route.connection_public_id)
            tenants[route.tenant.pk] = route.tenant
    found = False
    for tenant_pk, public_ids in by_tenant.items():
        with tenant_scope(tenants[tenant_pk]):
            connections = ChannelConnection.objects.filter(public_id__in=public_ids, is_active=True)
            for connection in connections:
                candidate = str(connection.credentials.get("verify_token") or "")
                # No early exit: the time taken does not tell which tenant matched.
                if candidate and hmac.compare_digest(candidate.encode(), token.encode()):
                    found = True
    return found


def meta_subscription_challenge(params: Mapping[str, Any]) -> str | None:
    """The ``hub.challenge`` to echo, or None (answer 403)."""
    return meta_verify_subscription(params, _verify_token_known)
