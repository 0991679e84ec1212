"""What every Meta product's adapter declares: Meta calls one URL (``/webhooks/meta/``) for all of
them, and the ``object`` of a delivery says which product (so which adapter) it is for.

A new Meta product is a provider subclassing ``MetaWebhookProvider`` with its ``object_type``;
the shared endpoint finds it through the registry, nothing else names it.
"""

from __future__ import annotations

from typing import ClassVar

from channels_integrations.providers.base import ChannelProvider
from channels_integrations.providers.registry import PROVIDERS, provider_for

META_WEBHOOK_PATH = "meta/"


class MetaWebhookProvider(ChannelProvider):
    webhook_routing = "shared"  # every Meta product of the app posts to /webhooks/meta/
    shared_webhook_path = META_WEBHOOK_PATH
    # The ``object`` of this product's webhook deliveries ("page", "instagram", ...).
    object_type: ClassVar[str]


def meta_providers_by_object() -> dict[str, str]:
    """Webhook ``object`` → provider key, for every registered Meta product."""
    found: dict[str, str] = {}
    for key in PROVIDERS:
        provider = provider_for(key)
        if isinstance(provider, MetaWebhookProvider):
            found[provider.object_type] = key
    return found
