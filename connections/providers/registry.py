"""Provider key → adapter class, imported lazily. Adding a provider is one line here.

The adapters live in the channels app (``channels_integrations/providers/<key>/``), above this
one: they are named by dotted path and imported on first use, never when this module loads.
"""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from connections.providers.base import ConnectionProvider

PROVIDERS: dict[str, str] = {
    "whatsapp_cloud": (
        "channels_integrations.providers.whatsapp_cloud.provider.WhatsAppCloudProvider"
    ),
    "whatsapp_qr": "channels_integrations.providers.whatsapp_qr.provider.WhatsAppQrProvider",
    "messenger": "channels_integrations.providers.messenger.provider.MessengerProvider",
    "instagram": "channels_integrations.providers.instagram.provider.InstagramProvider",
    "telegram": "channels_integrations.providers.telegram.provider.TelegramProvider",
    "webchat": "channels_integrations.providers.webchat.provider.WebchatProvider",
    "email": "channels_integrations.providers.email.provider.EmailProvider",
}


class UnknownProvider(LookupError):
    pass


@cache
def provider_for(key: str) -> ConnectionProvider:
    """The adapter of a provider key (one shared, stateless instance)."""
    try:
        path = PROVIDERS[key]
    except KeyError as exc:
        raise UnknownProvider(key) from exc
    provider: ConnectionProvider = import_string(path)()
    return provider


def provider_installed(key: str) -> bool:
    """Whether this installation ships the provider (a stored key may outlive its adapter)."""
    return key in PROVIDERS


def provider_label(key: str) -> str:
    """The provider's name for people, translated; the key itself when it is not installed."""
    if not provider_installed(key):
        return key
    return str(provider_for(key).label)


def providers_installed() -> list[tuple[str, str]]:
    """``(key, label)`` of every installed provider this installation is configured for (a
    connection of it can be created here), in registry order."""
    return [(key, provider_label(key)) for key in PROVIDERS if provider_for(key).is_configured()]


def provider_key_validate(value: str) -> None:
    """Model validation of ChannelConnection.provider: a provider installed here (the field has
    no ``choices``, so adding a provider never needs a migration)."""
    if not provider_installed(value):
        raise ValidationError(
            _("This kind of channel is not available."), code="provider_unavailable"
        )
