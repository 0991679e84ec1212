"""Queues, tickets (one attendance each), their append-only timeline, messages, quick replies."""

from __future__ import annotations

import os
import uuid
from functools import cached_property
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from contacts.models import Contact, color_validator
from core.models import BaseModel
from tenants.tenancy import tenant_media_path

if TYPE_CHECKING:
    from tickets.message_display import MessageDisplay


class Queue(BaseModel):
    """A team inbox (e.g. "Sales"); agents see the tickets of the queues they belong to.

    ``distribution`` says how its waiting tickets are handed to its online agents without
    anybody picking them (automation.services.distribution); ``agent_capacity`` is the most
    tickets (pending or open, in any queue) an agent may hold for this queue to give them one.
    """

    class Distribution(models.TextChoices):
        NONE = "none", _("None: agents pick tickets")
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_BUSY = "least_busy", _("Least busy")
        CAPACITY = "capacity", _("By capacity")

    name = models.CharField(_("name"), max_length=80, unique=True)
    color = models.CharField(
        _("colour"), max_length=7, default="#0b7a5c", validators=[color_validator]
    )
    greeting_message = models.TextField(_("greeting message"), blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="queues", blank=True, verbose_name=_("agents")
    )
    distribution = models.CharField(
        _("automatic distribution"),
        max_length=16,
        choices=Distribution.choices,
        default=Distribution.NONE,
    )
    agent_capacity = models.PositiveSmallIntegerField(
        _("tickets per agent"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text=_(
            "Most pending or open tickets an agent may hold to receive one from this queue "
            "(required for distribution by capacity; empty: no limit)."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        constraints = [
            models.CheckConstraint(
                condition=~Q(distribution="capacity") | Q(agent_capacity__isnull=False),
                name="queue_capacity_distribution_has_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ConnectionRouting(BaseModel):
    """Where a connection's new tickets go and what the customer is told on opening and closing.

    At most one per connection, read through ``connection.routing``. Written by the connection
    services whenever a connection is created or its routing changed; a connection without one
    (created elsewhere) routes to no queue and sends no greeting nor farewell.
    """

    connection = models.OneToOneField(
        ChannelConnection,
        on_delete=models.CASCADE,
        related_name="routing",
        verbose_name=_("channel connection"),
    )
    default_queue = models.ForeignKey(
        Queue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default queue"),
    )
    greeting_message = models.TextField(_("greeting message"), blank=True, default="")
    farewell_message = models.TextField(_("farewell message"), blank=True, default="")

    class Meta:
        ordering = ["connection_id"]
        verbose_name = _("connection routing")
        verbose_name_plural = _("connection routings")

    def __str__(self) -> str:
        return f"routing of {self.connection_id}"


class Ticket(BaseModel):
    """One attendance: a conversation between a contact and the tenant on one channel connection.

    A new conversation after a close opens a new ticket (with a new protocol number), unless the
    tenant's reopen window applies; at most one ticket per (contact, connection) is not closed.
    """

    class Status(models.TextChoices):
        # "Waiting" everywhere (inbox tab, header, filters): one word for the state.
        PENDING = "pending", _("Waiting")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Attendance number customers can quote: YYYYMMDD-NNNNNN (see tickets.protocols).
    protocol = models.CharField(_("protocol"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tickets")
    # Connections are deactivated, never deleted, so a ticket never loses its channel.
    connection = models.ForeignKey(
        ChannelConnection, on_delete=models.PROTECT, related_name="tickets"
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    unread_count = models.PositiveIntegerField(_("unread messages"), default=0)
    last_message_preview = models.CharField(max_length=255, blank=True, default="")
    # The inbox order's key (keyset pagination pages on it): never NULL. A ticket opened before
    # its first message takes the time it was opened.
    last_message_at = models.DateTimeField(default=timezone.now)
    # Last message from the customer: the WhatsApp 24-hour window and auto-close start here.
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # False while the customer's message is the last one (nobody answered yet).
    answered = models.BooleanField(default=True)
    # Opened by an agent (outbound, "demanda ativa") rather than by the customer.
    is_outbound = models.BooleanField(default=False)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Soft delete by an admin: hidden everywhere, restorable, audited on the timeline.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            # Concurrent inbound messages of a new contact can never open two tickets.
            models.UniqueConstraint(
                fields=["contact", "connection"],
                condition=~Q(status="closed"),
                name="ticket_one_active_per_contact_connection",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "open", "closed"]), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="ticket_closed_has_closed_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | Q(assignee__isnull=False),
                name="ticket_open_has_assignee",
            ),
        ]
        indexes = [
            # Inbox tabs: status, newest activity first (keyset on last_message_at, id).
            models.Index(
                fields=["status", "-last_message_at", "-id"], name="ticket_inbox_status_idx"
            ),
            # Every status at once (the all-statuses list, a search across tabs), inbox order.
            models.Index(
                fields=["-last_message_at", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="ticket_inbox_all_idx",
            ),
            # "My queues" tab and queue filter.
            models.Index(
                fields=["status", "queue", "-last_message_at", "-id"], name="ticket_inbox_queue_idx"
            ),
            # "Mine" tab and assignee filter.
            models.Index(
                fields=["assignee", "status", "-last_message_at"], name="ticket_inbox_assignee_idx"
            ),
            # Auto-close scan: open or pending tickets by last customer activity.
            models.Index(
                fields=["last_message_at"],
                condition=~Q(status="closed"),
                name="ticket_active_activity_idx",
            ),
            models.Index(fields=["contact", "-created_at"], name="ticket_contact_history_idx"),
            # Reports leave out soft-deleted tickets without joining every ticket.
            models.Index(
                fields=["id"], condition=Q(deleted_at__isnull=False), name="ticket_deleted_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.protocol}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class TicketEvent(models.Model):
    """An append-only entry of a ticket's timeline; written only through tickets.events."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ACCEPTED = "accepted", _("Accepted")
        TRANSFERRED = "transferred", _("Transferred")
        RETURNED = "returned", _("Returned to the queue")
        AUTO_ASSIGNED = "auto_assigned", _("Assigned automatically")
        CLOSED = "closed", _("Closed")
        AUTO_CLOSED = "auto_closed", _("Closed for inactivity")
        REOPENED = "reopened", _("Reopened")
        MESSAGE_IN = "message_in", _("Message received")
        MESSAGE_OUT = "message_out", _("Message sent")
        NOTE = "note", _("Internal note")
        MESSAGE_EDITED = "message_edited", _("Message edited")
        MESSAGE_DELETED = "message_deleted", _("Message deleted")
        TAG_ADDED = "tag_added", _("Tag added")
        TAG_REMOVED = "tag_removed", _("Tag removed")
        CONTACT_MERGED = "contact_merged", _("Contact merged")
        DELETED = "deleted", _("Deleted")
        RESTORED = "restored", _("Restored")
        # A step of the chatbot (automation): node entered, answer matched, retry, hand-over.
        BOT = "bot", _("Bot")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Kind-specific facts (from/to queue and agent, message id, tag name...), for display and
    # reports; ids are kept with names so the entry stays readable after renames.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="ticketevent_ticket_idx"),
            # Reports: the entries in which agents take tickets, by period (reports.selectors).
            models.Index(
                fields=["created_at"],
                condition=Q(kind__in=["accepted", "transferred", "reopened", "created"]),
                name="ticketevent_taken_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"


def message_media_path(instance: Message, filename: str) -> str:
    """Media live under the tenant's own prefix with an unguessable name (served by a view)."""
    return tenant_media_path("messages", f"{uuid.uuid4().hex}/{filename}")


class Message(BaseModel):
    """A message of a ticket: from the customer, an agent, the bot or the system, or a note."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Received")
        OUTBOUND = "out", _("Sent")

    class Sender(models.TextChoices):
        CONTACT = "contact", _("Contact")
        AGENT = "agent", _("Agent")
        BOT = "bot", _("Bot")
        SYSTEM = "system", _("System")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio")
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document")
        LOCATION = "location", _("Location")
        CONTACT_CARD = "contact_card", _("Contact card")
        STICKER = "sticker", _("Sticker")
        REACTION = "reaction", _("Reaction")
        UNSUPPORTED = "unsupported", _("Unsupported")

    class Status(models.TextChoices):
        # Ordered: a status only ever moves forward (see tickets.services.messages).
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    class CustomerCopy(models.TextChoices):
        """What an agent's edit or deletion of a sent message did to the customer's copy."""

        UNTOUCHED = "", _("Not changed")
        PENDING = "pending", _("Being changed for the customer")
        CHANGED = "changed", _("Changed for the customer too")
        LOCAL = "local", _("Changed here only")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="messages")
    # Denormalised from the ticket so provider ids can be unique per connection.
    connection = models.ForeignKey(ChannelConnection, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sender = models.CharField(max_length=16, choices=Sender.choices)
    sender_contact = models.ForeignKey(
        Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(blank=True, default="")
    media = models.FileField(upload_to=message_media_path, max_length=500, blank=True)
    media_name = models.CharField(max_length=255, blank=True, default="")
    media_mime = models.CharField(max_length=127, blank=True, default="")
    media_size = models.PositiveBigIntegerField(null=True, blank=True)
    media_error = models.CharField(max_length=255, blank=True, default="")
    # Kind-specific structure (location, contact card, reaction target) and, for unsupported
    # messages, the provider's raw payload.
    payload = models.JSONField(default=dict, blank=True)
    quoted = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_forwarded = models.BooleanField(default=False)
    # Internal notes are visible to agents only and never sent to the customer.
    is_note = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_detail = models.CharField(max_length=500, blank=True, default="")
    provider_message_id = models.CharField(max_length=255, null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # When the message was handed to the outbound pipeline (tickets.services.messages); a
    # scheduled message is handed over exactly once, when due.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Outbound: when the customer read it (provider status). Inbound: when the agent the ticket
    # is assigned to first opened it after it arrived (read receipts are sent once, from this).
    read_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Soft delete keeps the original body for audit; lists show "message deleted".
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whether the latest edit or deletion by an agent reached the customer's copy (the channel
    # changed it) or stayed here (the channel cannot, or refused); empty before any.
    customer_copy = models.CharField(
        max_length=8, choices=CustomerCopy.choices, blank=True, default=CustomerCopy.UNTOUCHED
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_provider_id_unique",
            ),
            models.CheckConstraint(
                condition=~Q(is_note=True) | Q(direction="out"), name="message_note_is_outbound"
            ),
        ]
        indexes = [
            # Ticket history, newest first, keyset pagination.
            models.Index(
                fields=["ticket", "-created_at", "-id"], name="message_ticket_history_idx"
            ),
            # Due scheduled messages.
            models.Index(
                fields=["scheduled_at"],
                condition=Q(scheduled_at__isnull=False, dispatched_at__isnull=True),
                name="message_scheduled_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @cached_property
    def display(self) -> MessageDisplay:
        """How the message is shown (``tickets.message_display``): never empty, whatever its
        kind."""
        from tickets.message_display import message_display

        return message_display(self)

    def preview(self, length: int = 80) -> str:
        text = self.body or self.media_name or self.get_kind_display()
        return text if len(text) <= length else text[: length - 1] + "…"


class MessageEdit(models.Model):
    """The previous body of an edited message (edits keep their history)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    previous_body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"edit of {self.message_id}"


def quick_reply_media_path(instance: QuickReply, filename: str) -> str:
    return tenant_media_path("quick-replies", f"{uuid.uuid4().hex}/{filename}")


class QuickReply(BaseModel):
    """A canned answer agents insert by typing "/shortcode"; tenant-wide or personal."""

    shortcode = models.SlugField(_("shortcode"), max_length=40)
    body = models.TextField(_("text"))
    media = models.FileField(upload_to=quick_reply_media_path, max_length=500, blank=True)
    # Null: shared with the whole tenant; otherwise personal to this agent.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quick_replies",
    )

    class Meta:
        ordering = ["shortcode"]
        verbose_name = _("quick reply")
        verbose_name_plural = _("quick replies")
        constraints = [
            models.UniqueConstraint(
                fields=["shortcode"],
                condition=Q(owner__isnull=True),
                name="quickreply_shared_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "shortcode"],
                condition=Q(owner__isnull=False),
                name="quickreply_personal_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcode}"

    @property
    def media_name(self) -> str:
        """The file's name as uploaded (the stored path adds a random directory)."""
        return os.path.basename(str(self.media.name)) if self.media else ""


class SavedInboxFilter(BaseModel):
    """An agent's named view of the inbox (status tab, scope, queues, tags, channels, unread,
    search), applied from the inbox's list; each agent has their own."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_inbox_filters"
    )
    name = models.CharField(_("name"), max_length=60)
    # The inbox's query parameters ({"tab": "open", "queue": [3], ...}), as the inbox reads them.
    filters = models.JSONField(_("filters"), default=dict)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved inbox filter")
        verbose_name_plural = _("saved inbox filters")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedinboxfilter_user_name"),
        ]

    def __str__(self) -> str:
        return self.name
