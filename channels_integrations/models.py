"""Channel connections (a configured WhatsApp number, Telegram bot, page, or web chat widget), the
inbound events their webhooks deliver, and the outbound deliveries of our messages.

Nothing here is provider-specific: providers keep their configuration in the encrypted
``credentials`` (validated by their own serializer) and non-secret facts in ``details``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels_integrations.crypto import credentials_decrypt, credentials_encrypt
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
    # The provider's configuration (tokens, secrets, account ids) as a Fernet token: read and
    # write it through ``credentials`` (channels_integrations/crypto.py). Never shown in full.
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    # Non-secret facts the provider reported when the credentials were checked (bot username,
    # phone display name), shown to admins.
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Unguessable path part of a per-connection webhook URL (/webhooks/<provider>/<token>/),
    # routed to this tenant through tenants.ChannelRoute; empty for shared-URL providers.
    webhook_token = models.CharField(max_length=64, blank=True, default="", editable=False)
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
        constraints = [
            models.UniqueConstraint(
                fields=["webhook_token"],
                condition=~Q(webhook_token=""),
                name="connection_webhook_token_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"

    @property
    def credentials(self) -> dict[str, Any]:
        """The decrypted credentials (a fresh dict: change it and assign it back to store)."""
        return credentials_decrypt(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, values: dict[str, Any]) -> None:
        self.credentials_encrypted = credentials_encrypt(dict(values or {}))


class InboundEvent(BaseModel):
    """One item of a provider webhook (a customer message, an edit or a delivery status),
    stored before it is processed so that nothing acknowledged is ever lost.

    ``item`` is the neutral item the adapter parsed, including the provider's own raw piece of
    the body for that item: a webhook body may carry items of several connections (and so of
    several tenants), and each tenant's schema keeps only its own. The unique constraint drops
    redeliveries.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        STATUS = "status", _("Status")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")

    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.PROTECT, related_name="inbound_events"
    )
    provider_event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    item = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "provider_event_id"], name="inboundevent_provider_id_unique"
            ),
        ]
        indexes = [
            # The sweeper: events still waiting for processing, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(status="received"),
                name="inboundevent_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_event_id}"


class OutboundDelivery(BaseModel):
    """The sending of one outbound message through its connection's provider.

    Created when the message is dispatched (one per message, with a stable idempotency key),
    then delivered by ``outbound_message_deliver_task``. A worker claims the row with a
    conditional update that sets ``locked_until``, so two workers never send the same message;
    a claim that outlives a crashed worker expires and the sweeper hands the row out again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.PROTECT, related_name="delivery"
    )
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.PROTECT, related_name="deliveries"
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")
    provider_message_id = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outbound delivery")
        verbose_name_plural = _("outbound deliveries")
        indexes = [
            # The sweeper: pending deliveries whose next attempt is overdue.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery of {self.message_id} ({self.status})"
