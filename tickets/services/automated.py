"""Messages the tenant's automations send on their own (the chatbot's texts and files).

They are outbound messages from the bot, handed to the outbound pipeline after commit, like
the greeting: an automatic reply, so the ticket still counts as not answered and keeps the
customer's message as its preview.
"""

from __future__ import annotations

from django.core.files import File
from django.db import transaction

from core.event_bus import publish
from tickets import events
from tickets.domain_events import MessageCreated
from tickets.models import Message, Ticket
from tickets.services.dispatch import message_dispatch


@transaction.atomic
def message_send_automated(
    *,
    ticket: Ticket,
    body: str = "",
    media: File | None = None,
    media_name: str = "",
    media_mime: str = "",
    media_kind: str = "",
) -> Message:
    """Queue a message from the bot on ``ticket``: text, or a file with ``body`` as caption.

    The caller checked the file when it was uploaded (``media_kind`` is its message kind); the
    file is copied, so the message keeps it even if the automation's copy is deleted.
    """
    message = Message(
        ticket=ticket,
        connection_id=ticket.connection_id,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.BOT,
        kind=media_kind if media is not None else Message.Kind.TEXT,
        body=body,
        status=Message.Status.QUEUED,
    )
    if media is not None:
        message.media_name, message.media_mime = media_name, media_mime
        message.media_size = media.size
        message.media.save(media_name, media, save=False)
    message.save()
    events.event_message(message=message)
    publish(MessageCreated(message_id=message.pk))
    # Handed over in the same transaction: the hand-over's own event is published after commit
    # in this tenant, and a rollback takes both back.
    message_dispatch(message)
    return message
