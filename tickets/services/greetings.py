"""A ticket's automatic system messages: the connection's greeting when a customer opens a
ticket, the queue's greeting when the ticket enters a queue, and the connection's farewell when
the ticket closes. Both are outbound messages from the system,
handed to the outbound pipeline after commit.

Above ``dispatch`` and below the ticket and message services, which call it (``ticket_close``
the farewell, ``message_receive`` the greeting); it imports neither of them.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.event_bus import publish
from tenants.tenant_settings import tenant_setting
from tickets import events
from tickets.domain_events import MessageCreated
from tickets.message_variables import variables_render
from tickets.models import Message, Ticket
from tickets.selectors.routing import connection_routing_get
from tickets.services.dispatch import message_dispatch
from tickets.services.quick_replies import ticket_variables


def _system_text_render(text: str, ticket: Ticket, now: datetime) -> str:
    return variables_render(text, ticket_variables(ticket, now=now))


def _system_message_create(
    ticket: Ticket, text: str, now: datetime, payload: dict[str, Any] | None = None
) -> Message:
    """A queued outbound system message, handed to the outbound pipeline after commit."""
    message = Message.objects.create(
        payload=payload or {},
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


def ticket_system_message_queue(
    *, ticket: Ticket, text: str, at: datetime | None = None, payload: dict[str, Any] | None = None
) -> Message:
    """Queue another automatic message of the system on the ticket (automation's
    out-of-hours notice), rendered with the same variables as the greetings; the caller has
    decided that it is due."""
    return _system_message_create(ticket, text, at or timezone.now(), payload=payload)


QUEUE_GREETING_MARK = "queue_greeting"


def ticket_queue_greeting_queue(*, ticket: Ticket, at: datetime | None = None) -> Message | None:
    """Queue the greeting of the queue the ticket has just entered; None when the ticket has no
    queue, the queue no greeting, the contact is a group or blocked, or this ticket already got
    this queue's greeting (once per attendance: a ticket sent back to a queue it was in is not
    greeted again).

    Called with the ticket row locked (a new ticket inside ``message_receive``, a transfer
    inside ``ticket_transfer``), so two callers cannot both see "not greeted yet". The message
    carries ``{"queue_greeting": <queue id>}`` in its payload, which is what "already got it"
    reads.
    """
    queue = ticket.queue
    if queue is None or ticket.contact.is_group or ticket.contact.is_blocked:
        return None
    greeting = queue.greeting_message.strip()
    if not greeting:
        return None
    already = Message.objects.filter(
        ticket=ticket, sender=Message.Sender.SYSTEM, **{f"payload__{QUEUE_GREETING_MARK}": queue.pk}
    )
    if already.exists():
        return None
    return _system_message_create(
        ticket, greeting, at or timezone.now(), payload={QUEUE_GREETING_MARK: queue.pk}
    )


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
