"""Channel connections: a configured WhatsApp number, Telegram bot, page, or web chat widget.

Nothing here is provider-specific: providers keep their configuration in the encrypted
``credentials`` (validated by their own serializer) and non-secret facts in ``details``. How a
connection's tickets are routed (default queue, greeting, farewell) belongs to the tickets app
(``tickets.ConnectionRouting``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from connections.crypto import credentials_decrypt, credentials_encrypt
from connections.providers.registry import provider_key_validate, provider_label
from core.models import BaseModel


class ChannelConnection(BaseModel):
    """One configured channel of the tenant; tickets live on a connection."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not connected yet")
        CONNECTED = "connected", _("Connected")
        ERROR = "error", _("Error")
        DISABLED = "disabled", _("Disabled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A key of connections.providers.registry.PROVIDERS. No ``choices``: the registry is the
    # list, so adding a provider needs no migration.
    provider = models.CharField(_("provider"), max_length=32, validators=[provider_key_validate])
    name = models.CharField(_("name"), max_length=80)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    status_detail = models.CharField(_("status detail"), max_length=500, blank=True, default="")
    # The provider's configuration (tokens, secrets, account ids) as a Fernet token: read and
    # write it through ``credentials`` (connections/crypto.py). Never shown in full.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    # Non-secret facts the provider reported when the credentials were checked (bot username,
    # phone display name), shown to admins.
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Unguessable path part of a per-connection webhook URL (/webhooks/<provider>/<token>/),
    # routed to this tenant through tenants.ChannelRoute; empty for shared-URL providers.
    webhook_token = models.CharField(max_length=64, blank=True, default="", editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel connection")
        verbose_name_plural = _("channel connections")
        constraints = [
            models.UniqueConstraint(
                fields=["webhook_token"],
                condition=~Q(webhook_token=""),
                name="connection_webhook_token_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider_label})"

    @property
    def provider_label(self) -> str:
        """The provider's name for people (its registry label), translated."""
        return provider_label(self.provider)

    @property
    def credentials(self) -> dict[str, Any]:
        """The decrypted credentials (a fresh dict: change it and assign it back to store)."""
        return credentials_decrypt(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, values: dict[str, Any]) -> None:
        self.credentials_encrypted = credentials_encrypt(dict(values or {}))
