"""Meta's one callback URL for every app product (``/webhooks/meta/`` on the platform host).

WhatsApp Cloud, Messenger and Instagram post to the same URL; the body's ``object`` names the
product (so the adapter), and the ids inside name the accounts, which the inbound pipeline
routes through the public ChannelRoute table and verifies with each connection's app secret.

GET is Meta's subscription handshake: ``hub.mode=subscribe``, ``hub.verify_token`` and
``hub.challenge``; the challenge is echoed when the token is the platform's
``META_VERIFY_TOKEN``. The callback belongs to the platform, so only its operator subscribes a
Meta app to it; a token a tenant admin chose never does (docs/meta-webhooks.md).
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

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from channels_integrations.errors import WebhookMalformed, WebhookUnknown
from channels_integrations.providers.meta.provider import meta_providers_by_object
from channels_integrations.providers.meta.webhooks import (
    MalformedPayload,
    meta_route_keys_of,
    verify_subscription,
)


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


def meta_subscription_challenge(params: Mapping[str, Any]) -> str | None:
    """The ``hub.challenge`` to echo, or None (answer 403)."""
    return verify_subscription(params, settings.META_VERIFY_TOKEN)
