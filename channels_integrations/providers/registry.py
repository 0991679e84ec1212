"""The pipelines' view of the provider registry (``connections.providers.registry``, where a
provider is registered with one line): the same adapters, typed as ``ChannelProvider``."""

from __future__ import annotations

from channels_integrations.providers.base import ChannelProvider
from connections.providers import registry
from connections.providers.registry import PROVIDERS, UnknownProvider

__all__ = ["PROVIDERS", "UnknownProvider", "provider_for"]


def provider_for(key: str) -> ChannelProvider:
    """The adapter of a provider key (one shared, stateless instance, cached by the registry);
    ``UnknownProvider`` when the key is not registered or names no pipeline adapter."""
    provider = registry.provider_for(key)
    if not isinstance(provider, ChannelProvider):
        raise UnknownProvider(key)
    return provider
