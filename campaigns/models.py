"""Campaigns, their recipients and contacts' opt-outs.

A campaign's progress is never a counter: every figure is a count of ``CampaignRecipient`` rows
by state (indexed on ``(campaign, state)``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from contacts.models import Contact
from core.models import BaseModel
from tenants.tenancy import tenant_media_path

MAX_VARIANTS = 3
DEFAULT_PER_MINUTE = 20
MAX_PER_MINUTE = 600


class Campaign(BaseModel):
    """A bulk send: up to three message variants to an audience through one connection, paced
    (``per_minute`` with jitter) and kept inside an optional weekly send window of the tenant's
    time zone."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        FINISHED = "finished", _("Finished")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    connection = models.ForeignKey(
        ChannelConnection,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("connection"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    variants = models.JSONField(_("message variants"), default=list, blank=True)
    # WhatsApp Cloud: the approved template every recipient gets instead of the variants, and
    # its parameter values by key (``body.1``...), which may use the campaign's variables.
    template = models.ForeignKey(
        "channels_integrations.MessageTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("template"),
    )
    template_parameters = models.JSONField(_("template parameters"), default=dict, blank=True)
    # When the first message may go (None: at start); a time in the past paces from now.
    scheduled_at = models.DateTimeField(_("start at"), null=True, blank=True)
    per_minute = models.PositiveIntegerField(_("messages per minute"), default=DEFAULT_PER_MINUTE)
    # Weekly window in the tenant's time zone; an end before the start spans midnight.
    window_start = models.TimeField(_("send from"), null=True, blank=True)
    window_end = models.TimeField(_("send until"), null=True, blank=True)
    window_days = models.JSONField(_("send on"), default=list, blank=True)  # 0 = Monday
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The one sender working on the campaign holds it until then (renewed while it sends).
    runner_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(per_minute__gte=1) & models.Q(per_minute__lte=MAX_PER_MINUTE),
                name="campaign_per_minute_bounds",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


def campaign_media_path(instance: CampaignMedia, filename: str) -> str:
    return tenant_media_path("campaigns", f"{uuid.uuid4().hex}/{filename}")


class CampaignMedia(BaseModel):
    """The file of one campaign message (its variant's text is the caption), or of a WhatsApp
    template's media header (``variant`` 0). Uploaded first (``campaign`` empty), then attached
    to a draft by its ``public_id``; checked with the same rules as agents' files."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="media"
    )
    variant = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=campaign_media_path, max_length=500)
    name = models.CharField(max_length=255)
    mime = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16)  # a tickets.Message.Kind with a file

    class Meta:
        ordering = ["variant", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "variant"],
                name="campaign_media_one_per_variant",
                condition=models.Q(campaign__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(BaseModel):
    """One contact of a campaign and where its message is: queued → sending → sent →
    delivered → read, or failed, skipped (opted out, blocked, no address) or cancelled;
    ``replied_at`` is set when the contact answers."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    variant = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Unique per recipient: what the provider (where it supports one) deduplicates on.
    idempotency_key = models.CharField(max_length=80, unique=True)
    body = models.TextField(blank=True, default="")
    provider_message_id = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_detail = models.CharField(max_length=500, blank=True, default="")
    replied_at = models.DateTimeField(null=True, blank=True)
    reply_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "contact"], name="campaign_recipient_once"),
        ]
        indexes = [
            # Counts by state, and the recipients list filtered by state.
            models.Index(fields=["campaign", "state"], name="campaign_recipient_state"),
            # The sender's claim: the next due queued rows.
            models.Index(
                fields=["campaign", "due_at"],
                name="campaign_recipient_due",
                condition=models.Q(state="queued"),
            ),
            # A delivery report finds its campaign message.
            models.Index(
                fields=["provider_message_id"],
                name="campaign_recipient_provider_id",
                condition=~models.Q(provider_message_id=""),
            ),
            # A reply finds the contact's latest sent campaign message.
            models.Index(fields=["contact", "sent_at"], name="campaign_recipient_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.contact_id}"


class CampaignOptOut(BaseModel):
    """A contact who asked not to receive campaigns (a reply with an opt-out keyword)."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="+")
    keyword = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.contact_id)
