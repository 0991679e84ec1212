"""Messages: inbound from channels, outbound from agents, internal notes, forwards, edits,
soft deletes, delivery statuses and scheduled sending.

Locking: every change of a ticket's counters happens with the ticket row locked
(``select_for_update``), so concurrent inbound messages never lose an unread increment. Lock
order is ticket, then message, everywhere both are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db import connection as db
from django.db.models import Case, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_object, audit_record
from connections.models import ChannelConnection
from contacts.models import Contact
from core.event_bus import publish
from core.savepoints import savepoint_own
from tickets import events
from tickets.channel_capabilities import channel_capabilities
from tickets.domain_events import (
    MessageChangeRequested,
    MessageCreated,
    MessageDeleted,
    MessageReceived,
    MessageStatusChanged,
    MessageUpdated,
)
from tickets.errors import (
    MessageActionForbidden,
    MessageAlreadyDeleted,
    MessageAlreadyDispatched,
    MessageEmpty,
    MessageNotEditable,
    MessageNotForwardable,
    MessageNotReactable,
    MessageNotRetryable,
    MessageNotScheduled,
    MessageTooLong,
    QuotedMessageInvalid,
    ReactionNotSupported,
    ScheduledAtInPast,
    TicketNotAssignedToYou,
    TicketNotOpen,
    VoiceNoteNotAudio,
    VoiceNoteWithText,
)
from tickets.media import MEDIA_LOADING, media_display_name, media_name_clean, media_validate
from tickets.models import Message, MessageEdit, Ticket
from tickets.services.dispatch import message_dispatch
from tickets.services.greetings import ticket_greeting_queue, ticket_queue_greeting_queue
from tickets.services.tickets import ticket_open_or_reuse

Status = Message.Status

# Delivery statuses only move forward along this order; ``failed`` is reachable only from
# queued or sent, and nothing leaves it.
_STATUS_RANK: dict[str, int] = {
    Status.QUEUED: 0,
    Status.SENT: 1,
    Status.DELIVERED: 2,
    Status.READ: 3,
}
_STATUS_TIMESTAMP: dict[str, str] = {
    Status.SENT: "sent_at",
    Status.DELIVERED: "delivered_at",
    Status.READ: "read_at",
}

MESSAGE_BODY_MAX_LENGTH = 4096


def _ticket_locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _message_locked(message: Message) -> Message:
    return Message.objects.select_for_update().select_related("ticket").get(pk=message.pk)


# --------------------------------------------------------------------------- inbound


@dataclass(frozen=True, kw_only=True)
class ReceivedMessage:
    """A customer's message as a channel delivered it: what ``message_receive`` stores.

    ``provider_message_id`` identifies it on ``connection`` (redeliveries carry the same id);
    ``media`` is the file already fetched, ``media_name``/``media_mime`` describe it (or the
    announced file when ``media_error`` says why it is missing: too large, type not allowed,
    download failed); ``quoted_provider_id`` is the provider id of the message it replies to;
    ``at`` is when the channel says it was sent (now when it does not say).
    """

    connection: ChannelConnection
    contact: Contact
    kind: str = Message.Kind.TEXT
    body: str = ""
    provider_message_id: str | None = None
    media: File | None = None
    media_name: str = ""
    media_mime: str = ""
    media_error: str = ""
    payload: dict[str, Any] | None = None
    quoted_provider_id: str | None = None
    at: datetime | None = None
    # Channels that thread by headers (e-mail): the provider ids the message answers
    # (In-Reply-To, References) and a ticket protocol it names (reply address, subject). An
    # active ticket of the connection they name takes the message, whoever sends it (a Cc'd
    # colleague answering all, the customer from another address).
    thread_provider_ids: tuple[str, ...] = ()
    thread_protocol: str = ""
    # Inside an inbound batch: the caller looked for ``provider_message_id`` on the connection
    # in the batch's transaction and found nothing, so ``message_receive`` does not look again
    # (a duplicate that races in fails the event on the unique provider id, as below).
    checked_absent: bool = False
    # What the caller read in the current transaction (an inbound batch, for all its events at
    # once), passed to ``ticket_open_or_reuse``: the contact's active ticket on the connection,
    # locked and not written since, or that the contact was created in this transaction.
    ticket_locked: Ticket | None = None
    contact_new: bool = False


def _ticket_of_thread(received: ReceivedMessage) -> Ticket | None:
    """The active ticket of the connection that the message's thread names, locked; None when
    it names none (the usual rules apply)."""
    active = Q(status__in=(Ticket.Status.PENDING, Ticket.Status.OPEN), deleted_at__isnull=True)
    ticket = None
    if received.thread_provider_ids:
        ticket = (
            Ticket.objects.filter(
                active,
                connection=received.connection,
                messages__provider_message_id__in=list(received.thread_provider_ids),
            )
            .order_by("-pk")
            .first()
        )
    if ticket is None and received.thread_protocol:
        ticket = Ticket.objects.filter(
            active, connection=received.connection, protocol=received.thread_protocol
        ).first()
    return _ticket_locked(ticket) if ticket is not None else None


def message_receive(*, received: ReceivedMessage) -> tuple[Message, bool]:
    """Store a customer's message on its ticket (opened or reused); ``(message, created)``.

    Idempotent on ``provider_message_id`` per connection: a provider's redelivery returns the
    stored message with ``created=False`` and changes nothing. The ticket is locked while its
    unread counter and last-message fields change. A ticket opened by this message gets the
    connection's greeting (``ticket_greeting_queue``), then its queue's
    (``ticket_queue_greeting_queue``).
    """
    # Inside an inbound batch (``core.savepoints.caller_savepoint``) the event's savepoint
    # rolls back all of an event that fails, so no savepoint of its own, and no second look
    # for a duplicate once the ticket is held: a duplicate that races in (a single-event task
    # of the same connection; the batches themselves never overlap) hits the unique provider
    # id and fails the event, whose single-event retry then finds the message stored.
    in_batch = not savepoint_own()
    with transaction.atomic(savepoint=not in_batch):
        return _message_receive(received, in_batch=in_batch)


def _message_receive(received: ReceivedMessage, *, in_batch: bool) -> tuple[Message, bool]:
    connection, contact = received.connection, received.contact
    provider_message_id = received.provider_message_id
    now = timezone.now()
    at = received.at or now
    if provider_message_id and not (in_batch and received.checked_absent):
        existing = _by_provider_id(connection, provider_message_id)
        if existing is not None:
            return existing, False
    threaded = _ticket_of_thread(received)
    if threaded is not None:
        ticket, ticket_created = threaded, False
    else:
        ticket, ticket_created = ticket_open_or_reuse(
            contact=contact,
            connection=connection,
            at=at,
            locked=received.ticket_locked,
            contact_new=received.contact_new,
        )
    if provider_message_id and not in_batch:
        # A redelivery racing this one waited for the ticket lock; it has committed by now.
        # (In a batch the unique provider id fails the event instead: see above.)
        existing = _by_provider_id(connection, provider_message_id)
        if existing is not None:
            return existing, False
    quoted = None
    if received.quoted_provider_id:
        quoted = Message.objects.filter(
            connection=connection,
            provider_message_id=received.quoted_provider_id,
            ticket__contact=contact,
        ).first()
    message = Message(
        ticket=ticket,
        connection=connection,
        direction=Message.Direction.INBOUND,
        sender=Message.Sender.CONTACT,
        sender_contact=contact,
        kind=received.kind,
        body=received.body,
        payload=received.payload or {},
        quoted=quoted,
        status=Status.DELIVERED,
        provider_message_id=provider_message_id or None,
        # The customer's sending time as the channel states it; ours is when it reached us.
        sent_at=at,
        delivered_at=now,
        media_error=received.media_error[:255],
    )
    _media_attach(
        message,
        media=received.media,
        name=received.media_name,
        mime=received.media_mime,
        error=received.media_error,
    )
    if in_batch:
        message.save()  # a duplicate racing in fails the event (see message_receive)
    else:
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            existing = (
                _by_provider_id(connection, provider_message_id) if provider_message_id else None
            )
            if existing is None:
                raise
            return existing, False
    ticket.unread_count += 1
    ticket.last_message_preview = message.preview()
    ticket.last_message_at = max(at, ticket.last_message_at) if ticket.last_message_at else at
    ticket.last_inbound_at = at
    ticket.answered = False
    _ticket_touch_inbound_save(ticket)
    events.event_message(message=message)
    publish(MessageCreated(message_id=message.pk))
    publish(MessageReceived(message_id=message.pk))
    if ticket_created:
        ticket_greeting_queue(ticket=ticket, at=at)
        ticket_queue_greeting_queue(ticket=ticket, at=at)
    return message, True


# What a customer's message changes on its ticket; saved by a statement built once per process
# (the ORM's ``save(update_fields=...)`` took more CPU to build it than PostgreSQL to run it).
_INBOUND_TOUCHED = (
    "unread_count",
    "last_message_preview",
    "last_message_at",
    "last_inbound_at",
    "answered",
    "updated_at",
)


@cache
def _ticket_touch_inbound_sql() -> str:
    quote = db.ops.quote_name
    column = {f.name: f.column for f in Ticket._meta.concrete_fields if f.column is not None}
    assignments = ", ".join(f"{quote(column[name])} = %s" for name in _INBOUND_TOUCHED)
    table = quote(Ticket._meta.db_table)
    return f"UPDATE {table} SET {assignments} WHERE {quote(column['id'])} = %s"  # noqa: S608


def _ticket_touch_inbound_save(ticket: Ticket) -> None:
    """Save the fields of ``_INBOUND_TOUCHED`` (the ticket is locked by the caller)."""
    ticket.updated_at = timezone.now()
    with db.cursor() as cursor:
        cursor.execute(
            _ticket_touch_inbound_sql(),
            [*(getattr(ticket, name) for name in _INBOUND_TOUCHED), ticket.pk],
        )
        if cursor.rowcount != 1:
            raise DatabaseError(f"ticket {ticket.pk} was not saved")


def _ticket_for_echo(connection: ChannelConnection, contact: Contact) -> Ticket | None:
    """The ticket a message sent to ``contact`` from elsewhere belongs to: their active ticket
    on the connection, else their latest one; locked."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .filter(connection=connection, contact=contact, deleted_at__isnull=True)
        .annotate(
            closed_last=Case(When(status=Ticket.Status.CLOSED, then=1), default=0),
        )
        .order_by("closed_last", "-created_at", "-id")
        .first()
    )


@transaction.atomic
def message_record_sent_elsewhere(*, sent: ReceivedMessage) -> tuple[Message | None, bool]:
    """Store a message the business sent to ``sent.contact`` outside TikTickets (the Page
    inbox, the Instagram app), as the channel echoed it; ``(message, created)``.

    It is an outbound message by the business (no agent), already sent, on the customer's
    active ticket or else their latest one: an echo never opens or reopens a ticket, and
    ``(None, False)`` means the customer has no ticket here. Idempotent on
    ``provider_message_id``: the echo of a message we sent ourselves returns that message.
    """
    connection = sent.connection
    at = sent.at or timezone.now()
    if sent.provider_message_id:
        existing = _by_provider_id(connection, sent.provider_message_id)
        if existing is not None:
            return existing, False
    ticket = _ticket_for_echo(connection, sent.contact)
    if ticket is None:
        return None, False
    message = Message(
        ticket=ticket,
        connection=connection,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        kind=sent.kind,
        body=sent.body,
        payload={**(sent.payload or {}), "sent_elsewhere": True},
        status=Status.SENT,
        provider_message_id=sent.provider_message_id or None,
        sent_at=at,
        dispatched_at=at,
        media_error=sent.media_error[:255],
    )
    if sent.quoted_provider_id:
        message.quoted = _by_provider_id(connection, sent.quoted_provider_id)
    _media_attach(
        message,
        media=sent.media,
        name=sent.media_name,
        mime=sent.media_mime,
        error=sent.media_error,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = _by_provider_id(connection, sent.provider_message_id or "")
        if existing is None:
            raise
        return existing, False
    if ticket.last_message_at is None or at >= ticket.last_message_at:
        ticket.last_message_preview = message.preview()
        ticket.last_message_at = at
        ticket.answered = True
        ticket.save(
            update_fields=["last_message_preview", "last_message_at", "answered", "updated_at"]
        )
    events.event_message(message=message)
    publish(MessageCreated(message_id=message.pk))
    return message, True


def _media_attach(
    message: Message, *, media: File | None, name: str, mime: str, error: str
) -> None:
    """Store the received file on ``message``, or describe the announced one that is missing.

    The file keeps the sender's name for display and download (``media_display_name``); the
    stored path uses a safe form of it (``media_name_clean``)."""
    if media is not None:
        message.media_name = media_display_name(name or media.name or "")
        message.media_mime = mime
        message.media_size = media.size
        message.media.save(media_name_clean(message.media_name), media, save=False)
    elif error:  # the file was announced but not kept: still say what it was
        message.media_name = media_display_name(name) if name else ""
        message.media_mime = mime


@transaction.atomic
def message_media_fill(
    *,
    message: Message,
    media: File | None,
    media_name: str = "",
    media_mime: str = "",
    media_error: str = "",
    media_error_detail: dict[str, Any] | None = None,
) -> Message:
    """The file of a message shown while it was still downloading (``media_error`` was
    ``MEDIA_LOADING``) arrived, or finally could not be had (``media_error`` says why): the
    message is updated and every open panel re-reads it (``MessageUpdated``). A message not
    waiting for its file is left as it is (a repeated or late attempt)."""
    message = _message_locked(message)
    if message.media_error != MEDIA_LOADING or message.media:
        return message
    message.media_error = media_error[:255]
    _media_attach(
        message,
        media=media,
        name=media_name or message.media_name,
        mime=media_mime or message.media_mime,
        error=media_error,
    )
    payload = dict(message.payload or {})
    payload.pop("media_error", None)
    if media_error:
        payload["media_error"] = {"code": media_error, **(media_error_detail or {})}
    message.payload = payload
    message.save(
        update_fields=[
            "media",
            "media_name",
            "media_mime",
            "media_size",
            "media_error",
            "payload",
            "updated_at",
        ]
    )
    publish(MessageUpdated(message_id=message.pk))
    return message


@transaction.atomic
def message_reaction_remove_by_contact(
    *,
    connection: ChannelConnection,
    contact: Contact,
    reacted_provider_id: str,
    at: datetime | None = None,
) -> Message | None:
    """The customer took back their reaction to the message ``reacted_provider_id`` (WhatsApp
    sends an empty emoji, Messenger ``unreact``): their latest reaction to it is removed
    (soft-deleted, shown as "reaction removed"); None when there is none to remove. Nothing
    new is stored."""
    reaction = (
        Message.objects.filter(
            connection=connection,
            kind=Message.Kind.REACTION,
            direction=Message.Direction.INBOUND,
            sender_contact=contact,
            deleted_at__isnull=True,
        )
        .filter(
            Q(quoted__provider_message_id=reacted_provider_id)
            | Q(payload__reacted_provider_message_id=reacted_provider_id)
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if reaction is None:
        return None
    return message_delete_by_contact(message=reaction, at=at)


@transaction.atomic
def message_edit_by_contact(*, message: Message, body: str, at: datetime | None = None) -> Message:
    """The customer edited a message on the channel: the new text replaces the body and the
    previous one is kept as a ``MessageEdit``. Repeating the same edit changes nothing."""
    message = _message_locked(message)
    if message.direction != Message.Direction.INBOUND or message.deleted_at is not None:
        return message
    if body == message.body:
        return message
    MessageEdit.objects.create(message=message, previous_body=message.body, edited_by=None)
    message.body = body
    message.edited_at = at or timezone.now()
    message.save(update_fields=["body", "edited_at", "updated_at"])
    events.event_message_edited(message=message, by=None)
    publish(MessageUpdated(message_id=message.pk))
    return message


@transaction.atomic
def message_delete_by_contact(*, message: Message, at: datetime | None = None) -> Message:
    """The customer deleted a message on the channel: soft-deleted (the body stays for audit).
    Repeating it changes nothing."""
    message = _message_locked(message)
    if message.direction != Message.Direction.INBOUND or message.deleted_at is not None:
        return message
    message.deleted_at = at or timezone.now()
    message.save(update_fields=["deleted_at", "updated_at"])
    events.event_message_deleted(message=message, by=None)
    publish(MessageDeleted(message_id=message.pk))
    return message


def _by_provider_id(connection: ChannelConnection, provider_message_id: str) -> Message | None:
    return Message.objects.filter(
        connection=connection, provider_message_id=provider_message_id
    ).first()


# --------------------------------------------------------------------------- outbound


def _check_can_send(ticket: Ticket, by: User) -> None:
    if ticket.status != Ticket.Status.OPEN or ticket.deleted_at is not None:
        raise TicketNotOpen()
    if not by.is_admin and ticket.assignee_id != by.pk:
        raise TicketNotAssignedToYou()


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if len(body) > MESSAGE_BODY_MAX_LENGTH:
        raise MessageTooLong(extra={"max_length": MESSAGE_BODY_MAX_LENGTH})
    return body


def _signed(body: str, by: User) -> str:
    """The agent's signature under the text, when their profile asks for it (a file sent
    without a caption stays without one)."""
    body = (body or "").strip()
    if body and by.sign_messages and by.signature:
        return f"{body}\n\n{by.signature}"
    return body


def _touch_ticket_outbound(ticket: Ticket, message: Message, at: datetime) -> None:
    ticket.last_message_preview = message.preview()
    ticket.last_message_at = at
    ticket.answered = True
    ticket.save(update_fields=["last_message_preview", "last_message_at", "answered", "updated_at"])


@transaction.atomic
def message_send(
    *,
    ticket: Ticket,
    by: User,
    body: str = "",
    media: File | None = None,
    quoted: Message | None = None,
    scheduled_at: datetime | None = None,
    voice_note: bool = False,
    template: dict[str, Any] | None = None,
) -> Message:
    """An agent's message to the customer: stored ``queued``, handed to the outbound pipeline
    after commit (or when due, for a scheduled one). The agent's signature is added under the
    text when their profile turns it on. ``voice_note``: ``media`` is a recording the agent
    made (``tickets.voice_notes.voice_note_file``), sent as a voice note where the channel has
    them; no text goes with it (no signature either).

    ``template``: the provider's approved message template object (WhatsApp Cloud, built by
    ``channels_integrations.services.templates.template_payload``), sent instead of ``body``,
    which is then the text the ticket shows for it (no signature). The agent's composer and the
    tickets API refuse text first where only a template goes (``free_text_window_check``).

    Only on open tickets (409 ``ticket_not_open``), assigned to ``by`` unless ``by`` is an
    admin (403 ``ticket_not_assigned_to_you``). Every check runs before a file is stored.
    """
    ticket = _ticket_locked(ticket)
    _check_can_send(ticket, by)
    if template is not None and (media is not None or voice_note or scheduled_at is not None):
        raise MessageEmpty(_("A template message carries no file and is sent now."))
    if voice_note and body.strip():
        raise VoiceNoteWithText()
    if template is not None:
        body = _clean_body(body)
    else:
        body = "" if voice_note else _clean_body(_signed(body, by))
    info = media_validate(file=media) if media is not None else None
    if voice_note and (info is None or info.kind != Message.Kind.AUDIO):
        raise VoiceNoteNotAudio()
    if not body and info is None:
        raise MessageEmpty()
    if quoted is not None and quoted.ticket_id != ticket.pk:
        raise QuotedMessageInvalid()
    now = timezone.now()
    if scheduled_at is not None and scheduled_at <= now:
        raise ScheduledAtInPast()
    message = Message(
        ticket=ticket,
        connection_id=ticket.connection_id,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_user=by,
        kind=info.kind if info else Message.Kind.TEXT,
        body=body,
        quoted=quoted,
        status=Status.QUEUED,
        scheduled_at=scheduled_at,
        payload={"voice": True} if voice_note else ({"template": template} if template else {}),
    )
    if media is not None and info is not None:
        message.media_name, message.media_mime, message.media_size = info.name, info.mime, info.size
        message.media.save(info.name, media, save=False)
    message.save()
    events.event_message(message=message)
    publish(MessageCreated(message_id=message.pk))
    if scheduled_at is None:
        _touch_ticket_outbound(ticket, message, now)
        transaction.on_commit(partial(message_dispatch, message))
    return message


@transaction.atomic
def note_add(*, ticket: Ticket, by: User, body: str) -> Message:
    """An internal note: visible to agents only, never sent, allowed on closed tickets too.

    The caller checked that ``by`` may see the ticket; notes do not change the ticket's
    unread counter, last message or answered flag (the customer never sees them).
    """
    body = _clean_body(body)
    if not body:
        raise MessageEmpty()
    message = Message.objects.create(
        ticket=ticket,
        connection_id=ticket.connection_id,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_user=by,
        kind=Message.Kind.TEXT,
        body=body,
        is_note=True,
        status=Status.SENT,
    )
    events.event_message(message=message)
    publish(MessageCreated(message_id=message.pk, is_note=True))
    return message


@transaction.atomic
def message_forward(*, message: Message, to_ticket: Ticket, by: User) -> Message:
    """Copy a message (text, media, structured payload) to the customer of ``to_ticket``.

    The same sending rules as ``message_send`` apply to the target ticket; internal notes and
    deleted messages are never forwarded (a note must not reach a customer).
    """
    to_ticket = _ticket_locked(to_ticket)
    _check_can_send(to_ticket, by)
    if message.is_note or message.deleted_at is not None:
        raise MessageNotForwardable()
    if not message.body and not message.media and not message.payload:
        raise MessageNotForwardable()
    copy = Message(
        ticket=to_ticket,
        connection_id=to_ticket.connection_id,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_user=by,
        kind=message.kind,
        body=message.body,
        payload=message.payload,
        media_name=message.media_name,
        media_mime=message.media_mime,
        media_size=message.media_size,
        is_forwarded=True,
        status=Status.QUEUED,
    )
    if message.media:
        with message.media.open("rb") as source:
            copy.media.save(message.media_name or "file", ContentFile(source.read()), save=False)
    copy.save()
    events.event_message(message=copy)
    publish(MessageCreated(message_id=copy.pk))
    _touch_ticket_outbound(to_ticket, copy, timezone.now())
    transaction.on_commit(partial(message_dispatch, copy))
    return copy


@transaction.atomic
def message_react(*, message: Message, by: User, emoji: str) -> Message:
    """React with ``emoji`` to a customer's message: a reaction message quoting it, handed to
    the outbound pipeline like a reply (the same sending rules). Only on channels that offer
    reactions, with one of the emoji their provider declares (400 ``reaction_not_supported``);
    only a customer's message the channel delivered (409 ``message_not_reactable``). A
    reaction is not an answer: the ticket's last message and answered flag stay."""
    ticket = _ticket_locked(message.ticket)
    _check_can_send(ticket, by)
    if (
        message.direction != Message.Direction.INBOUND
        or message.kind == Message.Kind.REACTION
        or message.deleted_at is not None
        or not message.provider_message_id
    ):
        raise MessageNotReactable()
    if emoji not in channel_capabilities(message.connection.provider).reaction_emojis:
        raise ReactionNotSupported()
    reaction = Message.objects.create(
        ticket=ticket,
        connection_id=message.connection_id,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_user=by,
        kind=Message.Kind.REACTION,
        body=emoji,
        quoted=message,
        status=Status.QUEUED,
    )
    events.event_message(message=reaction)
    publish(MessageCreated(message_id=reaction.pk))
    transaction.on_commit(partial(message_dispatch, reaction))
    return reaction


# --------------------------------------------------------------------------- edit, delete


def _customer_copy_change(message: Message, change: str, *, reaches: bool, body: str = "") -> None:
    """Decide what the edit or deletion just made does to the customer's copy and record it on
    ``message`` (saved by the caller): a message the channel has not accepted yet is sent as it
    now is (or never, once deleted), a note has no copy; otherwise the change goes to the
    channel when its provider can (``MessageChangeRequested``), else it stays here."""
    if message.is_note or message.direction != Message.Direction.OUTBOUND:
        return
    if message.provider_message_id is None:
        return
    if reaches:
        message.customer_copy = Message.CustomerCopy.PENDING
        publish(MessageChangeRequested(message_id=message.pk, change=change, body=body))
    else:
        message.customer_copy = Message.CustomerCopy.LOCAL


@transaction.atomic
def message_customer_copy_record(*, message: Message, changed: bool) -> Message:
    """The channel applied (``changed``) or refused an agent's edit or deletion of ``message``:
    the panel says whether the customer's copy changed (``MessageUpdated``)."""
    message = _message_locked(message)
    copy = Message.CustomerCopy.CHANGED if changed else Message.CustomerCopy.LOCAL
    if message.customer_copy != copy:
        message.customer_copy = copy
        message.save(update_fields=["customer_copy", "updated_at"])
        publish(MessageUpdated(message_id=message.pk))
    return message


@transaction.atomic
def message_edit(*, message: Message, by: User, body: str) -> Message:
    """Change the text of ``by``'s own outbound text message; the previous text is kept as a
    ``MessageEdit``. When the channel already has the message, the edit reaches the customer's
    copy where the provider can (``edits_reach_customer``) and stays here otherwise
    (``Message.customer_copy`` says which)."""
    message = _message_locked(message)
    if message.sender_user_id != by.pk:
        raise MessageActionForbidden()
    if (
        message.direction != Message.Direction.OUTBOUND
        or message.kind != Message.Kind.TEXT
        or message.deleted_at is not None
    ):
        raise MessageNotEditable()
    body = _clean_body(body)
    if not body:
        raise MessageEmpty()
    if body == message.body:
        return message
    MessageEdit.objects.create(message=message, previous_body=message.body, edited_by=by)
    message.body = body
    message.edited_at = timezone.now()
    capabilities = channel_capabilities(message.connection.provider)
    _customer_copy_change(
        message, "edit", reaches=capabilities.edits_reach_customer, body=message.body
    )
    message.save(update_fields=["body", "edited_at", "customer_copy", "updated_at"])
    events.event_message_edited(message=message, by=by)
    publish(MessageUpdated(message_id=message.pk))
    return message


@transaction.atomic
def message_delete(*, message: Message, by: User) -> Message:
    """Soft-delete: the body stays in the database for audit, lists show "message deleted".

    Allowed to the message's author and to admins. A scheduled message that is deleted before
    it is due is never sent. A message the channel already has is removed from the customer's
    copy where the provider can (``deletions_reach_customer``) and only here otherwise
    (``Message.customer_copy`` says which).
    """
    message = _message_locked(message)
    if message.sender_user_id != by.pk and not by.is_admin:
        raise MessageActionForbidden()
    if message.deleted_at is not None:
        raise MessageAlreadyDeleted()
    message.deleted_at = timezone.now()
    message.deleted_by = by
    capabilities = channel_capabilities(message.connection.provider)
    _customer_copy_change(
        message, "delete", reaches=capabilities.deletion_reaches(message.kind, message.sent_at)
    )
    message.save(update_fields=["deleted_at", "deleted_by", "customer_copy", "updated_at"])
    events.event_message_deleted(message=message, by=by)
    audit_record(
        "message.deleted",
        actor=by,
        obj=audit_object(message, label=f"#{message.pk}"),
        extra={"ticket_id": message.ticket_id},
    )
    publish(MessageDeleted(message_id=message.pk))
    return message


# --------------------------------------------------------------------------- delivery


_WATERMARK_UPDATE = """
    UPDATE {table} SET {assignments}
    WHERE {pk} IN ({customer_messages}) AND {status} = ANY(%s)
    RETURNING {pk}
"""


@transaction.atomic
def message_status_watermark(
    *, connection: ChannelConnection, external_id: str, status: str, at: datetime
) -> int:
    """Apply a receipt that names no message (Messenger/Instagram delivery and read
    watermarks): every outbound message of ``connection`` to the customer known there as
    ``external_id``, sent at or before ``at``, moves forward to ``status``. Monotonic like
    ``message_status_update``: messages already at or past ``status`` are left alone, and
    queued or failed ones are never touched. Returns how many messages changed.

    One ``UPDATE ... RETURNING`` whatever the number of messages: the status condition sits
    on the updated rows themselves, so PostgreSQL re-checks it against a row that a concurrent
    receipt changed first (a "delivered" can never overwrite a "read" that won the race).
    Every changed message publishes ``MessageStatusChanged``, as a single receipt does.
    """
    if status not in (Status.DELIVERED, Status.READ) or not external_id:
        return 0
    behind = [s for s, rank in _STATUS_RANK.items() if 0 < rank < _STATUS_RANK[status]]
    customer_messages = Message.objects.filter(
        connection=connection,
        direction=Message.Direction.OUTBOUND,
        is_note=False,
        sent_at__lte=at,
        ticket__contact__identities__provider=connection.provider,
        ticket__contact__identities__external_id=external_id,
    ).values("pk")
    subquery, subquery_params = customer_messages.order_by().query.sql_with_params()

    columns = {f.name: f.column for f in Message._meta.concrete_fields if f.column is not None}

    def column(name: str) -> str:
        return db.ops.quote_name(columns[name])

    # A read implies the delivery: stamps of every step up to ``status`` that are still empty.
    stamped = [
        field
        for step, field in _STATUS_TIMESTAMP.items()
        if _STATUS_RANK[step] <= _STATUS_RANK[status]
    ]
    assignments = [f"{column('status')} = %s", f"{column('updated_at')} = %s"]
    assignments += [f"{column(field)} = COALESCE({column(field)}, %s)" for field in stamped]
    sql = _WATERMARK_UPDATE.format(
        table=db.ops.quote_name(Message._meta.db_table),
        assignments=", ".join(assignments),
        pk=column("id"),
        customer_messages=subquery,
        status=column("status"),
    )
    params = [status, timezone.now(), *([at] * len(stamped)), *subquery_params, behind]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for message_id in sorted(ids):
        publish(MessageStatusChanged(message_id=message_id))
    return len(ids)


@transaction.atomic
def message_status_update(
    *,
    connection: ChannelConnection,
    provider_message_id: str,
    status: str,
    at: datetime | None = None,
    error_code: str = "",
    error_detail: str = "",
) -> Message | None:
    """Apply a provider's delivery report; ``None`` when the id is unknown on that connection.

    Monotonic: queued < sent < delivered < read, ``failed`` only from queued or sent; a late or
    repeated report never moves a message back (a "delivered" after "read" is ignored).
    """
    at = at or timezone.now()
    message = (
        Message.objects.select_for_update()
        .filter(connection=connection, provider_message_id=provider_message_id)
        .first()
    )
    if message is None:
        return None
    current = message.status
    changed: list[str] = []
    if status == Status.FAILED:
        if current in (Status.QUEUED, Status.SENT):
            message.status = Status.FAILED
            message.error_code = error_code[:64]
            message.error_detail = error_detail[:500]
            changed = ["status", "error_code", "error_detail"]
    elif (
        status in _STATUS_RANK
        and current in _STATUS_RANK
        and _STATUS_RANK[status] > _STATUS_RANK[current]
    ):
        message.status = status
        changed = ["status"]
        # A "read" that arrives without "delivered" implies it: fill the skipped stamps.
        for step, field in _STATUS_TIMESTAMP.items():
            if _STATUS_RANK[step] <= _STATUS_RANK[status] and getattr(message, field) is None:
                setattr(message, field, at)
                changed.append(field)
    if changed:
        message.save(update_fields=[*changed, "updated_at"])
        publish(MessageStatusChanged(message_id=message.pk))
    return message


@transaction.atomic
def message_sent_record(
    *, message: Message, provider_message_id: str, at: datetime | None = None
) -> Message:
    """The provider accepted an outbound message: keep its id (later status reports find the
    message by it) and move the message from queued to sent."""
    at = at or timezone.now()
    message = _message_locked(message)
    message.provider_message_id = provider_message_id[:255]
    changed = ["provider_message_id"]
    if message.status == Status.QUEUED:
        message.status = Status.SENT
        message.sent_at = at
        changed += ["status", "sent_at"]
    message.save(update_fields=[*changed, "updated_at"])
    publish(MessageStatusChanged(message_id=message.pk))
    return message


@transaction.atomic
def message_delivery_failed(*, message: Message, error_code: str, error_detail: str) -> Message:
    """The outbound pipeline gave up on a message: it is marked failed with the reason the
    agent sees. Only a queued or sent message can fail (never one already delivered)."""
    message = _message_locked(message)
    if message.status in (Status.QUEUED, Status.SENT):
        message.status = Status.FAILED
        message.error_code = error_code[:64]
        message.error_detail = error_detail[:500]
        message.save(update_fields=["status", "error_code", "error_detail", "updated_at"])
        publish(MessageStatusChanged(message_id=message.pk))
    return message


@transaction.atomic
def message_delivery_requeue(*, message: Message, by: User) -> Message:
    """An agent sends a failed reply again: back to queued, its failure reason cleared (the
    outbound pipeline delivers it again). Only on an open ticket the agent may reply on, and
    only a reply the channel never accepted (409 ``message_not_retryable`` otherwise)."""
    message = _message_locked(message)
    _check_can_send(message.ticket, by)
    if (
        message.status != Status.FAILED
        or message.direction != Message.Direction.OUTBOUND
        or message.is_note
        or message.deleted_at is not None
        or message.provider_message_id is not None
    ):
        raise MessageNotRetryable()
    message.status = Status.QUEUED
    message.error_code = ""
    message.error_detail = ""
    message.save(update_fields=["status", "error_code", "error_detail", "updated_at"])
    publish(MessageStatusChanged(message_id=message.pk))
    return message


@transaction.atomic
def message_schedule_cancel(*, message: Message, by: User) -> Message:
    """Cancel a scheduled message before it is handed over (409 ``already_dispatched`` after).

    The message is soft-deleted, so it stays in the history for audit and is never sent.
    """
    message = _message_locked(message)
    if message.sender_user_id != by.pk and not by.is_admin:
        raise MessageActionForbidden()
    if message.scheduled_at is None:
        raise MessageNotScheduled()
    if message.dispatched_at is not None:
        raise MessageAlreadyDispatched()
    if message.deleted_at is not None:
        raise MessageAlreadyDeleted()
    message.deleted_at = timezone.now()
    message.deleted_by = by
    message.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    events.event_message_deleted(message=message, by=by)
    publish(MessageDeleted(message_id=message.pk))
    return message


def messages_scheduled_dispatch_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Dispatch the current tenant's scheduled messages that are due; returns how many.

    Safe with several workers: each message is taken with ``SKIP LOCKED`` in its own
    transaction and dispatched by ``message_dispatch``'s conditional update, so it is handed
    over exactly once. Late messages are still sent; a message whose ticket is no longer open
    is marked failed (``ticket_not_open``) instead.
    """
    now = now or timezone.now()
    due = list(
        Message.objects.filter(
            scheduled_at__lte=now,
            dispatched_at__isnull=True,
            deleted_at__isnull=True,
            status=Status.QUEUED,
            is_note=False,
            direction=Message.Direction.OUTBOUND,
        )
        .order_by("scheduled_at", "id")
        .values_list("pk", "ticket_id")[:limit]
    )
    dispatched = 0
    for pk, ticket_id in due:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
            message = (
                Message.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, dispatched_at__isnull=True, deleted_at__isnull=True)
                .first()
            )
            if message is None:
                continue
            if ticket.status != Ticket.Status.OPEN or ticket.deleted_at is not None:
                message.status = Status.FAILED
                message.error_code = TicketNotOpen.code
                message.error_detail = str(TicketNotOpen.default_message)
                message.save(update_fields=["status", "error_code", "error_detail", "updated_at"])
                continue
            if message_dispatch(message):
                dispatched += 1
                _touch_ticket_outbound(ticket, message, now)
    return dispatched
