"""API keys of integrators, the idempotency records of their sends, and outbound webhooks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from core.models import BaseModel


class ApiKey(BaseModel):
    """A secret an integrator sends instead of signing in; acts as the admin who created it,
    narrowed to its scopes (and to one connection, when bound).

    Only the SHA-256 of the secret is stored; ``prefix`` (the secret's first characters) lets
    people tell keys apart. A revoked or expired key is refused on its next request.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    # "<family>:read" / "<family>:write" (integrations.scopes.FAMILIES).
    scopes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    connection = models.ForeignKey(
        ChannelConnection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel connection"),
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Addresses or networks in CIDR notation; empty: any address.
    allowed_ips = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    # Requests per minute; null: the tenant's default (integrations.rate_limits).
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired


class IdempotencyRecord(BaseModel):
    """The message a send request carrying an idempotency key made, kept for 24 hours.

    Unique per (key, API key): a retried request gets the stored answer instead of a second
    message; a concurrent duplicate waits on the unique index until the first commits.
    ``request_hash`` tells a retry from a different request reusing the same key.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    # "send:<Idempotency-Key>" or "external:<externalKey>": the two APIs never collide.
    key = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


class WebhookSubscription(BaseModel):
    """A URL of the integrator that receives the events it subscribed to, signed with its
    secret (and, during a rotation, the previous one as well)."""

    class Format(models.TextChoices):
        STANDARD = "standard", _("Standard (signed JSON envelope)")
        COMPATIBLE = (
            "compatible",
            _("Compatible (hookMessage / hookMessageStatus / hookSessionStatus)"),
        )

    # ``disabled_reason`` of a subscription switched off after a day of failures.
    AUTO_DISABLED_REASON = "failing for 24 hours"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80)
    url = models.URLField(_("URL"), max_length=1000)
    event_types = ArrayField(models.CharField(max_length=60), default=list)
    format = models.CharField(
        _("format"), max_length=16, choices=Format.choices, default=Format.STANDARD
    )
    # Sent back verbatim in the Authorization header (what the compatible callbacks did).
    auth_header = models.CharField(_("authorization header"), max_length=500, blank=True)
    # Signing secrets, encrypted at rest like channel credentials (connections.crypto); the
    # previous one still signs until it expires, so integrators can rotate without a gap.
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Deliveries of one ticket go out one at a time, in the order the events happened.
    ordered = models.BooleanField(_("ordered per ticket"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    # Start of the current run of failed deliveries (null: the last one succeeded).
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    @property
    def was_auto_disabled(self) -> bool:
        return not self.is_active and self.disabled_reason == self.AUTO_DISABLED_REASON


class WebhookDelivery(BaseModel):
    """One event for one subscription: the exact body sent, its state and the next attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4)
    event_type = models.CharField(max_length=60)
    # Serialised once; every attempt sends these exact bytes (the signature covers them).
    body = models.TextField()
    # Ordering key (the ticket's id) for ordered subscriptions.
    ordering_key = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    is_test = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The delivery log of a subscription, newest first.
            models.Index(
                fields=["subscription", "-created_at", "-id"], name="webhookdelivery_log_idx"
            ),
            # Ordered subscriptions: the oldest unfinished delivery of a ticket goes first.
            models.Index(
                fields=["subscription", "ordering_key", "created_at", "id"],
                condition=Q(status="pending"),
                name="webhookdelivery_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.public_id}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: status code (null when no answer), latency, a bounded
    excerpt of the answer or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=1000, blank=True, default="")
    error = models.CharField(max_length=255, blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.delivery_id}"
