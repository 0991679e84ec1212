"""A ticket's automatic system messages: the connection's greeting when a customer opens a
ticket, and its farewell when the ticket closes. Both are outbound messages from the system,
handed to the outbound pipeline after commit.

Above ``dispatch`` and below the ticket and message services, which call it (``ticket_close``
the farewell, ``message_receive`` the greeting); it imports neither of them.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from core.event_bus import publish
from tenants.tenant_settings import tenant_setting
from tickets import events
from tickets.domain_events import MessageCreated
from tickets.models import Message, Ticket
from tickets.selectors.routing import connection_routing_get
from tickets.services.dispatch import message_dispatch
from tickets.services.quick_replies import greeting_for


def _system_text_render(text: str, ticket: Ticket, now: datetime) -> str:
    return (
        text.replace("{protocol}", ticket.protocol)
        .replace("{name}", ticket.contact.name.strip())
        .replace("{greeting}", greeting_for(now))
    )


def _system_message_create(ticket: Ticket, text: str, now: datetime) -> Message:
    """A queued outbound system message, handed to the outbound pipeline after commit."""
    message = Message.objects.create(
        ticket=ticket,
        connection=ticket.connection,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.SYSTEM,
        kind=Message.Kind.TEXT,
        body=_system_text_render(text, ticket, now),
        status=Message.Status.QUEUED,
    )
    events.event_message(message=message)
    publish(MessageCreated(message_id=message.pk))
    transaction.on_commit(partial(message_dispatch, message))
    return message


def ticket_greeting_queue(*, ticket: Ticket, at: datetime | None = None) -> Message | None:
    """Queue the connection's greeting on a ticket the customer just opened; None when the
    connection has no greeting or the contact is a group.

    Called by ``message_receive`` after the customer's first message is stored, so the greeting
    follows it on the timeline. It is an automatic reply: the ticket still counts as not
    answered and keeps the customer's message as its preview.
    """
    greeting = connection_routing_get(connection=ticket.connection).greeting_message.strip()
    if not greeting or ticket.contact.is_group:
        return None
    return _system_message_create(ticket, greeting, at or timezone.now())


def ticket_farewell_queue(*, ticket: Ticket, automatic: bool, at: datetime) -> Message | None:
    """Queue the connection's farewell on a ticket that was just closed; None when the tenant
    does not enable it (``farewell_on_close``, or ``farewell_on_auto_close`` for
    ``automatic``), the connection has no farewell or the contact is a group.

    Called by ``ticket_close`` on the transition only, so a farewell is sent once per closing.
    The farewell is the ticket's last word: it becomes its preview and the ticket counts as
    answered.
    """
    setting = "farewell_on_auto_close" if automatic else "farewell_on_close"
    farewell = connection_routing_get(connection=ticket.connection).farewell_message.strip()
    if not farewell or not tenant_setting(setting) or ticket.contact.is_group:
        return None
    message = _system_message_create(ticket, farewell, at)
    ticket.last_message_preview = message.preview()
    ticket.last_message_at = at
    ticket.answered = True
    ticket.save(update_fields=["last_message_preview", "last_message_at", "answered", "updated_at"])
    return message
