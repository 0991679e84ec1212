"""The pipelines' records: the inbound events that connections' webhooks deliver, and the
outbound deliveries of our messages. The connections themselves live in connections/models.py.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from contacts.models import Contact
from core.models import BaseModel


class InboundEvent(BaseModel):
    """One item of a provider webhook (a customer message, an edit, a delivery status or an
    error the provider reports about the account), stored before it is processed so that
    nothing acknowledged is ever lost. A part of a body that cannot be read as an item is
    stored too, ``quarantined`` with its reason in ``last_error``, for a tenant admin to see
    and replay; so is an event whose processing ``failed``.

    ``item`` is the neutral item the adapter parsed, including the provider's own raw piece of
    the body for that item: a webhook body may carry items of several connections (and so of
    several tenants), and each tenant's schema keeps only its own. The unique constraint drops
    redeliveries.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        STATUS = "status", _("Status")
        ERROR = "error", _("Provider error")
        MALFORMED = "malformed", _("Unreadable item")
        SESSION = "session", _("Session change")
        TEMPLATE = "template", _("Message template status")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        QUARANTINED = "quarantined", _("Quarantined")

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
            # A connection's batch (services/inbound_batches.py): its first attempts, in order.
            models.Index(
                fields=["connection", "id"],
                condition=Q(status="received", attempts=0),
                name="inboundevent_batch_idx",
            ),
            # The admins' review page: failed and quarantined events, newest first.
            models.Index(
                fields=["-created_at"],
                condition=Q(status__in=["failed", "quarantined"]),
                name="inboundevent_review_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.provider_event_id}"


class ConnectionSessionEntry(BaseModel):
    """One state of the session of a connection paired by QR code (WhatsApp QR): its history,
    newest first on the connection's page. A new QR code is not an entry; a connection, a drop
    (and why), a pairing started by an admin are."""

    class State(models.TextChoices):
        CONNECTING = "connecting", _("Waiting for the QR code to be scanned")
        OPEN = "open", _("Connected")
        CLOSED = "closed", _("Disconnected")

    class Reason(models.TextChoices):
        NONE = "", _("No reason given")
        LOGGED_OUT = "logged_out", _("The phone logged out")
        REPLACED = "replaced", _("Another WhatsApp Web session took the number")
        LOST = "lost", _("The connection to the phone was lost")
        FORBIDDEN = "forbidden", _("WhatsApp refused the session")

    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="session_entries"
    )
    state = models.CharField(max_length=16, choices=State.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True, default="")
    number = models.CharField(max_length=32, blank=True, default="")
    profile_name = models.CharField(max_length=120, blank=True, default="")
    # The admin who started it (reconnect, restart, log out); empty for the gateway's reports.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("connection session entry")
        verbose_name_plural = _("connection session entries")
        indexes = [models.Index(fields=["connection", "-created_at"], name="sessionentry_conn_idx")]

    def __str__(self) -> str:
        return f"{self.connection_id} {self.state}"


class BlockedMessage(BaseModel):
    """A message of a blocked contact: kept for audit (admins read it on the contact), never
    put on a ticket, so it opens none, greets nobody, runs no bot and notifies nobody.

    Its text and what it carried are kept; an attached file is described, not downloaded.
    One per inbound event, so processing an event twice keeps it once.
    """

    event = models.OneToOneField(InboundEvent, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="blocked_messages")
    connection = models.ForeignKey(ChannelConnection, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16)
    body = models.TextField(blank=True, default="")
    media_name = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("message of a blocked contact")
        verbose_name_plural = _("messages of blocked contacts")
        indexes = [
            # The contact page's list, newest first.
            models.Index(fields=["contact", "-received_at"], name="blockedmessage_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"blocked message of {self.contact_id}"


class ProviderCall(BaseModel):
    """What a call to a provider that the outbound pipeline makes, retries and claims keeps:
    its idempotency key, attempts, when the next is due, the claim of the worker making it and
    the last error. Subclasses give ``status`` their choices; ``"pending"`` means still to do."""

    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        abstract = True


class OutboundDelivery(ProviderCall):
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
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
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


class OutboundChange(ProviderCall):
    """An agent's edit or deletion of a message the channel already accepted, on its way to the
    customer's copy through the provider (only providers that declare they can are given one).

    Like ``OutboundDelivery``: a stable idempotency key, claimed by a conditional update that
    sets ``locked_until``, retried with back-off on temporary errors, failed for good on
    permanent ones (the message then says its change stayed here). ``body`` is the text of an
    edit as it was requested.
    """

    class Kind(models.TextChoices):
        EDIT = "edit", _("Edit")
        DELETE = "delete", _("Deletion")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(
        "tickets.Message", on_delete=models.PROTECT, related_name="outbound_changes"
    )
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.PROTECT, related_name="outbound_changes"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    body = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outbound change")
        verbose_name_plural = _("outbound changes")
        indexes = [
            # The sweeper: pending changes whose next attempt is overdue.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="change_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.message_id} ({self.status})"


class MailboxCursor(BaseModel):
    """How far an e-mail connection's IMAP folder has been read: every mail up to ``last_uid``
    is stored as inbound events (written in the same transaction as those events, so a restart
    neither loses nor repeats one). A new ``uid_validity`` means the server renumbered the
    folder: it is read again from the start, and mails already stored are recognised by their
    Message-ID."""

    connection = models.OneToOneField(
        ChannelConnection, on_delete=models.CASCADE, related_name="mailbox_cursor"
    )
    uid_validity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox cursor")
        verbose_name_plural = _("mailbox cursors")


class MessageTemplate(BaseModel):
    """A WhatsApp message template of a connection's business account, as the Graph API
    describes it (``GET /<WABA-ID>/message_templates``): only an ``approved`` one may be sent,
    and it is the only kind of message WhatsApp accepts outside the customer service window.

    ``components`` is kept exactly as Graph returns it (HEADER, BODY, FOOTER, BUTTONS with
    their ``{{n}}`` placeholders and examples): the parameters to fill are read from it
    (``services.templates.template_parameters``). One row per name and language of a
    connection, refreshed by each sync and by the ``message_template_status_update`` webhook.
    """

    class Category(models.TextChoices):
        MARKETING = "MARKETING", _("Marketing")
        UTILITY = "UTILITY", _("Utility")
        AUTHENTICATION = "AUTHENTICATION", _("Authentication")

    class Status(models.TextChoices):
        APPROVED = "APPROVED", _("Approved")
        PENDING = "PENDING", _("Pending review")
        REJECTED = "REJECTED", _("Rejected")
        PAUSED = "PAUSED", _("Paused")
        DISABLED = "DISABLED", _("Disabled")
        IN_APPEAL = "IN_APPEAL", _("In appeal")
        PENDING_DELETION = "PENDING_DELETION", _("Being deleted")
        DELETED = "DELETED", _("Deleted")
        LIMIT_EXCEEDED = "LIMIT_EXCEEDED", _("Limit exceeded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.CASCADE, related_name="message_templates"
    )
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=16)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    components = models.JSONField(_("components"), default=list, blank=True)
    external_id = models.CharField(max_length=64, blank=True, default="")
    rejected_reason = models.CharField(
        _("rejection reason"), max_length=500, blank=True, default=""
    )
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "language", "id"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "name", "language"], name="messagetemplate_unique"
            ),
        ]
        indexes = [
            # The templates page and the composer's picker: a connection's templates by name,
            # optionally only the approved ones.
            models.Index(fields=["connection", "status", "name"], name="messagetemplate_list_idx"),
            # The status webhook finds the row by Graph's template id.
            models.Index(fields=["external_id"], name="messagetemplate_external_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED
