"""Channel connections: a configured WhatsApp number, Telegram bot, page, or web chat widget.

Minimal for now: providers (adapters, credentials validation, webhooks, sending) come with the
channels work and never add provider-specific columns here.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class ChannelConnection(BaseModel):
    """One configured channel of the tenant; tickets live on a connection."""

    class Provider(models.TextChoices):
        WEBCHAT = "webchat", _("Web chat")
        WHATSAPP_CLOUD = "whatsapp_cloud", _("WhatsApp (Cloud API)")
        TELEGRAM = "telegram", _("Telegram")
        MESSENGER = "messenger", _("Messenger")
        INSTAGRAM = "instagram", _("Instagram")

    class Status(models.TextChoices):
        PENDING = "pending", _("Not connected yet")
        CONNECTED = "connected", _("Connected")
        ERROR = "error", _("Error")
        DISABLED = "disabled", _("Disabled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(_("provider"), max_length=32, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=80)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    status_detail = models.CharField(_("status detail"), max_length=500, blank=True, default="")
    # Provider-specific configuration, validated by the provider's own schema (channels work).
    credentials = models.JSONField(_("credentials"), default=dict, blank=True)
    default_queue = models.ForeignKey(
        "tickets.Queue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default queue"),
    )
    greeting_message = models.TextField(_("greeting message"), blank=True, default="")
    farewell_message = models.TextField(_("farewell message"), blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel connection")
        verbose_name_plural = _("channel connections")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"
