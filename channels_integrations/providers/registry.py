"""Provider key → adapter class, imported lazily. Adding a provider is one line here."""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from channels_integrations.providers.base import ChannelProvider

PROVIDERS: dict[str, str] = {
    "whatsapp_cloud": (
        "channels_integrations.providers.whatsapp_cloud.provider.WhatsAppCloudProvider"
    ),
    "messenger": "channels_integrations.providers.messenger.provider.MessengerProvider",
    "instagram": "channels_integrations.providers.instagram.provider.InstagramProvider",
    "telegram": "channels_integrations.providers.telegram.provider.TelegramProvider",
    "webchat": "channels_integrations.providers.webchat.provider.WebchatProvider",
}


class UnknownProvider(LookupError):
    pass


@cache
def provider_for(key: str) -> ChannelProvider:
    """The adapter of a provider key (one shared, stateless instance)."""
    try:
        path = PROVIDERS[key]
    except KeyError as exc:
        raise UnknownProvider(key) from exc
    provider: ChannelProvider = import_string(path)()
    return provider
